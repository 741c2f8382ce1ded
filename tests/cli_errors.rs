//! The command line's contract (DESIGN.md "Exit status", "Summary JSON"):
//! bad usage gives exit 2 and exactly one stderr line that names the culprit
//! and says what to do; a capture cut short, compressed inputs and a
//! directory with a stray file are no errors; `--summary-json -` has every
//! fixed key. Captures are built by hand with `tests/common/capture.rs`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::capture::*;
use serde_json::Value;

fn darkscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_darkscope")).args(args).output().expect("start darkscope")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 2, no panic, one stderr line holding the culprit and the hint.
fn assert_usage_error(args: &[&str], culprit: &str, hint: &str) {
    let out = darkscope(args);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert_eq!(out.status.code(), Some(2), "{args:?}: exit status, stderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?}: expected exactly one stderr line, got {lines:?}");
    assert!(lines[0].contains(culprit), "{args:?}: {:?} does not name {culprit:?}", lines[0]);
    assert!(lines[0].contains(hint), "{args:?}: {:?} lacks the hint {hint:?}", lines[0]);
}

/// `replay ARGS --summary-json - --quiet`: exit 0, no panic, the JSON.
fn summary(args: &[&str]) -> Value {
    let mut all = vec!["replay"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--summary-json", "-", "--quiet"]);
    let out = darkscope(&all);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{all:?} panicked: {err}");
    assert_eq!(out.status.code(), Some(0), "{all:?}: exit status, stderr: {err}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{all:?}: stdout is no JSON ({e})"))
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// An Ethernet/IPv4/TCP SYN from 203.0.113.7 to 198.18.0.5: 54 bytes.
fn syn(dport: u16) -> Vec<u8> {
    let seg = tcp(40000, dport, 1, 0, TCP_SYN, 1024, &[]);
    eth(
        MAC_DST,
        MAC_SRC,
        ETHERTYPE_IPV4,
        &ipv4(v4("203.0.113.7"), v4("198.18.0.5"), IPPROTO_TCP, &seg, Ipv4Opts::default()),
    )
}

/// An Ethernet/IPv4/UDP datagram with 4 payload bytes: 46 bytes.
fn udp_frame(dport: u16) -> Vec<u8> {
    let dgram = udp(5353, dport, &[1, 2, 3, 4]);
    eth(
        MAC_DST,
        MAC_SRC,
        ETHERTYPE_IPV4,
        &ipv4(v4("203.0.113.8"), v4("198.18.0.6"), IPPROTO_UDP, &dgram, Ipv4Opts::default()),
    )
}

/// Five records: tcp/23 twice, tcp/80, tcp/445, udp/53.
fn small_capture() -> Vec<u8> {
    let mut pcap = Pcap::new(LINKTYPE_ETHERNET);
    for (i, frame) in [syn(23), syn(23), syn(80), syn(445), udp_frame(53)].iter().enumerate() {
        pcap.record(1_700_000_000 + i as u32, 0, frame, frame.len() as u32);
    }
    pcap.bytes()
}

#[test]
fn missing_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.pcap");
    assert_usage_error(&["replay", p(&missing)], p(&missing), "check the path");
}

#[test]
fn a_text_file_is_no_capture() {
    let dir = tempfile::tempdir().unwrap();
    let text = write_temp(dir.path(), "notes.txt", b"this is not a capture\n");
    assert_usage_error(&["replay", p(&text)], p(&text), "pass pcap or pcapng");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write_temp(dir.path(), "a.pcap", &small_capture());
    assert_usage_error(&["replay", p(&cap), "--darknett", "1.2.3.0/24"], "--darknett", "'--darknet'");
}

#[test]
fn invalid_cidrs_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write_temp(dir.path(), "a.pcap", &small_capture());
    assert_usage_error(&["replay", p(&cap), "--darknet", "198.18.0.1/16"], "198.18.0.1/16", "198.18.0.0/16");
    assert_usage_error(&["replay", p(&cap), "--darknet", "1.2.3.4/40"], "1.2.3.4/40", "--help");
    assert_usage_error(&["replay", p(&cap), "--darknet", "banana"], "banana", "e.g.");
}

#[test]
fn a_glob_matching_nothing_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let pattern = format!("{}/*.pcap", p(dir.path()));
    assert_usage_error(&["replay", &pattern], &pattern, "check the pattern");
}

#[test]
fn a_capture_cut_short_keeps_its_complete_records() {
    let frame = syn(23);
    let len = frame.len();
    assert_eq!(len, 14 + 20 + 20);
    let mut pcap = Pcap::new(LINKTYPE_ETHERNET);
    for i in 0..3 {
        pcap.record(1_700_000_000 + i, 0, &frame, len as u32);
    }
    let bytes = pcap.bytes();
    assert_eq!(bytes.len(), 24 + 3 * (16 + len));
    // The third record starts after the file header and two whole records;
    // keep its 16-byte header and 10 of its 54 data bytes.
    let third = 24 + 2 * (16 + len);
    assert_eq!(third, 164);
    let dir = tempfile::tempdir().unwrap();
    let cut = write_temp(dir.path(), "cut.pcap", &bytes[..third + 16 + 10]);
    let j = summary(&[p(&cut)]);
    assert_eq!(j["records"], 2);
    assert_eq!(j["inputs"][0]["records"], 2);
    let warnings = j["inputs"][0]["warnings"].as_array().expect("warnings list");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = warnings[0].as_str().unwrap();
    assert!(w.contains("byte 164"), "warning does not name byte 164: {w}");
}

#[test]
fn compressed_copies_count_like_the_plain_capture() {
    let plain = small_capture();
    let dir = tempfile::tempdir().unwrap();
    let expected_ports = serde_json::json!({"tcp/23": 2, "tcp/80": 1, "tcp/445": 1, "udp/53": 1});
    // File names without a telling extension: compression is found by magic.
    for (name, bytes) in
        [("plain", plain.clone()), ("gz", gzip(&plain)), ("zst", zstd_compress(&plain)), ("xz", xz(&plain))]
    {
        let path = write_temp(dir.path(), &format!("capture-{name}.bin"), &bytes);
        let j = summary(&[p(&path)]);
        assert_eq!(j["records"], 5, "{name}");
        assert_eq!(j["dst_ports"], expected_ports, "{name}");
    }
}

#[test]
fn a_directory_reads_its_captures_and_skips_other_files() {
    let dir = tempfile::tempdir().unwrap();
    write_temp(dir.path(), "a.pcap", &small_capture());
    write_temp(dir.path(), "README.txt", b"captures of sensor 1\n");
    let j = summary(&[p(dir.path())]);
    assert_eq!(j["records"], 5);
    assert_eq!(j["inputs"].as_array().map(Vec::len), Some(1), "{}", j["inputs"]);
    let all_warnings = j.to_string();
    assert!(
        j["warnings"]
            .as_array()
            .is_some_and(|ws| ws.iter().any(|w| w.as_str().is_some_and(|w| w.contains("README.txt")))),
        "no warning about README.txt: {all_warnings}"
    );
}

#[test]
fn summary_json_has_every_fixed_key() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write_temp(dir.path(), "a.pcap", &small_capture());
    let j = summary(&[p(&cap), "--darknet", "198.18.0.0/16"]);
    assert_eq!(j["schema"], "darkscope.summary/1");
    for key in [
        "records",
        "ipv4",
        "ipv6",
        "non_ip",
        "malformed",
        "darknet_inside",
        "darknet_outside",
        "excluded",
        "inputs",
        "packets",
        "protocols",
        "dst_ports",
        "no_dst_port",
        "icmp_types",
        "tcp_flags",
        "backscatter",
        "fingerprints",
        "unique_sources",
        "days",
        "countries",
    ] {
        assert!(j.get(key).is_some(), "summary lacks {key:?}");
    }
    for (object, keys) in [
        ("no_dst_port", &["non_first_fragment", "truncated"][..]),
        ("tcp_flags", &["syn", "syn_ack", "rst", "rst_ack", "other", "unknown"][..]),
        ("backscatter", &["total"][..]),
        ("fingerprints", &["mirai", "zmap", "masscan"][..]),
    ] {
        for key in keys {
            assert!(j[object].get(key).is_some(), "summary lacks {object}.{key}");
        }
    }
    for key in ["path", "format", "link_types", "records", "warnings"] {
        assert!(j["inputs"][0].get(key).is_some(), "inputs[0] lacks {key:?}");
    }
    // Worked out by hand: 4 SYNs (tcp/23 ×2, 80, 445) and 1 UDP, all inside.
    assert_eq!(j["packets"], 5);
    assert_eq!(j["tcp_flags"]["syn"], 4);
    assert_eq!(j["protocols"], serde_json::json!({"tcp": 4, "udp": 1}));
    assert_eq!(j["unique_sources"], 2);
}

#[test]
fn help_exits_zero() {
    for args in [&["--help"][..], &["replay", "--help"][..]] {
        let out = darkscope(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("replay"), "{args:?}: no usage text");
    }
}

#[test]
fn a_config_file_key_that_names_no_flag_is_an_error_naming_it_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("capture.toml");
    std::fs::write(&config, "darknet = [\"198.18.0.0/16\"]\nbufer_mb = 64\n").unwrap();
    let path = config.to_string_lossy().into_owned();
    let out = common::cli::run(&["capture", "--iface", "lo", "--store", "/nonexistent", "--config", &path]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("unknown key 'bufer_mb'") && said.contains(&path) && said.contains("buffer-mb"), "{said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    // Not TOML at all: the file and the problem.
    std::fs::write(&config, "darknet = [").unwrap();
    let out = common::cli::run(&["report", "--store", "/nonexistent", "--config", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid TOML"));
}
