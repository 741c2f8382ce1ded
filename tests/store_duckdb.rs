//! The store, read back by DuckDB (an independent Parquet reader): on
//! `generate` captures, the stored per-port, per-country, per-day,
//! per-source, byte and backscatter totals equal the generator's ground
//! truth; replaying again skips, `--replace` rewrites the same part, an
//! overlapping capture of the same sensor is refused, and two sensors'
//! parts add up.
//!
//! DuckDB is required: `python3 -m venv .venv && .venv/bin/pip install
//! duckdb` (.ci/run does), or point `DARKSCOPE_PYTHON` at a Python that has
//! it. Without it these tests fail; they never pass silently.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_darkscope")).args(args).output().expect("running darkscope")
}

fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "darkscope {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Generates a capture and returns its path and ground truth.
fn generate(dir: &Path, name: &str, seed: &str) -> (String, Value) {
    let path = dir.join(name).to_string_lossy().into_owned();
    ok(&["generate", "--out", &path, "--packets", "200000", "--days", "3", "--sources", "20000", "--seed", seed]);
    let truth = std::fs::read(format!("{path}.truth.json")).expect("reading the truth file");
    (path, serde_json::from_slice(&truth).expect("truth JSON"))
}

fn python() -> PathBuf {
    match std::env::var_os("DARKSCOPE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
    }
}

/// The store's totals as DuckDB computes them (tests/store/query.py).
fn duckdb(store: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/store/query.py");
    let python = python();
    let out = match Command::new(&python).arg(&script).arg(store).output() {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run {} ({e}): DuckDB is needed; run `python3 -m venv .venv && .venv/bin/pip install duckdb` \
             (.ci/run does) or set DARKSCOPE_PYTHON",
            python.display()
        ),
    };
    assert!(out.status.success(), "DuckDB query failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("query.py prints JSON")
}

fn counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .iter()
        .map(|(k, c)| (k.clone(), c.as_u64().unwrap_or_else(|| panic!("{k}: not a count"))))
        .collect()
}

fn add(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut sum = a.clone();
    for (k, v) in b {
        *sum.entry(k.clone()).or_default() += v;
    }
    sum
}

fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("listing the store") {
            let path = entry.expect("listing the store").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path);
            }
        }
    }
    found
}

#[test]
fn stored_tables_match_the_ground_truth_in_duckdb() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, truth) = generate(dir.path(), "t.pcap", "3");
    let store = dir.path().join("store");
    let store_arg = store.to_string_lossy().into_owned();
    ok(&["replay", &capture, "--darknet", "198.18.0.0/16", "--store", &store_arg, "--sensor", "s1", "-q"]);

    let got = duckdb(&store);
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
    let manifest = || -> Value {
        serde_json::from_slice(&std::fs::read(store.join("manifest.json")).expect("manifest")).expect("manifest JSON")
    };

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
