//! DESIGN.md "Interfaces" (inputs and exit status) and the time rules at
//! their edges, one test per rule: compression recognised by magic bytes
//! (not by name), standard input, directories (non-captures skipped with a
//! warning), exit status 2 for bad usage, pcapng timestamps before 1970
//! (negative tsoffset) and fine resolutions (10^-12, 2^-20). Every expected
//! number is worked out by hand from what the test builds.

mod common;
mod rules_support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::capture::*;
use rules_support::*;
use serde_json::json;

fn three_udp() -> Vec<u8> {
    pcap_of(LINKTYPE_RAW, true, &[udp4(1), udp4(2), udp4(2)])
}

fn exit_code(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_darkscope")).args(args).output().expect("running darkscope");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn compression_is_recognised_by_magic_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let raw = three_udp();
    // Misleading names on purpose.
    let a = write_temp(dir.path(), "a.pcap", &gzip(&raw));
    let b = write_temp(dir.path(), "b.gz", &zstd_compress(&raw));
    let c = write_temp(dir.path(), "c.zst", &xz(&raw));
    let v = replay(&[&a, &b, &c], &["--darknet", NET]);
    expect_counts(&v, [9, 9, 0, 0, 0, 9, 0, 0]);
    expect(&v, json!({"dst_ports": {"udp/1": 3, "udp/2": 6}}));
}

#[test]
fn standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_darkscope"))
        .args(["replay", "-", "--darknet", NET, "--summary-json", "-", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning darkscope");
    child.stdin.take().unwrap().write_all(&gzip(&three_udp())).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    expect_counts(&v, [3, 3, 0, 0, 0, 3, 0, 0]);
}

#[test]
fn directory_skips_non_captures_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write_temp(dir.path(), "one.pcap", &three_udp());
    write_temp(dir.path(), "two.pcap", &three_udp());
    write_temp(dir.path(), "notes.txt", b"not a capture at all\n");
    let v = replay(&[dir.path()], &["--darknet", NET]);
    expect_counts(&v, [6, 6, 0, 0, 0, 6, 0, 0]);
    assert_eq!(v["inputs"].as_array().unwrap().len(), 2, "{v:#}");
    let warnings = v["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("notes.txt")), "{warnings:?}");
}

#[test]
fn bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_temp(dir.path(), "good.pcap", &three_udp());
    let text = write_temp(dir.path(), "text.pcap", b"hello, not a capture\n");
    let good = good.to_str().unwrap();
    let missing = dir.path().join("missing.pcap");
    let cases: Vec<Vec<&str>> = vec![
        vec!["replay", good, "--no-such-flag"],
        vec!["replay", good, "--darknet", "198.18.0.0/33"],
        vec!["replay", good, "--darknet", "not-a-cidr"],
        vec!["replay", missing.to_str().unwrap()],
        vec!["replay", text.to_str().unwrap()],
    ];
    for args in cases {
        let (code, stderr) = exit_code(&args);
        assert_eq!(code, 2, "{args:?} → {code}: {stderr}");
    }
    assert_eq!(exit_code(&["replay", good, "--quiet"]).0, 0);
}

#[test]
fn pcapng_negative_offset_gives_days_before_1970() {
    let dir = tempfile::tempdir().unwrap();
    let mut ng = Pcapng::new();
    // Big-endian section (the little-endian tsoffset has its own test).
    // tsoffset −10 s, µs ticks: 5 s → −5 s = 1969-12-31T23:59:55Z;
    // 10.5 s → 0.5 s = 1970-01-01.
    ng.section(false).interface(LINKTYPE_RAW as u16, 65_535, None, Some(-10));
    for ticks in [5_000_000u64, 10_500_000] {
        let p = udp4(53);
        ng.epb(0, ticks, &p, p.len() as u32);
    }
    let f = write_temp(dir.path(), "neg.pcapng", &ng.bytes());
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    expect(&v, json!({"days": {"1969-12-31": 1, "1970-01-01": 1}}));
}

#[test]
fn pcapng_fine_resolutions() {
    let dir = tempfile::tempdir().unwrap();
    let last = u64::from(T0 + DAY - 1);
    let mut ng = Pcapng::new();
    ng.section(false)
        .interface(LINKTYPE_RAW as u16, 65_535, Some(12), Some(i64::from(T0))) // ps after T0
        .interface(LINKTYPE_RAW as u16, 65_535, Some(0x94), None); // 2^-20 s
    let p = udp4(53);
    let len = p.len() as u32;
    // T0 + 23:59:59.999999999999 and the next day's 00:00:00 (2024 in ps
    // would not fit 64 bits, hence the tsoffset).
    let day_ps = u64::from(DAY) * 1_000_000_000_000;
    ng.epb(0, day_ps - 1, &p, len);
    ng.epb(0, day_ps, &p, len);
    // 2^-20: 23:59:59 + (2^20 − 1)/2^20 s, then midnight.
    ng.epb(1, (last << 20) + (1 << 20) - 1, &p, len);
    ng.epb(1, (last + 1) << 20, &p, len);
    let f = write_temp(dir.path(), "fine.pcapng", &ng.bytes());
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [4, 4, 0, 0, 0, 4, 0, 0]);
    expect(&v, json!({"days": {"2024-01-01": 2, "2024-01-02": 2}}));
}

#[test]
fn pcapng_tsoffset_in_a_little_endian_section() {
    // if_tsoffset is one 64-bit integer in the section's byte order (unlike
    // packet timestamps, which are two 32-bit words, high word first).
    // tshark reads this record as 1704153599.9 = 2024-01-01T23:59:59.9Z.
    let dir = tempfile::tempdir().unwrap();
    let mut ng = Pcapng::new();
    ng.section(true).interface(LINKTYPE_RAW as u16, 65_535, None, Some(i64::from(T0)));
    let p = udp4(53);
    let len = p.len() as u32;
    ng.epb(0, u64::from(DAY - 1) * 1_000_000 + 900_000, &p, len);
    ng.epb(0, u64::from(DAY) * 1_000_000 + 100_000, &p, len);
    let f = write_temp(dir.path(), "le-offset.pcapng", &ng.bytes());
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    expect(&v, json!({"days": {"2024-01-01": 1, "2024-01-02": 1}}));
}

/// Raw-IP pcap of one UDP packet at each of `times` (seconds after T0).
fn at_times(dir: &std::path::Path, name: &str, times: &[i64]) -> std::path::PathBuf {
    let mut p = Pcap::new(LINKTYPE_RAW);
    let pkt = udp4(53);
    for t in times {
        p.record((i64::from(T0) + t) as u32, 0, &pkt, pkt.len() as u32);
    }
    write_temp(dir, name, &p.bytes())
}

#[test]
fn coverage_does_not_depend_on_how_records_are_split_into_files() {
    // Coverage is the union of the spans between consecutive records of the
    // sensor: a capture rotated into three files covers what the one file
    // covers, 0..300 s (every gap is 60 s ≤ --max-gap 600).
    let dir = tempfile::tempdir().unwrap();
    let whole = at_times(dir.path(), "whole.pcap", &[0, 60, 120, 180, 240, 300]);
    let v = replay(&[&whole], &["--darknet", NET]);
    assert_eq!(v["coverage_seconds"]["2024-01-01"].as_f64(), Some(300.0), "{v:#}");
    let a = at_times(dir.path(), "a.pcap", &[0, 60]);
    let b = at_times(dir.path(), "b.pcap", &[120, 180]);
    let c = at_times(dir.path(), "c.pcap", &[240, 300]);
    let v = replay(&[&a, &b, &c], &["--darknet", NET]);
    expect_counts(&v, [6, 6, 0, 0, 0, 6, 0, 0]);
    assert_eq!(v["coverage_seconds"]["2024-01-01"].as_f64(), Some(300.0), "{v:#}");
}

#[test]
fn coverage_survives_one_out_of_order_record() {
    // Records every 60 s from 0 to 240 s, with one stray record from the
    // previous day in the middle: in time order the 2024-01-01 records are
    // still consecutive 60 s apart, so that day is covered 0..240 s.
    let dir = tempfile::tempdir().unwrap();
    let f = at_times(dir.path(), "stray.pcap", &[0, 60, 120, -86_395, 180, 240]);
    let v = replay(&[&f], &["--darknet", NET]);
    expect(&v, json!({"days": {"2023-12-31": 1, "2024-01-01": 5}}));
    assert_eq!(v["coverage_seconds"]["2024-01-01"].as_f64(), Some(240.0), "{v:#}");
}

#[test]
fn symbolic_links_are_followed_once_and_loops_are_named() {
    // top/dir holds one.pcap, `self` → . (a loop), `up` → .. (top, which
    // holds other.pcap and dir itself: a loop again) and `again.pcap` →
    // one.pcap. Each capture is read once: 2 inputs, 6 records.
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("dir");
    std::fs::create_dir(&dir).unwrap();
    let one = write_temp(&dir, "one.pcap", &three_udp());
    let other = write_temp(top.path(), "other.pcap", &three_udp());
    std::os::unix::fs::symlink(".", dir.join("self")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("up")).unwrap();
    std::os::unix::fs::symlink("one.pcap", dir.join("again.pcap")).unwrap();
    let start = std::time::Instant::now();
    let v = replay(&[&dir], &["--darknet", NET]);
    assert!(start.elapsed().as_secs() < 10, "the walk took {:?}", start.elapsed());
    expect_counts(&v, [6, 6, 0, 0, 0, 6, 0, 0]);
    let mut paths: Vec<String> =
        v["inputs"].as_array().unwrap().iter().map(|i| i["path"].as_str().unwrap().to_string()).collect();
    paths.sort();
    // other.pcap was reached through `up`: it is shown by its real path.
    let mut want = vec![one.display().to_string(), std::fs::canonicalize(&other).unwrap().display().to_string()];
    want.sort();
    assert_eq!(paths, want);
    let warnings: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    let named = |needle: String| warnings.iter().any(|w| w.starts_with(&needle) && w.contains("loop"));
    assert!(named(format!("{}: not followed", dir.join("self").display())), "{warnings:?}");
    assert!(named(format!("{}: not followed", dir.join("up").join("dir").display())), "{warnings:?}");
    let again = format!("{}: skipped, the same file as {}", dir.join("again.pcap").display(), one.display());
    assert!(warnings.iter().any(|w| w.starts_with(&again)), "{warnings:?}");
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    // A `**` glob walks the same way (the glob crate followed the loop
    // forever).
    let pattern = format!("{}/**/*.pcap", dir.display());
    let v = replay(&[Path::new(&pattern)], &["--darknet", NET]);
    expect_counts(&v, [6, 6, 0, 0, 0, 6, 0, 0]);
    assert_eq!(v["inputs"].as_array().unwrap().len(), 2, "{v:#}");
    assert!(start.elapsed().as_secs() < 20, "the walks took {:?}", start.elapsed());
}

#[test]
fn hidden_files_in_a_directory_are_files_in_progress_and_skipped() {
    // A capture daemon's archive folder while it writes: a finished file
    // and the one in progress, hidden until it is renamed into place.
    let dir = tempfile::tempdir().unwrap();
    write_temp(dir.path(), "s1-eth1-20240101T000000Z.pcap", &three_udp());
    write_temp(dir.path(), ".s1-eth1-20240101T010000Z.pcap.part", &three_udp());
    std::fs::create_dir(dir.path().join(".live")).unwrap();
    write_temp(&dir.path().join(".live"), "x.pcap", &three_udp());
    let v = replay(&[dir.path()], &["--darknet", NET]);
    expect_counts(&v, [3, 3, 0, 0, 0, 3, 0, 0]);
    assert_eq!(v["inputs"].as_array().unwrap().len(), 1);
}
