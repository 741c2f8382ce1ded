//! Late records and the day lifecycle (DESIGN.md "Store": a day closes when
//! a record more than an hour past its end is read; later records of it
//! form an extra part), on captures built here: a day closes whether or not
//! the next day's first record comes before 01:00 (issue 17, defect 13), and
//! a source-day's tool label is decided over all its records, whichever
//! part they went to (defect 12).

mod common;

use common::capture::*;
use common::cli::ok;
use serde_json::{Value, json};

const T0: u32 = 1_704_067_200; // 2024-01-01T00:00:00Z
const HOUR: u32 = 3600;
const DAY: u32 = 86_400;
const DST: [u8; 4] = [198, 18, 0, 5];

fn syn_frame(src: [u8; 4], id: u16, seq: u32) -> Vec<u8> {
    let segment = tcp(40_000, 23, seq, 0, TCP_SYN, 1024, &[]);
    let opts = Ipv4Opts { id, ..Ipv4Opts::default() };
    eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &ipv4(src, DST, IPPROTO_TCP, &segment, opts))
}

/// Replays `records` ((seconds, nanoseconds, frame), in that order) from one
/// nanosecond pcap into a new store as sensor s1: the summary and the
/// store's manifest parts as (part suffix after the main part, days).
fn replay(records: &[(u32, u32, Vec<u8>)]) -> (Value, Vec<(String, Value)>) {
    let dir = tempfile::tempdir().expect("temp dir");
    replay_into(&dir.path().join("store"), records)
}

/// [`replay`] into `store`.
fn replay_into(store: &std::path::Path, records: &[(u32, u32, Vec<u8>)]) -> (Value, Vec<(String, Value)>) {
    let mut pcap = Pcap::new(LINKTYPE_ETHERNET);
    pcap.nanos = true;
    for (secs, nanos, frame) in records {
        pcap.record(*secs, *nanos, frame, frame.len() as u32);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = write_temp(dir.path(), "late.pcap", &pcap.bytes());
    let (capture, store_arg) = (capture.to_string_lossy().into_owned(), store.to_string_lossy().into_owned());
    let args = ["replay", &capture, "--darknet", "198.18.0.0/24", "--store", &store_arg, "--sensor", "s1"];
    let out = ok(&[&args[..], &["--summary-json", "-", "-q"]].concat());
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    let manifest: Value = common::store::manifest(store);
    let parts = manifest["parts"].as_array().expect("parts");
    let main = parts[0]["part"].as_str().expect("part name").to_string();
    let parts = parts
        .iter()
        .map(|p| (p["part"].as_str().expect("part name").trim_start_matches(&main).to_string(), p["days"].clone()))
        .collect();
    (summary, parts)
}

#[test]
fn a_day_closes_on_a_record_just_past_its_closing_time() {
    let (a, b, c) = ([203, 0, 113, 1], [203, 0, 113, 2], [203, 0, 113, 3]);
    let (_, parts) = replay(&[
        (T0 + 12 * HOUR, 0, syn_frame(a, 1, 1)),
        // One nanosecond past 2024-01-02 01:00: day 1 closes.
        (T0 + DAY + HOUR, 1, syn_frame(b, 1, 1)),
        (T0 + 13 * HOUR, 0, syn_frame(c, 1, 1)),
    ]);
    assert_eq!(
        parts,
        vec![("".into(), json!(["2024-01-01", "2024-01-02"])), ("x1".into(), json!(["2024-01-01"]))],
        "the 13:00 record came after day 1 closed: an extra part"
    );
}

#[test]
fn a_day_closes_after_an_outage_over_midnight() {
    let (a, b, c) = ([203, 0, 113, 1], [203, 0, 113, 2], [203, 0, 113, 3]);
    let (summary, parts) = replay(&[
        (T0 + 12 * HOUR, 0, syn_frame(a, 1, 1)),
        // Nothing from 12:00 to 05:00 the next day.
        (T0 + DAY + 5 * HOUR, 0, syn_frame(b, 1, 1)),
        (T0 + 13 * HOUR, 0, syn_frame(c, 1, 1)),
        (T0 + DAY + 6 * HOUR, 0, syn_frame(b, 1, 1)),
    ]);
    assert_eq!(parts, vec![("".into(), json!(["2024-01-01", "2024-01-02"])), ("x1".into(), json!(["2024-01-01"]))]);
    assert_eq!(summary["days"], json!({"2024-01-01": 2, "2024-01-02": 2}));
}

#[test]
fn a_day_still_open_takes_records_from_the_next_days_first_hour() {
    let (a, b, c) = ([203, 0, 113, 1], [203, 0, 113, 2], [203, 0, 113, 3]);
    let (_, parts) = replay(&[
        (T0 + 12 * HOUR, 0, syn_frame(a, 1, 1)),
        // Exactly 01:00 is not past the closing time.
        (T0 + DAY + HOUR, 0, syn_frame(b, 1, 1)),
        (T0 + 13 * HOUR, 0, syn_frame(c, 1, 1)),
    ]);
    assert_eq!(parts, vec![("".into(), json!(["2024-01-01", "2024-01-02"]))], "no extra part");
}

/// DESIGN.md: a source earns a tool label for a day when it sent a SYN and
/// every SYN it sent that day matches, decided over all its records. Source
/// a sends a mirai SYN (sequence = destination) before day 1 closes and one
/// after (an extra part): mirai once. Source c sends a plain SYN before and
/// a mirai SYN after: no label, though the extra part alone would say mirai.
#[test]
fn tool_labels_are_decided_per_source_day_across_parts() {
    let (a, b, c) = ([203, 0, 113, 1], [203, 0, 113, 2], [203, 0, 113, 3]);
    let mirai_seq = u32::from_be_bytes(DST);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let (summary, parts) = replay_into(
        &store,
        &[
            (T0 + 10 * HOUR, 0, syn_frame(a, 1, mirai_seq)),
            (T0 + 11 * HOUR, 0, syn_frame(c, 1, 7)),
            (T0 + DAY + 2 * HOUR, 0, syn_frame(b, 1, 7)),
            (T0 + 20 * HOUR, 0, syn_frame(a, 1, mirai_seq)),
            (T0 + 21 * HOUR, 0, syn_frame(c, 1, mirai_seq)),
        ],
    );
    assert_eq!(parts.len(), 2, "a main and an extra part: {parts:?}");
    assert_eq!(summary["tool_labels"], json!({"mirai": 1, "masscan": 0, "zmap": 0}));
    assert_eq!(summary["fingerprints"]["mirai"], 3);

    let got = common::python::json("store/tool_labels.py", &[&store]);
    let day1 = |src: &str| got["labels"][format!("2024-01-01 {src}")].clone();
    assert_eq!((day1("203.0.113.1"), day1("203.0.113.3")), (json!("mirai"), Value::Null), "{got:#}");
    assert_eq!(got["labels"]["2024-01-02 203.0.113.2"], Value::Null);
    // Each part's own column says what that part's records alone say.
    let per_part: Vec<&Value> = got["per_part"]
        .as_object()
        .expect("rows")
        .iter()
        .filter_map(|(k, v)| k.starts_with("2024-01-01 203.0.113.3 ").then_some(v))
        .collect();
    assert_eq!(per_part.len(), 2, "{got:#}");
    assert!(per_part.contains(&&json!("mirai")) && per_part.contains(&&Value::Null), "{got:#}");
}
