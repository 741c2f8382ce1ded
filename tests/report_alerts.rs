//! "What changed" and `report --alerts` (issue 14): 57 generated days of
//! ordinary traffic, into whose 29th day a surge is planted (8088/tcp
//! rising by 186 %, as it did in the NPA's 2024 data) and a port the
//! generator never sent to (500 SYNs). Day 29 against the 28 days before
//! it flags both and nothing else, and `--alerts` exits 3; each of the 28
//! ordinary days after it raises no alert and exits 0. The expected
//! numbers come from the generator's truth and the planted packets, and
//! the alerts and their scores equal an independent reading of the README's
//! method over the store with DuckDB (`tests/store/changes.py`).

use std::process::Command;

mod common;
use common::cli::ok;
use common::files::Pcap;
use common::frames::{Ipv4Opts, eth, ipv4, tcp, v4};

const DAYS: u64 = 57;
const PER_DAY: u64 = 20_000;
/// 2024-01-29 00:00 UTC, the 29th day.
const DAY_29: u32 = 1_706_486_400;

fn darkscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_darkscope"))
}

/// SYNs from `sources` (in turn) to `port` of the darknet, spread over day 29.
fn syns(pcap: &mut Pcap, sources: &[[u8; 4]], port: u16, n: u64, offset: u32) {
    for i in 0..n {
        let src = sources[i as usize % sources.len()];
        let dst = [198, 18, (i / 256) as u8, (i % 256) as u8];
        let segment = tcp(40_000 + (i % 1000) as u16, port, i as u32 * 7919, 0, 0x02, 1024, &[]);
        let frame =
            eth([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], 0x0800, &ipv4(src, dst, 6, &segment, Ipv4Opts::default()));
        let second = DAY_29 + offset + (i as u32 * 86_000 / n as u32);
        pcap.record(second, 0, &frame, frame.len() as u32);
    }
}

#[test]
fn a_planted_surge_and_new_port_alert_and_ordinary_days_do_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("days.pcap").to_string_lossy().into_owned();
    let (packets, sources) = ((DAYS * PER_DAY).to_string(), "20000".to_string());
    ok(&["generate", "--out", &capture, "--packets", &packets, "--days", "57", "--sources", &sources, "--seed", "7"]);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{capture}.truth.json")).expect("the truth")).expect("JSON");
    let ports = &truth["summary"]["dst_ports"];
    let usual_8088 = ports["tcp/8088"].as_u64().expect("8088/tcp in the truth") as f64 / DAYS as f64;
    assert!(usual_8088 > 100.0, "8088/tcp is a head port: {usual_8088:.0} packets a day");
    let new_port = [37_215u16, 52_869, 60_001, 49_152, 7_547, 5_500, 60_023]
        .into_iter()
        .find(|p| ports[format!("tcp/{p}")].is_null())
        .expect("a port the generator never sent to");
    // The planted packets come from the truth's busiest sources, so every
    // country rises alike and by little (835 packets on a day of 20,000).
    let senders: Vec<[u8; 4]> = truth["sources"]
        .as_object()
        .expect("the truth's sources")
        .keys()
        .filter_map(|a| a.parse::<std::net::Ipv4Addr>().ok().map(|a| v4(&a.to_string())))
        .collect();
    let surge = (1.86 * usual_8088).round() as u64;
    let mut planted = Pcap::new(1);
    syns(&mut planted, &senders, 8088, surge, 30);
    syns(&mut planted, &senders, new_port, 500, 60);
    let extra = common::files::write_temp(dir.path(), "planted.pcap", &planted.bytes());
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let extra = extra.to_string_lossy().into_owned();
    ok(&["replay", &capture, &extra, "--darknet", "198.18.0.0/16", "--store", &store, "--sensor", "s1", "-q"]);

    let alerts = |day: &str| {
        let period = format!("{day}..{day}");
        let out = darkscope()
            .args(["report", "--store", &store, "--period", &period, "--alerts", "--format", "json"])
            .output()
            .expect("running darkscope report --alerts");
        let changes: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the alerts as JSON");
        (out.status.code(), changes)
    };
    let (status, changes) = alerts("2024-01-29");
    assert_eq!(changes["history_days"], 28, "{changes}");
    let flagged: Vec<(String, String)> = changes["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| (a["key"].as_str().unwrap_or("").to_string(), a["change"].as_str().unwrap_or("").to_string()))
        .collect();
    let want = vec![(format!("tcp/{new_port}"), "new".to_string()), ("tcp/8088".to_string(), "surge".to_string())];
    assert_eq!(flagged, want, "{changes}");
    let surged = &changes["alerts"][1];
    let day_8088 = surged["packets"].as_u64().expect("packets");
    assert!(day_8088 >= surge, "the planted {surge} and the day's own");
    let ratio = surged["ratio"].as_f64().expect("a ratio");
    assert!((2.2..3.6).contains(&ratio), "about 2.86× the usual: {ratio}");
    assert_eq!(changes["alerts"][0]["packets"], 500);
    assert_eq!(status, Some(3), "--alerts exits 3 when one fired");
    same_as_duckdb(&store, "2024-01-29", &changes);

    // The text form names both, one line each.
    let text = darkscope()
        .args(["report", "--store", &store, "--period", "2024-01-29..2024-01-29", "--alerts"])
        .output()
        .expect("running darkscope");
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    eprint!("--alerts printed:\n{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.starts_with(&format!("port tcp/{new_port} new: 500 packets")), "{text}");
    assert!(text.lines().nth(1).is_some_and(|l| l.starts_with("port tcp/8088 surge: ")), "{text}");

    // 28 ordinary days after it (their history holds the surge day).
    for day in 30..=57 {
        let date = format!("2024-{:02}-{:02}", if day <= 31 { 1 } else { 2 }, if day <= 31 { day } else { day - 31 });
        let (status, changes) = alerts(&date);
        assert_eq!(changes["history_days"], 28, "{date}");
        assert_eq!(changes["alerts"], serde_json::json!([]), "{date}: ordinary noise alerts");
        assert_eq!(status, Some(0), "{date}: --alerts exits 0 when none fired");
        if day % 4 == 0 {
            same_as_duckdb(&store, &date, &changes);
        }
    }

    // Without --period, --alerts judges the newest stored day.
    let out = darkscope().args(["report", "--store", &store, "--alerts", "--format", "json"]).output().expect("run");
    let newest: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(newest["history"]["to"], "2024-02-25", "the 28 days before 2024-02-26: {newest}");
    assert_eq!((out.status.code(), newest["history_days"].as_u64()), (Some(0), Some(28)));

    // The CSV report writes them as changes.csv.
    let csv = dir.path().join("csv");
    let csv_arg = csv.to_string_lossy().into_owned();
    ok(&["report", "--store", &store, "--period", "2024-01-29..2024-01-29", "--format", "csv", "--out", &csv_arg]);
    let rows = std::fs::read_to_string(csv.join("changes.csv")).expect("changes.csv");
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(rows[0], "kind,key,change,packets,per_ip_day,usual_per_ip_day,ratio,score");
    assert!(rows[1].starts_with(&format!("port,tcp/{new_port},new,500,")), "{rows:?}");
    assert!(rows[2].starts_with(&format!("port,tcp/8088,surge,{day_8088},")), "{rows:?}");
    assert_eq!(rows.len(), 3, "{rows:?}");

    // The report's section 10 shows the same alerts.
    let md = String::from_utf8(ok(&["report", "--store", &store, "--period", "2024-01-29..2024-01-29"]).stdout)
        .expect("UTF-8");
    let section = md.split("## 10. What changed").nth(1).expect("section 10");
    assert!(section.contains(&format!("| port | tcp/{new_port} | new | 500 |")), "{section}");
    assert!(section.contains("| port | tcp/8088 | surge |"), "{section}");
}

/// darkscope's alerts of `day` equal DuckDB's reading: the same keys,
/// changes and packets in the same order, scores within 1e-9; and the
/// quietest margin is reported when nothing fired.
fn same_as_duckdb(store: &str, day: &str, changes: &serde_json::Value) {
    let duck = common::python::json("store/changes.py", &[std::path::Path::new(store), std::path::Path::new(day)]);
    assert_eq!(duck["history_days"], changes["history_days"], "{day}");
    let ours = changes["alerts"].as_array().expect("alerts");
    let mut theirs = duck["alerts"].as_array().expect("DuckDB's alerts").clone();
    let rank = |a: &serde_json::Value| (a["change"] != "new", -a["score"].as_f64().unwrap_or(0.0).abs());
    theirs.sort_by(|a, b| rank(a).partial_cmp(&rank(b)).expect("finite scores"));
    assert_eq!(ours.len(), theirs.len(), "{day}: darkscope {ours:?}, DuckDB {theirs:?}");
    for (a, b) in ours.iter().zip(&theirs) {
        for field in ["kind", "key", "change", "packets"] {
            assert_eq!(a[field], b[field], "{day}: {field}");
        }
        let (x, y) = (a["score"].as_f64().expect("score"), b["score"].as_f64().expect("score"));
        assert!((x - y).abs() < 1e-9, "{day}: score {x} vs DuckDB's {y}");
    }
    if ours.is_empty() {
        let quiet = duck["largest_quiet_score"].as_f64().expect("a score");
        assert!(quiet < 4.0, "{day}: {quiet}");
        eprintln!("{day}: no alert; the largest |score| of a key with 100 packets or more: {quiet:.2}");
    }
}
