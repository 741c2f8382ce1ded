//! DoS attacks (DESIGN "DoS attacks"): the `events` scenario's planted
//! attacks are found with their exact packets, bytes, times, peak, ports
//! and darknet addresses, and none of those planted just below a
//! threshold; an independent reading of the capture (tshark + Python,
//! `tests/store/attacks.py`) finds the same rows in the store; the capture
//! split anywhere, read in reverse order, on one thread or two, gives the
//! same `attacks` table.

use std::path::Path;

use serde_json::Value;

mod common;
use common::cli::ok;
use common::events::{DARKNET, generate, replay, split_replays};

/// The script's output (see its docs).
fn script(profile: &str, store: &Path, captures: &[String]) -> Value {
    let mut args: Vec<&Path> = vec![Path::new(profile), Path::new(DARKNET), store];
    args.extend(captures.iter().map(Path::new));
    common::python::json("store/attacks.py", &args)
}

/// The oracle's and the store's rows.
fn check(profile: &str, store: &Path, captures: &[String]) -> (Vec<Value>, Vec<Value>) {
    let got = script(profile, store, captures);
    let rows = |key: &str| got[key].as_array().expect("rows").clone();
    (rows("oracle"), rows("store"))
}

/// The truth's attacks that `profile` reports, as the script's rows.
fn planted(truth: &Value, profile: &str) -> Vec<Vec<Value>> {
    let mut rows: Vec<Vec<Value>> = truth["attacks"]
        .as_array()
        .expect("the events scenario lists its attacks")
        .iter()
        .filter(|a| a[profile] == true)
        .map(|a| {
            let keys = ["victim", "proto", "first_seen_ns", "last_seen_ns", "packets", "bytes"];
            let more = ["peak_packets_per_minute", "victim_ports", "darknet_addrs", "country"];
            keys.iter().chain(&more).map(|k| a[*k].clone()).collect()
        })
        .collect();
    rows.sort_by_key(|r| (r[0].to_string(), r[2].as_i64()));
    rows
}

/// Store rows without their day partition, day check and country: the
/// oracle's columns.
fn oracle_columns(store: &[Value]) -> Vec<Value> {
    store.iter().map(|r| Value::from(r.as_array().expect("a row")[..9].to_vec())).collect()
}

/// A store row without its day partition and day check: the truth's keys.
fn as_planted(store: &[Value]) -> Vec<Vec<Value>> {
    let mut rows: Vec<Vec<Value>> = store
        .iter()
        .map(|r| {
            let r = r.as_array().expect("a row");
            assert_eq!(r[10], true, "the partition is the first packet's day: {r:?}");
            r[..9].iter().chain(&r[11..]).cloned().collect()
        })
        .collect();
    rows.sort_by_key(|r| (r[0].to_string(), r[2].as_i64()));
    rows
}

#[test]
fn planted_attacks_are_found_exactly_and_none_below_the_thresholds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, truth) = generate(dir.path());
    let whole = std::slice::from_ref(&capture);
    for profile in ["rsdos", "moore"] {
        let store = replay(dir.path(), profile, whole, &["--dos-profile", profile, "--threads", "1"]);
        let (oracle, stored) = check(profile, &store, whole);
        let want = planted(&truth, profile);
        assert_eq!(want.len(), if profile == "rsdos" { 8 } else { 6 }, "the scenario's plan");
        assert_eq!(as_planted(&stored), want, "{profile}: the store against the planted attacks");
        assert_eq!(oracle_columns(&stored), oracle, "{profile}: the store against the independent reading");
    }
    // The one crossing midnight is one row, in the partition of its first day.
    let store = dir.path().join("rsdos");
    let (_, stored) = check("rsdos", &store, whole);
    let midnight = stored.iter().find(|r| r[4] == 900).expect("the attack across midnight");
    assert_eq!(midnight[9], "2024-01-01");
    // `--no-dos`: no attacks stored or printed, the backscatter still counted.
    let off = replay(dir.path(), "off", whole, &["--no-dos"]);
    let parts = |store: &Path, table: &str| {
        let days = std::fs::read_dir(store.join(table)).map(|d| d.flatten().collect()).unwrap_or_else(|_| Vec::new());
        days.iter().flat_map(|d| std::fs::read_dir(d.path()).expect("a day folder").flatten()).count()
    };
    assert_eq!(parts(&store, "attacks"), 2, "a part a day with detection");
    assert_eq!(parts(&off, "attacks"), 0, "--no-dos stores no attacks");
    assert_eq!(parts(&off, "backscatter"), 2, "but the backscatter");
    let out = ok(&["replay", &capture, "--darknet", DARKNET, "--no-dos"]);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("Backscatter") && !summary.contains("DoS attacks"), "{summary}");
}

#[test]
fn the_reports_dos_section_equals_duckdbs_sums_of_the_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, _) = generate(dir.path());
    let store = replay(dir.path(), "store", std::slice::from_ref(&capture), &[]);
    let sums = &script("rsdos", &store, std::slice::from_ref(&capture))["report"];
    let out = ok(&["report", "--store", &store.to_string_lossy(), "--format", "json", "--top", "100"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let dos = &report["dos_victims"];
    for key in ["attacks", "victims", "packets"] {
        assert_eq!(dos[key], sums[key], "{key}");
    }
    assert_eq!(dos["profiles"], serde_json::json!(["rsdos"]));
    let per_day: Vec<Value> = dos["per_day"]
        .as_array()
        .expect("per_day")
        .iter()
        .map(|d| serde_json::json!([d["day"], d["attacks"], d["victims"], d["packets"]]))
        .collect();
    assert_eq!(Value::from(per_day), sums["per_day"]);
    let per_victim: Vec<Value> = dos["top_victims"]
        .as_array()
        .expect("top_victims")
        .iter()
        .map(|v| serde_json::json!([v["victim"], v["attacks"], v["packets"], v["peak_packets_per_minute"]]))
        .collect();
    assert_eq!(Value::from(per_victim), sums["per_victim"]);
    // The Markdown report shows the section with grouped numbers.
    let md = ok(&["report", "--store", &store.to_string_lossy(), "--format", "md"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("## 11. DoS victims\n\n8 attacks on 6 victims, 2,303 backscatter packets"), "{md}");
}

#[test]
fn a_split_capture_in_any_order_on_any_threads_gives_the_same_attacks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, _) = generate(dir.path());
    let whole = replay(dir.path(), "whole", std::slice::from_ref(&capture), &["--threads", "1"]);
    let (_, want) = check("rsdos", &whole, std::slice::from_ref(&capture));
    assert_eq!(want.len(), 8);
    for (name, store, files) in split_replays(dir.path(), &capture) {
        let (oracle, got) = check("rsdos", &store, &files);
        assert_eq!(got, want, "{name}: the attacks table differs from the whole capture's");
        assert_eq!(oracle_columns(&got), oracle, "{name}: the independent reading of the pieces");
    }
}
