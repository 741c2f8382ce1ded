//! `darkscope capture` on a live interface: a veth pair between two network
//! namespaces made by the test (tests/common/netns.rs), the daemon on the
//! darknet end, tcpreplay sending `generate` captures from the other end at
//! a set rate. tcpreplay's sending rewrites every timestamp to now, so the
//! store is compared per source, per port, per country and in unique
//! sources, not per day.
//!
//! Expected values come from the generator's ground truth and from
//! tests/capture/pcap_truth.py, an independent reading of the sent pcap
//! files (per source, per (source, port), distinct ports and addresses per
//! source); DuckDB reads the store (tests/store/keys.py, query.py).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::cli::ok;
use common::files::editcap_slice;
use common::json::as_counts as counts;
use common::netns::{Daemon, Veth, live_tests_enabled};

const DARKNET: &str = "198.18.0.0/16";
/// Packets a second tcpreplay sends (far below what the daemon takes; the
/// ramp in tools/bench/capture-ramp.sh finds that).
const PPS: u32 = 20_000;

fn generate(dir: &Path, packets: u32, seed: &str) -> (String, Value) {
    let path = dir.join(format!("sent-{seed}.pcap")).to_string_lossy().into_owned();
    ok(&["generate", "--out", &path, "--packets", &packets.to_string(), "--sources", "4000", "--seed", seed]);
    let truth = std::fs::read(format!("{path}.truth.json")).expect("truth file");
    (path, serde_json::from_slice(&truth).expect("truth JSON"))
}

fn pcap_truth(files: &[&str]) -> Value {
    let paths: Vec<&Path> = files.iter().map(Path::new).collect();
    let mut args = vec![Path::new(DARKNET)];
    args.extend(paths);
    common::python::json("capture/pcap_truth.py", &args)
}

fn store_keys(store: &Path) -> Value {
    common::python::json("store/keys.py", &[store])
}

/// The capture's flags: flush every second into `store`, as sensor `name`.
fn daemon_args<'a>(store: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--darknet", DARKNET, "--store", store, "--sensor", "live1", "--flush", "1"];
    args.extend_from_slice(extra);
    args
}

/// Lets the kernel hand over its last ring block (100 ms) before stopping.
fn settle() {
    std::thread::sleep(Duration::from_millis(600));
}

#[test]
fn captured_packets_are_stored_exactly_and_the_archive_replays_to_the_same() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, truth) = generate(dir.path(), 40_000, "21");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let archive = dir.path().join("archive").to_string_lossy().into_owned();
    let veth = Veth::new();
    let daemon = Daemon::start(&veth, &daemon_args(&store, &["--archive", &archive]));
    veth.send(&capture, PPS);
    settle();
    let status = daemon.signal("TERM");
    assert!(status.success(), "SIGTERM: exit 0 after the final flush ({status})");

    let summary = &truth["summary"];
    let got = common::python::json("store/query.py", &[Path::new(&store)]);
    assert_eq!(counts(&got["ports"]), counts(&summary["dst_ports"]), "per-port packets");
    assert_eq!(counts(&got["countries"]), counts(&summary["countries"]), "per-country packets");
    assert_eq!(got["unique_sources"], summary["unique_sources"], "unique sources");
    let keys = store_keys(Path::new(&store));
    let sent = pcap_truth(&[&capture]);
    assert_eq!(sent["packets"], summary["packets"], "the independent reading agrees with the generator");
    same(&keys["sources"], &sent["sources"], "packets per source");
    same(&keys["source_ports"], &sent["source_ports"], "packets per (source, port)");
    assert_eq!(keys["drops"], 0, "no capture drops at {PPS} packets/s");

    // The archive replays to the same numbers.
    let out = ok(&["replay", &archive, "--darknet", DARKNET, "--summary-json", "-", "-q"]);
    let replayed: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    for key in ["records", "packets", "unique_sources"] {
        assert_eq!(replayed[key], summary[key], "archive replay: {key}");
    }
    assert_eq!(replayed["bytes"], truth["bytes"], "archive replay: bytes");
    for key in ["dst_ports", "countries", "protocols", "tcp_flags", "backscatter", "fingerprints"] {
        assert_eq!(replayed[key], summary[key], "archive replay: {key}");
    }
}

/// Per-key bounds: `low[k] <= got[k] <= high[k]` for every key.
fn within(got: &BTreeMap<String, u64>, low: &BTreeMap<String, u64>, high: &BTreeMap<String, u64>, what: &str) {
    for (key, n) in got {
        let most = high.get(key).copied().unwrap_or(0);
        assert!(*n <= most, "{what} {key}: {n} stored, more than the {most} sent");
    }
    for (key, least) in low {
        let n = got.get(key).copied().unwrap_or(0);
        assert!(n >= *least, "{what} {key}: {n} stored, fewer than the {least} flushed before the kill");
    }
}

/// `got` equals `want`, keys with 0 left out; a failure names the first
/// keys that differ rather than printing thousands.
fn same(got: &Value, want: &Value, what: &str) {
    let nonzero = |v: &Value| -> BTreeMap<String, u64> { counts(v).into_iter().filter(|(_, n)| *n > 0).collect() };
    let (got, want) = (nonzero(got), nonzero(want));
    let keys: std::collections::BTreeSet<&String> = got.keys().chain(want.keys()).collect();
    let differ: Vec<String> = keys
        .into_iter()
        .filter(|k| got.get(*k) != want.get(*k))
        .take(5)
        .map(|k| format!("{k}: stored {:?}, sent {:?}", got.get(k), want.get(k)))
        .collect();
    assert!(differ.is_empty(), "{what} differ ({} keys stored, {} sent), e.g. {differ:?}", got.len(), want.len());
}

fn add(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut sum = a.clone();
    for (k, v) in b {
        *sum.entry(k.clone()).or_default() += v;
    }
    sum
}

/// Sends slice A, B and C of a capture with a restart between B and C:
/// after `signal` in the middle of B (KILL) or after it (TERM).
fn restart_run(signal: &str) -> (Value, [Value; 3], Value, f64, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, _) = generate(dir.path(), 45_000, if signal == "KILL" { "31" } else { "32" });
    let parts = [
        editcap_slice(&capture, "1-15000", &dir.path().join("a.pcap")),
        editcap_slice(&capture, "15001-30000", &dir.path().join("b.pcap")),
        editcap_slice(&capture, "30001-45000", &dir.path().join("c.pcap")),
    ];
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let veth = Veth::new();
    let started = Instant::now();
    let mut daemon = Daemon::start(&veth, &daemon_args(&store, &["--log-level", "debug"]));
    veth.send(&parts[0], PPS);
    settle();
    // Two more flushes after A arrived: all of A is in the store.
    let flushes = daemon.lines_with("flushed");
    daemon.wait_for_lines("flushed", flushes + 2, Duration::from_secs(10));
    // When the daemon went down: killed in the middle of B, or stopped after it.
    let down = if signal == "KILL" {
        std::thread::scope(|scope| {
            let sending = scope.spawn(|| veth.send(&parts[1], PPS));
            std::thread::sleep(Duration::from_millis(350));
            let status = daemon.signal("KILL");
            assert!(!status.success(), "SIGKILL ends the daemon");
            let killed = Instant::now();
            sending.join().expect("sending B");
            killed
        })
    } else {
        veth.send(&parts[1], PPS);
        settle();
        let status = daemon.signal("TERM");
        assert!(status.success(), "SIGTERM: exit 0 ({status})");
        Instant::now()
    };
    std::thread::sleep(Duration::from_secs(2));
    let outage = down.elapsed().as_secs_f64();
    let daemon = Daemon::start(&veth, &daemon_args(&store, &[]));
    assert!(daemon.log.iter().any(|l| l.contains("continuing")), "the restart continues the stored day");
    veth.send(&parts[2], PPS);
    settle();
    let status = daemon.signal("TERM");
    assert!(status.success(), "SIGTERM after the restart: exit 0 ({status})");
    let wall = started.elapsed().as_secs_f64();
    let truths = parts.each_ref().map(|p| pcap_truth(&[p.as_str()]));
    let all = pcap_truth(&[&parts[0], &parts[1], &parts[2]]);
    (store_keys(Path::new(&store)), truths, all, wall, outage)
}

#[test]
fn a_killed_daemon_restarts_without_counting_twice_and_shows_the_outage() {
    if !live_tests_enabled() {
        return;
    }
    let (got, [a, b, c], all, wall, outage) = restart_run("KILL");
    for key in ["sources", "source_ports", "ports"] {
        let (a, b, c) = (counts(&a[key]), counts(&b[key]), counts(&c[key]));
        within(&counts(&got[key]), &add(&a, &c), &add(&add(&a, &b), &c), key);
    }
    let packets = got["packets"].as_u64().expect("packets");
    let (na, nb, nc) = (a["packets"].as_u64().unwrap(), b["packets"].as_u64().unwrap(), c["packets"].as_u64().unwrap());
    assert!(packets >= na + nc && packets <= na + nb + nc, "{packets} stored of {} sent", na + nb + nc);
    eprintln!(
        "killed during B: {packets} of {} packets stored (A {na}, B {nb}, C {nc}); outage {outage:.1} s",
        na + nb + nc
    );
    let unique = got["unique_sources"].as_u64().expect("unique sources");
    assert!(unique <= all["unique_sources"].as_u64().unwrap(), "no source invented");
    // Covered: the two runs up to their last flush, never the outage.
    let seconds = got["seconds"].as_f64().expect("covered seconds");
    assert!(
        seconds > 0.0 && seconds < wall - outage + 0.5,
        "covered {seconds} s of {wall} s with an outage of {outage} s"
    );
}

#[test]
fn a_daemon_stopped_with_sigterm_restarts_and_loses_nothing() {
    if !live_tests_enabled() {
        return;
    }
    let (got, _, all, wall, outage) = restart_run("TERM");
    for key in ["sources", "source_ports", "ports"] {
        same(&got[key], &all[key], key);
    }
    assert_eq!(got["unique_sources"], all["unique_sources"]);
    assert_eq!(got["drops"], 0);
    if got["days"] == 1 {
        // Each source's distinct ports and addresses stay exact across the
        // restart (a run across midnight UTC splits them by day).
        same(&got["distinct_ports"], &all["distinct_ports"], "distinct ports per source");
        same(&got["distinct_addrs"], &all["distinct_addrs"], "distinct addresses per source");
    }
    let seconds = got["seconds"].as_f64().expect("covered seconds");
    assert!(seconds < wall - outage + 0.5, "covered {seconds} s of {wall} s with an outage of {outage} s");
}
