//! DESIGN.md "Fingerprints", "Darknet", "Day", "Coverage" and
//! "Per-IP-per-day rate", one test per rule: mirai/zmap/masscan and their
//! near misses, --darknet inside/outside, --exclude, overlapping prefixes,
//! and the coverage-based per-address-per-day rate. Every expected number is
//! worked out by hand from what the test builds.

mod common;
mod rules_support;

use common::capture::*;
use rules_support::*;
use serde_json::json;

fn raw_pcap(dir: &std::path::Path, name: &str, packets: &[(u32, Vec<u8>)]) -> std::path::PathBuf {
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (ts, pkt) in packets {
        p.record(*ts, 0, pkt, pkt.len() as u32);
    }
    write_temp(dir, name, &p.bytes())
}

fn tcp_id(id: u16, dport: u16, seq: u32, flags: u8) -> Vec<u8> {
    ipv4(SRC, DST, IPPROTO_TCP, &tcp(40_000, dport, seq, 0, flags, 1024, &[]), Ipv4Opts { id, ..Ipv4Opts::default() })
}

#[test]
fn fingerprints_and_near_misses() {
    let dir = tempfile::tempdir().unwrap();
    // DST = 198.18.0.5 = 0xC6120005. Default-ish ID 0x1234 never matches
    // masscan below: (dst ^ dport ^ seq) & 0xffff is worked out per packet.
    let masscan_seq = 0x1111_2222u32;
    // 0x0005 ^ 0x0050 ^ 0x2222 = 0x2277
    let masscan_id = 0x2277u16;
    assert_eq!(masscan_id, ((DST_U32 ^ 80 ^ masscan_seq) & 0xffff) as u16);
    let packets = vec![
        // mirai: SYN, seq == dst. masscan: (dst^23^dst)&0xffff = 23 ≠ 0x1234.
        tcp_id(0x1234, 23, DST_U32, TCP_SYN),
        // mirai with ECE/CWR still SYN-class.
        tcp_id(0x1234, 2323, DST_U32, TCP_SYN | TCP_ECE | TCP_CWR),
        // near miss: seq == dst + 1 (masscan: 5^6^23 = 20 ≠ 0x1234).
        tcp_id(0x1234, 23, DST_U32 + 1, TCP_SYN),
        // near miss: SYN-ACK with seq == dst (not SYN-class).
        tcp_id(0x1234, 23, DST_U32, TCP_SYN | TCP_ACK),
        // masscan.
        tcp_id(masscan_id, 80, masscan_seq, TCP_SYN),
        // near miss: the same ID with dport 81 (0x0005^0x0051^0x2222 = 0x2276).
        tcp_id(masscan_id, 81, masscan_seq, TCP_SYN),
        // near miss: matching ID but RST (not SYN-class).
        tcp_id(masscan_id, 80, masscan_seq, TCP_RST),
        // zmap on TCP SYN (masscan: 0x0005^0x0050^0 = 0x55 ≠ 54321), UDP, ICMP.
        tcp_id(54321, 80, 0, TCP_SYN),
        ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, 53, b"q"), Ipv4Opts { id: 54321, ..Ipv4Opts::default() }),
        ipv4(SRC, DST, IPPROTO_ICMP, &icmp(8, 0, [0; 4], b""), Ipv4Opts { id: 54321, ..Ipv4Opts::default() }),
        // zmap near misses.
        tcp_id(54320, 80, 0, TCP_SYN),
        ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, 53, b"q"), Ipv4Opts { id: 54320, ..Ipv4Opts::default() }),
        // mirai and zmap at once: ID 54321, seq == dst, dport 443 (masscan: 443 ≠ 54321).
        tcp_id(54321, 443, DST_U32, TCP_SYN),
    ];
    let timed: Vec<(u32, Vec<u8>)> = packets.into_iter().enumerate().map(|(i, p)| (T0 + i as u32, p)).collect();
    let f = raw_pcap(dir.path(), "fp.pcap", &timed);
    let v = replay_net(&f);
    expect_counts(&v, [13, 13, 0, 0, 0, 13, 0, 0]);
    expect(
        &v,
        json!({
            "fingerprints": {"mirai": 3, "zmap": 4, "masscan": 1},
            "tcp_flags": flags(8, 1, 1, 0, 0, 0),
            "protocols": {"tcp": 10, "udp": 2, "icmp": 1},
        }),
    );
}

#[test]
fn darknet_inside_outside_and_exclude() {
    let dir = tempfile::tempdir().unwrap();
    let u = |src: [u8; 4], dst: [u8; 4], port: u16| {
        ipv4(src, dst, IPPROTO_UDP, &udp(40_000, port, b"x"), Ipv4Opts::default())
    };
    let u6 = |dst: &str, port: u16| ipv6(v6(SRC6), v6(dst), IPPROTO_UDP, &udp(40_000, port, b"x"), &[]);
    let packets = vec![
        (T0, u(SRC, DST, 1)),                              // inside
        (T0 + 1, u(SRC, [198, 18, 0, 255], 2)),            // inside (last address)
        (T0 + 2, u(SRC, [198, 18, 1, 0], 3)),              // outside (next /24)
        (T0 + 3, u(SRC, [198, 17, 255, 255], 4)),          // outside
        (T0 + 4, u([192, 0, 2, 7], DST, 5)),               // excluded source
        (T0 + 5, u6(DST6, 6)),                             // inside v6
        (T0 + 6, u6("2001:db8:0:1::5", 7)),                // outside v6
        (T0 + 7, u6("2001:db8::ffff", 8)),                 // inside v6
        (T0 + 8, u([192, 0, 2, 255], [198, 18, 0, 1], 9)), // excluded source
    ];
    let f = raw_pcap(dir.path(), "dn.pcap", &packets);
    let v = replay(&[&f], &["--darknet", NET, "--darknet", "2001:db8::/64", "--exclude", "192.0.2.0/24"]);
    expect_counts(&v, [9, 6, 3, 0, 0, 4, 3, 2]);
    expect(
        &v,
        json!({
            "dst_ports": {"udp/1": 1, "udp/2": 1, "udp/6": 1, "udp/8": 1},
            "unique_sources": 2,
        }),
    );
}

#[test]
fn overlapping_darknet_prefixes_are_merged() {
    let dir = tempfile::tempdir().unwrap();
    let u = |dst: [u8; 4]| ipv4(SRC, dst, IPPROTO_UDP, &udp(40_000, 53, b"x"), Ipv4Opts::default());
    let packets = vec![
        (T0, u([198, 18, 0, 200])), // in /24 and /25: counted once
        (T0 + 1, u([198, 18, 0, 1])),
        (T0 + 2, u([198, 18, 1, 9])),
        (T0 + 3, u([198, 18, 2, 0])), // outside
    ];
    let f = raw_pcap(dir.path(), "ovl.pcap", &packets);
    let args = [
        "--darknet",
        "198.18.0.0/24",
        "--darknet",
        "198.18.0.128/25",
        "--darknet",
        "198.18.1.0/24",
        "--darknet",
        "198.18.0.200/32",
    ];
    let v = replay(&[&f], &args);
    expect_counts(&v, [4, 4, 0, 0, 0, 3, 1, 0]);
    // Union: 198.18.0.0/23 = 512 addresses.
    expect(&v, json!({"monitored_addresses": {"count": 512, "basis": "darknet_prefixes"}}));
}

#[test]
fn per_ip_per_day_uses_coverage_and_prefix_size() {
    let dir = tempfile::tempdir().unwrap();
    // Every 60 s from 00:00 to 01:00 (61 records) and 04:00 to 05:00 (61);
    // the 3-hour gap exceeds --max-gap 600 s, so coverage = 3600 + 3600 s.
    let mut packets = Vec::new();
    for start in [0u32, 4 * 3600] {
        for k in 0..=60u32 {
            let pkt = ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, 53, b"x"), Ipv4Opts::default());
            packets.push((T0 + start + 60 * k, pkt));
        }
    }
    let f = raw_pcap(dir.path(), "cov.pcap", &packets);
    let v = replay(&[&f], &["--darknet", "198.18.0.0/24"]);
    expect_counts(&v, [122, 122, 0, 0, 0, 122, 0, 0]);
    expect(&v, json!({"days": {"2024-01-01": 122}}));
    let cov = v["coverage_seconds"]["2024-01-01"].as_f64().expect("coverage for the day");
    assert_eq!(cov, 7200.0, "{v:#}");
    assert_eq!(v["coverage_seconds"].as_object().unwrap().len(), 1);
    // address-days = 7200/86400 × 256 = 21.333…; rate = 122 × 12 / 256 = 5.71875.
    let ad = v["address_days"].as_f64().expect("address_days");
    assert!((ad - 7200.0 / 86_400.0 * 256.0).abs() < 1e-9, "address_days {ad}");
    let rate = v["packets_per_ip_day"].as_f64().expect("packets_per_ip_day");
    assert!((rate - 5.71875).abs() < 1e-9, "packets_per_ip_day {rate}");
}

#[test]
fn days_are_utc_dates_whatever_the_record_order() {
    let dir = tempfile::tempdir().unwrap();
    let u = || ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, 53, b"x"), Ipv4Opts::default());
    let packets =
        vec![(T0 + 2 * DAY + 5, u()), (T0 + 10, u()), (T0 + DAY - 1, u()), (T0 + 2 * DAY - 1, u()), (T0 + 20, u())];
    let f = raw_pcap(dir.path(), "order.pcap", &packets);
    let v = replay_net(&f);
    expect(&v, json!({"days": {"2024-01-01": 3, "2024-01-02": 1, "2024-01-03": 1}}));
}
