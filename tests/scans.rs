//! Scan events (DESIGN "Scan events"): the `events` scenario's planted
//! campaigns are found with their exact packets, first and last probe,
//! distinct darknet addresses and tool label, and none of those planted
//! below the threshold or cut by a pause longer than the timeout; an
//! independent reading of the capture (tshark + Python,
//! `tests/store/scans.py`) finds the same rows in the store, the
//! background's events included; the capture split anywhere, read in
//! reverse order, on one thread or two, gives the same `scans` table; the
//! report's section 13 equals DuckDB's sums of the table.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::cli::ok;
use common::events::{DARKNET, generate, replay, split_replays};

/// The script's output (see its docs), with the default 100 addresses.
fn script(store: &Path, captures: &[String]) -> Value {
    let mut args: Vec<&Path> = vec![Path::new(DARKNET), Path::new("100"), store];
    args.extend(captures.iter().map(Path::new));
    common::python::json("store/scans.py", &args)
}

fn rows(got: &Value, key: &str) -> Vec<Value> {
    got[key].as_array().expect("rows").clone()
}

/// Store rows without their day partition, day check and country: the
/// oracle's columns.
fn oracle_columns(store: &[Value]) -> Vec<Value> {
    store.iter().map(|r| Value::from(r.as_array().expect("a row")[..8].to_vec())).collect()
}

/// The truth's runs, as [source, type, port, first, last, packets,
/// addresses, tool, country], and whether each is kept.
fn planted(truth: &Value) -> Vec<(Vec<Value>, bool)> {
    let keys = ["source", "scan_type", "port", "first_seen_ns", "last_seen_ns", "packets", "darknet_addrs", "tool"];
    let mut runs: Vec<(Vec<Value>, bool)> = truth["scans"]
        .as_array()
        .expect("the events scenario lists its scan campaigns")
        .iter()
        .map(|s| {
            let row = keys.iter().chain(&["country"]).map(|k| s[*k].clone()).collect();
            (row, s["kept"] == true)
        })
        .collect();
    runs.sort_by_key(|(r, _)| (r[0].to_string(), r[3].as_i64()));
    runs
}

#[test]
fn the_oracles_self_test_passes() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/store/scans.py");
    let out = Command::new(common::python::python()).arg(&script).arg("--self-test").output().expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn planted_scans_are_found_exactly_and_none_below_the_thresholds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, truth) = generate(dir.path());
    let whole = std::slice::from_ref(&capture);
    let store = replay(dir.path(), "store", whole, &["--threads", "1"]);
    let got = script(&store, whole);
    let stored = rows(&got, "store");
    assert_eq!(oracle_columns(&stored), rows(&got, "oracle"), "the store against the independent reading");

    let runs = planted(&truth);
    let kept: Vec<Vec<Value>> = runs.iter().filter(|(_, k)| *k).map(|(r, _)| r.clone()).collect();
    assert_eq!(kept.len(), 10, "the scenario's plan: 10 events above the threshold");
    assert_eq!(runs.len() - kept.len(), 3, "and 3 runs below it");
    let sources: std::collections::BTreeSet<String> = runs.iter().map(|(r, _)| r[0].to_string()).collect();
    let mut found: Vec<Vec<Value>> = stored
        .iter()
        .map(|r| r.as_array().expect("a row"))
        .filter(|r| sources.contains(&r[0].to_string()))
        .map(|r| {
            assert_eq!(r[9], true, "the partition is the first probe's day: {r:?}");
            r[..8].iter().chain(&r[10..]).cloned().collect()
        })
        .collect();
    found.sort_by_key(|r| (r[0].to_string(), r[3].as_i64()));
    assert_eq!(found, kept, "the planted sources' events: every kept run exactly, nothing of the others");
    for tool in ["mirai", "masscan", "zmap"] {
        assert!(found.iter().any(|r| r[7] == tool), "a planted {tool} scan is labelled so");
    }

    // The one crossing midnight is one row, in the partition of its first day.
    let midnight =
        stored.iter().find(|r| r[1] == "udp" && r[2] == 53 && r[5] == 240).expect("the scan across midnight");
    assert_eq!(midnight[8], "2024-01-01");
}

#[test]
fn a_split_capture_in_any_order_on_any_threads_gives_the_same_scans() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, _) = generate(dir.path());
    let whole = replay(dir.path(), "whole", std::slice::from_ref(&capture), &["--threads", "1"]);
    let want = rows(&script(&whole, std::slice::from_ref(&capture)), "store");
    assert!(want.len() >= 10, "the planted scans at least");
    for (name, store, files) in split_replays(dir.path(), &capture) {
        let got = script(&store, &files);
        let stored = rows(&got, "store");
        assert_eq!(stored, want, "{name}: the scans table differs from the whole capture's");
        assert_eq!(oracle_columns(&stored), rows(&got, "oracle"), "{name}: the independent reading of the pieces");
    }
}

/// Rows of a JSON list of objects as lists of the `keys`.
fn pick(list: &Value, keys: &[&str]) -> Value {
    let rows: Vec<Value> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|o| Value::from(keys.iter().map(|k| o[*k].clone()).collect::<Vec<_>>()))
        .collect();
    Value::from(rows)
}

#[test]
fn the_reports_scanners_section_equals_duckdbs_sums_of_the_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, _) = generate(dir.path());
    let store = replay(dir.path(), "store", std::slice::from_ref(&capture), &[]);
    let sums = &script(&store, std::slice::from_ref(&capture))["report"];
    let out = ok(&["report", "--store", &store.to_string_lossy(), "--format", "json", "--top", "1000"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let s = &report["scan_events"];
    for key in ["events", "sources", "packets"] {
        assert_eq!(s[key], sums[key], "{key}");
    }
    assert_eq!(pick(&s["per_day"], &["day", "events", "sources", "packets"]), sums["per_day"]);
    assert_eq!(pick(&s["types"], &["name", "events", "packets"]), sums["per_type"]);
    assert_eq!(pick(&s["tools"], &["name", "events", "sources", "packets"]), sums["per_tool"]);
    let top = pick(&s["top_scanners"], &["source", "events", "packets", "max_darknet_addrs"]);
    assert_eq!(top, sums["top_sources"]);
    let research = serde_json::json!([
        [s["research"]["events"], s["research"]["packets"]],
        [s["unknown"]["events"], s["unknown"]["packets"]]
    ]);
    assert_eq!(research, sums["research"]);
    let spread = pick(&s["port_spread"], &["day", "sources_100_ports", "sources_over_10_ports"]);
    assert_eq!(spread, sums["wide"]);

    // The Markdown report shows the section with grouped numbers.
    let md = ok(&["report", "--store", &store.to_string_lossy(), "--format", "md"]);
    let md = String::from_utf8_lossy(&md.stdout);
    let want = format!("## 13. Scanners\n\n{} scan events from", s["events"]);
    assert!(md.contains(&want), "{md}");

    // The CSV report writes the section as files of its own beside the
    // organisation ranking (`scanners.csv`), never over it.
    let csv_dir = dir.path().join("csv");
    let csv_arg = csv_dir.to_string_lossy().into_owned();
    ok(&["report", "--store", &store.to_string_lossy(), "--format", "csv", "--top", "1000", "--out", &csv_arg]);
    let read = |name: &str| std::fs::read_to_string(csv_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let sources: Vec<Value> = read("scan_sources.csv")
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let n = |i: usize| Value::from(c[i].parse::<u64>().expect("a count"));
            serde_json::json!([c[0], n(3), n(4), n(5)])
        })
        .collect();
    assert_eq!(Value::from(sources), sums["top_sources"], "scan_sources.csv");
    assert!(read("scanners.csv").starts_with("rank,prev_rank,key,"), "scanners.csv is the organisation ranking");
}
