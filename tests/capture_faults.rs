//! The capture daemon under faults, live in network namespaces (see
//! tests/common/netns.rs): its interface taken down and brought up again,
//! and its carrier lost (the veth peer down), while it captures; its
//! scanner list and country database replaced by garbage before SIGHUP.
//!
//! Expected values: the generator's ground truth of the sent capture (its
//! darknet packets), the store read by DuckDB (tests/store/totals.py,
//! tests/store/scanner_tags.py: which sources a list of 0.0.0.0/1 tags),
//! `/healthz` and `/metrics` as DESIGN.md and the README define them.

use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::crash::{Totals, table_totals};
use common::netns::{Daemon, Veth, live_tests_enabled, metric_samples, sent_capture};

const METRICS: &str = "http://127.0.0.1:9187";

/// `ip -n NS link set DEV up|down`.
fn set_link(ns: &str, dev: &str, state: &str) {
    let status = Command::new("ip").args(["-n", ns, "link", "set", dev, state]).status().expect("running ip");
    assert!(status.success(), "ip -n {ns} link set {dev} {state}");
}

/// Waits until `/healthz` answers `status`; gives its body.
fn health_becomes(veth: &Veth, status: u64, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let (got, body) = veth.get(&format!("{METRICS}/healthz"));
        if got == status {
            return body;
        }
        assert!(start.elapsed() < limit, "/healthz stayed {got} ({body}), not {status}, for {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The interface's link gauge and down counter in `/metrics`.
fn link_metrics(veth: &Veth) -> (f64, f64) {
    let metrics = metric_samples(&veth.get(&format!("{METRICS}/metrics")).1);
    let label = format!("{{interface=\"{}\"}}", veth.dark_if);
    let up = metrics.get(&format!("darkscope_interface_up{label}")).copied();
    let downs = metrics.get(&format!("darkscope_interface_downs_total{label}")).copied();
    (up.expect("darkscope_interface_up"), downs.expect("darkscope_interface_downs_total"))
}

#[test]
fn a_daemon_keeps_capturing_through_its_link_going_down_and_up_and_counts_exactly() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, per_send) = sent_capture(dir.path(), 2000, 300, 51);
    let store = dir.path().join("store");
    let store_arg = store.to_string_lossy().into_owned();
    let veth = Veth::new();
    let args = ["--darknet", "198.18.0.0/16", "--store", &store_arg, "--sensor", "s1", "--flush", "1"];
    let mut daemon = Daemon::start(&veth, &args);
    veth.send(&capture, 4_000);
    assert_eq!(link_metrics(&veth), (1.0, 0.0), "up, never down");

    // Down (administratively), then (while down) a send that cannot arrive.
    set_link(&veth.dark_ns, &veth.dark_if, "down");
    daemon.wait_for_line("is down", Duration::from_secs(5));
    let body = health_becomes(&veth, 503, Duration::from_secs(5));
    assert!(body.contains(&format!("interface {} is down", veth.dark_if)), "{body}");
    assert_eq!(link_metrics(&veth), (0.0, 1.0), "down once");
    veth.send(&capture, 4_000);
    set_link(&veth.dark_ns, &veth.dark_if, "up");
    daemon.wait_for_line("is up again", Duration::from_secs(5));
    health_becomes(&veth, 200, Duration::from_secs(5));
    veth.send(&capture, 4_000);

    // The carrier lost (the peer down), then back.
    set_link(&veth.sender_ns, &veth.sender_if, "down");
    daemon.wait_for_line("without a carrier", Duration::from_secs(5));
    let body = health_becomes(&veth, 503, Duration::from_secs(5));
    assert!(body.contains("without a carrier"), "{body}");
    set_link(&veth.sender_ns, &veth.sender_if, "up");
    daemon.wait_for_lines("is up again", 2, Duration::from_secs(5));
    health_becomes(&veth, 200, Duration::from_secs(5));
    assert_eq!(link_metrics(&veth), (1.0, 2.0), "up, down twice");
    veth.send(&capture, 4_000);
    std::thread::sleep(Duration::from_millis(600));

    // Still the same process, ended cleanly; what was sent while the link
    // was up (three sends of the capture) is stored exactly.
    assert!(daemon.child.try_wait().expect("polling").is_none(), "the daemon kept running");
    assert!(daemon.signal("TERM").success(), "SIGTERM: exit 0");
    let stored = table_totals(&Totals::start().of(&store))["sources"][1];
    assert_eq!(stored, 3 * per_send, "three sends while up, one lost while down");
}

#[test]
fn a_garbage_scanner_list_or_country_database_at_sighup_keeps_the_old_one() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, _) = sent_capture(dir.path(), 2000, 300, 53);
    let list = dir.path().join("scanners.txt");
    std::fs::write(&list, "0.0.0.0/1 orga\n").expect("scanner list");
    let geoip = dir.path().join("country.mmdb");
    let test_db = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geolite2-country-test.mmdb");
    std::fs::copy(&test_db, &geoip).expect("country database");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let (list_arg, geoip_arg) = (list.to_string_lossy().into_owned(), geoip.to_string_lossy().into_owned());
    let veth = Veth::new();
    let args = ["--darknet", "198.18.0.0/16", "--store", &store, "--flush", "1", "--log-level", "debug"];
    let mut daemon = Daemon::start(&veth, &[&args[..], &["--scanners", &list_arg, "--geoip", &geoip_arg]].concat());
    let tags = || common::python::json("store/scanner_tags.py", &[std::path::Path::new(&store)]);
    let build_info = || {
        let metrics = veth.get(&format!("{METRICS}/metrics")).1;
        metrics.lines().find(|l| l.starts_with("darkscope_build_info{")).unwrap_or_default().to_string()
    };
    let hup = |daemon: &mut Daemon, flushes: usize| {
        let pid = daemon.child.id().to_string();
        assert!(Command::new("kill").args(["-HUP", &pid]).status().expect("kill").success());
        let seen = daemon.lines_with("flushed");
        daemon.wait_for_lines("flushed", seen + flushes, Duration::from_secs(10));
    };
    veth.send(&capture, 4_000);
    let seen = daemon.lines_with("flushed");
    daemon.wait_for_lines("flushed", seen + 2, Duration::from_secs(10));
    let first = tags();
    let low = first["low_half"].as_u64().expect("low_half");
    assert!(low > 50, "the capture has sources in 0.0.0.0/1: {first}");
    assert_eq!(first["tags"]["orga"].as_u64(), Some(low), "the list tags 0.0.0.0/1: {first}");
    let info = build_info();

    // Garbage in both files, then SIGHUP: logged, the old ones kept.
    std::fs::write(&list, "this is not a scanner list\n\0\u{1}").expect("garbage");
    std::fs::write(&geoip, b"\xab\xcd not a MaxMind database").expect("garbage");
    let reloads = daemon.lines_with("keeping");
    hup(&mut daemon, 2);
    daemon.wait_for_lines("keeping", reloads + 2, Duration::from_secs(5));
    let kept = daemon.log.iter().filter(|l| l.contains("keeping")).cloned().collect::<Vec<_>>().join("\n");
    assert!(kept.contains("keeping the scanner list in use: --scanners") && kept.contains(&list_arg), "{kept}");
    assert!(kept.contains("keeping the country database in use: --geoip") && kept.contains(&geoip_arg), "{kept}");
    assert_eq!(tags(), first, "the old list still tags the day");
    assert_eq!(build_info(), info, "the same list and database in use");
    assert!(daemon.child.try_wait().expect("polling").is_none(), "the daemon kept running");

    // A good list again: SIGHUP takes it (the day is tagged anew).
    std::fs::write(&list, "0.0.0.0/1 orgb\n").expect("scanner list");
    std::fs::copy(&test_db, &geoip).expect("country database");
    hup(&mut daemon, 2);
    let last = tags();
    assert_eq!(last["tags"]["orgb"].as_u64(), Some(low), "the new list tags the day: {last}");
    assert!(last["tags"].get("orga").is_none(), "{last}");
    assert!(daemon.signal("TERM").success(), "SIGTERM: exit 0");
}
