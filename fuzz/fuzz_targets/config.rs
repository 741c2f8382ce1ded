//! A `--config FILE` of any bytes, for each command that takes one: the
//! TOML reader, the keys' mapping to flags and clap's checks of the values,
//! as `darkscope replay|capture|report --config FILE` parses them.
#![no_main]

use std::ffi::OsString;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// The file the input is written to (one per fuzzing process).
fn path() -> &'static std::path::PathBuf {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("darkscope-fuzz-config-{}.toml", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else { return };
    let command = ["replay", "capture", "report"][usize::from(which) % 3];
    std::fs::write(path(), text).expect("writing the config file");
    let argv: Vec<OsString> = ["darkscope", command, "--config"].iter().map(OsString::from).collect();
    let mut argv = argv;
    argv.push(path().as_os_str().to_owned());
    let _ = darkscope::cli::check_args(argv);
});
