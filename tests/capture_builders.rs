//! Self-test of `tests/common/capture.rs`: the builders produce what they
//! claim, checked byte by byte against values worked out by hand and, for
//! whole files, against an independent decoder (tshark).
//!
//! tshark is required: without it these tests fail (they never pass
//! silently). Install it with `apt-get install -y tshark` (see .ci/run).

mod common;

use std::path::Path;
use std::process::Command;

use common::capture::*;

// ---------------------------------------------------------------------------
// tshark
// ---------------------------------------------------------------------------

/// Runs `tshark -r path -T fields -e f1 -e f2 …` and returns one line per
/// packet (fields separated by `|`, multiple occurrences by `,`).
fn tshark(path: &Path, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.env("TZ", "UTC")
        .arg("-n")
        .args(["-o", "ip.check_checksum:TRUE"])
        .args(["-o", "ipv6.defragment:FALSE"])
        .args(["-o", "ip.defragment:FALSE"])
        .arg("-r")
        .arg(path)
        .args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!(
                "tshark missing: install it (see .ci/run: apt-get install -y tshark); \
                 these builder checks need an independent decoder"
            )
        }
        Err(e) => panic!("cannot run tshark: {e}"),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr: Vec<&str> = stderr.lines().filter(|l| !l.contains("Running as user") && !l.trim().is_empty()).collect();
    assert!(
        out.status.success() && stderr.is_empty(),
        "tshark on {} failed ({}): {}",
        path.display(),
        out.status,
        stderr.join("\n")
    );
    String::from_utf8(out.stdout).expect("tshark output is UTF-8").lines().map(str::to_owned).collect()
}

fn check(path: &Path, fields: &[&str], expected: &[&str]) {
    let got = tshark(path, fields);
    assert_eq!(got, expected, "tshark fields {fields:?} of {}", path.display());
}

fn tcp_syn_v4(dst: [u8; 4], dport: u16) -> Vec<u8> {
    let t = tcp(40_000, dport, 0x0102_0304, 0, TCP_SYN, 1024, &[]);
    ipv4(v4("198.51.100.7"), dst, IPPROTO_TCP, &t, Ipv4Opts::default())
}

fn echo_v4(dst: [u8; 4]) -> Vec<u8> {
    let m = icmp(8, 0, [0x12, 0x34, 0x00, 0x01], b"darkscope ping");
    ipv4(v4("198.51.100.8"), dst, IPPROTO_ICMP, &m, Ipv4Opts::default())
}

fn echo_v6(dst: &str) -> Vec<u8> {
    let m = icmpv6(128, 0, [0, 1, 0, 2], b"ping6");
    ipv6(v6("2001:db8:ffff::9"), v6(dst), IPPROTO_ICMPV6, &m, &[])
}

// ---------------------------------------------------------------------------
// Byte-level checks (no tshark)
// ---------------------------------------------------------------------------

#[test]
fn checksum_examples() {
    // RFC 1071 §3 example words 0001 f203 f4f5 f6f7: sum 2ddf0 → ddf2, ~ = 220d.
    assert_eq!(inet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0x220d);
    // A header with its checksum in place sums to zero.
    let p = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &[], Ipv4Opts::default());
    assert_eq!(inet_checksum(&p[..20]), 0);
    let m = icmp(3, 1, [0; 4], &[1, 2, 3]);
    assert_eq!(inet_checksum(&m), 0);
}

#[test]
fn ipv4_header_fields() {
    let opts = Ipv4Opts {
        id: 54321,
        ttl: 250,
        options: vec![1, 1, 1], // three NOPs → padded to 4
        frag_offset_units: 185,
        more_fragments: true,
        total_len_override: None,
    };
    let p = ipv4([1, 2, 3, 4], [5, 6, 7, 8], 6, &[0xaa; 10], opts);
    assert_eq!(p.len(), 24 + 10);
    assert_eq!(p[0], 0x46); // version 4, IHL 6
    assert_eq!(&p[2..4], &[0, 34]);
    assert_eq!(&p[4..6], &54321u16.to_be_bytes());
    // MF (0x2000) | 185 = 0x20b9
    assert_eq!(&p[6..8], &[0x20, 0xb9]);
    assert_eq!(p[8], 250);
    assert_eq!(&p[20..24], &[1, 1, 1, 0]);
    let p =
        ipv4([1, 2, 3, 4], [5, 6, 7, 8], 6, &[], Ipv4Opts { total_len_override: Some(1500), ..Ipv4Opts::default() });
    assert_eq!(&p[2..4], &1500u16.to_be_bytes());
    assert_eq!(inet_checksum(&p[..20]), 0);
}

#[test]
fn ipv6_extension_chain() {
    let p = ipv6(
        [0; 16],
        [0; 16],
        IPPROTO_UDP,
        &[9; 8],
        &[
            Ext::HopByHop(vec![]),
            Ext::Routing { segments_left: 1, addresses: vec![[7; 16]] },
            Ext::DestOpts(vec![5, 1, 0]), // 3 bytes of option → PadN 3
            Ext::Fragment { offset_units: 0, more: true, id: 0xdead_beef },
            Ext::Ah { spi: 0x100, seq: 1, icv: vec![0xee; 12] },
        ],
    );
    assert_eq!(p[6], IPPROTO_HOPOPTS);
    // HBH: next = routing, len 0, PadN(4)
    assert_eq!(&p[40..48], &[43, 0, 1, 4, 0, 0, 0, 0]);
    // Routing type 0: next = dest opts, len 2 (one address), type 0, segs 1
    assert_eq!(&p[48..52], &[60, 2, 0, 1]);
    assert_eq!(&p[56..72], &[7; 16]);
    // DestOpts: next = fragment, len 0, option, PadN(1): 2+3+3 = 8
    assert_eq!(&p[72..80], &[44, 0, 5, 1, 0, 1, 1, 0]);
    // Fragment: next = AH, M=1, id
    assert_eq!(&p[80..88], &[51, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]);
    // AH: next = UDP, payload len (24/4)-2 = 4
    assert_eq!(&p[88..90], &[17, 4]);
    assert_eq!(p.len(), 88 + 24 + 8);
    assert_eq!(u16::from_be_bytes([p[4], p[5]]) as usize, p.len() - 40);
    // No extensions: the upper layer right in the fixed header.
    let q = ipv6([0; 16], [0; 16], IPPROTO_TCP, &[], &[]);
    assert_eq!((q.len(), q[6]), (40, 6));
}

#[test]
fn link_headers() {
    let e = eth_vlan(&[(TPID_8021AD, 10), (TPID_8021Q, 20), (TPID_9100, 30)], ETHERTYPE_IPV4, &[0xab]);
    assert_eq!(&e[12..], &[0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x91, 0x00, 0, 30, 0x08, 0x00, 0xab]);
    let s = sll(ETHERTYPE_IPV6, &[0xab]);
    assert_eq!(s.len(), 17);
    assert_eq!(&s[14..16], &[0x86, 0xdd]);
    let s = sll2(ETHERTYPE_IPV6, &[0xab]);
    assert_eq!(s.len(), 21);
    assert_eq!(&s[0..2], &[0x86, 0xdd]);
    assert_eq!(&s[8..10], &[0, 1]); // ARPHRD_ETHER
    assert_eq!(s[11], 6);
    assert_eq!(&null_le(AF_INET, &[])[..], &[2, 0, 0, 0]);
    assert_eq!(&null_be(AF_INET6_DARWIN, &[])[..], &[0, 0, 0, 30]);
    assert_eq!(&loop_(AF_INET, &[])[..], &[0, 0, 0, 2]);
}

#[test]
fn file_headers() {
    let le = Pcap::new(LINKTYPE_ETHERNET).bytes();
    assert_eq!(&le[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    assert_eq!(&le[20..24], &[1, 0, 0, 0]);
    let be_ns =
        Pcap { le: false, nanos: true, linktype_field: linktype_with_fcs(LINKTYPE_ETHERNET, 2), ..Pcap::new(0) };
    let b = be_ns.bytes();
    assert_eq!(&b[..4], &[0xa1, 0xb2, 0x3c, 0x4d]);
    assert_eq!(&b[20..24], &[0x24, 0, 0, 1]);
    let mut m = Pcap { modified: true, ..Pcap::new(LINKTYPE_ETHERNET) };
    m.record(1, 2, &[0xaa; 3], 3);
    let b = m.bytes();
    assert_eq!(&b[..4], &[0x34, 0xcd, 0xb2, 0xa1]);
    assert_eq!(b.len(), 24 + 24 + 3);

    let mut ng = Pcapng::new();
    ng.section(false).interface(1, 0, Some(9), Some(-1)).epb(0, 1, &[1, 2, 3], 3);
    let b = ng.bytes();
    // SHB: type, length 28, BOM, 1.0, -1
    assert_eq!(&b[..12], &[0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d]);
    assert_eq!(&b[12..28], &[0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28]);
    // IDB: 8 + 4 + 4 + tsresol (4+4) + tsoffset (4+8) + end (4) + 4 = 44
    assert_eq!(&b[28..36], &[0, 0, 0, 1, 0, 0, 0, 44]);
    assert_eq!(&b[36..44], &[0, 1, 0, 0, 0, 0, 0, 0]); // linktype 1, reserved, snaplen 0
    assert_eq!(&b[44..52], &[0, 9, 0, 1, 9, 0, 0, 0]); // if_tsresol, padded
    assert_eq!(&b[52..64], &[0, 14, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(&b[64..72], &[0, 0, 0, 0, 0, 0, 0, 44]); // opt_endofopt, length
    // EPB: 28 + 4 (3 bytes padded) + 4 = 36
    assert_eq!(&b[72..80], &[0, 0, 0, 6, 0, 0, 0, 36]);
    assert_eq!(b.len(), 72 + 36);
    assert_eq!(&b[b.len() - 4..], &[0, 0, 0, 36]);
}

#[test]
fn compression_helpers_round_trip() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let g = gzip(&data);
    assert_eq!(&g[..2], &[0x1f, 0x8b]);
    let z = zstd_compress(&data);
    assert_eq!(&z[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    let x = xz(&data);
    assert_eq!(&x[..6], &[0xfd, b'7', b'z', b'X', b'Z', 0]);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&g[..]), &mut out).unwrap();
    assert_eq!(out, data);
    assert_eq!(zstd::decode_all(&z[..]).unwrap(), data);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut liblzma::read::XzDecoder::new(&x[..]), &mut out).unwrap();
    assert_eq!(out, data);
}

// ---------------------------------------------------------------------------
// Whole files, decoded by tshark
// ---------------------------------------------------------------------------

#[test]
fn tshark_ethernet_vlan_stacks() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    // 802.1ad outer VLAN 100 (PCP 1), 802.1Q inner VLAN 200, IPv4/TCP SYN to 192.0.2.1:23
    p.record(
        1_700_000_000,
        123_456,
        &eth_vlan(&[(TPID_8021AD, 0x2000 | 100), (TPID_8021Q, 200)], ETHERTYPE_IPV4, &tcp_syn_v4([192, 0, 2, 1], 23)),
        1514,
    );
    // single 0x9100 tag, VLAN 7, ICMP echo request to 192.0.2.2
    p.record(1_700_000_001, 1, &eth_vlan(&[(TPID_9100, 7)], ETHERTYPE_IPV4, &echo_v4([192, 0, 2, 2])), 1514);
    // untagged
    p.record(1_700_000_002, 999_999, &eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &tcp_syn_v4([192, 0, 2, 3], 445)), 1514);
    let f = write_temp(dir.path(), "vlan.pcap", &p.bytes());
    check(
        &f,
        &[
            "frame.time_epoch",
            "ieee8021ad.id",
            "vlan.id",
            "ip.dst",
            "tcp.dstport",
            "tcp.flags",
            "icmp.type",
            "ip.checksum.status",
            "icmp.checksum.status",
        ],
        &[
            // tshark decodes an 802.1ad (0x88a8) tag as ieee8021ad, and
            // 0x8100 / 0x9100 as vlan. ip/icmp checksum status 1 = good.
            "1700000000.123456000|100|200|192.0.2.1|23|0x0002||1|",
            "1700000001.000001000||7|192.0.2.2|||8|1|1",
            "1700000002.999999000|||192.0.2.3|445|0x0002||1|",
        ],
    );
}

#[test]
fn tshark_sll_sll2_ipv6_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let u = udp(5353, 53, b"\x12\x34query");
    let frag_udp = ipv6(
        v6("2001:db8:1::5"),
        v6("2001:db8::1"),
        IPPROTO_UDP,
        &u,
        &[Ext::HopByHop(vec![]), Ext::Fragment { offset_units: 0, more: true, id: 0x00ab_cdef }],
    );
    let t = tcp(1234, 8080, 1, 0, TCP_SYN, 512, &[2, 4, 5, 0xb4]); // MSS 1460
    let long_chain = ipv6(
        v6("2001:db8:1::6"),
        v6("2001:db8::2"),
        IPPROTO_TCP,
        &t,
        &[
            Ext::DestOpts(vec![]),
            Ext::Routing { segments_left: 0, addresses: vec![v6("2001:db8::99")] },
            Ext::Ah { spi: 0x1000, seq: 5, icv: vec![0x55; 12] },
        ],
    );
    let mut p = Pcap::new(LINKTYPE_LINUX_SLL2);
    let a = sll2(ETHERTYPE_IPV6, &frag_udp);
    p.record(1_700_000_000, 0, &a, a.len() as u32);
    let b = sll2(ETHERTYPE_IPV6, &long_chain);
    p.record(1_700_000_000, 500_000, &b, b.len() as u32);
    let f = write_temp(dir.path(), "sll2.pcap", &p.bytes());
    check(
        &f,
        &[
            "sll.etype",
            "sll.ifindex",
            "ipv6.dst",
            "ipv6.nxt",
            "ipv6.fraghdr.offset",
            "ipv6.fraghdr.more",
            "ipv6.fraghdr.ident",
            "udp.dstport",
            "tcp.dstport",
            "ah.spi",
        ],
        &["0x86dd|3|2001:db8::1|0|0|1|0x00abcdef|53||", "0x86dd|3|2001:db8::2|60|||||8080|0x00001000"],
    );

    let mut p = Pcap::new(LINKTYPE_LINUX_SLL);
    let a = sll(ETHERTYPE_IPV4, &tcp_syn_v4([192, 0, 2, 9], 22));
    p.record(1_700_000_000, 0, &a, a.len() as u32);
    let f = write_temp(dir.path(), "sll.pcap", &p.bytes());
    check(&f, &["sll.etype", "ip.dst", "tcp.dstport"], &["0x0800|192.0.2.9|22"]);
}

#[test]
fn tshark_null_loop_big_endian_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap { le: false, ..Pcap::new(LINKTYPE_NULL) };
    let a = null_le(AF_INET, &echo_v4([192, 0, 2, 10]));
    p.record(1_700_000_000, 0, &a, a.len() as u32);
    let b = null_be(AF_INET6_BSD, &echo_v6("2001:db8::10"));
    p.record(1_700_000_000, 1, &b, b.len() as u32);
    let c = null_be(AF_INET6_FREEBSD, &echo_v6("2001:db8::11"));
    p.record(1_700_000_000, 2, &c, c.len() as u32);
    let d = null_le(AF_INET6_DARWIN, &echo_v6("2001:db8::12"));
    p.record(1_700_000_000, 3, &d, d.len() as u32);
    let f = write_temp(dir.path(), "null.pcap", &p.bytes());
    check(
        &f,
        &["null.family", "ip.dst", "icmp.type", "ipv6.dst", "icmpv6.type"],
        &["2|192.0.2.10|8||", "24|||2001:db8::10|128", "28|||2001:db8::11|128", "30|||2001:db8::12|128"],
    );

    let mut p = Pcap::new(LINKTYPE_LOOP);
    let a = loop_(AF_INET, &echo_v4([192, 0, 2, 11]));
    p.record(1_700_000_000, 0, &a, a.len() as u32);
    let f = write_temp(dir.path(), "loop.pcap", &p.bytes());
    check(&f, &["null.family", "ip.dst", "icmp.type"], &["2|192.0.2.11|8"]);
}

#[test]
fn tshark_pcapng_two_sections_resolutions_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let e1 = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &tcp_syn_v4([192, 0, 2, 21], 21));
    let e2 = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &tcp_syn_v4([192, 0, 2, 22], 22));
    let e3 = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &tcp_syn_v4([192, 0, 2, 23], 23));
    let r4 = tcp_syn_v4([192, 0, 2, 24], 24);
    let r5 = tcp_syn_v4([192, 0, 2, 25], 25);
    let mut ng = Pcapng::new();
    ng.section(true)
        .interface(1, 65535, Some(6), None) // µs, said explicitly
        .interface(1, 65535, Some(9), None) // ns
        .interface(1, 65535, None, None) // no option: µs by default
        .nrb()
        .epb(0, 1_700_000_000_250_000, &e1, e1.len() as u32)
        .epb(2, 1_700_000_000_750_001, &e1, e1.len() as u32)
        .epb(1, 1_700_000_001_000_000_123, &e2, e2.len() as u32)
        .custom(32473)
        .obsolete_pb(0, 1_700_000_002_000_001, &e3, e3.len() as u32)
        .isb(0, 1_700_000_000_000_000, 1_700_000_003_000_000)
        .section(false)
        // raw IP, 2^-10 s ticks, offset 1,700,000,000 s
        .interface(101, 65535, Some(0x8a), Some(1_700_000_000))
        // 3.5 s = 3584 ticks of 1/1024 s
        .epb(0, 3 * 1024 + 512, &r4, r4.len() as u32)
        .spb(&r5, r5.len() as u32)
        .isb(0, 0, 4 * 1024);
    let f = write_temp(dir.path(), "two-sections.pcapng", &ng.bytes());
    check(
        &f,
        &["frame.interface_id", "frame.time_epoch", "ip.dst", "tcp.dstport", "frame.cb_pen"],
        &[
            "0|1700000000.250000000|192.0.2.21|21|",
            "2|1700000000.750001000|192.0.2.21|21|",
            "1|1700000001.000000123|192.0.2.22|22|",
            // tshark 4.0 lists a custom block as a record of its own (no
            // interface, no time, no packet); darkscope must not count it.
            // The NRB and ISBs produce no line.
            "||||32473",
            "0|1700000002.000001000|192.0.2.23|23|",
            // second section, big-endian: 1,700,000,000 s + 3584/1024 s
            "0|1700000003.500000000|192.0.2.24|24|",
            // SPB: no timestamp at all
            "0||192.0.2.25|25|",
        ],
    );
}

#[test]
fn tshark_nanosecond_pcap_last_nanosecond_of_day() {
    // 2024-01-01 = day 19723 since the epoch; 19723 × 86400 + 86399 = 1704153599.
    let dir = tempfile::tempdir().unwrap();
    for le in [true, false] {
        let mut p = Pcap { le, nanos: true, ..Pcap::new(LINKTYPE_IPV4) };
        let a = tcp_syn_v4([192, 0, 2, 30], 3389);
        p.record(1_704_153_599, 999_999_999, &a, a.len() as u32);
        p.record(1_704_153_600, 0, &a, a.len() as u32);
        let f = write_temp(dir.path(), &format!("ns-{le}.pcap"), &p.bytes());
        check(
            &f,
            &["frame.time_epoch", "frame.time", "ip.dst", "tcp.dstport"],
            &[
                "1704153599.999999999|Jan  1, 2024 23:59:59.999999999 UTC|192.0.2.30|3389",
                "1704153600.000000000|Jan  2, 2024 00:00:00.000000000 UTC|192.0.2.30|3389",
            ],
        );
    }
}

#[test]
fn tshark_modified_pcap_fcs_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let frame = eth(MAC_DST, MAC_SRC, ETHERTYPE_IPV4, &tcp_syn_v4([192, 0, 2, 40], 80));
    let mut m = Pcap { modified: true, ..Pcap::new(LINKTYPE_ETHERNET) };
    m.record(1_700_000_000, 42, &frame, frame.len() as u32);
    let f = write_temp(dir.path(), "modified.pcap", &m.bytes());
    check(&f, &["frame.time_epoch", "ip.dst", "tcp.dstport"], &["1700000000.000042000|192.0.2.40|80"]);

    // FCS announced in the link-type field: 2 half-words = 4 bytes.
    let mut with_fcs = frame.clone();
    with_fcs.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    let mut p = Pcap { linktype_field: linktype_with_fcs(LINKTYPE_ETHERNET, 2), ..Pcap::new(0) };
    p.record(1_700_000_000, 0, &with_fcs, with_fcs.len() as u32);
    let f = write_temp(dir.path(), "fcs.pcap", &p.bytes());
    check(&f, &["eth.fcs", "ip.dst", "ip.len"], &["0xdeadbeef|192.0.2.40|40"]);

    let f = write_temp(dir.path(), "modified.pcap.gz", &gzip(&m.bytes()));
    check(&f, &["ip.dst", "tcp.dstport"], &["192.0.2.40|80"]);
}
