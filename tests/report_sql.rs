//! `darkscope report --emit-sql ENGINE`: the SQL it prints, run on DuckDB
//! and on Apache Spark in local mode (tests/store/sql.py, the `duckdb` and
//! `pyspark` packages of the venv), gives every row of the JSON report's
//! totals and of its port and country rankings, with and without research
//! scanners: rank, previous rank, packets, per IP per day now and before,
//! change and unique sources.
//!
//! The store has what makes the SQL's joins and sums non-trivial: a
//! two-period capture split mid-day into two runs of one sensor (two parts
//! of the same sensor-day), its second half again as a second sensor, and a
//! research-scanner list that tags the generator's Japanese sources.

use std::path::Path;

mod common;
use common::cli::ok;
use common::files::editcap_slice;
use common::json::{RANKING_FIELDS, close, same_rows};

use serde_json::Value;

const PERIOD: &str = "2024-01-03..2024-01-04";

/// The engine's rows of the SQL for `scope` against the JSON report of `scope`.
fn check(engine: &str, store: &str, scope: &[&str], dir: &Path) {
    let sql = dir.join(format!("report.{engine}.sql"));
    let sql_arg = sql.to_string_lossy().into_owned();
    let mut emit = vec!["report", "--store", store, "--emit-sql", engine, "--out", &sql_arg];
    emit.extend(scope);
    ok(&emit);
    let mut json = vec!["report", "--store", store, "--format", "json"];
    json.extend(scope);
    let report: Value = serde_json::from_slice(&ok(&json).stdout).expect("the report JSON");
    let got = common::python::json("store/sql.py", &[Path::new(engine), &sql]);

    let totals = &got["totals"][0];
    assert_eq!(totals["packets"], report["totals"]["packets"], "{engine}: packets");
    assert_eq!(totals["unique_sources"], report["totals"]["unique_sources"], "{engine}: unique sources");
    assert!(close(&totals["address_days"], &report["totals"]["address_days"]), "{engine}: {totals}");
    let before = &report["baseline_totals"]["address_days"];
    assert!(close(&totals["baseline_address_days"], before), "{engine}: {totals} against {before}");
    for table in ["ports", "countries", "ports_no_scanners", "countries_no_scanners"] {
        let rows = got[table].as_array().expect("rows");
        assert!(rows.len() >= 10, "{engine} {table}: {rows:?}");
        same_rows(&format!("{engine} {table}"), &got[table], &report["tables"][table], &RANKING_FIELDS);
    }
    let ports = report["tables"]["ports"].as_array().expect("ports");
    assert!(ports.iter().any(|r| r["change_pct"].is_null()) && ports.iter().any(|r| r["change_pct"].is_f64()));
    let sum = |t: &str| -> u64 { got[t].as_array().expect("rows").iter().filter_map(|r| r["packets"].as_u64()).sum() };
    assert!(sum("countries_no_scanners") < sum("countries"), "{engine}: the list tags some sources");
}

#[test]
fn the_emitted_sql_gives_the_reports_rankings_on_duckdb_and_spark() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("c.pcap").to_string_lossy().into_owned();
    let args = ["--packets", "60000", "--days", "4", "--sources", "3000", "--scenario", "two-period"];
    ok(&[&["generate", "--out", &capture][..], &args].concat());
    // Split on 2024-01-03 at about 16:00, a day of the period.
    let first = editcap_slice(&capture, "1-40000", &dir.path().join("first.pcap"));
    let second = editcap_slice(&capture, "40001-60000", &dir.path().join("second.pcap"));
    let scanners = common::store::jp_scanner_list(dir.path(), "Example Research");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    for (input, sensor) in [(&first, "s1"), (&second, "s1"), (&second, "s2")] {
        let flags = ["--darknet", "198.18.0.0/16", "--store", &store, "--sensor", sensor, "--scanners", &scanners];
        ok(&[&["replay", input.as_str(), "-q"][..], &flags].concat());
    }
    let scope = ["--period", PERIOD, "--top", "20", "--min-baseline", "10"];
    check("duckdb", &store, &scope, dir.path());
    check("duckdb", &store, &[&scope[..], &["--sensor", "s1"]].concat(), dir.path());
    check("spark", &store, &scope, dir.path());
}
