//! Running the darkscope binary from a test.

use std::process::{Command, Output};

/// Runs `darkscope ARGS`, whatever its exit status.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_darkscope")).args(args).output().expect("running darkscope")
}

/// Runs `darkscope ARGS` and fails the test, with darkscope's error, unless
/// it succeeds.
pub fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "darkscope {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
