//! Section 12, "Networks": the report's origin-AS ranking (packets, unique
//! sources, per-IP-per-day, against the baseline), and the distinct
//! source ASes of the top ports, against DuckDB's sums over the store's
//! `asn` column (`tests/store/networks.py`). That the column holds the
//! bundled table's answer for the generator's addresses is checked by the
//! unit tests of `classify::asn` against the CSV the table was built from.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

mod common;
use common::cli::ok;

#[test]
fn the_as_ranking_equals_duckdbs_sums_by_asn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("t.pcap").to_string_lossy().into_owned();
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let generate = ["generate", "--out", &capture, "--packets", "200000", "--days", "4", "--sources", "20000"];
    ok(&[&generate[..], &["--scenario", "two-period"]].concat());
    ok(&["replay", &capture, "--darknet", "198.18.0.0/16", "--store", &store, "--sensor", "s1", "-q"]);
    let report = ok(&["report", "--store", &store, "--period", "2024-01-03..2024-01-04", "--format", "json"]
        .into_iter()
        .chain(["--top", "100000"])
        .collect::<Vec<_>>());
    let report: Value = serde_json::from_slice(&report.stdout).expect("report JSON");
    let networks = &report["networks"];
    let now = common::python::json(
        "store/networks.py",
        &[Path::new(&store), Path::new("2024-01-03"), Path::new("2024-01-04")],
    );
    let before = common::python::json(
        "store/networks.py",
        &[Path::new(&store), Path::new("2024-01-01"), Path::new("2024-01-02")],
    );
    let expected = now["asns"].as_object().expect("ASes");
    assert!(expected.len() > 20, "the generator's sources come from many ASes: {}", expected.len());
    let rows = networks["asns"].as_array().expect("the AS ranking");
    assert_eq!(rows.len(), expected.len(), "every AS is ranked with --top 100000");
    // Per-IP-per-day: packets over the period's address-days (the /16's
    // addresses times the covered days, a little under two).
    let address_days = now["address_days"].as_f64().expect("address-days");
    assert!(address_days > 65_536.0 * 1.99 && address_days <= 65_536.0 * 2.0, "{address_days}");
    let mut previous = u64::MAX;
    for row in rows {
        let key = row["key"].as_str().expect("a key");
        let asn = key.split(' ').next().expect("AS number first");
        let want = &expected[asn];
        assert_eq!(row["packets"], want[0], "{key}: packets");
        assert_eq!(row["sources"], want[1], "{key}: unique sources");
        let packets = row["packets"].as_u64().expect("packets");
        assert!(packets <= previous, "sorted by packets");
        previous = packets;
        let rate = row["per_ip_day"].as_f64().expect("a rate");
        assert!((rate - packets as f64 / address_days).abs() < 1e-9, "{key}: {rate}");
        let was = before["asns"].get(asn).map(|b| b[0].as_u64().expect("packets"));
        match was.filter(|&p| p >= 100) {
            Some(p) => {
                let change = row["change_pct"].as_f64().expect("a change");
                let was_rate = p as f64 / before["address_days"].as_f64().expect("address-days");
                assert!((change - 100.0 * (rate / was_rate - 1.0)).abs() < 1e-6, "{key}: {change}");
            }
            None => assert_eq!(row["change_pct"], Value::Null, "{key}: no baseline of 100 packets"),
        }
    }
    let with_asn: u64 = expected.values().map(|v| v[0].as_u64().expect("packets")).sum();
    let share = networks["share_with_asn"].as_f64().expect("a share");
    assert!((share - with_asn as f64 / now["packets"].as_f64().expect("packets")).abs() < 1e-12);
    let port_asns: BTreeMap<String, Value> = networks["port_source_asns"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| (p["port"].to_string(), p["source_asns"].clone()))
        .collect();
    assert!(port_asns.len() > 50);
    for (port, n) in port_asns {
        let port = port.trim_matches('"');
        // DuckDB has no row for a port whose sources all lack an AS.
        let want = now["port_asns"].get(port).cloned().unwrap_or(Value::from(0));
        assert_eq!(want, n, "{port}: distinct source ASes");
    }
}

#[test]
fn the_notification_list_holds_every_home_source_as_duckdb_reads_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("t.pcap").to_string_lossy().into_owned();
    let store = dir.path().join("store").to_string_lossy().into_owned();
    ok(&["generate", "--out", &capture, "--packets", "100000", "--days", "2", "--sources", "5000"]);
    // The research-scanner list names the generator's Japanese blocks.
    let scanners = common::store::jp_scanner_list(dir.path(), "jp");
    ok(&["replay", &capture, "--darknet", "198.18.0.0/16", "--store", &store, "--sensor", "s1", "-q"]
        .into_iter()
        .chain(["--scanners", &scanners])
        .collect::<Vec<_>>());
    let out = dir.path().join("csv");
    let out_arg = out.to_string_lossy().into_owned();
    ok(&["report", "--store", &store, "--format", "csv", "--out", &out_arg]);
    let json = ok(&["report", "--store", &store, "--format", "json"]);
    let report: Value = serde_json::from_slice(&json.stdout).expect("report JSON");
    let want = common::python::json(
        "store/notify.py",
        &[Path::new(&store), Path::new("2024-01-01"), Path::new("2024-01-03"), Path::new("JP")],
    );
    let want = want.as_array().expect("a list");
    let got = report["notification"].as_array().expect("the notification list");
    assert!(want.len() > 100, "the generator draws Japanese sources: {}", want.len());
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        for key in ["source", "asn", "packets", "days", "first_seen", "last_seen", "ports", "tools", "scanner"] {
            assert_eq!(g[key], w[key], "{}: {key}", w["source"]);
        }
        assert!(g["scanner"].as_str().is_some_and(|s| s == "jp"), "every Japanese source is on the list given");
    }
    // The CSV file has a row per source, in the same order.
    let csv = std::fs::read_to_string(out.join("notification.csv")).expect("notification.csv");
    let sources: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().expect("a source")).collect();
    let listed: Vec<&str> = want.iter().map(|w| w["source"].as_str().expect("text")).collect();
    assert_eq!(sources, listed);
}
