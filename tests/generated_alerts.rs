//! A generated two-period scenario with planted IDS alerts (`generate
//! --alerts` writes EVE lines beside the capture and their truth): the
//! report's attack-method and attack-country tables equal the tables
//! tests/alerts/truth.py computes from the truth alone, and DuckDB over the
//! store's `alerts` table counts what the truth counts.

mod common;
use common::json::{ATTACK_FIELDS, close, same_rows};

use std::path::Path;

use common::cli::ok;
use serde_json::Value;

#[test]
fn planted_alerts_rank_in_the_report_as_the_truth_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("c.pcap").to_string_lossy().into_owned();
    // The baseline is January's last two days, the period February's first two.
    let args =
        ["--packets", "30000", "--days", "4", "--start", "2024-01-30", "--sources", "500", "--scenario", "two-period"];
    let mut generate = vec!["generate", "--out", capture.as_str(), "--alerts"];
    generate.extend(args);
    ok(&generate);
    let eve = format!("{capture}.eve.json");
    let truth_path = format!("{capture}.truth.json");
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth_path).expect("truth")).expect("JSON");
    let planted = &truth["alerts"];

    let store = dir.path().join("store").to_string_lossy().into_owned();
    let replay = ok(&[
        "replay",
        &capture,
        "--darknet",
        "198.18.0.0/16",
        "--store",
        &store,
        "--alerts",
        &eve,
        "--summary-json",
        "-",
        "-q",
    ]);
    let summary: Value = serde_json::from_slice(&replay.stdout).expect("the summary JSON");
    let read = &summary["alerts"];
    assert_eq!(read["inside"], planted["inside"], "{read}");
    assert_eq!(read["outside"], planted["outside"]);
    assert_eq!(read["files"][0]["skipped"], planted["skipped"], "flow and stats events skipped and counted");
    assert_eq!(read["files"][0]["malformed"], 0);

    let (least, top) = ("10", "12");
    let out = ok(&[
        "report",
        "--store",
        &store,
        "--period",
        "2024-02-01..2024-02-02",
        "--min-baseline",
        least,
        "--top",
        top,
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report JSON");
    let want = common::python::json(
        "alerts/truth.py",
        &[Path::new(&truth_path), Path::new(&store), Path::new(least), Path::new(top)],
    );

    // DuckDB over the stored table counts what was planted.
    assert_eq!(want["duckdb"], want["truth"], "the store's alerts table against the truth");
    assert!(close(&report["totals"]["address_days"], &want["address_days"][1]), "{}", report["totals"]);
    assert!(close(&report["baseline_totals"]["address_days"], &want["address_days"][0]));

    let section = &report["intrusions"];
    assert_eq!(section["alerts"], truth["alerts"]["periods"][1]["alerts"]);
    for table in ["attack_methods", "attack_countries"] {
        let got = section[table].as_array().expect("rows");
        assert!(got.len() >= 8, "{table}: {got:?}");
        same_rows(table, &section[table], &want[table], &ATTACK_FIELDS);
    }

    // The scenario's planted changes, as the generator documents them.
    let methods = section["attack_methods"].as_array().expect("rows");
    assert_eq!(methods.len(), 11, "every rule's method: {methods:?}");
    let row = |key: &str| methods.iter().find(|m| m["key"] == key).unwrap_or_else(|| panic!("{key}: {methods:?}"));
    assert_eq!(row("ET EXPLOIT")["rise_rank"], 1, "5555/tcp surges");
    assert!(row("SERVER-OTHER")["prev_rank"].is_null(), "37215/tcp is new");
    assert_eq!(row("SMBv1")["fall_rank"], 1, "445/tcp falls");

    // Over both months: each method's monthly rate is its period's (the
    // periods are the months), its share its alerts of both.
    let out =
        ok(&["report", "--store", &store, "--period", "2024-01-30..2024-02-02", "--top", "12", "--format", "json"]);
    let whole: Value = serde_json::from_slice(&out.stdout).expect("the report JSON");
    let monthly = whole["intrusions"]["attack_methods_monthly"].as_array().expect("months");
    let months: Vec<&str> = monthly.iter().filter_map(|m| m["month"].as_str()).collect();
    assert_eq!(months, ["2024-01", "2024-02"]);
    for (month, period) in monthly.iter().zip(["before", "now"]) {
        let rates = month["methods"].as_object().expect("methods");
        assert_eq!(rates.len(), 11, "{month}");
        for (method, got) in rates {
            let want = want["rates"][period].get(method).cloned().unwrap_or(Value::from(0.0));
            assert!(close(got, &want), "{} {method}: {got} against {want}", month["month"]);
        }
    }
    let both = |m: &str| -> u64 {
        ["before", "now"].iter().map(|p| want["truth"][p]["methods"][m][0].as_u64().unwrap_or(0)).sum()
    };
    let total = planted["inside"].as_f64().expect("inside");
    let shares = whole["intrusions"]["attack_method_shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 11, "every method, no 'other' within the top 12");
    for s in shares {
        let key = s["key"].as_str().expect("key");
        assert_eq!(s["alerts"], both(key), "{key}");
        assert!(close(&s["share"], &Value::from(both(key) as f64 / total)), "{s}");
    }
    let md = String::from_utf8(
        ok(&["report", "--store", &store, "--period", "2024-01-30..2024-02-02", "--format", "md"]).stdout,
    )
    .expect("UTF-8");
    assert!(
        md.contains("### Top attack methods by month (alerts per IP per day)\n\n| month | Telnet brute force |"),
        "{md}"
    );
    assert!(md.contains("### Shares of the attack methods\n\n| attack method | alerts | share |"), "{md}");
}
