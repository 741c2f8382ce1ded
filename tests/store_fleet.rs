//! A fleet writing into one store at once (issue 20): two capture daemons
//! of two sensors, each on a veth pair of its own (tests/common/netns.rs),
//! flush every second while tcpreplay sends to both and three replays of a
//! third sensor's disjoint slices commit into the same store, two of them as
//! if from other hosts (UTS, PID and mount namespaces of their own). No lock
//! is shared; each writer writes its own files and manifest entry.
//!
//! Afterwards DuckDB reads each sensor's rows (tests/store/keys.py), and
//! per source and per (source, port) they equal an independent reading of
//! what that sensor was sent or replayed (tests/capture/pcap_truth.py); the
//! manifest holds each sensor's parts once; no journal or claim is left.
//! And a daemon started on a store of before (one manifest.json) converts
//! it at its first flush, keeping the part it held as it was.

use std::path::Path;
use std::process::{Child, Stdio};

use serde_json::Value;

mod common;
use common::cli::ok;
use common::files::editcap_slice;
use common::netns::{Daemon, Veth, live_tests_enabled};

const DARKNET: &str = "198.18.0.0/16";
const PPS: u32 = 20_000;

fn generate(dir: &Path, packets: u32, seed: &str) -> String {
    let path = dir.join(format!("sent-{seed}.pcap")).to_string_lossy().into_owned();
    ok(&["generate", "--out", &path, "--packets", &packets.to_string(), "--sources", "3000", "--seed", seed]);
    path
}

/// Starts `replay INPUT --store STORE --sensor r1`, with `host` in
/// namespaces of its own as a writer of that host.
fn start_replay(input: &str, store: &str, host: Option<&str>) -> Child {
    let args = ["replay", input, "--darknet", DARKNET, "--store", store, "--sensor", "r1", "-q"];
    let mut command = common::netns::darkscope_on(host, &args);
    command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("starting darkscope replay")
}

fn same(got: &Value, want: &Value, what: &str) {
    assert_eq!(got.as_object().map(|o| o.len()), want.as_object().map(|o| o.len()), "{what}: keys");
    assert!(got == want, "{what}: the store differs from what was sent");
}

#[test]
fn two_daemons_and_three_replays_share_one_store() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let sent = [generate(dir.path(), 30_000, "31"), generate(dir.path(), 30_000, "32")];
    let replayed = generate(dir.path(), 30_000, "33");
    let slices: Vec<String> = ["1-10000", "10001-20000", "20001-30000"]
        .iter()
        .enumerate()
        .map(|(i, r)| editcap_slice(&replayed, r, &dir.path().join(format!("r{i}.pcap"))))
        .collect();
    let store = dir.path().join("store").to_string_lossy().into_owned();

    let veths = [Veth::new(), Veth::new()];
    let daemons: Vec<Daemon> = veths
        .iter()
        .zip(["live1", "live2"])
        .map(|(veth, sensor)| {
            let args = ["--darknet", DARKNET, "--store", &store, "--sensor", sensor, "--flush", "1"];
            Daemon::start(veth, &args)
        })
        .collect();
    std::thread::scope(|scope| {
        for (veth, capture) in veths.iter().zip(&sent) {
            scope.spawn(move || veth.send(capture, PPS));
        }
        // While both daemons flush: the replays, one after another's start.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let replays: Vec<Child> = slices
            .iter()
            .zip([None, Some("fleet-host-b"), Some("fleet-host-c")])
            .map(|(slice, host)| start_replay(slice, &store, host))
            .collect();
        for child in replays {
            let out = child.wait_with_output().expect("waiting for a replay");
            assert!(out.status.success(), "a replay failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(600));
    for daemon in daemons {
        let status = daemon.signal("TERM");
        assert!(status.success(), "SIGTERM: exit 0 after the final flush ({status})");
    }

    let store_dir = Path::new(&store);
    for (sensor, inputs) in [("live1", vec![sent[0].as_str()]), ("live2", vec![sent[1].as_str()])]
        .into_iter()
        .chain([("r1", slices.iter().map(String::as_str).collect())])
    {
        let keys = common::python::json("store/keys.py", &[store_dir, Path::new(sensor)]);
        let mut args = vec![Path::new(DARKNET)];
        args.extend(inputs.iter().map(Path::new));
        let want = common::python::json("capture/pcap_truth.py", &args);
        assert_eq!(keys["packets"], want["packets"], "{sensor}: packets");
        same(&keys["sources"], &want["sources"], &format!("{sensor}: packets per source"));
        same(&keys["source_ports"], &want["source_ports"], &format!("{sensor}: packets per (source, port)"));
    }
    let manifest = common::store::manifest(store_dir);
    let mut parts: Vec<(String, usize)> = manifest["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| (p["sensor"].as_str().expect("sensor").to_string(), p["inputs"].as_array().map_or(0, Vec::len)))
        .collect();
    parts.sort();
    let want: Vec<(String, usize)> = [("live1", 1), ("live2", 1), ("r1", 1), ("r1", 1), ("r1", 1)]
        .iter()
        .map(|(s, n)| (s.to_string(), *n))
        .collect();
    assert_eq!(parts, want, "each daemon's live part (one run) and each replay's part, once");
    assert!(!common::store::journal(store_dir), "no commit left unfinished");
    let claims = store_dir.join("manifest.d/.claims");
    assert_eq!(std::fs::read_dir(&claims).map_or(0, |d| d.count()), 0, "no claim left");
}

#[test]
fn a_daemon_converts_an_old_stores_manifest_and_keeps_its_parts() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let old_input = generate(dir.path(), 5_000, "34");
    let sent = generate(dir.path(), 10_000, "35");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let store_dir = Path::new(&store);
    ok(&["replay", &old_input, "--darknet", DARKNET, "--store", &store, "--sensor", "old", "-q"]);
    // The store as a darkscope of before wrote it: one manifest.json.
    let mut old = common::store::manifest(store_dir);
    old["schema"] = "darkscope.manifest/1".into();
    let old_part = old["parts"][0].clone();
    std::fs::remove_dir_all(store_dir.join("manifest.d")).expect("removing the entries");
    std::fs::write(store_dir.join("manifest.json"), serde_json::to_vec_pretty(&old).expect("JSON")).expect("writing");

    let veth = Veth::new();
    let args = ["--darknet", DARKNET, "--store", &store, "--sensor", "live1", "--flush", "1"];
    let daemon = Daemon::start(&veth, &args);
    veth.send(&sent, PPS);
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert!(daemon.signal("TERM").success(), "SIGTERM: exit 0");

    assert!(!store_dir.join("manifest.json").exists(), "converted at the first flush");
    let parts = common::store::manifest(store_dir)["parts"].as_array().expect("parts").clone();
    let sensors: Vec<&str> = parts.iter().map(|p| p["sensor"].as_str().expect("sensor")).collect();
    assert_eq!(sensors, ["live1", "old"], "the old part and the daemon's");
    assert_eq!(parts[1], old_part, "the old part's entry as it was");
    for (sensor, input) in [("old", &old_input), ("live1", &sent)] {
        let keys = common::python::json("store/keys.py", &[store_dir, Path::new(sensor)]);
        let want = common::python::json("capture/pcap_truth.py", &[Path::new(DARKNET), Path::new(input)]);
        same(&keys["sources"], &want["sources"], &format!("{sensor}: packets per source"));
    }
}
