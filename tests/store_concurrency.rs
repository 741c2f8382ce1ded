//! Two or more writers at once into one store (issue 17, defect 5): replays
//! of different captures racing each other all land, each once; replays of
//! the same capture racing each other store it once (the others skip it or
//! are told another writer stored it meanwhile), with or without `--replace`. DuckDB
//! reads the store; the expected numbers are the generator's ground truth.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

mod common;
use common::json::as_counts as counts;

use serde_json::Value;

/// A capture starting on `start`, and its packets per day (truth).
fn generate(dir: &Path, start: &str) -> (String, BTreeMap<String, u64>) {
    common::store::generate_days(dir, start, 1, 150_000, 5_000)
}

fn start_replay(capture: &str, store: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_darkscope"))
        .args(["replay", capture, "--darknet", "198.18.0.0/16", "--store", store, "--sensor", "s1", "-q"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting darkscope")
}

fn parts(store: &Path) -> Vec<Value> {
    let manifest: Value = common::store::manifest(store);
    manifest["parts"].as_array().expect("parts").clone()
}

fn stored_days(store: &Path) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let got = common::python::json("store/query.py", &[store]);
    (counts(&got["days"]), counts(&got["days_from_sources"]))
}

#[test]
fn racing_writers_of_different_captures_all_land_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let captures: Vec<(String, BTreeMap<String, u64>)> =
        ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"].iter().map(|d| generate(dir.path(), d)).collect();
    let want: BTreeMap<String, u64> = captures.iter().flat_map(|(_, days)| days.clone()).collect();
    for round in 0..4 {
        let store = dir.path().join(format!("store{round}"));
        let store_arg = store.to_string_lossy().into_owned();
        let children: Vec<Child> = captures.iter().map(|(c, _)| start_replay(c, &store_arg, &[])).collect();
        for child in children {
            let out = child.wait_with_output().expect("waiting for darkscope");
            assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
        }
        assert_eq!(parts(&store).len(), 4, "round {round}: every writer's part is in the manifest");
        assert_eq!(stored_days(&store), (want.clone(), want.clone()), "round {round}");
    }
}

/// What became of a writer that raced others with the same capture.
fn outcome(out: &Output) -> &'static str {
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && err.contains("already in the store") {
        "skipped"
    } else if out.status.success() {
        "stored"
    } else if err.contains("was stored by another writer while this run read it") && err.contains("--replace") {
        "refused"
    } else {
        panic!("an unexpected failure ({}): {err}", out.status)
    }
}

#[test]
fn racing_writers_of_one_capture_store_it_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, want) = generate(dir.path(), "2024-03-01");
    for (round, extra) in [&[][..], &[][..], &["--replace"][..], &["--replace"][..]].iter().enumerate() {
        let store = dir.path().join(format!("store{round}"));
        let store_arg = store.to_string_lossy().into_owned();
        let children: Vec<Child> = (0..3).map(|_| start_replay(&capture, &store_arg, extra)).collect();
        let outcomes: Vec<&str> =
            children.into_iter().map(|c| outcome(&c.wait_with_output().expect("waiting for darkscope"))).collect();
        assert!(outcomes.contains(&"stored"), "round {round}: {outcomes:?}");
        if !extra.is_empty() {
            assert!(!outcomes.contains(&"refused"), "round {round}: --replace is never refused: {outcomes:?}");
        }
        assert_eq!(parts(&store).len(), 1, "round {round} ({outcomes:?}): one part");
        assert_eq!(stored_days(&store), (want.clone(), want.clone()), "round {round} ({outcomes:?}): stored once");
    }
}
