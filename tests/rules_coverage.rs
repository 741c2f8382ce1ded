//! DESIGN.md "Coverage" on hand-built captures: the union of the spans
//! between records consecutive in time over the whole run, whatever the
//! order of the inputs and of the records in them (late records count and
//! fill outages); pcapng interface statistics replace only their own
//! input's record spans, and only when plausible (not before the epoch, at
//! most seven days beyond the input's records), so a tiny file stays a
//! tiny run; no day holds more than 86,400 s, even at the edge of the
//! calendar. Every expected number is worked out by hand from what the
//! test builds.

mod common;
mod rules_support;

use std::path::{Path, PathBuf};

use common::capture::*;
use rules_support::*;
use serde_json::{Value, json};

/// A raw-IP pcap with one UDP packet at each of `times` (seconds after T0).
fn at_times(dir: &Path, name: &str, times: &[i64]) -> PathBuf {
    let mut p = Pcap::new(LINKTYPE_RAW);
    let pkt = udp4(53);
    for t in times {
        p.record((i64::from(T0) + t) as u32, 0, &pkt, pkt.len() as u32);
    }
    write_temp(dir, name, &p.bytes())
}

fn coverage(v: &Value) -> Value {
    v["coverage_seconds"].clone()
}

const H: i64 = 3600;

#[test]
fn an_earlier_input_read_later_still_covers_its_span() {
    // f1: 10:00 and 10:05; f3: 11:00 and 11:05: 300 s each, in any order.
    let dir = tempfile::tempdir().unwrap();
    let f1 = at_times(dir.path(), "f1.pcap", &[10 * H, 10 * H + 300]);
    let f3 = at_times(dir.path(), "f3.pcap", &[11 * H, 11 * H + 300]);
    for inputs in [[f1.as_path(), &f3], [&f3, &f1]] {
        let v = replay(&inputs, &["--darknet", NET]);
        assert_eq!(coverage(&v), json!({"2024-01-01": 600.0}), "{inputs:?}");
    }
}

#[test]
fn a_capture_split_into_files_covers_the_same_in_any_order() {
    // Every 120 s from 2024-01-01 03:00 to 2024-01-03 23:58: day one is
    // covered from 03:00 (21 h = 75,600 s), day two whole, day three to
    // 23:58 (86,280 s); cut into seven files at uneven places.
    let dir = tempfile::tempdir().unwrap();
    let times: Vec<i64> = (3 * H..3 * 86_400).step_by(120).collect();
    assert_eq!(times.len(), 2070);
    let cuts = [0, 100, 450, 451, 900, 1500, 2000, times.len()];
    let files: Vec<PathBuf> = cuts
        .windows(2)
        .enumerate()
        .map(|(i, w)| at_times(dir.path(), &format!("{i}.pcap"), &times[w[0]..w[1]]))
        .collect();
    let want = json!({"2024-01-01": 75_600.0, "2024-01-02": 86_400.0, "2024-01-03": 86_280.0});
    let mut order: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    for pass in 0..3 {
        let v = replay(&order, &["--darknet", NET]);
        assert_eq!(v["records"], 2070);
        assert_eq!(coverage(&v), want, "pass {pass}: {order:?}");
        if pass == 0 {
            order.reverse();
        } else {
            order.sort_by_key(|p| p.to_string_lossy().bytes().map(u32::from).sum::<u32>() * 7 % 11);
        }
    }
}

#[test]
fn late_records_cover_their_day_and_fill_outages() {
    let dir = tempfile::tempdir().unwrap();
    // 2024-01-02 00:00 to 02:00 every 60 s, then (late: the first day
    // closed at 01:00) 2024-01-01 12:00 to 13:00 every 60 s: 3,600 s.
    let mut times: Vec<i64> = (86_400..=86_400 + 2 * H).step_by(60).collect();
    times.extend((12 * H..=13 * H).step_by(60));
    let f = at_times(dir.path(), "late.pcap", &times);
    let v = replay(&[&f], &["--darknet", NET]);
    assert_eq!(coverage(&v), json!({"2024-01-01": 3600.0, "2024-01-02": 7200.0}));
    // 10:00-10:10 and 10:30-10:40 every 60 s, then late 10:15, 10:20 and
    // 10:25: no gap is over 300 s any more, 10:00-10:40 is covered.
    let mut times: Vec<i64> = (10 * H..=10 * H + 600).step_by(60).collect();
    times.extend((10 * H + 1800..=10 * H + 2400).step_by(60));
    times.extend([10 * H + 900, 10 * H + 1200, 10 * H + 1500]);
    let f = at_times(dir.path(), "outage.pcap", &times);
    let v = replay(&[&f], &["--darknet", NET]);
    assert_eq!(coverage(&v), json!({"2024-01-01": 2400.0}));
}

/// A pcapng of `records` UDP packets (seconds after T0) on interface 0 and
/// interface statistics `spans` (µs ticks after T0) on it.
fn pcapng_with_spans(dir: &Path, name: &str, records: &[i64], spans: &[(i64, i64)]) -> PathBuf {
    let us = |s: i64| ((i64::from(T0) + s) * 1_000_000) as u64;
    let mut ng = Pcapng::new();
    ng.section(true).interface(LINKTYPE_RAW as u16, 65_535, None, None);
    let p = udp4(53);
    for &t in records {
        ng.epb(0, us(t), &p, p.len() as u32);
    }
    for &(s, e) in spans {
        ng.isb(0, us(s), us(e));
    }
    write_temp(dir, name, &ng.bytes())
}

#[test]
fn interface_statistics_replace_only_their_own_inputs_spans() {
    // A: records 00:10-00:50, statistics 00:00-01:00; B: records every
    // 60 s from 02:00 to 03:00. 3,600 s each, in either order.
    let dir = tempfile::tempdir().unwrap();
    let a = pcapng_with_spans(dir.path(), "a.pcapng", &[600, 1800, 3000], &[(0, H)]);
    let b = at_times(dir.path(), "b.pcap", &(2 * H..=3 * H).step_by(60).collect::<Vec<_>>());
    for inputs in [[a.as_path(), &b], [&b, &a]] {
        let v = replay(&inputs, &["--darknet", NET]);
        assert_eq!(coverage(&v), json!({"2024-01-01": 7200.0}), "{inputs:?}");
    }
}

#[test]
fn absurd_interface_statistics_spans_are_ignored_and_the_run_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    // Records at 10:00:00, :10 and :20 of 2024-01-01, and 291 statistics
    // blocks: 290 of just under a year each, laid end to end from 1970 to
    // 2259 (each reaches more than seven days beyond the records), and one
    // 09:00-11:00, the only plausible one.
    let year = 364 * 86_400;
    let first = -i64::from(T0);
    let mut spans: Vec<(i64, i64)> = (0..290).map(|k| (first + k * year, first + (k + 1) * year - 1)).collect();
    spans.push((9 * H, 11 * H));
    let f = pcapng_with_spans(dir.path(), "isb.pcapng", &[10 * H, 10 * H + 10, 10 * H + 20], &spans);
    assert!(std::fs::metadata(&f).unwrap().len() < 20_000);
    let store_arg = store.to_string_lossy().into_owned();
    let v = replay(&[&f], &["--darknet", NET, "--store", &store_arg, "--sensor", "s"]);
    assert_eq!(coverage(&v), json!({"2024-01-01": 7200.0}));
    let warnings = input_warnings(&v, 0);
    assert!(warnings.iter().any(|w| w.starts_with("290 interface statistics span(s) ignored")), "{warnings:?}");
    // One day in the store.
    let days: Vec<String> = std::fs::read_dir(store.join("coverage"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(days, ["day=2024-01-01"]);
}

#[test]
fn statistics_of_an_interface_with_a_huge_negative_offset_are_ignored_and_no_day_exceeds_a_day() {
    // if_tsoffset −9,223,372,036 s: records at ticks 0 and 60 s are
    // 1677-09-21T00:12:44 and 00:13:44 UTC (the first instants a 64-bit
    // nanosecond clock holds; `date -u -d @-9223372036` says so); the
    // statistics block claims 0 .. 2024-01-01, centuries before the epoch.
    let dir = tempfile::tempdir().unwrap();
    let offset: i64 = -9_223_372_036;
    let mut ng = Pcapng::new();
    ng.section(true).interface(LINKTYPE_RAW as u16, 65_535, None, Some(offset));
    let p = udp4(53);
    for t in [0u64, 60] {
        ng.epb(0, t * 1_000_000, &p, p.len() as u32);
    }
    ng.isb(0, 0, (i64::from(T0) - offset) as u64 * 1_000_000);
    let f = write_temp(dir.path(), "offset.pcapng", &ng.bytes());
    let v = replay(&[&f], &["--darknet", NET]);
    expect(&v, json!({"days": {"1677-09-21": 2}}));
    assert_eq!(coverage(&v), json!({"1677-09-21": 60.0}));
    assert_eq!(input_warnings(&v, 0).len(), 1, "{v:#}");
}
