//! DESIGN.md "Destination port" and "Backscatter" for ICMP, one test per
//! rule: ICMP errors quoting TCP/UDP headers (quoted ports never count;
//! backscatter icmp/N), ICMPv6 error type 1 and echo reply 129 as
//! backscatter, echo requests 8/128 as probes. Every expected number is
//! counted by hand from what the test builds.

mod common;
mod rules_support;

use common::capture::*;
use rules_support::*;
use serde_json::json;

#[test]
fn icmp_errors_quote_ports_that_never_count() {
    // The victim 203.0.113.50 got a UDP datagram "from" a darknet address
    // (spoofed) and answers with port unreachable; the quote holds UDP 5353.
    let quoted_udp = ipv4(DST, [203, 0, 113, 50], IPPROTO_UDP, &udp(5353, 5353, b""), Ipv4Opts::default());
    let unreach = icmp(3, 3, [0; 4], &quoted_udp);
    // Time exceeded quoting the first 8 bytes of a TCP header (port 8080).
    let quoted_tcp = ipv4(DST, [203, 0, 113, 51], IPPROTO_TCP, &tcp(443, 8080, 1, 0, TCP_SYN, 1024, &[])[..8], {
        Ipv4Opts { total_len_override: Some(40), ..Ipv4Opts::default() }
    });
    let ttl = icmp(11, 0, [0; 4], &quoted_tcp);
    let packets = vec![
        ipv4(SRC, DST, IPPROTO_ICMP, &unreach, Ipv4Opts::default()),
        ipv4(SRC, DST, IPPROTO_ICMP, &unreach, Ipv4Opts::default()),
        ipv4(SRC, DST, IPPROTO_ICMP, &ttl, Ipv4Opts::default()),
    ];
    let (_d, f) = raw_pcap("icmperr.pcap", &packets);
    let v = replay_net(&f);
    expect_counts(&v, [3, 3, 0, 0, 0, 3, 0, 0]);
    expect(
        &v,
        json!({
            "protocols": {"icmp": 3},
            "dst_ports": {},
            "no_dst_port": no_port(0, 0),
            "icmp_types": {"icmp/3": 2, "icmp/11": 1},
            "backscatter": {"total": 3, "icmp/3": 2, "icmp/11": 1},
            "tcp_flags": flags(0, 0, 0, 0, 0, 0),
        }),
    );
}

#[test]
fn icmp_echo_requests_are_probes_replies_and_errors_backscatter() {
    let quoted = ipv6(v6(DST6), v6("2001:db8:ffff::50"), IPPROTO_TCP, &tcp(443, 8443, 1, 0, TCP_SYN, 1, &[]), &[]);
    let packets = vec![
        ipv6(v6(SRC6), v6(DST6), IPPROTO_ICMPV6, &icmpv6(1, 4, [0; 4], &quoted), &[]),
        ipv6(v6(SRC6), v6(DST6), IPPROTO_ICMPV6, &icmpv6(129, 0, [0, 1, 0, 1], b"ping"), &[]),
        ipv6(v6(SRC6), v6(DST6), IPPROTO_ICMPV6, &icmpv6(129, 0, [0, 1, 0, 2], b"ping"), &[]),
        ipv6(v6(SRC6), v6(DST6), IPPROTO_ICMPV6, &icmpv6(128, 0, [0, 1, 0, 3], b"ping"), &[]),
        ipv4(SRC, DST, IPPROTO_ICMP, &icmp(8, 0, [0, 1, 0, 1], b"ping"), Ipv4Opts::default()),
        ipv4(SRC, DST, IPPROTO_ICMP, &icmp(0, 0, [0, 1, 0, 1], b"ping"), Ipv4Opts::default()),
    ];
    let (_d, f) = raw_pcap("icmp6.pcap", &packets);
    let v = replay_net(&f);
    expect_counts(&v, [6, 2, 4, 0, 0, 6, 0, 0]);
    expect(
        &v,
        json!({
            "protocols": {"icmp": 2, "icmpv6": 4},
            "dst_ports": {},
            "icmp_types": {"icmpv6/1": 1, "icmpv6/129": 2, "icmpv6/128": 1, "icmp/8": 1, "icmp/0": 1},
            "backscatter": {"total": 4, "icmpv6/1": 1, "icmpv6/129": 2, "icmp/0": 1},
        }),
    );
}
