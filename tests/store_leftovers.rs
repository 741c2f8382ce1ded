//! Temporary files left by a writer killed mid-run (issue 17: "temporary
//! files left behind after a kill, cleaned or named by the next run"): a
//! replay reading standard input is killed after its first day closed (its
//! day files exist under temporary names); the next writer removes them
//! and names them, leaves a running process's temporary file alone, and
//! the store holds exactly the second run's data (DuckDB against the
//! generator's ground truth).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::cli::ok;
use common::json::as_counts as counts;

/// A capture starting on `start`, and its packets per day (truth).
fn generate(dir: &Path, start: &str) -> (String, BTreeMap<String, u64>) {
    common::store::generate_days(dir, start, 3, 60_000, 3_000)
}

/// The hidden temporary files below `store`.
fn temporaries(store: &Path) -> Vec<PathBuf> {
    common::store::files(store)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(".tmp-")))
        .collect()
}

#[test]
fn a_killed_writers_temporary_files_are_removed_and_named_by_the_next() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, _) = generate(dir.path(), "2024-01-01");
    let (second, want) = generate(dir.path(), "2024-02-01");
    let store = dir.path().join("store");
    let store_arg = store.to_string_lossy().into_owned();

    // Two thirds of the first capture through a pipe: day 1 closes (its
    // files are written under temporary names), the run waits for more.
    let bytes = std::fs::read(&first).expect("the capture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_darkscope"))
        .args(["replay", "-", "--darknet", "198.18.0.0/16", "--store", &store_arg, "--sensor", "s1", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting darkscope");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&bytes[..bytes.len() * 2 / 3]).expect("feeding the capture");
    stdin.flush().expect("feeding the capture");
    let start = Instant::now();
    while temporaries(&store).len() < 3 {
        assert!(start.elapsed() < Duration::from_secs(20), "no temporary day files appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("waiting for darkscope");
    drop(stdin);
    let killed = temporaries(&store);
    assert!(!store.join("manifest.d").exists(), "the killed run committed nothing");

    // A temporary file of a process that still runs (this test) is kept,
    // and so is one of a writer on another host sharing the store (its
    // process id says nothing here).
    let running = store.join("sources/day=2024-01-01").join(format!(".s2-0.parquet.tmp-{}", std::process::id()));
    std::fs::write(&running, b"in progress").expect("planting a running writer's file");
    let elsewhere = store.join("sources/day=2024-01-01").join(format!(".s3-0.parquet.tmp-other-host-{}", u32::MAX));
    std::fs::write(&elsewhere, b"another host's").expect("planting another host's file");

    let out = ok(&["replay", &second, "--darknet", "198.18.0.0/16", "--store", &store_arg, "--sensor", "s1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("removed {} temporary file(s) of writers that were killed", killed.len())),
        "{stderr}"
    );
    for path in &killed {
        assert!(stderr.contains(&path.display().to_string()), "{} named: {stderr}", path.display());
    }
    let mut kept = vec![running.clone(), elsewhere.clone()];
    kept.sort();
    assert_eq!(temporaries(&store), kept, "only the running writer's and the other host's files are left");
    std::fs::remove_file(&running).expect("removing the planted file");
    std::fs::remove_file(&elsewhere).expect("removing the planted file");

    let got = common::python::json("store/query.py", &[&store]);
    assert_eq!((counts(&got["days"]), counts(&got["days_from_sources"])), (want.clone(), want));
}
