//! `darkscope capture --alerts FILE` in the network-namespace test network
//! (tests/common/netns.rs): while tcpreplay sends packets to the daemon,
//! the test writes Suricata EVE lines to the followed file as Suricata and
//! logrotate would: a line written in two pieces, a rename rotation (the
//! old file still written to before the new one appears), a copytruncate
//! rotation, a restart in between (with lines written and a rename
//! rotation while no daemon ran: the restart reads the rest of the renamed
//! file first); `/metrics` counts the lines read and passes promtool, and the
//! status page shows the count. After SIGTERM the store's `alerts` table,
//! read by DuckDB (tests/alerts/store.py), holds exactly the darknet alert
//! lines written since the first start, each once: the expected count is
//! the test's own tally of the lines it wrote.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod common;
use common::netns::{Daemon, Veth, live_tests_enabled, metric_samples, promtool_check, sent_capture};

const DARKNET: &str = "198.18.0.0/16";

/// A civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let (d, m) = (doy - (153 * mp + 2) / 5 + 1, if mp < 10 { mp + 3 } else { mp - 9 });
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The lines the test writes, and how many of them are alerts to the darknet.
struct Eve {
    n: u64,
    inside: u64,
}

impl Eve {
    /// `count` lines stamped now: every 10th an alert to outside the
    /// darknet, every 25th a flow event, the rest darknet alerts.
    fn lines(&mut self, count: u64) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970");
        let (secs, micros) = (now.as_secs() as i64, now.subsec_micros());
        let (y, m, d) = civil(secs.div_euclid(86_400));
        let t = secs.rem_euclid(86_400);
        let stamp = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}+0000", t / 3600, t / 60 % 60, t % 60);
        let mut out = String::new();
        for _ in 0..count {
            self.n += 1;
            let i = self.n;
            if i.is_multiple_of(25) {
                out += &format!(
                    r#"{{"timestamp":"{stamp}","flow_id":{i},"event_type":"flow","src_ip":"203.0.113.9","dest_ip":"198.18.0.1","proto":"TCP"}}"#
                );
            } else {
                let dst = if i.is_multiple_of(10) {
                    format!("192.0.2.{}", i % 200)
                } else {
                    format!("198.18.{}.{}", i % 256, i % 97)
                };
                self.inside += u64::from(!i.is_multiple_of(10));
                let (sid, text) = [
                    (2_001_219, "ET SCAN Potential SSH Scan"),
                    (1_917, "INDICATOR-SCAN UPnP service discover attempt"),
                ][(i % 2) as usize];
                out += &format!(
                    r#"{{"timestamp":"{stamp}","flow_id":{i},"in_iface":"eth0","event_type":"alert","src_ip":"203.0.113.{}","src_port":40000,"dest_ip":"{dst}","dest_port":22,"proto":"TCP","alert":{{"action":"allowed","gid":1,"signature_id":{sid},"rev":3,"signature":"{text}","category":"Attempted Information Leak","severity":2}}}}"#,
                    i % 50
                );
            }
            out.push('\n');
        }
        out
    }
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("opening the EVE file");
    file.write_all(text.as_bytes()).expect("writing the EVE file");
}

/// Longer than a few of the follower's polls (200 ms).
fn pause() {
    std::thread::sleep(Duration::from_millis(700));
}

#[test]
fn followed_alerts_are_stored_once_across_rotations_and_a_restart() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, _) = sent_capture(dir.path(), 5_000, 500, 31);
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let eve_path = dir.path().join("eve.json");
    let eve = eve_path.to_string_lossy().into_owned();
    let mut written = Eve { n: 0, inside: 0 };
    // Lines from before the first run: it starts at the file's end.
    append(&eve_path, &written.lines(40));
    let before_start = written.inside;
    let args = ["--darknet", DARKNET, "--store", &store, "--sensor", "ids1", "--flush", "1", "--alerts", &eve];
    let veth = Veth::new();
    let mut daemon = Daemon::start(&veth, &args);
    daemon.wait_for_line("following --alerts", Duration::from_secs(5));
    assert!(daemon.log.iter().any(|l| l.contains("from its end (a first run)")), "{:?}", daemon.log);

    // Appended while packets come, one line in two writes.
    append(&eve_path, &written.lines(300));
    let split = written.lines(1);
    append(&eve_path, &split[..40]);
    veth.send(&capture, 20_000);
    append(&eve_path, &split[40..]);
    pause();

    // Rotated by rename: the old file is written on until the new one appears.
    let old = dir.path().join("eve.json.1");
    std::fs::rename(&eve_path, &old).expect("rename");
    append(&old, &written.lines(100));
    pause();
    append(&eve_path, &written.lines(200));
    pause();
    daemon.wait_for_line("the file was rotated", Duration::from_secs(5));

    // Stopped and started again: it continues after the last line stored.
    append(&eve_path, &written.lines(50));
    std::thread::sleep(Duration::from_millis(1500));
    // /metrics counts the lines read so far (published at each flush).
    let (status, text) = veth.get("http://127.0.0.1:9187/metrics");
    assert_eq!(status, 200);
    promtool_check(&text);
    let metrics = metric_samples(&text);
    let sample = |k: &str| metrics.get(k).copied().unwrap_or_else(|| panic!("no {k} in {text}"));
    assert_eq!(sample(r#"darkscope_alerts_total{outcome="counted"}"#), (written.inside - before_start) as f64);
    let lines =
        ["alert", "other_event", "malformed"].map(|k| sample(&format!("darkscope_alert_lines_total{{kind=\"{k}\"}}")));
    assert_eq!(lines.iter().sum::<f64>(), (written.n - 40) as f64, "every line since the start: {lines:?}");
    assert_eq!(lines[2], 0.0);
    let (_, page) = veth.get("http://127.0.0.1:9187/");
    let counted = format!(">{} (", written.inside - before_start);
    assert!(page.contains("IDS alerts counted since the start (--alerts)") && page.contains(&counted), "{page}");
    let status = daemon.signal("TERM");
    assert!(status.success(), "SIGTERM: {status}");
    // While no daemon runs: more lines, then a rename rotation.
    append(&eve_path, &written.lines(30));
    std::fs::rename(&eve_path, dir.path().join("eve.json.3")).expect("rename");
    append(&eve_path, &written.lines(40));
    let mut daemon = Daemon::start(&veth, &args);
    daemon.wait_for_line("following --alerts", Duration::from_secs(5));
    let resumed = "of its rotated copy";
    assert!(daemon.log.iter().any(|l| l.contains(resumed) && l.contains("eve.json.3")), "{:?}", daemon.log);

    // Copied and truncated (logrotate's copytruncate), then written on.
    pause();
    std::fs::copy(&eve_path, dir.path().join("eve.json.2")).expect("copy");
    std::fs::OpenOptions::new().write(true).truncate(true).open(&eve_path).expect("truncate");
    pause();
    append(&eve_path, &written.lines(120));
    veth.send(&capture, 20_000);
    pause();
    let (status, log) = daemon.signal_with_log("TERM");
    assert!(status.success(), "SIGTERM: {status}");
    assert!(log.iter().any(|l| l.contains("the file was truncated")), "{log:?}");

    let stored = common::python::json("alerts/store.py", &[Path::new(&store)]);
    assert_eq!(
        stored["total"],
        written.inside - before_start,
        "every darknet alert written since the first start, once"
    );
    let methods: Vec<&str> =
        stored["methods"].as_array().expect("methods").iter().filter_map(|m| m[0].as_str()).collect();
    let mut sorted = methods.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["INDICATOR-SCAN", "SSH brute force"], "{stored}");
    let packets = common::python::json("store/query.py", &[Path::new(&store)]);
    let days = packets["days"].as_object().expect("days");
    assert!(days.values().filter_map(|v| v.as_u64()).sum::<u64>() > 0, "the packets are stored beside: {days:?}");
}
