//! DESIGN.md "Records" and "Link types", one test per rule: Ethernet with
//! 0–3 VLAN tags, SLL/SLL2 (with a VLAN tag), BSD NULL in both byte orders,
//! LOOP, raw IP link types, pcapng sections/interfaces/resolutions, ns pcap
//! day edges, FCS bits, modified pcap, unsupported link types, files cut
//! mid-record and `records = ipv4 + ipv6 + non_ip + malformed`. Every
//! expected number is counted by hand from what the test builds.

mod common;
mod rules_support;

use common::capture::*;
use rules_support::*;
use serde_json::json;

fn udp4(dport: u16) -> Vec<u8> {
    ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, dport, b"payload"), Ipv4Opts::default())
}

fn udp6(dport: u16) -> Vec<u8> {
    ipv6(v6(SRC6), v6(DST6), IPPROTO_UDP, &udp(40_000, dport, b"payload"), &[])
}

fn syn4(dport: u16) -> Vec<u8> {
    ipv4(SRC, DST, IPPROTO_TCP, &tcp(40_000, dport, 7, 0, TCP_SYN, 1024, &[]), Ipv4Opts::default())
}

/// A pcap of `linktype` whose records are `frames`, one second apart from T0.
fn pcap_of(linktype: u32, le: bool, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut p = Pcap { le, ..Pcap::new(linktype) };
    for (i, f) in frames.iter().enumerate() {
        p.record(T0 + i as u32, 0, f, f.len() as u32);
    }
    p.bytes()
}

#[test]
fn ethernet_with_zero_to_three_vlan_tags() {
    let dir = tempfile::tempdir().unwrap();
    let frames = vec![
        eth_vlan(&[], ETHERTYPE_IPV4, &udp4(1000)),
        eth_vlan(&[(TPID_8021Q, 10)], ETHERTYPE_IPV4, &udp4(1001)),
        eth_vlan(&[(TPID_8021AD, 20), (TPID_8021Q, 21)], ETHERTYPE_IPV4, &udp4(1002)),
        eth_vlan(&[(TPID_9100, 30), (TPID_8021AD, 31), (TPID_8021Q, 32)], ETHERTYPE_IPV4, &udp4(1003)),
        eth_vlan(&[(TPID_8021Q, 40), (TPID_8021Q, 41)], ETHERTYPE_IPV6, &udp6(1004)),
    ];
    let f = write_temp(dir.path(), "vlan.pcap", &pcap_of(LINKTYPE_ETHERNET, true, &frames));
    let v = replay_net(&f);
    expect_counts(&v, [5, 4, 1, 0, 0, 5, 0, 0]);
    expect(
        &v,
        json!({
            "protocols": {"udp": 5},
            "dst_ports": {"udp/1000": 1, "udp/1001": 1, "udp/1002": 1, "udp/1003": 1, "udp/1004": 1},
            "no_dst_port": no_port(0, 0),
        }),
    );
}

#[test]
fn linux_sll_and_sll2_with_vlan_after_cooked_header() {
    let dir = tempfile::tempdir().unwrap();
    // A VLAN tag after the cooked header: TCI, then the inner EtherType.
    let tagged = |payload: &[u8], ethertype: u16| {
        let mut t = 0x0064u16.to_be_bytes().to_vec();
        t.extend_from_slice(&ethertype.to_be_bytes());
        t.extend_from_slice(payload);
        t
    };
    let sll_frames = vec![
        sll(ETHERTYPE_IPV4, &udp4(2000)),
        sll(ETHERTYPE_IPV6, &udp6(2001)),
        sll(TPID_8021Q, &tagged(&udp4(2002), ETHERTYPE_IPV4)),
        sll(ETHERTYPE_ARP, &[0u8; 28]),
    ];
    let sll2_frames = vec![
        sll2(ETHERTYPE_IPV4, &udp4(3000)),
        sll2(ETHERTYPE_IPV6, &udp6(3001)),
        sll2(TPID_8021Q, &tagged(&udp6(3002), ETHERTYPE_IPV6)),
    ];
    let a = write_temp(dir.path(), "sll.pcap", &pcap_of(LINKTYPE_LINUX_SLL, true, &sll_frames));
    let b = write_temp(dir.path(), "sll2.pcap", &pcap_of(LINKTYPE_LINUX_SLL2, false, &sll2_frames));
    let v = replay(&[&a, &b], &["--darknet", NET, "--darknet", "2001:db8::/64"]);
    expect_counts(&v, [7, 3, 3, 1, 0, 6, 0, 0]);
    expect(
        &v,
        json!({
            "protocols": {"udp": 6},
            "dst_ports": {"udp/2000": 1, "udp/2001": 1, "udp/2002": 1,
                          "udp/3000": 1, "udp/3001": 1, "udp/3002": 1},
        }),
    );
}

#[test]
fn bsd_null_both_byte_orders_and_all_inet6_families() {
    let dir = tempfile::tempdir().unwrap();
    let frames = |null: fn(u32, &[u8]) -> Vec<u8>, base: u16| {
        vec![
            null(AF_INET, &udp4(base)),
            null(AF_INET6_BSD, &udp6(base + 1)),
            null(AF_INET6_FREEBSD, &udp6(base + 2)),
            null(AF_INET6_DARWIN, &udp6(base + 3)),
        ]
    };
    let le = write_temp(dir.path(), "null-le.pcap", &pcap_of(LINKTYPE_NULL, true, &frames(null_le, 4000)));
    let be = write_temp(dir.path(), "null-be.pcap", &pcap_of(LINKTYPE_NULL, false, &frames(null_be, 5000)));
    let v = replay(&[&le, &be], &["--darknet", NET, "--darknet", "2001:db8::/64"]);
    expect_counts(&v, [8, 2, 6, 0, 0, 8, 0, 0]);
    expect(
        &v,
        json!({"dst_ports": {"udp/4000": 1, "udp/4001": 1, "udp/4002": 1, "udp/4003": 1,
                             "udp/5000": 1, "udp/5001": 1, "udp/5002": 1, "udp/5003": 1}}),
    );
}

#[test]
fn loop_network_order() {
    let dir = tempfile::tempdir().unwrap();
    let frames = vec![loop_(AF_INET, &udp4(6000)), loop_(AF_INET6_BSD, &udp6(6001))];
    // LOOP is network order whatever the file's byte order.
    let f = write_temp(dir.path(), "loop.pcap", &pcap_of(LINKTYPE_LOOP, true, &frames));
    let v = replay_net(&f);
    expect_counts(&v, [2, 1, 1, 0, 0, 2, 0, 0]);
    expect(&v, json!({"dst_ports": {"udp/6000": 1, "udp/6001": 1}}));
}

#[test]
fn raw_ip_link_types() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, lt) in [LINKTYPE_RAW, LINKTYPE_RAW_12, LINKTYPE_RAW_14].into_iter().enumerate() {
        let base = 7000 + 10 * i as u16;
        let frames = vec![udp4(base), udp6(base + 1)];
        files.push(write_temp(dir.path(), &format!("raw{lt}.pcap"), &pcap_of(lt, true, &frames)));
    }
    files.push(write_temp(dir.path(), "v4.pcap", &pcap_of(LINKTYPE_IPV4, true, &[udp4(7100)])));
    files.push(write_temp(dir.path(), "v6.pcap", &pcap_of(LINKTYPE_IPV6, false, &[udp6(7101)])));
    let paths: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let v = replay(&paths, &["--darknet", NET, "--darknet", "2001:db8::/64"]);
    expect_counts(&v, [8, 4, 4, 0, 0, 8, 0, 0]);
    expect(
        &v,
        json!({"dst_ports": {"udp/7000": 1, "udp/7001": 1, "udp/7010": 1, "udp/7011": 1,
                             "udp/7020": 1, "udp/7021": 1, "udp/7100": 1, "udp/7101": 1}}),
    );
}

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
    ng.section(false)
        .interface(LINKTYPE_IPV4 as u16, 65_535, Some(0x8a), Some(i64::from(T0)))
        .interface(LINKTYPE_LINUX_SLL as u16, 65_535, None, None);
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
fn records_add_up_with_arp_and_a_cut_ipv4_header() {
    let dir = tempfile::tempdir().unwrap();
    let arp = eth(MAC_DST, MAC_SRC, ETHERTYPE_ARP, &[0u8; 28]);
    let v4 = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &udp4(9000));
    let frames = vec![
        v4.clone(),
        arp.clone(),
        v4.clone(),
        eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV6, &udp6(9001)),
        arp,
        v4[..14 + 12].to_vec(), // cut inside the IPv4 header, before the destination
        v4,
    ];
    let f = write_temp(dir.path(), "mixed.pcap", &pcap_of(LINKTYPE_ETHERNET, true, &frames));
    let v = replay_net(&f);
    expect_counts(&v, [7, 3, 1, 2, 1, 4, 0, 0]);
    expect(&v, json!({"dst_ports": {"udp/9000": 3, "udp/9001": 1}}));
}

#[test]
fn unsupported_link_type_is_non_ip_with_one_warning_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let frames = vec![vec![0u8; 40], vec![1u8; 60], vec![2u8; 24]];
    let a = write_temp(dir.path(), "wlan.pcap", &pcap_of(105, true, &frames));
    let b = write_temp(dir.path(), "wlan2.pcap", &pcap_of(105, false, &frames[..2]));
    let v = replay(&[&a, &b], &["--darknet", NET]);
    expect_counts(&v, [5, 0, 0, 5, 0, 0, 0, 0]);
    assert_eq!(input_warnings(&v, 0).len(), 1, "{v:#}");
    assert_eq!(input_warnings(&v, 1).len(), 1, "{v:#}");
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
