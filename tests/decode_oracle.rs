//! An independent oracle for the decoder and classifier: `etherparse`'s
//! `PacketBuilder` (the design card's decoding crate, here the reference
//! encoder) writes random packets on every link type it can write (raw IP,
//! Ethernet, one and two VLAN tags, Linux SLL; SLL2, which it cannot, is
//! its raw IP behind a hand-written 20-byte header), IPv4 with options and
//! fragment bits, IPv6 with hop-by-hop and destination-options headers,
//! TCP with any flags, UDP, ICMP and ICMPv6, cut at a random length. The
//! decoder must read back what was written, as far as it was captured, and
//! the classifier must give DESIGN's flag class and backscatter.
//!
//! Where etherparse and DESIGN differ, DESIGN wins: etherparse parses no
//! transport header of any fragment, DESIGN reads the ports of first
//! fragments (offset 0); a non-first fragment carries bytes that look like
//! a TCP header here, and DESIGN reads no port from them.
//!
//! 10,000 cases per link type (`PROPTEST_CASES` overrides).

use darkscope::classify::{Backscatter, FlagClass, classify};
use darkscope::decode::{Addr, Decoded, Fields, IpProto, decode};
use darkscope::source::{LinkType, Record};
use darkscope::time::Timestamp;
use etherparse::{
    IpFragOffset, IpHeaders, IpNumber, Ipv4Extensions, Ipv4Header, Ipv4Options, Ipv6Extensions, Ipv6Header,
    Ipv6RawExtHeader, LinuxSllPacketType, PacketBuilder, PacketBuilderStep, TcpHeader, VlanId,
};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Link {
    Raw,
    Ethernet,
    Vlan,
    QinQ,
    Sll,
    Sll2,
}

impl Link {
    /// Bytes before the IP header, and the pcap link type.
    fn header(self) -> (usize, LinkType) {
        match self {
            Link::Raw => (0, LinkType::RAW),
            Link::Ethernet => (14, LinkType::ETHERNET),
            Link::Vlan => (18, LinkType::ETHERNET),
            Link::QinQ => (22, LinkType::ETHERNET),
            Link::Sll => (16, LinkType::LINUX_SLL),
            Link::Sll2 => (20, LinkType::LINUX_SLL2),
        }
    }
}

#[derive(Clone, Debug)]
enum L4 {
    Tcp { src: u16, dst: u16, seq: u32, window: u16, flags: u8 },
    Udp { src: u16, dst: u16 },
    Icmp { kind: u8, code: u8 },
}

#[derive(Clone, Debug)]
struct Spec {
    v6: bool,
    src: [u8; 16],
    dst: [u8; 16],
    ttl: u8,
    id: u16,
    /// IPv4 option words (0-10), or IPv6 extension headers (bit 0
    /// hop-by-hop, bit 1 destination options).
    extra: u8,
    /// IPv4 fragment: (more fragments, offset in 8-byte units).
    fragment: (bool, u16),
    l4: L4,
    payload: Vec<u8>,
    /// Where the capture cuts the frame, as a share of its length (≥ 1: whole).
    cut: f64,
}

fn l4() -> impl Strategy<Value = L4> {
    prop_oneof![
        (any::<u16>(), any::<u16>(), any::<u32>(), any::<u16>(), any::<u8>())
            .prop_map(|(src, dst, seq, window, flags)| L4::Tcp { src, dst, seq, window, flags }),
        (any::<u16>(), any::<u16>()).prop_map(|(src, dst)| L4::Udp { src, dst }),
        (any::<u8>(), any::<u8>()).prop_map(|(kind, code)| L4::Icmp { kind, code }),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    let fragment = prop_oneof![3 => Just((false, 0u16)), 1 => Just((true, 0)), 1 => (any::<bool>(), 1u16..8191)];
    (
        any::<bool>(),
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        any::<u8>(),
        any::<u16>(),
        0u8..=10,
        fragment,
        l4(),
        proptest::collection::vec(any::<u8>(), 0..40),
        prop_oneof![1 => Just(2.0), 1 => 0.0f64..1.0],
    )
        .prop_map(|(v6, src, dst, ttl, id, extra, fragment, l4, payload, cut)| Spec {
            v6,
            src,
            dst,
            ttl,
            id,
            extra,
            fragment: if v6 { (false, 0) } else { fragment },
            l4,
            payload,
            cut,
        })
}

/// A TCP flag's bit in the flags byte, and how etherparse sets it.
type FlagSetter = (u8, fn(&mut TcpHeader));

const TCP_FLAGS: [FlagSetter; 8] = [
    (0x01, |h| h.fin = true),
    (0x02, |h| h.syn = true),
    (0x04, |h| h.rst = true),
    (0x08, |h| h.psh = true),
    (0x10, |h| h.ack = true),
    (0x20, |h| h.urg = true),
    (0x40, |h| h.ece = true),
    (0x80, |h| h.cwr = true),
];

/// The IP headers of `s`, and their length.
fn ip_headers(s: &Spec) -> (IpHeaders, usize) {
    if s.v6 {
        let header = Ipv6Header { hop_limit: s.ttl, source: s.src, destination: s.dst, ..Default::default() };
        let ext = |bit: u8| (s.extra & bit != 0).then(|| Ipv6RawExtHeader::new_raw(IpNumber(0), &[0; 6]).unwrap());
        let exts = Ipv6Extensions { hop_by_hop_options: ext(1), destination_options: ext(2), ..Default::default() };
        let len = 40 + 8 * (s.extra & 1) as usize + 8 * (s.extra >> 1 & 1) as usize;
        (IpHeaders::Ipv6(header, exts), len)
    } else {
        let src: [u8; 4] = s.src[..4].try_into().unwrap();
        let dst: [u8; 4] = s.dst[..4].try_into().unwrap();
        let mut header = Ipv4Header::new(0, s.ttl, IpNumber(0), src, dst).unwrap();
        header.identification = s.id;
        // No-operation options (type 1), padded words of them.
        header.options = Ipv4Options::try_from(&vec![1u8; 4 * s.extra as usize][..]).unwrap();
        header.more_fragments = s.fragment.0;
        header.fragment_offset = IpFragOffset::try_new(s.fragment.1).unwrap();
        (IpHeaders::Ipv4(header, Ipv4Extensions::default()), 20 + 4 * s.extra as usize)
    }
}

fn on_link(link: Link, ip: IpHeaders) -> PacketBuilderStep<IpHeaders> {
    let (a, b) = ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    match link {
        Link::Raw | Link::Sll2 => PacketBuilder::ip(ip),
        Link::Ethernet => PacketBuilder::ethernet2(a, b).ip(ip),
        Link::Vlan => PacketBuilder::ethernet2(a, b).single_vlan(VlanId::try_new(100).unwrap()).ip(ip),
        Link::QinQ => PacketBuilder::ethernet2(a, b)
            .double_vlan(VlanId::try_new(10).unwrap(), VlanId::try_new(20).unwrap())
            .ip(ip),
        Link::Sll => PacketBuilder::linux_sll(LinuxSllPacketType::HOST, 6, [2, 0, 0, 0, 0, 1, 0, 0]).ip(ip),
    }
}

/// The frame as written, and where its IP and transport headers start.
fn frame(link: Link, s: &Spec) -> (Vec<u8>, usize, usize) {
    let (ip, ip_len) = ip_headers(s);
    let step = on_link(link, ip);
    let mut out = Vec::new();
    match s.l4 {
        L4::Tcp { src, dst, seq, window, flags } => {
            let mut h = TcpHeader::new(src, dst, seq, window);
            for (bit, set) in TCP_FLAGS {
                if flags & bit != 0 {
                    set(&mut h);
                }
            }
            step.tcp_header(h).write(&mut out, &s.payload).unwrap();
        }
        L4::Udp { src, dst } => step.udp(src, dst).write(&mut out, &s.payload).unwrap(),
        L4::Icmp { kind, code } if s.v6 => step.icmpv6_raw(kind, code, [0; 4]).write(&mut out, &s.payload).unwrap(),
        L4::Icmp { kind, code } => step.icmpv4_raw(kind, code, [0; 4]).write(&mut out, &s.payload).unwrap(),
    }
    if let Link::Sll2 = link {
        // SLL2: protocol type, reserved, interface index, ARPHRD_ETHER,
        // packet type, address length, address (8 bytes).
        let ethertype: u16 = if s.v6 { 0x86dd } else { 0x0800 };
        let mut sll2 = ethertype.to_be_bytes().to_vec();
        sll2.extend([0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
        sll2.extend(out);
        out = sll2;
    }
    let ip_at = link.header().0;
    (out, ip_at, ip_at + ip_len)
}

fn addr(s: &Spec, octets: [u8; 16]) -> Addr {
    if s.v6 { Addr::v6(octets) } else { Addr::v4(u32::from_be_bytes(octets[..4].try_into().unwrap())) }
}

fn check(link: Link, s: &Spec) -> Result<(), TestCaseError> {
    let (bytes, ip_at, l4_at) = frame(link, s);
    let n = if s.cut >= 1.0 { bytes.len() } else { (s.cut * bytes.len() as f64) as usize };
    let record =
        Record { ts: Timestamp(0), link: Some(link.header().1), data: &bytes[..n], orig_len: bytes.len() as u32 };
    let decoded = decode(&record);
    // Up to the destination address the packet must be whole.
    let dst_end = ip_at + if s.v6 { 40 } else { 20 };
    if n < dst_end {
        prop_assert!(matches!(decoded, Decoded::Malformed(_)), "cut at {n} of {}: {decoded:?}", bytes.len());
        return Ok(());
    }
    let Decoded::Ip(p) = decoded else {
        return Err(TestCaseError::fail(format!("{link:?} {s:?}: {decoded:?}")));
    };
    prop_assert_eq!(p.src, addr(s, s.src));
    prop_assert_eq!(p.dst, addr(s, s.dst));
    prop_assert_eq!(p.ttl, s.ttl);
    prop_assert_eq!(p.ip_id, if s.v6 { 0 } else { s.id });
    prop_assert_eq!(p.captured_len as usize, n);
    let non_first = s.fragment.1 != 0;
    prop_assert_eq!(p.has(Fields::FRAGMENT), s.fragment != (false, 0));
    prop_assert_eq!(p.has(Fields::NON_FIRST_FRAGMENT), non_first);
    let (proto, ports) = match s.l4 {
        L4::Tcp { src, dst, .. } => (IpProto::TCP, Some((src, dst))),
        L4::Udp { src, dst } => (IpProto::UDP, Some((src, dst))),
        L4::Icmp { .. } => (if s.v6 { IpProto::ICMPV6 } else { IpProto::ICMP }, None),
    };
    if n < l4_at && s.v6 {
        // Cut inside the extension headers: the upper protocol is unknown,
        // and nothing of it was captured.
        prop_assert!(!p.has(Fields::PORTS) && !p.has(Fields::TCP_FLAGS) && !p.has(Fields::ICMP_TYPE));
        return Ok(());
    }
    prop_assert_eq!(p.proto, proto);
    // L4 bytes captured (none for a non-first fragment: DESIGN, not etherparse).
    let seen = if non_first { 0 } else { n.saturating_sub(l4_at) };
    prop_assert_eq!(p.has(Fields::PORTS), ports.is_some() && seen >= 4, "{} L4 bytes", seen);
    if let (Some((src, dst)), true) = (ports, seen >= 4) {
        prop_assert_eq!((p.src_port, p.dst_port), (src, dst));
        prop_assert_eq!(p.dst_port(), Some(dst));
    } else {
        prop_assert_eq!(p.dst_port(), None);
    }
    let class = classify(&p);
    match s.l4 {
        L4::Tcp { seq, window, flags, .. } => {
            prop_assert_eq!(p.has(Fields::SEQ), seen >= 8);
            if seen >= 8 {
                prop_assert_eq!(p.seq, seq);
            }
            prop_assert_eq!(p.has(Fields::WINDOW), seen >= 16);
            if seen >= 16 {
                prop_assert_eq!(p.window, window);
            }
            prop_assert_eq!(p.has(Fields::TCP_FLAGS), seen >= 14);
            // DESIGN's order: rst_ack, rst, syn_ack, syn, other; unknown
            // when the flags byte was not captured; ECE/CWR ignored.
            let (syn, ack, rst) = (flags & 0x02 != 0, flags & 0x10 != 0, flags & 0x04 != 0);
            let want = match (seen >= 14, rst, syn, ack) {
                (false, ..) => FlagClass::Unknown,
                (true, true, _, true) => FlagClass::RstAck,
                (true, true, _, false) => FlagClass::Rst,
                (true, false, true, true) => FlagClass::SynAck,
                (true, false, true, false) => FlagClass::Syn,
                _ => FlagClass::Other,
            };
            prop_assert_eq!(class.flags, Some(want));
            if seen >= 14 {
                prop_assert_eq!(p.tcp_flags, flags);
            }
            let backscatter = match want {
                FlagClass::SynAck => Some(Backscatter::TcpSynAck),
                FlagClass::Rst => Some(Backscatter::TcpRst),
                FlagClass::RstAck => Some(Backscatter::TcpRstAck),
                _ => None,
            };
            prop_assert_eq!(class.backscatter, backscatter);
            if backscatter.is_some() {
                prop_assert_eq!(class.victim, Some(p.src));
            }
        }
        L4::Icmp { kind, code } => {
            // The type is what classification reads: one byte is enough;
            // the code when its byte was captured too.
            prop_assert_eq!(p.has(Fields::ICMP_TYPE), seen >= 1);
            if seen >= 1 {
                prop_assert_eq!((p.icmp_type, p.icmp_code), (kind, if seen >= 2 { code } else { 0 }));
                let (kinds, make): (&[u8], fn(u8) -> Backscatter) = if s.v6 {
                    (&[1, 2, 3, 4, 129], Backscatter::Icmpv6)
                } else {
                    (&[0, 3, 4, 5, 11, 12, 14, 16, 18], Backscatter::Icmp)
                };
                prop_assert_eq!(class.backscatter, kinds.contains(&kind).then(|| make(kind)));
            } else {
                prop_assert_eq!(class.backscatter, None);
            }
        }
        L4::Udp { .. } => prop_assert_eq!(class.backscatter, None),
    }
    Ok(())
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(10_000);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

macro_rules! link_oracle {
    ($name:ident, $link:expr) => {
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $name(s in spec()) {
                check($link, &s)?;
            }
        }
    };
}

link_oracle!(raw_ip_reads_back_what_etherparse_wrote, Link::Raw);
link_oracle!(ethernet_reads_back_what_etherparse_wrote, Link::Ethernet);
link_oracle!(one_vlan_tag_reads_back_what_etherparse_wrote, Link::Vlan);
link_oracle!(two_vlan_tags_read_back_what_etherparse_wrote, Link::QinQ);
link_oracle!(linux_sll_reads_back_what_etherparse_wrote, Link::Sll);
link_oracle!(linux_sll2_reads_back_what_etherparse_wrote, Link::Sll2);
