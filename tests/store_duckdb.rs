//! The store, read back by DuckDB (an independent Parquet reader): on
//! `generate` captures, the stored per-port, per-country, per-day,
//! per-source, byte and backscatter totals equal the generator's ground
//! truth; replaying again skips, `--replace` rewrites the same part, an
//! overlapping capture of the same sensor is refused, and two sensors'
//! parts add up.
//!
//! DuckDB is required (see tests/common/python.rs: `.ci/run` installs it in
//! `.venv`). Without it these tests fail; they never pass silently.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;
use common::cli::{ok, run};
use common::json::as_counts as counts;

use serde_json::Value;

/// Generates a capture and returns its path and ground truth.
fn generate(dir: &Path, name: &str, seed: &str) -> (String, Value) {
    let path = dir.join(name).to_string_lossy().into_owned();
    ok(&["generate", "--out", &path, "--packets", "200000", "--days", "3", "--sources", "20000", "--seed", seed]);
    let truth = std::fs::read(format!("{path}.truth.json")).expect("reading the truth file");
    (path, serde_json::from_slice(&truth).expect("truth JSON"))
}

/// The store's totals as DuckDB computes them (tests/store/query.py).
fn duckdb(store: &Path) -> Value {
    common::python::json("store/query.py", &[store])
}

fn add(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut sum = a.clone();
    for (k, v) in b {
        *sum.entry(k.clone()).or_default() += v;
    }
    sum
}

fn files(dir: &Path) -> BTreeSet<PathBuf> {
    common::store::files(dir)
}

#[test]
fn stored_tables_match_the_ground_truth_in_duckdb() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, truth) = generate(dir.path(), "t.pcap", "3");
    let store = dir.path().join("store");
    let store_arg = store.to_string_lossy().into_owned();
    // The generator's Japanese blocks as research scanners: their sources
    // are the country's.
    let scanners = common::store::jp_scanner_list(dir.path(), "jp-all");
    ok(&[
        "replay",
        &capture,
        "--darknet",
        "198.18.0.0/16",
        "--store",
        &store_arg,
        "--sensor",
        "s1",
        "--scanners",
        &scanners,
        "-q",
    ]);

    let got = duckdb(&store);
    let jp = counts(&truth["summary"]["countries"])["JP"];
    let all = truth["summary"]["packets"].as_u64().expect("packets");
    assert_eq!(counts(&got["scanners"]), BTreeMap::from([("jp-all".into(), jp), ("-".into(), all - jp)]));
    let summary = &truth["summary"];
    assert_eq!(counts(&got["ports"]), counts(&summary["dst_ports"]), "per-port packets (source_ports)");
    assert_eq!(counts(&got["ports_hourly"]), counts(&summary["dst_ports"]), "per-port packets (ports_hourly)");
    assert_eq!(counts(&got["countries"]), counts(&summary["countries"]), "per-country packets");
    assert_eq!(counts(&got["days"]), counts(&summary["days"]), "per-day packets (coverage)");
    assert_eq!(counts(&got["days_from_sources"]), counts(&summary["days"]), "per-day packets (sources)");
    // The truth file lists the packets of the heaviest sources.
    let stored = counts(&got["sources"]);
    let heavy = counts(&truth["sources"]);
    assert!(heavy.len() >= 50);
    for (source, packets) in &heavy {
        assert_eq!(stored.get(source), Some(packets), "packets of {source}");
    }
    assert_eq!(got["unique_sources"], summary["unique_sources"]);
    assert_eq!(got["bytes"], truth["bytes"]);
    assert_eq!(got["darknet_packets"], summary["packets"]);
    let mut kinds = counts(&summary["backscatter"]);
    kinds.remove("total");
    assert!(!kinds.is_empty(), "the generator plants backscatter");
    assert_eq!(counts(&got["backscatter"]), kinds, "backscatter packets per kind");
    // The report's per-port and per-country totals are DuckDB's.
    let report = ok(&["report", "--store", &store_arg, "--format", "json", "--top", "1000"]).stdout;
    let report: Value = serde_json::from_slice(&report).expect("report JSON");
    let totals = |table: &str| -> BTreeMap<String, u64> {
        let rows = report["tables"][table].as_array().unwrap_or_else(|| panic!("report table {table}"));
        rows.iter()
            .map(|r| (r["key"].as_str().unwrap_or_default().to_string(), r["packets"].as_u64().unwrap_or(0)))
            .collect()
    };
    let mut duck_ports: Vec<(u64, String)> = counts(&got["ports"]).into_iter().map(|(k, n)| (n, k)).collect();
    duck_ports.sort_by_key(|p| std::cmp::Reverse(p.0));
    let threshold = duck_ports.get(999).map_or(0, |p| p.0);
    let top_ports: BTreeMap<String, u64> = counts(&got["ports"]).into_iter().filter(|(_, n)| *n > threshold).collect();
    let reported = totals("ports");
    assert!(top_ports.len() > 100);
    for (port, n) in &top_ports {
        assert_eq!(reported.get(port), Some(n), "report vs DuckDB: {port}");
    }
    assert_eq!(totals("countries"), counts(&got["countries"]), "report vs DuckDB: countries");
    let sources = |table: &str| -> BTreeMap<String, u64> {
        let rows = report["tables"][table].as_array().unwrap_or_else(|| panic!("report table {table}"));
        rows.iter()
            .map(|r| (r["key"].as_str().unwrap_or_default().to_string(), r["sources"].as_u64().unwrap_or(0)))
            .collect()
    };
    let port_sources = counts(&got["port_sources"]);
    for port in top_ports.keys() {
        assert_eq!(sources("ports").get(port), port_sources.get(port), "unique sources of {port}");
    }
    // Section 8: without the tagged (Japanese) sources, per port, as DuckDB
    // joins source_ports to the sources' scanner column.
    let (clean, clean_sources) = (counts(&got["ports_clean"]), counts(&got["ports_clean_sources"]));
    let reported_clean = totals("ports_no_scanners");
    assert!(reported_clean.len() > 100);
    for (port, n) in &reported_clean {
        assert_eq!(clean.get(port), Some(n), "packets of {port} without scanners");
        assert_eq!(sources("ports_no_scanners").get(port), clean_sources.get(port), "sources of {port}");
    }
    let mut no_jp = counts(&summary["countries"]);
    no_jp.remove("JP");
    assert_eq!(totals("countries_no_scanners"), no_jp, "countries without scanners: all but JP");
    assert_eq!(totals("scanners"), BTreeMap::from([("jp-all".into(), jp)]));
    assert_eq!(sources("scanners"), counts(&got["scanner_sources"]));
    let share = report["totals"]["research_scanner_share"].as_f64().expect("research_scanner_share");
    assert!((share - jp as f64 / all as f64).abs() < 1e-12, "scanner share {share}");
    assert_eq!(report["totals"]["packets"], summary["packets"]);
    assert_eq!(report["totals"]["unique_sources"], got["unique_sources"]);

    // The generated days are recorded from their first to their last
    // packet; every covered second lies within its day.
    let seconds = got["covered_seconds"].as_object().expect("coverage rows");
    assert_eq!(seconds.len(), 3);
    assert!(seconds.values().all(|s| s.as_f64().is_some_and(|s| s > 86_000.0 && s <= 86_400.0)), "{seconds:?}");
}

#[test]
fn reruns_skip_replace_rewrites_overlaps_are_refused_and_sensors_add_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, truth_a) = generate(dir.path(), "a.pcap", "1");
    let (b, truth_b) = generate(dir.path(), "b.pcap", "2");
    let store = dir.path().join("store");
    let s = store.to_string_lossy().into_owned();
    let replay = |input: &str, sensor: &str, extra: &[&str]| {
        let mut args = vec!["replay", input, "--darknet", "198.18.0.0/16", "--store", &s, "--sensor", sensor];
        args.extend_from_slice(extra);
        run(&args)
    };
    let manifest = || -> Value { common::store::manifest(&store) };

    assert!(replay(&a, "s1", &["-q"]).status.success());
    let first = files(&store);
    assert_eq!(manifest()["parts"].as_array().map(Vec::len), Some(1));

    // The same input again: skipped with a note, nothing rewritten.
    let again = replay(&a, "s1", &[]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already in the store"));
    assert_eq!(files(&store), first);

    // --replace: the same part, rewritten in place.
    assert!(replay(&a, "s1", &["--replace", "-q"]).status.success());
    assert_eq!(files(&store), first);
    assert_eq!(manifest()["parts"].as_array().map(Vec::len), Some(1));

    // Another capture of the same days for the same sensor: refused.
    let overlap = replay(&b, "s1", &["-q"]);
    assert_eq!(overlap.status.code(), Some(1));
    let message = String::from_utf8_lossy(&overlap.stderr);
    assert!(message.contains("overlaps") && message.contains("--replace"), "{message}");
    assert_eq!(files(&store), first);

    // The same capture as another sensor: its own part; totals add up.
    assert!(replay(&b, "s2", &["-q"]).status.success());
    assert_eq!(manifest()["parts"].as_array().map(Vec::len), Some(2));
    let got = duckdb(&store);
    let (sa, sb) = (&truth_a["summary"], &truth_b["summary"]);
    let packets = |s: &Value| s["packets"].as_u64().expect("packets");
    assert_eq!(counts(&got["sensors"]), BTreeMap::from([("s1".into(), packets(sa)), ("s2".into(), packets(sb))]));
    assert_eq!(counts(&got["ports"]), add(&counts(&sa["dst_ports"]), &counts(&sb["dst_ports"])));
    assert_eq!(counts(&got["countries"]), add(&counts(&sa["countries"]), &counts(&sb["countries"])));
    let unique = |s: &Value| s["unique_sources"].as_u64().expect("unique_sources");
    assert_eq!(
        counts(&got["unique_by_sensor"]),
        BTreeMap::from([("s1".into(), unique(sa)), ("s2".into(), unique(sb))])
    );
}

#[test]
fn two_sensors_add_up_and_their_unique_sources_are_the_union() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The same seed draws the same sources; the darknets differ.
    let a = dir.path().join("a.pcap").to_string_lossy().into_owned();
    let b = dir.path().join("b.pcap").to_string_lossy().into_owned();
    let gen_args = ["--packets", "100000", "--days", "2", "--sources", "5000", "--seed", "5"];
    ok(&[&["generate", "--out", &a, "--darknet", "198.18.0.0/16"][..], &gen_args].concat());
    ok(&[&["generate", "--out", &b, "--darknet", "192.0.2.0/24"][..], &gen_args].concat());
    let store = dir.path().join("store");
    let s = store.to_string_lossy().into_owned();
    ok(&["replay", &a, "--darknet", "198.18.0.0/16", "--store", &s, "--sensor", "a", "-q"]);
    ok(&["replay", &b, "--darknet", "192.0.2.0/24", "--store", &s, "--sensor", "b", "-q"]);

    let report = |sensor: Option<&str>| -> Value {
        let mut args = vec!["report", "--store", &s, "--format", "json", "--top", "100000"];
        if let Some(name) = sensor {
            args.extend(["--sensor", name]);
        }
        serde_json::from_slice(&ok(&args).stdout).expect("report JSON")
    };
    let (both, only_a, only_b) = (report(None), report(Some("a")), report(Some("b")));
    let total = |r: &Value, key: &str| r["totals"][key].as_u64().unwrap_or_else(|| panic!("{key}"));
    let total_f = |r: &Value, key: &str| r["totals"][key].as_f64().unwrap_or_else(|| panic!("{key}"));
    assert_eq!(total(&both, "packets"), total(&only_a, "packets") + total(&only_b, "packets"));
    assert_eq!(total(&both, "monitored_addresses"), 65_536 + 256);
    let sum = total_f(&only_a, "address_days") + total_f(&only_b, "address_days");
    assert!((total_f(&both, "address_days") - sum).abs() < 1e-9 * sum, "address-days add up");

    // Per port, packets add up.
    let ports = |r: &Value| -> BTreeMap<String, u64> {
        let rows = r["tables"]["ports"].as_array().expect("ports");
        rows.iter()
            .map(|r| (r["key"].as_str().unwrap_or_default().to_string(), r["packets"].as_u64().unwrap_or(0)))
            .collect()
    };
    assert_eq!(ports(&both), add(&ports(&only_a), &ports(&only_b)));

    // Unique sources: the union, as DuckDB counts it over both sensors.
    let got = duckdb(&store);
    assert_eq!(both["totals"]["unique_sources"], got["unique_sources"]);
    let (ua, ub) = (total(&only_a, "unique_sources"), total(&only_b, "unique_sources"));
    assert!(total(&both, "unique_sources") < ua + ub, "the sensors share sources: a union, not a sum");
}

/// DESIGN.md "Store": a day stays open until the newest record read is
/// more than an hour past its end; later records for it go into an extra
/// part. Day 1 gets a late record while day 2's first hour is read (still
/// the day's part) and one after day 2 passed 01:00 (an extra part).
#[test]
fn a_day_closes_an_hour_past_its_end_and_later_records_form_an_extra_part() {
    use common::capture::*;
    const T0: u32 = 1_704_067_200; // 2024-01-01T00:00:00Z
    let (a, b, c) = ([203, 0, 113, 9], [203, 0, 113, 10], [203, 0, 113, 11]);
    let syn = |src: [u8; 4], dport: u16| {
        let segment = tcp(40_000, dport, 1, 0, TCP_SYN, 1024, &[]);
        eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &ipv4(src, [198, 18, 0, 5], IPPROTO_TCP, &segment, Ipv4Opts::default()))
    };
    let mut pcap = Pcap::new(LINKTYPE_ETHERNET);
    for (secs, src, port) in [
        (10 * 3600, a, 23),        // day 1, 10:00
        (86_400 + 1800, b, 22),    // day 2, 00:30
        (23 * 3600, c, 80),        // day 1, 23:00: day 1 is still open
        (86_400 + 5400, b, 22),    // day 2, 01:30: day 1 closes
        (23 * 3600 + 1800, a, 23), // day 1, 23:30: an extra part
        (86_400 + 7200, b, 22),    // day 2, 02:00
    ] {
        let frame = syn(src, port);
        pcap.record(T0 + secs, 0, &frame, frame.len() as u32);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("late.pcap");
    std::fs::write(&capture, pcap.bytes()).expect("writing the capture");
    let store = dir.path().join("store");
    let (capture_arg, store_arg) = (capture.to_string_lossy().into_owned(), store.to_string_lossy().into_owned());
    let out = ok(&[
        "replay",
        &capture_arg,
        "--darknet",
        "198.18.0.0/24",
        "--store",
        &store_arg,
        "--sensor",
        "s1",
        // Records hours apart still cover their days (the per-day mean
        // counts days with coverage).
        "--max-gap",
        "86400",
        "--summary-json",
        "-",
        "-q",
    ]);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    assert_eq!(counts(&summary["days"]), BTreeMap::from([("2024-01-01".into(), 3), ("2024-01-02".into(), 3)]));
    assert_eq!(summary["unique_sources"], 3);
    // Day 1 had a and c (a in both of its parts), day 2 had b.
    assert_eq!(summary["unique_sources_per_day"], 1.5);

    let manifest: Value = common::store::manifest(&store);
    let parts = manifest["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2, "{manifest:#}");
    let main = parts[0]["part"].as_str().expect("part name").to_string();
    assert_eq!(parts[1]["part"], format!("{main}x1"));
    assert_eq!(parts[1]["days"], serde_json::json!(["2024-01-01"]));
    let day1: BTreeSet<String> = std::fs::read_dir(store.join("sources/day=2024-01-01"))
        .expect("day 1's sources")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(day1, BTreeSet::from([format!("s1-{main}.parquet"), format!("s1-{main}x1.parquet")]));

    // DuckDB sums the parts; the report counts a once on day 1.
    let got = duckdb(&store);
    assert_eq!(counts(&got["days_from_sources"]), counts(&summary["days"]));
    assert_eq!(
        counts(&got["sources"]),
        BTreeMap::from([("203.0.113.9".into(), 2), ("203.0.113.10".into(), 3), ("203.0.113.11".into(), 1)])
    );
    let report = ok(&["report", "--store", &store_arg, "--period", "2024-01-01..2024-01-01", "--format", "json"]);
    let report: Value = serde_json::from_slice(&report.stdout).expect("report JSON");
    assert_eq!(report["totals"]["packets"], 3);
    assert_eq!(report["totals"]["unique_sources"], 2);
    assert_eq!(report["totals"]["unique_sources_per_day"], 2.0);
}
