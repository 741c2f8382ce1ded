//! DESIGN.md "Link types" and the record counters, one test per rule:
//! Ethernet with 0–3 VLAN tags, SLL/SLL2 (with a VLAN tag after the cooked
//! header), BSD NULL in both byte orders, LOOP, raw IP link types (12, 14,
//! 101, 228, 229), unsupported link types (non_ip + one warning per file) and
//! `records = ipv4 + ipv6 + non_ip + malformed` with ARP frames and a cut
//! IPv4 header. Every expected number is counted by hand from what the test
//! builds.

mod common;
mod rules_support;

use common::capture::*;
use rules_support::*;
use serde_json::json;

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
