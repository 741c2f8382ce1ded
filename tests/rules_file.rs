//! DESIGN.md "Records" (capture file formats), one test per rule: pcapng
//! with two sections of different byte order and interfaces of different
//! link types and timestamp resolutions (tsresol 6, 9, 2^-10, tsoffset),
//! nanosecond pcap at a day edge, FCS bits in the link-type field, Kuznetzov's
//! modified pcap, and a file cut mid-record. Every expected number is counted
//! by hand from what the test builds.

mod common;
mod rules_support;

use common::capture::*;
use rules_support::*;
use serde_json::json;

fn epb(ng: &mut Pcapng, if_id: u32, ticks: u64, data: &[u8]) {
    ng.epb(if_id, ticks, data, data.len() as u32);
}

#[test]
fn pcapng_two_sections_mixed_interfaces_and_resolutions() {
    let dir = tempfile::tempdir().unwrap();
    let last = u64::from(T0 + DAY - 1); // 2024-01-01 23:59:59
    let next = u64::from(T0 + DAY); // 2024-01-02 00:00:00
    let mut ng = Pcapng::new();
    // Section 1, little-endian: Ethernet in µs (tsresol 6), raw IP in ns.
    ng.section(true)
        .interface(LINKTYPE_ETHERNET as u16, 65_535, Some(6), None)
        .interface(LINKTYPE_RAW as u16, 65_535, Some(9), None)
        .nrb()
        .custom(32_473);
    epb(&mut ng, 0, last * 1_000_000 + 900_000, &eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &udp4(100)));
    epb(&mut ng, 0, next * 1_000_000 + 100_000, &eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &udp4(100)));
    epb(&mut ng, 1, last * 1_000_000_000 + 900_000_000, &udp6(101));
    epb(&mut ng, 1, next * 1_000_000_000 + 100_000_000, &udp6(101));
    // Section 2, big-endian: raw IPv4 in 2^-10 s counted from a tsoffset of
    // T0, and SLL with the default resolution (µs).
    ng.section(false).interface(LINKTYPE_IPV4 as u16, 65_535, Some(0x8a), Some(i64::from(T0))).interface(
        LINKTYPE_LINUX_SLL as u16,
        65_535,
        None,
        None,
    );
    // 86399 + 922/1024 s = 23:59:59.9004; 86400 + 102/1024 s = 00:00:00.0996.
    epb(&mut ng, 0, 86_399 * 1024 + 922, &udp4(102));
    epb(&mut ng, 0, 86_400 * 1024 + 102, &udp4(102));
    epb(&mut ng, 1, last * 1_000_000 + 900_000, &sll(ETHERTYPE_IPV4, &udp4(103)));
    epb(&mut ng, 1, next * 1_000_000 + 100_000, &sll(ETHERTYPE_IPV4, &udp4(103)));
    // And a third day from the 2^-10 interface.
    epb(&mut ng, 0, (86_400 * 2 + 5) * 1024, &udp4(102));
    let f = write_temp(dir.path(), "two-sections.pcapng", &ng.bytes());
    let v = replay_net(&f);
    expect_counts(&v, [9, 7, 2, 0, 0, 9, 0, 0]);
    expect(
        &v,
        json!({
            "days": {"2024-01-01": 4, "2024-01-02": 4, "2024-01-03": 1},
            "dst_ports": {"udp/100": 2, "udp/101": 2, "udp/102": 3, "udp/103": 2},
        }),
    );
}

#[test]
fn nanosecond_pcap_day_edge_both_byte_orders() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for le in [true, false] {
        let mut p = Pcap { le, nanos: true, ..Pcap::new(LINKTYPE_RAW) };
        let a = udp4(53);
        p.record(T0 + DAY - 1, 999_999_999, &a, a.len() as u32);
        p.record(T0 + DAY, 0, &a, a.len() as u32);
        p.record(T0 + DAY, 1, &a, a.len() as u32);
        files.push(write_temp(dir.path(), &format!("ns-{le}.pcap"), &p.bytes()));
    }
    let v = replay(&[&files[0], &files[1]], &["--darknet", NET]);
    expect_counts(&v, [6, 6, 0, 0, 0, 6, 0, 0]);
    expect(&v, json!({"days": {"2024-01-01": 2, "2024-01-02": 4}}));
}

#[test]
fn fcs_bits_strip_the_fcs_only_when_announced() {
    let dir = tempfile::tempdir().unwrap();
    let fcs = [0xde, 0xad, 0xbe, 0xef];
    let with_fcs = |frame: &[u8]| [frame, &fcs[..]].concat();
    let full = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &udp4(8000));
    // 10 bytes of TCP + FCS: 14 bytes only if the FCS were taken as TCP.
    let syn = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &syn4(8001));
    let syn_cut = &syn[..14 + 20 + 10];
    // 18 bytes of IPv4 header + FCS: 22 bytes only if the FCS were kept.
    let ip_cut = &full[..14 + 18];
    let mut p = Pcap::new(linktype_with_fcs(LINKTYPE_ETHERNET, 2));
    for (i, fr) in [with_fcs(&full), with_fcs(syn_cut), with_fcs(ip_cut)].iter().enumerate() {
        p.record(T0 + i as u32, 0, fr, fr.len() as u32);
    }
    let a = write_temp(dir.path(), "fcs.pcap", &p.bytes());
    // No FCS bit: a frame of eth + IP + 14 bytes of TCP is taken whole.
    let b = write_temp(dir.path(), "nofcs.pcap", &pcap_of(LINKTYPE_ETHERNET, true, &[syn[..14 + 20 + 14].to_vec()]));
    let v = replay(&[&a, &b], &["--darknet", NET]);
    expect_counts(&v, [4, 3, 0, 0, 1, 3, 0, 0]);
    expect(
        &v,
        json!({
            "protocols": {"tcp": 2, "udp": 1},
            "dst_ports": {"udp/8000": 1, "tcp/8001": 2},
            "tcp_flags": flags(1, 0, 0, 0, 0, 1),
            // IP total lengths: UDP 20 + 8 + 7, and the two SYNs 40 each.
            "bytes": 35 + 40 + 40,
        }),
    );
}

#[test]
fn modified_kuznetzov_pcap() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap { modified: true, ..Pcap::new(LINKTYPE_ETHERNET) };
    for (i, port) in [8100u16, 8101, 8101].into_iter().enumerate() {
        let f = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &syn4(port));
        p.record(T0 + i as u32, 0, &f, f.len() as u32);
    }
    let f = write_temp(dir.path(), "modified.pcap", &p.bytes());
    let v = replay_net(&f);
    expect_counts(&v, [3, 3, 0, 0, 0, 3, 0, 0]);
    expect(&v, json!({"dst_ports": {"tcp/8100": 1, "tcp/8101": 2}, "tcp_flags": flags(3, 0, 0, 0, 0, 0)}));
}

#[test]
fn file_cut_mid_record_keeps_earlier_records_and_warns_with_offset() {
    let dir = tempfile::tempdir().unwrap();
    let a = udp4(53); // 20 + 8 + 7 = 35 bytes
    let mut p = Pcap::new(LINKTYPE_RAW);
    for i in 0..4 {
        p.record(T0 + i, 0, &a, a.len() as u32);
    }
    let mut bytes = p.bytes();
    // The fourth record starts at 24 + 3 × (16 + 35) = 177; cut 10 bytes into its data.
    bytes.truncate(177 + 16 + 10);
    let f = write_temp(dir.path(), "cut.pcap", &bytes);
    let v = replay_net(&f);
    expect_counts(&v, [3, 3, 0, 0, 0, 3, 0, 0]);
    let w = input_warnings(&v, 0);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("177"), "the warning names the byte offset 177: {w:?}");
}

#[test]
fn pcapng_interface_ids_restart_in_each_section() {
    let dir = tempfile::tempdir().unwrap();
    let mut ng = Pcapng::new();
    ng.section(true).interface(LINKTYPE_ETHERNET as u16, 65_535, None, None).interface(
        LINKTYPE_RAW as u16,
        65_535,
        None,
        None,
    );
    let ts = u64::from(T0) * 1_000_000;
    epb(&mut ng, 0, ts, &eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &udp4(1)));
    epb(&mut ng, 1, ts, &udp4(2));
    // Section 2 has one interface, raw IPv6: interface 0 now means it, and
    // interface 1 no longer exists (malformed: no interface).
    ng.section(false).interface(LINKTYPE_IPV6 as u16, 65_535, None, None);
    epb(&mut ng, 0, ts, &udp6(3));
    epb(&mut ng, 1, ts, &udp4(4));
    let f = write_temp(dir.path(), "ids.pcapng", &ng.bytes());
    let v = replay_net(&f);
    expect_counts(&v, [4, 2, 1, 0, 1, 3, 0, 0]);
    expect(&v, json!({"dst_ports": {"udp/1": 1, "udp/2": 1, "udp/3": 1}}));
}

#[test]
fn raw_ipv4_link_type_rejects_ipv6_packets() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_temp(dir.path(), "v4.pcap", &pcap_of(LINKTYPE_IPV4, true, &[udp4(1), udp6(2)]));
    let b = write_temp(dir.path(), "v6.pcap", &pcap_of(LINKTYPE_IPV6, true, &[udp6(3), udp4(4)]));
    let v = replay(&[&a, &b], &["--darknet", NET, "--darknet", "2001:db8::/64"]);
    expect_counts(&v, [4, 1, 1, 0, 2, 2, 0, 0]);
    expect(&v, json!({"malformed_reasons": {"bad_version": 2}}));
}

#[test]
fn pcap_record_with_impossible_caplen_ends_the_file_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let a = udp4(53); // 35 bytes: records of 16 + 35 = 51
    let mut p = Pcap::new(LINKTYPE_RAW);
    p.record(T0, 0, &a, 35);
    p.record(T0 + 1, 0, &a, 35);
    // Third record (at 24 + 2 × 51 = 126) claims 0x7fff_fff0 bytes.
    p.record_with_caplen(T0 + 2, 0, 0x7fff_fff0, &a, 35);
    let f = write_temp(dir.path(), "bogus.pcap", &p.bytes());
    let v = replay_net(&f);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    let w = input_warnings(&v, 0);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("126"), "warning names byte 126: {w:?}");
}
