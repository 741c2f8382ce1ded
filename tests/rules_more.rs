//! More DESIGN.md rules, one test each: per-source-per-day tool labels and
//! their precedence, the fixed summary keys with no darknet traffic, the
//! no-`--darknet` warning, coverage cut at day ends and at `--max-gap`,
//! pcapng interface statistics taking precedence for coverage,
//! `--monitored` and the IPv6 "distinct destinations seen" basis, Ethernet
//! padding beyond the IPv4 total length, malformed IP headers, a packet
//! block with no interface, and BSD NULL's "either order accepted". Every
//! expected number is worked out by hand from what the test builds.

mod common;
mod rules_support;

use common::capture::*;
use rules_support::*;
use serde_json::json;

fn pcap_at(dir: &std::path::Path, name: &str, packets: &[(u32, Vec<u8>)]) -> std::path::PathBuf {
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (ts, pkt) in packets {
        p.record(*ts, 0, pkt, pkt.len() as u32);
    }
    write_temp(dir, name, &p.bytes())
}

fn syn_from(src: [u8; 4], id: u16, dport: u16, seq: u32) -> Vec<u8> {
    let opts = Ipv4Opts { id, ..Ipv4Opts::default() };
    ipv4(src, DST, IPPROTO_TCP, &tcp(40_000, dport, seq, 0, TCP_SYN, 1024, &[]), opts)
}

#[test]
fn tool_labels_per_source_and_day_with_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c, d, e, f) = ([10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 0, 3], [10, 0, 0, 4], [10, 0, 0, 5], [10, 0, 0, 6]);
    // masscan ID for dport 80, seq 0x11112222: 0x0005 ^ 0x0050 ^ 0x2222.
    let mid = 0x2277u16;
    let udp_zmap = ipv4(c, DST, IPPROTO_UDP, &udp(1, 53, b""), Ipv4Opts { id: 54321, ..Ipv4Opts::default() });
    let packets = vec![
        // Day 1. A: two mirai SYNs → mirai. Day 2: A sends a plain SYN → none.
        (T0 + 1, syn_from(a, 0x1234, 23, DST_U32)),
        (T0 + 2, syn_from(a, 0x1234, 2323, DST_U32)),
        (T0 + DAY + 1, syn_from(a, 0x1234, 23, 99)),
        // B: one mirai SYN and one plain SYN → none.
        (T0 + 3, syn_from(b, 0x1234, 23, DST_U32)),
        (T0 + 4, syn_from(b, 0x1234, 23, 5)),
        // C: zmap UDP only, no SYN → none.
        (T0 + 5, udp_zmap),
        // D: mirai and zmap in one SYN → mirai (precedence).
        (T0 + 6, syn_from(d, 54321, 23, DST_U32)),
        // E: masscan SYN that is also zmap? ID cannot be both; masscan SYNs → masscan.
        (T0 + 7, syn_from(e, mid, 80, 0x1111_2222)),
        (T0 + 8, syn_from(e, mid, 80, 0x1111_2222)),
        // F: zmap SYNs → zmap, on day 2.
        (T0 + DAY + 2, syn_from(f, 54321, 80, 0)),
    ];
    let path = pcap_at(dir.path(), "labels.pcap", &packets);
    let v = replay(&[&path], &["--darknet", NET]);
    expect_counts(&v, [10, 10, 0, 0, 0, 10, 0, 0]);
    expect(
        &v,
        json!({
            "tool_labels": {"mirai": 2, "masscan": 1, "zmap": 1},
            "fingerprints": {"mirai": 4, "zmap": 3, "masscan": 2},
            "unique_sources": 6,
            // Day 1: A B C D E = 5; day 2: A F = 2; mean 3.5.
            "unique_sources_per_day": 3.5,
            "days": {"2024-01-01": 8, "2024-01-02": 2},
        }),
    );
}

#[test]
fn fixed_keys_present_with_no_darknet_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let arp = eth(MAC_DST, MAC_SRC, ETHERTYPE_ARP, &[0u8; 28]);
    let outside = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &ipv4(SRC, [192, 0, 2, 1], 6, &[], Ipv4Opts::default()));
    let f = write_temp(dir.path(), "arp.pcap", &pcap_of(LINKTYPE_ETHERNET, true, &[arp.clone(), arp, outside]));
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [3, 1, 0, 2, 0, 0, 1, 0]);
    expect(
        &v,
        json!({
            "protocols": {}, "dst_ports": {}, "icmp_types": {}, "days": {}, "countries": {},
            "no_dst_port": no_port(0, 0),
            "tcp_flags": flags(0, 0, 0, 0, 0, 0),
            "backscatter": {"total": 0},
            "fingerprints": {"mirai": 0, "zmap": 0, "masscan": 0},
            "unique_sources": 0,
            "schema": "darkscope.summary/1",
        }),
    );
}

#[test]
fn no_darknet_means_everything_inside_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_temp(dir.path(), "any.pcap", &pcap_of(LINKTYPE_RAW, true, &[udp4(1), udp6(2)]));
    let v = replay(&[&f], &[]);
    expect_counts(&v, [2, 1, 1, 0, 0, 2, 0, 0]);
    let warnings = v["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().contains("--darknet"), "{warnings:?}");
    // No --darknet: monitored = distinct destinations seen (DST and DST6).
    expect(&v, json!({"monitored_addresses": {"count": 2, "basis": "distinct_destinations_seen"}}));
}

#[test]
fn coverage_is_cut_at_day_ends_and_at_max_gap() {
    let dir = tempfile::tempdir().unwrap();
    let mut packets = Vec::new();
    // 23:55:00 … 00:05:00 every 60 s: 300 s on each side of midnight.
    for k in 0..=10u32 {
        packets.push((T0 + DAY - 300 + 60 * k, udp4(53)));
    }
    // Day 3: at 00:00, 00:01:00, 00:03:01 with --max-gap 60: the first gap
    // (60 s, not longer) counts, the second (121 s) is an outage.
    for t in [0, 60, 181] {
        packets.push((T0 + 2 * DAY + t, udp4(53)));
    }
    let f = pcap_at(dir.path(), "cov.pcap", &packets);
    let v = replay(&[&f], &["--darknet", NET, "--max-gap", "60"]);
    expect(&v, json!({"days": {"2024-01-01": 5, "2024-01-02": 6, "2024-01-03": 3}}));
    let cov = &v["coverage_seconds"];
    assert_eq!(cov["2024-01-01"].as_f64(), Some(300.0), "{cov}");
    assert_eq!(cov["2024-01-02"].as_f64(), Some(300.0), "{cov}");
    assert_eq!(cov["2024-01-03"].as_f64(), Some(60.0), "{cov}");
    // address-days = 660/86400 × 256; rate = 14 / that = 14 × 86400 / 168960.
    let rate = v["packets_per_ip_day"].as_f64().unwrap();
    assert!((rate - 14.0 * 86_400.0 / (660.0 * 256.0)).abs() < 1e-9, "{rate}");
}

#[test]
fn pcapng_interface_statistics_take_precedence_for_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let us = |s: u32| u64::from(s) * 1_000_000;
    let mut ng = Pcapng::new();
    ng.section(true).interface(LINKTYPE_RAW as u16, 65_535, None, None);
    for t in [100u32, 200] {
        let p = udp4(53);
        ng.epb(0, us(T0 + t), &p, p.len() as u32);
    }
    // The interface ran from 00:00:00 to 01:00:00.
    ng.isb(0, us(T0), us(T0 + 3600));
    let f = write_temp(dir.path(), "isb.pcapng", &ng.bytes());
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    assert_eq!(v["coverage_seconds"]["2024-01-01"].as_f64(), Some(3600.0), "{v:#}");
}

#[test]
fn monitored_flag_and_ipv6_basis() {
    let dir = tempfile::tempdir().unwrap();
    let to6 = |d: &str| ipv6(v6(SRC6), v6(d), IPPROTO_UDP, &udp(1, 2, b""), &[]);
    let frames = vec![to6("2001:db8::1"), to6("2001:db8::2"), to6("2001:db8::1"), to6("2001:db8:1::1")];
    let f = write_temp(dir.path(), "v6.pcap", &pcap_of(LINKTYPE_RAW, true, &frames));
    let v = replay(&[&f], &["--darknet", "2001:db8::/64"]);
    expect_counts(&v, [4, 0, 4, 0, 0, 3, 1, 0]);
    expect(&v, json!({"monitored_addresses": {"count": 2, "basis": "distinct_destinations_seen"}}));
    let v = replay(&[&f], &["--darknet", "2001:db8::/64", "--monitored", "1000"]);
    expect(&v, json!({"monitored_addresses": {"count": 1000, "basis": "monitored_flag"}}));
}

#[test]
fn ethernet_padding_is_not_l4() {
    let dir = tempfile::tempdir().unwrap();
    // IPv4 total length 22: 2 bytes of TCP; the frame is padded to 60 bytes
    // with zeros that must not be read as the port and flags.
    let mut ip = ipv4(SRC, DST, IPPROTO_TCP, &tcp(40_000, 80, 1, 0, TCP_SYN, 1, &[])[..2], Ipv4Opts::default());
    ip.resize(60 - 14, 0);
    // UDP with total length 28 (8 bytes of UDP), padded: port counted once.
    let mut u = ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, 7, b""), Ipv4Opts::default());
    u.resize(60 - 14, 0);
    let frames = vec![eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &ip), eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &u)];
    let f = write_temp(dir.path(), "pad.pcap", &pcap_of(LINKTYPE_ETHERNET, true, &frames));
    let v = replay_net(&f);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    expect(
        &v,
        json!({"dst_ports": {"udp/7": 1}, "no_dst_port": no_port(0, 1), "tcp_flags": flags(0, 0, 0, 0, 0, 1),
               "bytes": 22 + 28}),
    );
}

#[test]
fn malformed_ip_headers_and_packet_block_without_interface() {
    let dir = tempfile::tempdir().unwrap();
    let good = udp4(9);
    let mut bad_version = good.clone();
    bad_version[0] = 0x55; // version 5
    let mut bad_ihl = good.clone();
    bad_ihl[0] = 0x44; // IHL 4 (16 bytes) < 20
    // IHL 15 (60 bytes) beyond the 35 captured: the destination is still
    // decodable, so (DESIGN.md: malformed = not decodable as far as the IP
    // destination) it is an IPv4 packet whose UDP port was not captured.
    let mut ihl_too_long = good.clone();
    ihl_too_long[0] = 0x4f;
    let short6 = udp6(9)[..39].to_vec(); // IPv6 header cut before the destination ends
    let a = write_temp(
        dir.path(),
        "bad.pcap",
        &pcap_of(LINKTYPE_RAW, true, &[good.clone(), bad_version, bad_ihl, ihl_too_long, short6]),
    );
    let mut ng = Pcapng::new();
    ng.section(true).interface(LINKTYPE_RAW as u16, 65_535, None, None);
    ng.epb(0, u64::from(T0) * 1_000_000, &good, good.len() as u32);
    ng.epb(1, u64::from(T0) * 1_000_000, &good, good.len() as u32); // no interface 1
    let b = write_temp(dir.path(), "noif.pcapng", &ng.bytes());
    let v = replay(&[&a, &b], &["--darknet", NET]);
    expect_counts(&v, [7, 3, 0, 0, 4, 3, 0, 0]);
    expect(
        &v,
        json!({
            "dst_ports": {"udp/9": 2},
            "no_dst_port": no_port(0, 1),
            "malformed_reasons": {"bad_version": 1, "bad_header_length": 1, "ip_truncated": 1, "no_interface": 1},
        }),
    );
}

#[test]
fn bsd_null_family_in_either_byte_order_within_one_file() {
    let dir = tempfile::tempdir().unwrap();
    // A little-endian file whose records carry the family in both orders.
    let frames = vec![null_le(AF_INET, &udp4(1)), null_be(AF_INET, &udp4(2)), null_be(AF_INET6_DARWIN, &udp6(3))];
    let f = write_temp(dir.path(), "mixed-null.pcap", &pcap_of(LINKTYPE_NULL, true, &frames));
    let v = replay_net(&f);
    expect_counts(&v, [3, 2, 1, 0, 0, 3, 0, 0]);
    expect(&v, json!({"dst_ports": {"udp/1": 1, "udp/2": 1, "udp/3": 1}}));
}

#[test]
fn icmp_cut_before_its_type_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let p = ipv4(SRC, DST, IPPROTO_ICMP, &icmp(8, 0, [0; 4], b""), Ipv4Opts::default());
    let mut pc = Pcap::new(LINKTYPE_RAW);
    pc.record(T0, 0, &p[..20], p.len() as u32);
    pc.record(T0 + 1, 0, &p[..21], p.len() as u32);
    let f = write_temp(dir.path(), "icmpcut.pcap", &pc.bytes());
    let v = replay_net(&f);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    expect(&v, json!({"protocols": {"icmp": 2}, "icmp_types": {"icmp/unknown": 1, "icmp/8": 1}}));
}

#[test]
fn a_darknet_of_both_families_monitors_its_ipv4_prefixes_and_the_ipv6_addresses_seen() {
    // --darknet 198.18.0.0/24 (256 addresses) and 2001:db8::/64: two IPv4
    // packets, then IPv6 packets to ::5 (twice), ::6 and ::7, one a minute
    // from 00:00 to 00:05. Monitored: 256 + 3 distinct IPv6 destinations;
    // address-days 300 s / 86,400 × 259; rate 6 ÷ that.
    let dir = tempfile::tempdir().unwrap();
    let to6 = |dst: &str| ipv6(v6(SRC6), v6(dst), IPPROTO_UDP, &udp(40_000, 53, b"payload"), &[]);
    let packets = vec![
        (T0, udp4(53)),
        (T0 + 60, udp4(53)),
        (T0 + 120, to6("2001:db8::5")),
        (T0 + 180, to6("2001:db8::5")),
        (T0 + 240, to6("2001:db8::6")),
        (T0 + 300, to6("2001:db8::7")),
    ];
    let f = pcap_at(dir.path(), "mixed.pcap", &packets);
    let v = replay(&[&f], &["--darknet", NET, "--darknet", "2001:db8::/64"]);
    expect_counts(&v, [6, 2, 4, 0, 0, 6, 0, 0]);
    expect(&v, json!({"monitored_addresses": {"count": 259, "basis": "darknet_prefixes_and_distinct_ipv6_seen"}}));
    let address_days = 300.0 / 86_400.0 * 259.0;
    let got = v["address_days"].as_f64().unwrap();
    assert!((got - address_days).abs() < 1e-9, "{got}");
    let rate = v["packets_per_ip_day"].as_f64().unwrap();
    assert!((rate - 6.0 / address_days).abs() < 1e-9, "{rate}");
}
