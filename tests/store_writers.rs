//! Many writers into one store (issue 20): four `replay --store` processes
//! on disjoint slices of one sensor's capture, two on slices of another
//! sensor's, and a fifth process of the first sensor whose input overlaps
//! two of the slices, all started at once, 20 times. Each time: the
//! overlapping input or the slices it overlaps are stored, never both; every
//! other slice is stored once; the manifest lists every stored input once;
//! DuckDB reads every table (tests/store/totals.py); and the report equals
//! that of a store written by replaying the same stored inputs one after
//! another. (Not of one replay of all of them at once: such a run also
//! covers the seconds between two slices, which two runs cannot see.)
//!
//! Run as root, the overlapping writer and sensor b's two run as if on
//! three other hosts sharing the store: each in UTS, PID and mount
//! namespaces of its own (`unshare`), with its own host name and process
//! id 1, as a writer in a container of another machine has. No lock is
//! shared between them; their claims and entries in the store decide.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

mod common;
use common::cli::ok;
use common::files::editcap_slice;

use serde_json::Value;

const ROUNDS: usize = 20;

/// Starts a replay of `input` into `store`; with `host` (and root), as a
/// writer of that host (see the module's text).
fn start_replay(input: &str, sensor: &str, store: &str, host: Option<&str>) -> Child {
    let args = ["replay", input, "--darknet", "198.18.0.0/16", "--store", store, "--sensor", sensor, "-q"];
    let mut command = common::netns::darkscope_on(host.filter(|_| root()), &args);
    command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("starting darkscope")
}

/// Every stored input's path, by sensor.
fn stored_inputs(store: &Path) -> BTreeMap<String, Vec<String>> {
    let manifest: Value = common::store::manifest(store);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for part in manifest["parts"].as_array().expect("parts") {
        let sensor = part["sensor"].as_str().expect("sensor").to_string();
        for input in part["inputs"].as_array().expect("inputs") {
            out.entry(sensor.clone()).or_default().push(input["path"].as_str().expect("path").to_string());
        }
    }
    out.values_mut().for_each(|paths| paths.sort());
    out
}

fn root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout == b"0\n")
}

fn report(store: &str) -> Value {
    serde_json::from_slice(&ok(&["report", "--store", store, "--format", "json", "--top", "20"]).stdout)
        .expect("the report JSON")
}

#[test]
fn racing_writers_of_two_sensors_store_each_input_once_and_never_an_overlap_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.pcap").to_string_lossy().into_owned();
    let b = dir.path().join("b.pcap").to_string_lossy().into_owned();
    ok(&["generate", "--out", &a, "--packets", "40000", "--days", "4", "--sources", "2000", "--seed", "3"]);
    ok(&["generate", "--out", &b, "--packets", "10000", "--days", "2", "--sources", "500", "--seed", "4"]);
    let a_slices: Vec<String> = ["1-10000", "10001-20000", "20001-30000", "30001-40000"]
        .iter()
        .enumerate()
        .map(|(i, r)| editcap_slice(&a, r, &dir.path().join(format!("a{i}.pcap"))))
        .collect();
    let b_slices: Vec<String> = ["1-5000", "5001-10000"]
        .iter()
        .enumerate()
        .map(|(i, r)| editcap_slice(&b, r, &dir.path().join(format!("b{i}.pcap"))))
        .collect();
    // Overlaps the first two slices of sensor a.
    let overlap = editcap_slice(&a, "9000-11000", &dir.path().join("a-overlap.pcap"));

    let mut duckdb = Command::new(common::python::python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/store/totals.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting tests/store/totals.py");
    let mut to_duckdb = duckdb.stdin.take().expect("stdin");
    let mut from_duckdb = BufReader::new(duckdb.stdout.take().expect("stdout"));
    let mut references: BTreeMap<BTreeMap<String, Vec<String>>, Value> = BTreeMap::new();
    let mut overlap_won = 0;
    for round in 0..ROUNDS {
        let store = dir.path().join(format!("store{round}")).to_string_lossy().into_owned();
        let mut writers: Vec<(&str, &str, Child)> = Vec::new();
        for input in &a_slices {
            writers.push(("a", input, start_replay(input, "a", &store, None)));
        }
        for (input, host) in b_slices.iter().zip(["sensor-host-c", "sensor-host-d"]) {
            writers.push(("b", input, start_replay(input, "b", &store, Some(host))));
        }
        writers.push(("a", &overlap, start_replay(&overlap, "a", &store, Some("sensor-host-b"))));
        let mut refused = BTreeSet::new();
        for (_, input, child) in writers {
            let out = child.wait_with_output().expect("waiting for darkscope");
            let err = String::from_utf8_lossy(&out.stderr);
            if !out.status.success() {
                assert!(err.contains("overlaps") && err.contains("--replace"), "round {round}, {input}: {err}");
                refused.insert(input.to_string());
            }
        }
        let stored = stored_inputs(Path::new(&store));
        let want_refused: BTreeSet<String> = if refused.contains(&overlap) {
            [overlap.clone()].into()
        } else {
            overlap_won += 1;
            [a_slices[0].clone(), a_slices[1].clone()].into()
        };
        assert_eq!(refused, want_refused, "round {round}: the overlap, or the two slices it overlaps");
        let mut want_a: Vec<String> =
            a_slices.iter().chain([&overlap]).filter(|p| !refused.contains(*p)).cloned().collect();
        want_a.sort();
        assert_eq!(stored.get("a"), Some(&want_a), "round {round}: each input of a once");
        assert_eq!(stored.get("b"), Some(&b_slices), "round {round}: each input of b once");

        writeln!(to_duckdb, "{store}").expect("asking DuckDB");
        let mut line = String::new();
        from_duckdb.read_line(&mut line).expect("DuckDB's answer");
        let tables: Value = serde_json::from_str(&line).expect("totals JSON");
        for (table, got) in tables.as_object().expect("tables") {
            assert!(got.get("error").is_none(), "round {round}: DuckDB cannot read {table}: {got}");
        }

        let got = report(&store);
        let want = references.entry(stored.clone()).or_insert_with(|| {
            let one_by_one = dir.path().join(format!("reference{round}")).to_string_lossy().into_owned();
            for (sensor, inputs) in &stored {
                for input in inputs {
                    let flags = ["--darknet", "198.18.0.0/16", "--store", &one_by_one, "--sensor", sensor, "-q"];
                    ok(&[&["replay", input.as_str()][..], &flags].concat());
                }
            }
            report(&one_by_one)
        });
        assert!(got == *want, "round {round}: the report differs from one of the same inputs stored one by one");
    }
    drop(to_duckdb);
    let _ = duckdb.wait();
    let hosts = if root() { "4 hosts" } else { "one host (not root: no namespaces)" };
    eprintln!("the overlapping input won {overlap_won} of {ROUNDS} races; writers on {hosts}");
}
