//! Shared helpers of the `rules_*` tests: run `darkscope replay` on a built
//! capture, parse its summary JSON, and compare it with hand-computed values.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value, json};

use crate::common::capture::*;

/// 2024-01-01T00:00:00Z.
pub const T0: u32 = 1_704_067_200;
/// One day in seconds.
pub const DAY: u32 = 86_400;
/// The darknet most tests use, and addresses inside / outside it.
pub const NET: &str = "198.18.0.0/24";
pub const DST: [u8; 4] = [198, 18, 0, 5];
pub const DST_U32: u32 = 0xC612_0005;
pub const SRC: [u8; 4] = [203, 0, 113, 9];
pub const SRC6: &str = "2001:db8:ffff::9";
pub const DST6: &str = "2001:db8::5";

/// `darkscope replay <inputs> <extra> --summary-json -`: asserts exit 0 and
/// returns the parsed summary.
pub fn replay(inputs: &[&Path], extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_darkscope"))
        .arg("replay")
        .args(inputs)
        .args(extra)
        .args(["--summary-json", "-", "--quiet"])
        .output()
        .expect("running darkscope");
    assert!(out.status.success(), "darkscope replay failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("summary JSON does not parse: {e}\n{}", String::from_utf8_lossy(&out.stdout)));
    check_invariants(&v);
    v
}

/// `replay` with `--darknet NET` (v4 /24 and the v6 /64 of DST6).
pub fn replay_net(input: &Path) -> Value {
    replay(&[input], &["--darknet", NET, "--darknet", "2001:db8::/64"])
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} is not a count in {v:#}"))
}

fn sum(v: &Value) -> u64 {
    v.as_object().map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
}

/// DESIGN.md: the counters always add up.
pub fn check_invariants(v: &Value) {
    assert_eq!(n(v, "records"), n(v, "ipv4") + n(v, "ipv6") + n(v, "non_ip") + n(v, "malformed"), "records");
    assert_eq!(n(v, "darknet_inside") + n(v, "darknet_outside") + n(v, "excluded"), n(v, "ipv4") + n(v, "ipv6"));
    let tcp = v["protocols"]["tcp"].as_u64().unwrap_or(0);
    let udp = v["protocols"]["udp"].as_u64().unwrap_or(0);
    assert_eq!(sum(&v["tcp_flags"]), tcp, "tcp_flags sum to protocols.tcp: {v:#}");
    assert_eq!(sum(&v["dst_ports"]) + sum(&v["no_dst_port"]), tcp + udp, "ports + no_dst_port = tcp + udp");
}

/// Every key of `expected` equals the summary's value exactly.
pub fn expect(v: &Value, expected: Value) {
    for (key, want) in expected.as_object().expect("expected is an object") {
        assert_eq!(&v[key], want, "summary key {key:?} (whole summary: {v:#})");
    }
}

/// The top-level record counters, checked exactly:
/// (records, ipv4, ipv6, non_ip, malformed, inside, outside, excluded).
pub fn expect_counts(v: &Value, c: [u64; 8]) {
    expect(
        v,
        json!({"records": c[0], "ipv4": c[1], "ipv6": c[2], "non_ip": c[3], "malformed": c[4],
               "darknet_inside": c[5], "darknet_outside": c[6], "excluded": c[7], "packets": c[5]}),
    );
}

/// A `tcp_flags` object with every class present.
pub fn flags(syn: u64, syn_ack: u64, rst: u64, rst_ack: u64, other: u64, unknown: u64) -> Value {
    json!({"syn": syn, "syn_ack": syn_ack, "rst": rst, "rst_ack": rst_ack, "other": other, "unknown": unknown})
}

/// `no_dst_port` with both keys.
pub fn no_port(non_first_fragment: u64, truncated: u64) -> Value {
    json!({"non_first_fragment": non_first_fragment, "truncated": truncated})
}

/// A count map from pairs (zero entries are left out, as the contract says).
pub fn counts(pairs: &[(&str, u64)]) -> Value {
    let mut m = Map::new();
    for (k, c) in pairs {
        if *c > 0 {
            m.insert((*k).to_string(), json!(c));
        }
    }
    Value::Object(m)
}

/// Warnings of input `i`.
pub fn input_warnings(v: &Value, i: usize) -> Vec<String> {
    v["inputs"][i]["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("inputs[{i}].warnings missing: {v:#}"))
        .iter()
        .map(|w| w.as_str().unwrap_or_default().to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// Packet and file builders shared by the rules_* tests
// ---------------------------------------------------------------------------

/// IPv4 UDP from SRC to DST (in NET), source port 40000, 7 payload bytes.
pub fn udp4(dport: u16) -> Vec<u8> {
    ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, dport, b"payload"), Ipv4Opts::default())
}

/// IPv6 UDP from SRC6 to DST6 (in 2001:db8::/64), 7 payload bytes.
pub fn udp6(dport: u16) -> Vec<u8> {
    ipv6(v6(SRC6), v6(DST6), IPPROTO_UDP, &udp(40_000, dport, b"payload"), &[])
}

/// IPv4 TCP SYN from SRC to DST, seq 7, no options (40 bytes).
pub fn syn4(dport: u16) -> Vec<u8> {
    ipv4(SRC, DST, IPPROTO_TCP, &tcp(40_000, dport, 7, 0, TCP_SYN, 1024, &[]), Ipv4Opts::default())
}

/// A pcap of `linktype` whose records are `frames`, one second apart from T0.
pub fn pcap_of(linktype: u32, le: bool, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut p = Pcap { le, ..Pcap::new(linktype) };
    for (i, f) in frames.iter().enumerate() {
        p.record(T0 + i as u32, 0, f, f.len() as u32);
    }
    p.bytes()
}

/// A raw-IP (101) pcap of `packets`, one second apart from T0, in a new
/// temporary directory (kept alive by the returned guard).
pub fn raw_pcap(name: &str, packets: &[Vec<u8>]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (i, pkt) in packets.iter().enumerate() {
        p.record(T0 + i as u32, 0, pkt, pkt.len() as u32);
    }
    let f = write_temp(dir.path(), name, &p.bytes());
    (dir, f)
}

/// A raw-IP pcap whose records keep only `caplen` bytes of each packet
/// (orig_len stays the full length, as a snaplen would leave it).
pub fn raw_pcap_cut(name: &str, packets: &[(Vec<u8>, usize)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (i, (pkt, caplen)) in packets.iter().enumerate() {
        p.record(T0 + i as u32, 0, &pkt[..*caplen], pkt.len() as u32);
    }
    let f = write_temp(dir.path(), name, &p.bytes());
    (dir, f)
}

/// IPv4 TCP from SRC to DST with these flags, seq 7, no options.
pub fn tcp4(dport: u16, flags: u8) -> Vec<u8> {
    ipv4(SRC, DST, IPPROTO_TCP, &tcp(40_000, dport, 7, 0, flags, 1024, &[]), Ipv4Opts::default())
}

/// IPv6 TCP SYN from SRC6 to DST6 through the extension headers `ext`.
pub fn tcp6(dport: u16, ext: &[Ext]) -> Vec<u8> {
    ipv6(v6(SRC6), v6(DST6), IPPROTO_TCP, &tcp(40_000, dport, 7, 0, TCP_SYN, 1024, &[]), ext)
}
