//! DESIGN.md "IP", "Destination port" and "TCP flag class", one test per
//! rule: IPv4 options, IPv4 fragments, the IPv6 extension chain
//! (HBH/routing/fragment/dst-opts/AH; ESP and no-next-header end it), IPv6
//! non-first fragments, truncated TCP/UDP headers and the flag classes
//! (with their backscatter kinds). Every expected number is counted by hand
//! from what the test builds.

mod common;
mod rules_support;

use common::capture::*;
use rules_support::*;
use serde_json::json;

#[test]
fn ipv4_options_port_read_after_them() {
    // Record Route (7), length 11, pointer 4, two empty slots, then NOP/EOL
    // padding: IHL 8. Bytes 2..4 after the fixed header would read 0x0b04.
    let opts = Ipv4Opts { options: vec![7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1], ..Ipv4Opts::default() };
    let p = ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, 161, b"abc"), opts.clone());
    let t = ipv4(SRC, DST, IPPROTO_TCP, &tcp(40_000, 22, 7, 0, TCP_SYN, 1024, &[]), opts);
    let (_d, f) = raw_pcap("opts.pcap", &[p, t]);
    let v = replay_net(&f);
    expect_counts(&v, [2, 2, 0, 0, 0, 2, 0, 0]);
    expect(
        &v,
        json!({"dst_ports": {"udp/161": 1, "tcp/22": 1}, "tcp_flags": flags(1, 0, 0, 0, 0, 0),
               "no_dst_port": no_port(0, 0)}),
    );
}

#[test]
fn ipv4_fragments_first_counts_port_others_do_not() {
    let body = udp(40_000, 5060, &[0x27, 0x0f, 0x27, 0x0f, 0, 0, 0, 0]);
    let first = ipv4(
        SRC,
        DST,
        IPPROTO_UDP,
        &body,
        Ipv4Opts { more_fragments: true, frag_offset_units: 0, ..Ipv4Opts::default() },
    );
    // Later fragments carry payload bytes that look like ports 9999 → 9999.
    let middle = ipv4(
        SRC,
        DST,
        IPPROTO_UDP,
        &[0x27, 0x0f, 0x27, 0x0f, 0, 8, 0, 0],
        Ipv4Opts { more_fragments: true, frag_offset_units: 2, ..Ipv4Opts::default() },
    );
    let last = ipv4(
        SRC,
        DST,
        IPPROTO_TCP,
        &[0x27, 0x0f, 0x27, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0],
        Ipv4Opts { more_fragments: false, frag_offset_units: 3, ..Ipv4Opts::default() },
    );
    let (_d, f) = raw_pcap("frag.pcap", &[first, middle, last]);
    let v = replay_net(&f);
    expect_counts(&v, [3, 3, 0, 0, 0, 3, 0, 0]);
    expect(
        &v,
        json!({
            "protocols": {"udp": 2, "tcp": 1},
            "dst_ports": {"udp/5060": 1},
            "no_dst_port": no_port(2, 0),
            // A non-first fragment carries no TCP header: flags not captured.
            "tcp_flags": flags(0, 0, 0, 0, 0, 1),
        }),
    );
}

#[test]
fn ipv6_extension_headers_walked_to_tcp() {
    let hbh = Ext::HopByHop(vec![]);
    let routing = Ext::Routing { segments_left: 0, addresses: vec![v6("2001:db8::77")] };
    let frag = Ext::Fragment { offset_units: 0, more: true, id: 0xabcd };
    let dst = Ext::DestOpts(vec![]);
    let ah = Ext::Ah { spi: 0x100, seq: 1, icv: vec![0xaa; 12] };
    let packets = vec![
        tcp6(1001, std::slice::from_ref(&hbh)),
        tcp6(1002, std::slice::from_ref(&routing)),
        tcp6(1003, std::slice::from_ref(&frag)),
        tcp6(1004, std::slice::from_ref(&dst)),
        tcp6(1005, std::slice::from_ref(&ah)),
        tcp6(1006, &[hbh, dst.clone(), routing, frag, ah, dst]),
    ];
    let (_d, f) = raw_pcap("ext6.pcap", &packets);
    let v = replay_net(&f);
    expect_counts(&v, [6, 0, 6, 0, 0, 6, 0, 0]);
    expect(
        &v,
        json!({
            "protocols": {"tcp": 6},
            "dst_ports": {"tcp/1001": 1, "tcp/1002": 1, "tcp/1003": 1, "tcp/1004": 1, "tcp/1005": 1, "tcp/1006": 1},
            "tcp_flags": flags(6, 0, 0, 0, 0, 0),
            "no_dst_port": no_port(0, 0),
        }),
    );
}

#[test]
fn ipv6_non_first_fragment_has_no_port() {
    let frag = Ext::Fragment { offset_units: 10, more: false, id: 7 };
    let p = ipv6(v6(SRC6), v6(DST6), IPPROTO_UDP, &[0x27, 0x0f, 0x27, 0x0f, 0, 0, 0, 0], &[frag]);
    let (_d, f) = raw_pcap("frag6.pcap", &[p]);
    let v = replay_net(&f);
    expect_counts(&v, [1, 0, 1, 0, 0, 1, 0, 0]);
    expect(&v, json!({"protocols": {"udp": 1}, "dst_ports": {}, "no_dst_port": no_port(1, 0)}));
}

#[test]
fn esp_and_no_next_header_end_the_chain() {
    // The ESP payload starts with bytes that would read as a TCP/UDP header.
    let esp = ipv6(v6(SRC6), v6(DST6), IPPROTO_ESP, &[0, 0, 0, 80, 0, 0, 0, 1, 0, 0], &[Ext::HopByHop(vec![])]);
    let esp_plain = ipv6(v6(SRC6), v6(DST6), IPPROTO_ESP, &[0, 0, 1, 0, 0, 0, 0, 2], &[]);
    let none = ipv6(v6(SRC6), v6(DST6), IPPROTO_NONE, &[], &[Ext::DestOpts(vec![])]);
    let (_d, f) = raw_pcap("esp.pcap", &[esp, esp_plain, none]);
    let v = replay_net(&f);
    expect_counts(&v, [3, 0, 3, 0, 0, 3, 0, 0]);
    expect(&v, json!({"protocols": {"esp": 2, "ipv6-nonxt": 1}, "dst_ports": {}, "no_dst_port": no_port(0, 0)}));
}

#[test]
fn truncated_tcp_headers_count_only_captured_fields() {
    let p = tcp4(2323, TCP_SYN);
    let packets = vec![
        (p.clone(), 20 + 3),  // 3 bytes of TCP: no port, flags unknown
        (p.clone(), 20 + 4),  // 4 bytes: port, flags unknown
        (p.clone(), 20 + 13), // 13 bytes: port, flags unknown
        (p.clone(), 20 + 14), // 14 bytes: flags known (syn)
        (p.clone(), 20 + 20), // whole
    ];
    let (_d, f) = raw_pcap_cut("trunc.pcap", &packets);
    let v = replay_net(&f);
    expect_counts(&v, [5, 5, 0, 0, 0, 5, 0, 0]);
    expect(
        &v,
        json!({
            "protocols": {"tcp": 5},
            "dst_ports": {"tcp/2323": 4},
            "no_dst_port": no_port(0, 1),
            "tcp_flags": flags(2, 0, 0, 0, 0, 3),
        }),
    );
}

#[test]
fn truncated_udp_header_has_no_port() {
    let p = ipv4(SRC, DST, IPPROTO_UDP, &udp(40_000, 123, b"ntp"), Ipv4Opts::default());
    let (_d, f) = raw_pcap_cut("truncudp.pcap", &[(p.clone(), 20 + 3), (p, 20 + 4)]);
    let v = replay_net(&f);
    expect(&v, json!({"dst_ports": {"udp/123": 1}, "no_dst_port": no_port(0, 1), "protocols": {"udp": 2}}));
}

#[test]
fn tcp_flag_classes_in_order_ecn_ignored() {
    let packets = vec![
        tcp4(1, TCP_SYN | TCP_ECE | TCP_CWR),            // syn
        tcp4(2, TCP_SYN),                                // syn
        tcp4(3, TCP_RST | TCP_ACK | TCP_SYN),            // rst_ack
        tcp4(4, TCP_RST | TCP_ACK),                      // rst_ack
        tcp4(5, TCP_RST),                                // rst
        tcp4(6, TCP_RST | TCP_SYN),                      // rst (RST without ACK)
        tcp4(7, TCP_SYN | TCP_ACK | TCP_ECE),            // syn_ack
        tcp4(8, TCP_FIN),                                // other
        tcp4(9, TCP_ACK),                                // other
        tcp4(10, TCP_FIN | TCP_PSH | TCP_URG),           // other
        tcp4(11, 0),                                     // other (null scan)
        tcp4(12, TCP_ECE | TCP_CWR | TCP_ACK | TCP_PSH), // other
    ];
    let (_d, f) = raw_pcap("flags.pcap", &packets);
    let v = replay_net(&f);
    expect_counts(&v, [12, 12, 0, 0, 0, 12, 0, 0]);
    expect(
        &v,
        json!({
            "tcp_flags": flags(2, 1, 2, 2, 5, 0),
            "backscatter": {"total": 5, "tcp_syn_ack": 1, "tcp_rst": 2, "tcp_rst_ack": 2},
        }),
    );
}
