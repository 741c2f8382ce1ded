//! Edge cases of DESIGN.md's rules, one test each: the obsolete pcapng
//! Packet Block, a pcapng file cut mid-block, IPv6 atomic fragments, non-IP
//! frames under VLAN tags / 802.3 LLC / unknown NULL families, Ethernet
//! frames too short for their header, protocol names of other upper layers,
//! FCS bits in a big-endian modified pcap, and every ICMP/ICMPv6 backscatter
//! type. Every expected number is worked out by hand from what the test
//! builds.

mod common;
mod rules_support;

use common::capture::*;
use rules_support::*;
use serde_json::json;

#[test]
fn obsolete_packet_block_is_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = udp4(77);
    let mut ng = Pcapng::new();
    ng.section(true).interface(LINKTYPE_RAW as u16, 65_535, None, None);
    ng.obsolete_pb(0, u64::from(T0) * 1_000_000, &p, p.len() as u32);
    ng.epb(0, u64::from(T0 + DAY) * 1_000_000, &p, p.len() as u32);
    let f = write_temp(dir.path(), "opb.pcapng", &ng.bytes());
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    expect(&v, json!({"days": {"2024-01-01": 1, "2024-01-02": 1}, "dst_ports": {"udp/77": 2}}));
}

#[test]
fn pcapng_cut_mid_block_keeps_earlier_records() {
    let dir = tempfile::tempdir().unwrap();
    let p = udp4(78);
    let mut ng = Pcapng::new();
    ng.section(true).interface(LINKTYPE_RAW as u16, 65_535, None, None);
    for i in 0..3u64 {
        ng.epb(0, (u64::from(T0) + i) * 1_000_000, &p, p.len() as u32);
    }
    let mut bytes = ng.bytes();
    // SHB 28 bytes, IDB 20, EPB 32 + 36 (35 padded) = 68 each: the third
    // EPB starts at 28 + 20 + 2 × 68 = 184; cut 20 bytes into it.
    assert_eq!(bytes.len(), 28 + 20 + 3 * 68);
    bytes.truncate(184 + 20);
    let f = write_temp(dir.path(), "cut.pcapng", &bytes);
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    let w = input_warnings(&v, 0);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("184"), "warning names byte 184: {w:?}");
}

#[test]
fn ipv6_atomic_fragment_counts_its_port() {
    let dir = tempfile::tempdir().unwrap();
    let atomic = Ext::Fragment { offset_units: 0, more: false, id: 1 };
    let p = ipv6(v6(SRC6), v6(DST6), IPPROTO_UDP, &udp(1, 4500, b"ike"), &[atomic]);
    let f = write_temp(dir.path(), "atomic.pcap", &pcap_of(LINKTYPE_RAW, true, &[p]));
    let v = replay_net(&f);
    expect(&v, json!({"dst_ports": {"udp/4500": 1}, "no_dst_port": no_port(0, 0)}));
}

#[test]
fn non_ip_frames_and_short_frames() {
    let dir = tempfile::tempdir().unwrap();
    let arp = [0u8; 28];
    // 802.3 length field (46) and an LLC/SNAP header: not IP.
    let mut llc = eth(MAC_DST, MAC_SRC, 46, &[0xaa, 0xaa, 3, 0, 0, 0]);
    llc.resize(60, 0);
    let eth_frames = vec![
        eth_vlan(&[(TPID_8021Q, 5)], ETHERTYPE_ARP, &arp),
        eth_vlan(&[(TPID_8021AD, 5), (TPID_8021Q, 6)], ETHERTYPE_ARP, &arp),
        llc,
        eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &udp4(1))[..13].to_vec(), // link cut
        eth_vlan(&[(TPID_8021Q, 5)], ETHERTYPE_IPV4, &udp4(1))[..16].to_vec(), // tag cut
        eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &udp4(1)),
    ];
    let a = write_temp(dir.path(), "eth.pcap", &pcap_of(LINKTYPE_ETHERNET, true, &eth_frames));
    // BSD NULL with AF_UNIX (1) and AF 7: not IP.
    let null_frames = vec![null_le(1, &udp4(2)), null_le(7, &udp4(2)), null_le(AF_INET, &udp4(2))];
    let b = write_temp(dir.path(), "null.pcap", &pcap_of(LINKTYPE_NULL, true, &null_frames));
    let v = replay(&[&a, &b], &["--darknet", NET]);
    expect_counts(&v, [9, 2, 0, 5, 2, 2, 0, 0]);
    expect(&v, json!({"dst_ports": {"udp/1": 1, "udp/2": 1}}));
}

#[test]
fn other_upper_layer_protocol_names() {
    let dir = tempfile::tempdir().unwrap();
    let inner = udp4(9);
    let packets = vec![
        ipv4(SRC, DST, 4, &inner, Ipv4Opts::default()), // IP-in-IP
        ipv4(SRC, DST, IPPROTO_GRE, &[0, 0, 8, 0], Ipv4Opts::default()),
        ipv4(SRC, DST, 132, &[0; 12], Ipv4Opts::default()), // SCTP
        ipv4(SRC, DST, 253, &[], Ipv4Opts::default()),
    ];
    let f = write_temp(dir.path(), "protos.pcap", &pcap_of(LINKTYPE_RAW, true, &packets));
    let v = replay_net(&f);
    expect_counts(&v, [4, 4, 0, 0, 0, 4, 0, 0]);
    expect(&v, json!({"protocols": {"ip/4": 1, "gre": 1, "sctp": 1, "ip/253": 1}, "dst_ports": {}}));
}

#[test]
fn fcs_bits_in_a_big_endian_modified_pcap() {
    let dir = tempfile::tempdir().unwrap();
    let syn = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &syn4(443));
    let mut p = Pcap { le: false, modified: true, ..Pcap::new(linktype_with_fcs(LINKTYPE_ETHERNET, 2)) };
    // 13 bytes of TCP + a 4-byte FCS: stripped, the flags byte is missing.
    let cut = [&syn[..14 + 20 + 13], &[1, 2, 3, 4][..]].concat();
    let whole = [&syn[..], &[1, 2, 3, 4][..]].concat();
    p.record(T0, 0, &cut, cut.len() as u32);
    p.record(T0 + 1, 0, &whole, whole.len() as u32);
    let f = write_temp(dir.path(), "fcs-be-mod.pcap", &p.bytes());
    let v = replay_net(&f);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    expect(&v, json!({"dst_ports": {"tcp/443": 2}, "tcp_flags": flags(1, 0, 0, 0, 0, 1)}));
}

#[test]
fn every_icmp_backscatter_type() {
    let dir = tempfile::tempdir().unwrap();
    let quoted = ipv4(DST, [203, 0, 113, 60], IPPROTO_UDP, &udp(1, 2, b""), Ipv4Opts::default());
    let mut packets = Vec::new();
    // Backscatter: 0, 3, 4, 5, 11, 12, 14, 16, 18. Not: 8, 13, 15, 17, 9, 10.
    for t in [0u8, 3, 4, 5, 11, 12, 14, 16, 18, 8, 13, 15, 17, 9, 10] {
        let body = icmp(t, 0, [0; 4], &quoted);
        packets.push(ipv4(SRC, DST, IPPROTO_ICMP, &body, Ipv4Opts::default()));
    }
    let quoted6 = ipv6(v6(DST6), v6("2001:db8:ffff::60"), IPPROTO_UDP, &udp(1, 2, b""), &[]);
    // Backscatter: 1, 2, 3, 4, 129. Not: 128, 133, 135.
    for t in [1u8, 2, 3, 4, 129, 128, 133, 135] {
        let body = icmpv6(t, 0, [0; 4], &quoted6);
        packets.push(ipv6(v6(SRC6), v6(DST6), IPPROTO_ICMPV6, &body, &[]));
    }
    let f = write_temp(dir.path(), "icmpall.pcap", &pcap_of(LINKTYPE_RAW, true, &packets));
    let v = replay_net(&f);
    expect_counts(&v, [23, 15, 8, 0, 0, 23, 0, 0]);
    expect(
        &v,
        json!({
            "backscatter": {"total": 14, "icmp/0": 1, "icmp/3": 1, "icmp/4": 1, "icmp/5": 1, "icmp/11": 1,
                            "icmp/12": 1, "icmp/14": 1, "icmp/16": 1, "icmp/18": 1,
                            "icmpv6/1": 1, "icmpv6/2": 1, "icmpv6/3": 1, "icmpv6/4": 1, "icmpv6/129": 1},
            "dst_ports": {},
        }),
    );
}

#[test]
fn warning_when_almost_nothing_falls_inside() {
    let dir = tempfile::tempdir().unwrap();
    let outside = ipv4(SRC, [10, 0, 0, 1], IPPROTO_UDP, &udp(1, 2, b""), Ipv4Opts::default());
    // 199 outside + 1 inside: 0.5 % inside.
    let mut frames = vec![outside.clone(); 199];
    frames.push(udp4(3));
    let f = write_temp(dir.path(), "wrong.pcap", &pcap_of(LINKTYPE_RAW, true, &frames));
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [200, 200, 0, 0, 0, 1, 199, 0]);
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().contains(NET), "{warnings:?}");
    // Half inside: no warning.
    let mut frames = vec![outside; 100];
    frames.extend(std::iter::repeat_n(udp4(3), 100));
    let f = write_temp(dir.path(), "right.pcap", &pcap_of(LINKTYPE_RAW, true, &frames));
    let v = replay(&[&f], &["--darknet", NET]);
    expect_counts(&v, [200, 200, 0, 0, 0, 100, 100, 0]);
    assert_eq!(v["warnings"], json!([]), "{v:#}");
}

/// An IPv4 packet 203.0.113.9 → 198.18.0.5, an IPv6 one from
/// ::ffff:203.0.113.9 to 2001:db8::5 and an IPv6 one from 2001:db8:ffff::9
/// to ::ffff:198.18.0.5 (IPv4-mapped addresses, as IPv6 packets carry them).
fn mapped_capture(dir: &std::path::Path) -> std::path::PathBuf {
    let u6 = |src: &str, dst: &str| ipv6(v6(src), v6(dst), IPPROTO_UDP, &udp(1, 2, b""), &[]);
    let frames = vec![udp4(2), u6("::ffff:203.0.113.9", "2001:db8::5"), u6("2001:db8:ffff::9", "::ffff:198.18.0.5")];
    write_temp(dir, "mapped.pcap", &pcap_of(LINKTYPE_RAW, true, &frames))
}

#[test]
fn ipv4_mapped_ipv6_destinations_are_not_in_an_ipv4_darknet() {
    // DESIGN.md: the darknet is the given v4 and v6 prefixes. An IPv6
    // packet to ::ffff:198.18.0.5 is not addressed to the IPv4 darknet
    // 198.18.0.0/24 (nor to the v6 /64): outside.
    let dir = tempfile::tempdir().unwrap();
    let f = mapped_capture(dir.path());
    let v = replay(&[&f], &["--darknet", NET, "--darknet", "2001:db8::/64"]);
    expect_counts(&v, [3, 1, 2, 0, 0, 2, 1, 0]);
    // And an IPv6 prefix written in mapped form covers no IPv4 packet.
    let v = replay(&[&f], &["--darknet", "::ffff:198.18.0.0/120"]);
    expect_counts(&v, [3, 1, 2, 0, 0, 1, 2, 0]);
}

#[test]
fn ipv4_and_ipv4_mapped_ipv6_sources_are_distinct() {
    // "Distinct outer source addresses (v4 and v6)": 203.0.113.9,
    // ::ffff:203.0.113.9 and 2001:db8:ffff::9 are three.
    let dir = tempfile::tempdir().unwrap();
    let f = mapped_capture(dir.path());
    let v = replay(&[&f], &[]);
    expect_counts(&v, [3, 1, 2, 0, 0, 3, 0, 0]);
    expect(&v, json!({"unique_sources": 3}));
}
