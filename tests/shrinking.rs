//! An input that another process truncates while darkscope reads it (a
//! capture still being rotated, a copy interrupted) must never kill the run
//! with a signal: the replay keeps the records read so far and says the
//! file shrank (exit 0), and a replay into a store, which cannot record an
//! input it did not read whole, stops with an error naming the file (exit
//! 1). Plain files of 1 MiB or more used to be mapped into memory, and
//! touching a truncated mapping raised SIGBUS (exit 135).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::cli::ok;

/// Whether process `pid` has `path` mapped, or open with its offset past
/// the first 2 MiB (the inputs are probed in their first 64 KiB, read
/// through a 1 MiB buffer: only the replay itself reads further).
fn reading(pid: u32, path: &Path) -> bool {
    let name = path.to_string_lossy();
    if std::fs::read_to_string(format!("/proc/{pid}/maps")).is_ok_and(|maps| maps.contains(name.as_ref())) {
        return true;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().any(|fd| {
        let target = std::fs::read_link(fd.path()).unwrap_or_default();
        let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fd.file_name().to_string_lossy()));
        let pos = info
            .ok()
            .and_then(|i| i.lines().find_map(|l| l.strip_prefix("pos:").map(|p| p.trim().parse::<u64>().ok())))
            .flatten()
            .unwrap_or(0);
        target == path && pos >= 2 << 20
    })
}

/// Runs `darkscope ARGS` and truncates `input` to `keep` bytes as soon as
/// the replay is reading it.
fn run_and_truncate(args: &[&str], input: &Path, keep: u64) -> (Output, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_darkscope"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running darkscope");
    let start = Instant::now();
    let mut truncated = false;
    while start.elapsed() < Duration::from_secs(20) {
        if child.try_wait().expect("waiting for darkscope").is_some() {
            break;
        }
        if reading(child.id(), input) {
            let file = std::fs::OpenOptions::new().write(true).open(input).expect("opening the input");
            file.set_len(keep).expect("truncating the input");
            truncated = true;
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    (child.wait_with_output().expect("darkscope's output"), truncated)
}

/// The complete records of a little-endian microsecond pcap (24-byte file
/// header, 16-byte record headers whose third word is the captured length).
fn whole_records(bytes: &[u8]) -> u64 {
    let (mut at, mut n) = (24, 0);
    while let Some(header) = bytes.get(at..at + 16) {
        let caplen = u32::from_le_bytes([header[8], header[9], header[10], header[11]]) as usize;
        if bytes.len() < at + 16 + caplen {
            break;
        }
        at += 16 + caplen;
        n += 1;
    }
    n
}

/// A 40 MB capture, 500,000 records.
fn capture(dir: &Path) -> String {
    let path = dir.join("rotating.pcap").to_string_lossy().into_owned();
    ok(&["generate", "--out", &path, "--packets", "500000", "--days", "1", "--sources", "5000", "--seed", "3"]);
    path
}

#[test]
fn a_file_truncated_while_it_is_read_keeps_its_records_so_far() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = capture(dir.path());
    let size = std::fs::metadata(&path).expect("capture size").len();
    // Cut in the middle of the file, and mid-record.
    let keep = size / 2 + 7;
    let (out, truncated) = run_and_truncate(
        &["replay", &path, "--darknet", "198.18.0.0/16", "--summary-json", "-", "--quiet", "--threads", "1"],
        Path::new(&path),
        keep,
    );
    assert!(truncated, "the replay ended before the test could truncate its input");
    assert_eq!(out.status.signal(), None, "killed by a signal: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    // darkscope was at most a few MiB in when the file was cut in half:
    // it reads every record that the cut file holds whole.
    assert_eq!(v["records"].as_u64(), Some(whole_records(&std::fs::read(&path).expect("the cut file"))));
    let warnings = v["inputs"][0]["warnings"].to_string();
    assert!(warnings.contains("shrank"), "no warning says the file shrank: {warnings}");
}

#[test]
fn a_store_refuses_an_input_truncated_while_it_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = capture(dir.path());
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let size = std::fs::metadata(&path).expect("capture size").len();
    let (out, truncated) = run_and_truncate(
        &["replay", &path, "--darknet", "198.18.0.0/16", "--store", &store, "--sensor", "s", "--quiet"],
        Path::new(&path),
        size / 3,
    );
    assert!(truncated, "the replay ended before the test could truncate its input");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), None, "killed by a signal: {stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&path) && stderr.contains("shrank"), "the error names neither file nor cause: {stderr}");
    assert!(!Path::new(&store).join("manifest.d").exists(), "a part was stored from a truncated input");
}
