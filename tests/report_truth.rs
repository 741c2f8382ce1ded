//! `darkscope report` against the generator's ground truth: a two-period
//! capture (`generate --scenario two-period`: 5555/tcp surges, 445/tcp
//! falls, 37215/tcp appears, Vietnamese sources rise, a German DoS victim
//! serving 8443/tcp appears) is replayed into a store; every rank, previous
//! rank, packets per day per address, change and share of the JSON report's
//! port, country and backscatter tables equals what the truth's per-day
//! numbers give, computed here by DESIGN.md's definitions. A `gap` capture
//! checks that a 3-hour outage leaves 21 covered hours and that the rate
//! uses them.

use std::collections::BTreeMap;
use std::path::Path;
mod common;
use common::cli::ok;

use serde_json::Value;

const MONITORED: f64 = 65_536.0; // 198.18.0.0/16
const TOP: usize = 10;
const MIN_BASELINE: u64 = 100;

/// Generates `scenario` traffic, replays it into a store and gives the
/// store's path and the truth.
fn stored(dir: &Path, scenario: &str, days: &str) -> (String, Value) {
    let capture = dir.join("t.pcap").to_string_lossy().into_owned();
    let store = dir.join("store").to_string_lossy().into_owned();
    ok(&[
        "generate",
        "--out",
        &capture,
        "--packets",
        "400000",
        "--days",
        days,
        "--sources",
        "20000",
        "--scenario",
        scenario,
    ]);
    // The research-scanner list names the generator's Japanese blocks:
    // section 8's tables are the others.
    let scanners = common::store::jp_scanner_list(dir, "jp");
    ok(&[
        "replay",
        &capture,
        "--darknet",
        "198.18.0.0/16",
        "--store",
        &store,
        "--sensor",
        "s1",
        "--scanners",
        &scanners,
        "-q",
    ]);
    let truth = std::fs::read(format!("{capture}.truth.json")).expect("truth file");
    (store, serde_json::from_slice(&truth).expect("truth JSON"))
}

/// A period's expected numbers from the truth's `by_day`.
struct Expected {
    packets: u64,
    address_days: f64,
    covered_days: f64,
    counts: BTreeMap<String, u64>,
}

fn expected(truth: &Value, days: &[&str], table: &str) -> Expected {
    let mut e = Expected { packets: 0, address_days: 0.0, covered_days: 0.0, counts: BTreeMap::new() };
    for day in days {
        let d = &truth["by_day"][day];
        e.packets += d["packets"].as_u64().expect("packets");
        let covered = d["covered_seconds"].as_f64().expect("covered_seconds") / 86_400.0;
        e.covered_days += covered;
        e.address_days += covered * MONITORED;
        for (k, v) in d[table].as_object().expect("a by_day table") {
            *e.counts.entry(k.clone()).or_default() += v.as_u64().expect("a count");
        }
    }
    e
}

/// Sort key of a ranking: packets descending, then protocol, then port
/// number (or the country code).
fn order(key: &str) -> (String, u32) {
    match key.split_once('/') {
        Some((proto, port)) => (proto.to_string(), port.parse().expect("numeric port")),
        None => (key.to_string(), 0),
    }
}

fn ranking(counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.clone(), *n)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| order(&a.0).cmp(&order(&b.0))));
    all
}

fn close(got: &Value, want: Option<f64>, what: &str) {
    match want {
        None => assert!(got.is_null(), "{what}: expected none (—), got {got}"),
        Some(w) => {
            let g = got.as_f64().unwrap_or_else(|| panic!("{what}: expected {w}, got {got}"));
            assert!((g - w).abs() <= 1e-9 * w.abs().max(1e-12), "{what}: expected {w}, got {g}");
        }
    }
}

/// Checks one ranking table and, for the increase/decrease tables, the
/// order by absolute change.
fn check_table(report: &Value, name: &str, now: &Expected, before: &Expected, per_day_unit: bool) {
    let base_rank: BTreeMap<String, usize> =
        ranking(&before.counts).into_iter().enumerate().map(|(i, (k, _))| (k, i + 1)).collect();
    let rate = |e: &Expected, n: u64| n as f64 / e.address_days;
    let change = |key: &str, n: u64| {
        let b = before.counts.get(key).copied().unwrap_or(0);
        (b >= MIN_BASELINE)
            .then(|| (rate(now, n) - rate(before, b), (rate(now, n) - rate(before, b)) / rate(before, b) * 100.0))
    };
    let check_row = |row: &Value, key: &str, n: u64, rank: usize, table: &str| {
        let what = format!("{table} {key}");
        assert_eq!(row["key"], key, "{what}: key at rank {rank}");
        assert_eq!(row["rank"], rank, "{what}: rank");
        assert_eq!(row["packets"], n, "{what}: packets");
        assert_eq!(row["prev_rank"].as_u64().map(|r| r as usize), base_rank.get(key).copied(), "{what}: prev_rank");
        close(&row["per_ip_day"], Some(rate(now, n)), &format!("{what}: per_ip_day"));
        let b = before.counts.get(key).copied().unwrap_or(0);
        close(&row["prev_per_ip_day"], Some(rate(before, b)), &format!("{what}: prev_per_ip_day"));
        let c = change(key, n);
        close(&row["change_abs"], c.map(|c| c.0), &format!("{what}: change_abs"));
        close(&row["change_pct"], c.map(|c| c.1), &format!("{what}: change_pct"));
        close(&row["share"], Some(n as f64 / now.packets as f64), &format!("{what}: share"));
        if per_day_unit {
            close(&row["per_day"], Some(n as f64 / now.covered_days), &format!("{what}: per_day"));
        }
    };

    let rows = report["tables"][name].as_array().unwrap_or_else(|| panic!("table {name}"));
    let want = ranking(&now.counts);
    assert_eq!(rows.len(), want.len().min(TOP), "{name}: rows");
    for (i, (row, (key, n))) in rows.iter().zip(&want).enumerate() {
        check_row(row, key, *n, i + 1, name);
    }

    for (suffix, sign) in [("_increase", 1.0), ("_decrease", -1.0)] {
        let Some(rows) = report["tables"][format!("{name}{suffix}")].as_array() else {
            continue;
        };
        let mut keys: Vec<&String> = now.counts.keys().chain(before.counts.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut changed: Vec<(&String, f64)> = keys
            .into_iter()
            .filter_map(|k| change(k, now.counts.get(k).copied().unwrap_or(0)).map(|c| (k, c.0)))
            .filter(|(_, c)| c * sign > 0.0)
            .collect();
        changed.sort_by(|a, b| (b.1 * sign).total_cmp(&(a.1 * sign)).then_with(|| order(a.0).cmp(&order(b.0))));
        assert_eq!(rows.len(), changed.len().min(TOP), "{name}{suffix}: rows");
        for (i, (row, (key, _))) in rows.iter().zip(&changed).enumerate() {
            check_row(row, key, now.counts.get(*key).copied().unwrap_or(0), i + 1, &format!("{name}{suffix}"));
        }
    }
}

/// The report of the second period against the first (days 3-4 vs 1-2).
fn two_period_report(store: &str, format: &[&str]) -> Vec<u8> {
    let period = ["--period", "2024-01-03..2024-01-04", "--baseline", "2024-01-01..2024-01-02", "--top", "10"];
    ok(&[&["report", "--store", store][..], &period, format].concat()).stdout
}

#[test]
fn two_period_report_matches_the_truth() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, truth) = stored(dir.path(), "two-period", "4");
    let json = two_period_report(&store, &["--format", "json"]);
    let report: Value = serde_json::from_slice(&json).expect("report JSON");
    assert_eq!(report["schema"], "darkscope.report/1");
    let (now_days, before_days) = (["2024-01-03", "2024-01-04"], ["2024-01-01", "2024-01-02"]);

    let now = expected(&truth, &now_days, "dst_ports");
    let before = expected(&truth, &before_days, "dst_ports");
    assert_eq!(report["totals"]["packets"], now.packets);
    close(&report["totals"]["per_ip_day"], Some(now.packets as f64 / now.address_days), "totals per_ip_day");
    close(&report["totals"]["address_days"], Some(now.address_days), "totals address_days");
    let mut now_ports = now;
    // Shares are of all the period's darknet packets.
    check_table(&report, "ports", &now_ports, &before, false);

    let mut countries_now = expected(&truth, &now_days, "countries");
    let mut countries_before = expected(&truth, &before_days, "countries");
    check_table(&report, "countries", &countries_now, &countries_before, false);
    // Section 8: the same ranking without the tagged (Japanese) sources;
    // shares stay of all the period's packets.
    let jp = countries_now.counts.remove("JP").unwrap_or(0);
    countries_before.counts.remove("JP");
    assert!(jp > 0);
    check_table(&report, "countries_no_scanners", &countries_now, &countries_before, false);
    close(&report["totals"]["research_scanner_share"], Some(jp as f64 / countries_now.packets as f64), "scanner share");
    assert_eq!(report["tables"]["scanners"][0]["key"], "jp");
    assert_eq!(report["tables"]["scanners"][0]["packets"], jp);

    for (table, truth_table) in
        [("backscatter_ports", "backscatter_ports"), ("backscatter_countries", "backscatter_countries")]
    {
        let now = expected(&truth, &now_days, truth_table);
        let before = expected(&truth, &before_days, truth_table);
        check_table(&report, table, &now, &before, true);
    }

    // The planted events are where an analyst looks for them.
    let first = |table: &str| report["tables"][table][0]["key"].as_str().unwrap_or_default().to_string();
    assert_eq!(first("ports_increase"), "tcp/5555");
    assert_eq!(first("ports_decrease"), "tcp/445");
    assert_eq!(first("countries_increase"), "VN");
    let victim =
        report["tables"]["backscatter_ports"].as_array().expect("rows").iter().find(|r| r["key"] == "tcp/8443");
    let victim = victim.expect("the planted victim's port is ranked");
    assert!(victim["prev_rank"].is_null() && victim["change_pct"].is_null(), "{victim}");
    // The CSV report holds the same rows (empty cells for "—").
    let csv_dir = dir.path().join("csv");
    let csv_arg = csv_dir.to_string_lossy().into_owned();
    two_period_report(&store, &["--format", "csv", "--out", &csv_arg]);
    for table in ["ports", "ports_increase", "countries", "backscatter_ports"] {
        let text = std::fs::read_to_string(csv_dir.join(format!("{table}.csv"))).expect("a CSV file");
        let mut lines = text.lines();
        assert_eq!(lines.next().map(|h| h.split(',').count()), Some(11), "{table}.csv header");
        let json_rows = report["tables"][table].as_array().expect("rows");
        let csv_rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(csv_rows.len(), json_rows.len(), "{table}.csv rows");
        for (c, j) in csv_rows.iter().zip(json_rows) {
            assert_eq!((c[2], c[3].parse::<u64>().ok()), (j["key"].as_str().unwrap_or(""), j["packets"].as_u64()));
            assert_eq!(c[6].is_empty(), j["change_pct"].is_null(), "{table}.csv: — as an empty cell");
        }
    }
    now_ports.counts.retain(|k, _| k == "tcp/37215");
    assert!(
        now_ports.counts["tcp/37215"] > 1000 && before.counts.get("tcp/37215").copied().unwrap_or(0) < MIN_BASELINE
    );
}

#[test]
fn a_three_hour_outage_leaves_21_covered_hours_and_the_rate_uses_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, truth) = stored(dir.path(), "gap", "2");
    let json = ok(&["report", "--store", &store, "--period", "2024-01-01..2024-01-01", "--format", "json"]).stdout;
    let report: Value = serde_json::from_slice(&json).expect("report JSON");
    let day = &truth["by_day"]["2024-01-01"];
    let covered = day["covered_seconds"].as_f64().expect("covered seconds");
    // 21 hours, less the moments before the day's first packet.
    assert!((covered / 3600.0 - 21.0).abs() < 0.01, "{covered}");
    close(&report["totals"]["covered_days"], Some(covered / 86_400.0), "covered days");
    let packets = day["packets"].as_u64().expect("packets");
    assert_eq!(report["totals"]["packets"], packets);
    close(&report["totals"]["per_ip_day"], Some(packets as f64 / (covered / 86_400.0 * MONITORED)), "per_ip_day");
    // No earlier day is stored: no baseline.
    assert!(report["baseline"].is_null());
}
