//! Scan events at their edges, on captures built here with hand-counted
//! expectations (`--scan-min-dsts 3`): a pause of exactly the timeout
//! keeps an event going and one nanosecond more ends it, at midnight as
//! within a day; an event across midnight is one event whether its two
//! days come in one file or in two files read in reverse order; a day read
//! again after it closed is named in a warning.

mod common;

use common::capture::*;
use common::cli::ok;
use serde_json::Value;

const T0: u32 = 1_704_067_200; // 2024-01-01T00:00:00Z
const DAY: u32 = 86_400;
const SRC: [u8; 4] = [203, 0, 113, 7];

/// A SYN from SRC to 198.18.0.`host`, port 8088.
fn syn(host: u8) -> Vec<u8> {
    let segment = tcp(40_000, 8088, 7, 0, TCP_SYN, 1024, &[]);
    let opts = Ipv4Opts { id: 1234, ..Ipv4Opts::default() };
    eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &ipv4(SRC, [198, 18, 0, host], IPPROTO_TCP, &segment, opts))
}

/// A nanosecond pcap of `records` ((seconds, nanoseconds, host)).
fn capture(dir: &std::path::Path, name: &str, records: &[(u32, u32, u8)]) -> String {
    let mut pcap = Pcap::new(LINKTYPE_ETHERNET);
    pcap.nanos = true;
    for &(secs, nanos, host) in records {
        let frame = syn(host);
        pcap.record(secs, nanos, &frame, frame.len() as u32);
    }
    write_temp(dir, name, &pcap.bytes()).to_string_lossy().into_owned()
}

/// Replays `inputs` (in this order) into a new store; gives the summary
/// JSON and the scans as (first ns, last ns, packets, addresses).
fn replay(dir: &std::path::Path, inputs: &[String]) -> (Value, Vec<(i64, i64, u64, u64)>) {
    let store = dir.join(format!("store{}", inputs.len()));
    let _ = std::fs::remove_dir_all(&store);
    let store_arg = store.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["replay"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend(["--darknet", "198.18.0.0/24", "--store", &store_arg, "--scan-min-dsts", "3", "-q"]);
    args.extend(["--summary-json", "-"]);
    let out = ok(&args);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    let mut script: Vec<&std::path::Path> = vec!["198.18.0.0/24".as_ref(), "3".as_ref(), &store];
    script.extend(inputs.iter().map(std::path::Path::new));
    let got = common::python::json("store/scans.py", &script);
    let number = |v: &Value| v.as_i64().expect("a number");
    let rows = got["store"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (number(&r[3]), number(&r[4]), number(&r[5]) as u64, number(&r[6]) as u64));
    (summary, rows.collect())
}

const NS: i64 = 1_000_000_000;

#[test]
fn a_pause_of_exactly_the_timeout_goes_on_and_one_nanosecond_more_ends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let t = T0 + 3600;
    // Hosts 1, 2 (0 s, 480 s: one run), then host 3 at 960 s + 1 ns (a new
    // run of one address), host 4 and 5 right after (the second run: 3).
    let records = [(t, 0, 1), (t + 480, 0, 2), (t + 960, 1, 3), (t + 961, 0, 4), (t + 962, 0, 5)];
    let one = capture(dir.path(), "a.pcap", &records);
    let (_, scans) = replay(dir.path(), &[one]);
    let t = i64::from(t) * NS;
    assert_eq!(scans, vec![(t + 960 * NS + 1, t + 962 * NS, 3, 3)], "the first run has 2 addresses only");
}

#[test]
fn an_event_across_midnight_is_one_whatever_the_files_and_their_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let midnight = T0 + DAY;
    // 23:59:00, 23:59:30, then 480 s after the last of day 1: 00:07:30.
    let day1 = [(midnight - 60, 0, 1), (midnight - 30, 0, 2)];
    let day2 = [(midnight + 450, 0, 3), (midnight + 451, 0, 2)];
    // A second key-less check: one nanosecond later would split (below).
    let whole: Vec<(u32, u32, u8)> = day1.iter().chain(&day2).copied().collect();
    let want = vec![(i64::from(midnight - 60) * NS, i64::from(midnight + 451) * NS, 4, 3)];
    let one = capture(dir.path(), "whole.pcap", &whole);
    assert_eq!(replay(dir.path(), &[one]).1, want);
    let (a, b) = (capture(dir.path(), "day1.pcap", &day1), capture(dir.path(), "day2.pcap", &day2));
    assert_eq!(replay(dir.path(), &[b.clone(), a.clone()]).1, want, "two files, the later first");
    assert_eq!(replay(dir.path(), &[a, b]).1, want, "two files in order");

    let late = [(midnight + 450, 1, 3), (midnight + 451, 0, 2)];
    let split: Vec<(u32, u32, u8)> = day1.iter().chain(&late).copied().collect();
    let two = capture(dir.path(), "split.pcap", &split);
    assert_eq!(replay(dir.path(), &[two]).1, vec![], "480 s + 1 ns: two runs of 2 addresses each");
}

#[test]
fn a_day_read_again_after_it_closed_is_named_in_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The first file closes 2024-01-01 (a record past 01:00 of the next
    // day); the second brings more of that day.
    let first = capture(dir.path(), "first.pcap", &[(T0 + 100, 0, 1), (T0 + DAY + 7200, 0, 9)]);
    let second = capture(dir.path(), "second.pcap", &[(T0 + 200, 0, 2)]);
    let (summary, _) = replay(dir.path(), &[first, second]);
    let warnings = summary["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.starts_with("2024-01-01 was read again after it had closed"))),
        "{warnings:?}"
    );
}
