//! Helpers of the crash tests: DuckDB's totals of a store, asked of one
//! long-running `tests/store/totals.py` (DuckDB starts once), and a small
//! seeded random number generator for the moments of the kills.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

/// `tests/store/totals.py`, running.
pub struct Totals {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Totals {
    pub fn start() -> Totals {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/store/totals.py");
        let python = super::python::python();
        let mut child = Command::new(&python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {} ({e}): see tests/common/python.rs", python.display()));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Totals { child, stdin, stdout }
    }

    /// Every table's [rows, packets] and the manifest's parts, as DuckDB
    /// reads them now.
    pub fn of(&mut self, store: &Path) -> Value {
        writeln!(self.stdin, "{}", store.display()).expect("asking totals.py");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("totals.py's answer");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("totals.py printed no JSON ({e}): {line:?}"))
    }
}

impl Drop for Totals {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tables' [rows, packets] of a `Totals::of` answer; fails naming any
/// table DuckDB could not read.
pub fn table_totals(got: &Value) -> BTreeMap<String, [i64; 2]> {
    let tables = got.as_object().expect("an object").iter().filter(|(k, _)| *k != "parts");
    tables
        .map(|(table, v)| {
            let pair = v.as_array().unwrap_or_else(|| panic!("DuckDB could not read {table}: {v}"));
            (table.clone(), [pair[0].as_i64().expect("rows"), pair[1].as_i64().expect("packets")])
        })
        .collect()
}

/// xorshift64*: the same moments in every run of a test.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}
