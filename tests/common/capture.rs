//! Hand-built test captures, byte by byte.
//!
//! Integration tests must not copy captures from elsewhere: they build them
//! here, from frames up to whole pcap / pcapng files. Nothing in this module
//! depends on darkscope itself, so a decoder bug cannot hide in a fixture.
//! `tests/capture_builders.rs` checks the output against tshark.
//!
//! Conventions: every multi-byte header field is written in network order
//! except where a format says otherwise (BSD NULL and the pcap/pcapng file
//! structures, which follow the chosen byte order). Checksums are right where
//! the function says so and zero otherwise. No function here validates its
//! input: giving nonsense on purpose (a bad total length, a huge caplen) is
//! how malformed-input tests are written.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/// Link-type values (the pcap header `network` field / pcapng IDB `LinkType`).
pub const LINKTYPE_NULL: u32 = 0;
pub const LINKTYPE_ETHERNET: u32 = 1;
/// DLT_RAW as it appears in the wild in pcap files: 12 (most BSDs/Linux
/// libpcap before LINKTYPE_RAW) and 14 (OpenBSD).
pub const LINKTYPE_RAW_12: u32 = 12;
pub const LINKTYPE_RAW_14: u32 = 14;
pub const LINKTYPE_RAW: u32 = 101;
pub const LINKTYPE_LOOP: u32 = 108;
pub const LINKTYPE_LINUX_SLL: u32 = 113;
pub const LINKTYPE_IPV4: u32 = 228;
pub const LINKTYPE_IPV6: u32 = 229;
pub const LINKTYPE_LINUX_SLL2: u32 = 276;
/// Bit 26 of a pcap link-type field: "an FCS length is given in bits 28–31".
pub const LINKTYPE_FCS_PRESENT: u32 = 0x0400_0000;

/// A pcap link-type field announcing an FCS of `halfwords` × 2 bytes.
pub fn linktype_with_fcs(linktype: u32, halfwords: u32) -> u32 {
    linktype | LINKTYPE_FCS_PRESENT | (halfwords << 28)
}

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const TPID_8021Q: u16 = 0x8100;
pub const TPID_8021AD: u16 = 0x88a8;
pub const TPID_9100: u16 = 0x9100;

/// BSD NULL / LOOP address families.
pub const AF_INET: u32 = 2;
/// AF_INET6 on NetBSD/OpenBSD (24), FreeBSD (28) and Darwin (30).
pub const AF_INET6_BSD: u32 = 24;
pub const AF_INET6_FREEBSD: u32 = 28;
pub const AF_INET6_DARWIN: u32 = 30;

pub const IPPROTO_HOPOPTS: u8 = 0;
pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_ROUTING: u8 = 43;
pub const IPPROTO_FRAGMENT: u8 = 44;
pub const IPPROTO_GRE: u8 = 47;
pub const IPPROTO_ESP: u8 = 50;
pub const IPPROTO_AH: u8 = 51;
pub const IPPROTO_ICMPV6: u8 = 58;
pub const IPPROTO_NONE: u8 = 59;
pub const IPPROTO_DSTOPTS: u8 = 60;

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;
pub const TCP_URG: u8 = 0x20;
pub const TCP_ECE: u8 = 0x40;
pub const TCP_CWR: u8 = 0x80;

/// MAC addresses used where a test does not care.
pub const MAC_DST: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
pub const MAC_SRC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

// ---------------------------------------------------------------------------
// Link layer
// ---------------------------------------------------------------------------

/// Ethernet II: dst, src, EtherType, payload (no FCS).
pub fn eth(dst_mac: [u8; 6], src_mac: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Ethernet with a stack of VLAN tags, outermost first: each `(tpid, tci)`
/// is written as TPID then TCI (PCP/DEI/VID; VID = `tci & 0x0fff`), then the
/// inner EtherType. MACs are [`MAC_DST`] / [`MAC_SRC`].
pub fn eth_vlan(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut inner = Vec::with_capacity(tags.len() * 4 + 2 + payload.len());
    for (i, &(_, tci)) in tags.iter().enumerate() {
        if i > 0 {
            inner.extend_from_slice(&tags[i].0.to_be_bytes());
        }
        inner.extend_from_slice(&tci.to_be_bytes());
    }
    inner.extend_from_slice(&ethertype.to_be_bytes());
    inner.extend_from_slice(payload);
    match tags.first() {
        Some(&(tpid, _)) => eth(MAC_DST, MAC_SRC, tpid, &inner),
        None => eth(MAC_DST, MAC_SRC, ethertype, payload),
    }
}

/// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16-byte header): packet
/// type 0 (to us), ARPHRD_ETHER, address length 6, [`MAC_SRC`] padded to 8,
/// then the protocol (an EtherType).
pub fn sll(proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(16 + payload.len());
    f.extend_from_slice(&0u16.to_be_bytes()); // packet type: PACKET_HOST
    f.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
    f.extend_from_slice(&6u16.to_be_bytes()); // link-layer address length
    f.extend_from_slice(&MAC_SRC);
    f.extend_from_slice(&[0, 0]); // address padded to 8 bytes
    f.extend_from_slice(&proto.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20-byte header): protocol
/// (EtherType) first, reserved 0, interface index 3, ARPHRD_ETHER, packet
/// type 0, address length 6, [`MAC_SRC`] padded to 8.
pub fn sll2(proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(20 + payload.len());
    f.extend_from_slice(&proto.to_be_bytes());
    f.extend_from_slice(&0u16.to_be_bytes()); // reserved
    f.extend_from_slice(&3u32.to_be_bytes()); // interface index
    f.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
    f.push(0); // packet type: PACKET_HOST
    f.push(6); // address length
    f.extend_from_slice(&MAC_SRC);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

/// BSD NULL (LINKTYPE_NULL) as written by a little-endian host.
pub fn null_le(family: u32, payload: &[u8]) -> Vec<u8> {
    prefixed(&family.to_le_bytes(), payload)
}

/// BSD NULL (LINKTYPE_NULL) as written by a big-endian host.
pub fn null_be(family: u32, payload: &[u8]) -> Vec<u8> {
    prefixed(&family.to_be_bytes(), payload)
}

/// OpenBSD LOOP (LINKTYPE_LOOP): the family in network order.
pub fn loop_(family: u32, payload: &[u8]) -> Vec<u8> {
    prefixed(&family.to_be_bytes(), payload)
}

fn prefixed(head: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(head.len() + payload.len());
    f.extend_from_slice(head);
    f.extend_from_slice(payload);
    f
}

// ---------------------------------------------------------------------------
// IP
// ---------------------------------------------------------------------------

/// The Internet checksum (RFC 1071) of `data`, ready to store big-endian.
pub fn inet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// IPv4 header knobs; `Ipv4Opts::default()` is a plain unfragmented packet.
#[derive(Clone, Debug)]
pub struct Ipv4Opts {
    pub id: u16,
    pub ttl: u8,
    /// Raw option bytes; zero-padded (EOL) to a multiple of 4.
    pub options: Vec<u8>,
    /// Fragment offset in 8-byte units (13 bits).
    pub frag_offset_units: u16,
    pub more_fragments: bool,
    /// Write this total length instead of the true one (the checksum still
    /// covers the header as written).
    pub total_len_override: Option<u16>,
}

impl Default for Ipv4Opts {
    fn default() -> Self {
        Ipv4Opts {
            id: 0x1234,
            ttl: 64,
            options: Vec::new(),
            frag_offset_units: 0,
            more_fragments: false,
            total_len_override: None,
        }
    }
}

/// An IPv4 packet with a correct header checksum.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8], opts: Ipv4Opts) -> Vec<u8> {
    let mut options = opts.options;
    while !options.len().is_multiple_of(4) {
        options.push(0);
    }
    let ihl = 5 + options.len() / 4;
    let header_len = ihl * 4;
    let total = opts.total_len_override.unwrap_or((header_len + payload.len()) as u16);
    let flags_frag = (u16::from(opts.more_fragments) << 13) | (opts.frag_offset_units & 0x1fff);
    let mut p = Vec::with_capacity(header_len + payload.len());
    p.push(0x40 | ihl as u8);
    p.push(0); // DSCP/ECN
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&opts.id.to_be_bytes());
    p.extend_from_slice(&flags_frag.to_be_bytes());
    p.push(opts.ttl);
    p.push(proto);
    p.extend_from_slice(&[0, 0]); // checksum, filled below
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&options);
    let sum = inet_checksum(&p[..header_len]);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An IPv6 extension header for [`ipv6`]. Each one's Next Header field is
/// filled in from its successor (or the upper-layer protocol).
#[derive(Clone, Debug)]
pub enum Ext {
    /// Hop-by-hop options (type 0): the option bytes after the 2-byte
    /// header, padded with Pad1/PadN to a multiple of 8 octets; Hdr Ext Len
    /// = 8-octet units − 1.
    HopByHop(Vec<u8>),
    /// Destination options (type 60), laid out like [`Ext::HopByHop`].
    DestOpts(Vec<u8>),
    /// Routing header type 0 (type 43) with these addresses.
    Routing { segments_left: u8, addresses: Vec<[u8; 16]> },
    /// Fragment header (type 44): offset in 8-octet units, M flag, ID.
    Fragment { offset_units: u16, more: bool, id: u32 },
    /// Authentication header (type 51): SPI, sequence, ICV (zero-padded
    /// to a multiple of 8 octets overall); Payload Len = 4-octet units − 2.
    Ah { spi: u32, seq: u32, icv: Vec<u8> },
    /// Any other header in the common TLV layout (kind, 8-octet length).
    Raw { kind: u8, body: Vec<u8> },
}

impl Ext {
    fn kind(&self) -> u8 {
        match self {
            Ext::HopByHop(_) => IPPROTO_HOPOPTS,
            Ext::DestOpts(_) => IPPROTO_DSTOPTS,
            Ext::Routing { .. } => IPPROTO_ROUTING,
            Ext::Fragment { .. } => IPPROTO_FRAGMENT,
            Ext::Ah { .. } => IPPROTO_AH,
            Ext::Raw { kind, .. } => *kind,
        }
    }

    fn write(&self, next: u8, out: &mut Vec<u8>) {
        match self {
            Ext::HopByHop(opts) | Ext::DestOpts(opts) => {
                let mut body = opts.clone();
                pad_options(&mut body);
                out.push(next);
                out.push(((2 + body.len()) / 8 - 1) as u8);
                out.extend_from_slice(&body);
            }
            Ext::Raw { body, .. } => {
                let mut body = body.clone();
                while !(2 + body.len()).is_multiple_of(8) {
                    body.push(0);
                }
                out.push(next);
                out.push(((2 + body.len()) / 8 - 1) as u8);
                out.extend_from_slice(&body);
            }
            Ext::Routing { segments_left, addresses } => {
                out.push(next);
                out.push((addresses.len() * 2) as u8);
                out.push(0); // routing type 0
                out.push(*segments_left);
                out.extend_from_slice(&[0; 4]);
                for a in addresses {
                    out.extend_from_slice(a);
                }
            }
            Ext::Fragment { offset_units, more, id } => {
                out.push(next);
                out.push(0);
                let field = (offset_units << 3) | u16::from(*more);
                out.extend_from_slice(&field.to_be_bytes());
                out.extend_from_slice(&id.to_be_bytes());
            }
            Ext::Ah { spi, seq, icv } => {
                let mut icv = icv.clone();
                while !(12 + icv.len()).is_multiple_of(8) {
                    icv.push(0);
                }
                let len = 12 + icv.len();
                out.push(next);
                out.push((len / 4 - 2) as u8);
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&spi.to_be_bytes());
                out.extend_from_slice(&seq.to_be_bytes());
                out.extend_from_slice(&icv);
            }
        }
    }
}

/// Pads hop-by-hop / destination option bytes (after the 2-byte header)
/// so that header + options is a multiple of 8: Pad1 for one byte, PadN
/// otherwise.
fn pad_options(body: &mut Vec<u8>) {
    let pad = (8 - (2 + body.len()) % 8) % 8;
    match pad {
        0 => {}
        1 => body.push(0),
        n => {
            body.push(1);
            body.push((n - 2) as u8);
            body.extend(std::iter::repeat_n(0, n - 2));
        }
    }
}

/// An IPv6 packet: fixed header, the extension headers in order, then the
/// payload; `next_header` is the upper-layer protocol at the end of the
/// chain. Hop limit 64, flow label 0, Payload Length right.
pub fn ipv6(src: [u8; 16], dst: [u8; 16], next_header: u8, payload: &[u8], ext: &[Ext]) -> Vec<u8> {
    let mut chain = Vec::new();
    for (i, e) in ext.iter().enumerate() {
        let next = ext.get(i + 1).map_or(next_header, Ext::kind);
        e.write(next, &mut chain);
    }
    let first = ext.first().map_or(next_header, Ext::kind);
    let plen = (chain.len() + payload.len()) as u16;
    let mut p = Vec::with_capacity(40 + chain.len() + payload.len());
    p.extend_from_slice(&0x6000_0000u32.to_be_bytes());
    p.extend_from_slice(&plen.to_be_bytes());
    p.push(first);
    p.push(64);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&chain);
    p.extend_from_slice(payload);
    p
}

/// Parses an IPv6 address literal (test convenience).
pub fn v6(text: &str) -> [u8; 16] {
    text.parse::<std::net::Ipv6Addr>().expect("valid IPv6 literal in a test").octets()
}

/// Parses an IPv4 address literal (test convenience).
pub fn v4(text: &str) -> [u8; 4] {
    text.parse::<std::net::Ipv4Addr>().expect("valid IPv4 literal in a test").octets()
}

// ---------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------

/// A TCP header (20 bytes + options zero-padded to 4), checksum 0, urgent 0.
pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, window: u16, options: &[u8]) -> Vec<u8> {
    let mut opts = options.to_vec();
    while !opts.len().is_multiple_of(4) {
        opts.push(0);
    }
    let offset = (20 + opts.len()) / 4;
    let mut t = Vec::with_capacity(20 + opts.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push((offset as u8) << 4);
    t.push(flags);
    t.extend_from_slice(&window.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    t.extend_from_slice(&opts);
    t
}

/// A UDP datagram, length right, checksum 0 ("none" for IPv4).
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// An ICMPv4 message with a correct checksum. `rest` is the second header
/// word (identifier + sequence for echo, unused/MTU for errors).
pub fn icmp(icmp_type: u8, code: u8, rest: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(8 + payload.len());
    m.push(icmp_type);
    m.push(code);
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&rest);
    m.extend_from_slice(payload);
    let sum = inet_checksum(&m);
    m[2..4].copy_from_slice(&sum.to_be_bytes());
    m
}

/// An ICMPv6 message, checksum 0 (it needs the pseudo-header).
pub fn icmpv6(icmp_type: u8, code: u8, rest: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(8 + payload.len());
    m.push(icmp_type);
    m.push(code);
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&rest);
    m.extend_from_slice(payload);
    m
}

// ---------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------

/// A classic pcap file. Build with struct update syntax, e.g.
/// `Pcap { le: false, nanos: true, ..Pcap::new(LINKTYPE_ETHERNET) }`, then
/// add records and take [`Pcap::bytes`].
#[derive(Clone, Debug)]
pub struct Pcap {
    /// Byte order of the file (magic included).
    pub le: bool,
    /// Nanosecond timestamps (magic a1b23c4d) instead of microseconds.
    pub nanos: bool,
    /// The whole 32-bit link-type field, FCS and reserved bits included.
    pub linktype_field: u32,
    pub snaplen: u32,
    /// Kuznetzov's modified pcap (magic a1b2cd34, 24-byte record headers
    /// with ifindex, protocol, pkt_type and padding).
    pub modified: bool,
    /// Records already serialised (header + data).
    pub records: Vec<u8>,
}

impl Pcap {
    /// Little-endian, microseconds, snaplen 65535, not modified.
    pub fn new(linktype_field: u32) -> Pcap {
        Pcap { le: true, nanos: false, linktype_field, snaplen: 65_535, modified: false, records: Vec::new() }
    }

    pub fn magic(&self) -> u32 {
        if self.modified {
            0xa1b2_cd34
        } else if self.nanos {
            0xa1b2_3c4d
        } else {
            0xa1b2_c3d4
        }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    /// A record: `ts_frac` is µs or ns per [`Pcap::nanos`]; caplen = data length.
    pub fn record(&mut self, ts_sec: u32, ts_frac: u32, data: &[u8], orig_len: u32) -> &mut Self {
        self.record_with_caplen(ts_sec, ts_frac, data.len() as u32, data, orig_len)
    }

    /// A record whose caplen field says `caplen`, whatever `data` holds
    /// (for malformed-file tests).
    pub fn record_with_caplen(
        &mut self,
        ts_sec: u32,
        ts_frac: u32,
        caplen: u32,
        data: &[u8],
        orig_len: u32,
    ) -> &mut Self {
        let mut r = Vec::with_capacity(24 + data.len());
        r.extend_from_slice(&self.u32(ts_sec));
        r.extend_from_slice(&self.u32(ts_frac));
        r.extend_from_slice(&self.u32(caplen));
        r.extend_from_slice(&self.u32(orig_len));
        if self.modified {
            r.extend_from_slice(&self.u32(1)); // ifindex
            r.extend_from_slice(&self.u16(0x0800)); // protocol
            r.push(0); // pkt_type
            r.push(0); // pad
        }
        r.extend_from_slice(data);
        self.records.extend_from_slice(&r);
        self
    }

    /// The 24-byte file header.
    pub fn header(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&self.u32(self.magic()));
        h.extend_from_slice(&self.u16(2));
        h.extend_from_slice(&self.u16(4));
        h.extend_from_slice(&self.u32(0)); // thiszone
        h.extend_from_slice(&self.u32(0)); // sigfigs
        h.extend_from_slice(&self.u32(self.snaplen));
        h.extend_from_slice(&self.u32(self.linktype_field));
        h
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        out.extend_from_slice(&self.records);
        out
    }
}

// ---------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------

pub const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
pub const PCAPNG_IDB: u32 = 1;
pub const PCAPNG_OPB: u32 = 2;
pub const PCAPNG_SPB: u32 = 3;
pub const PCAPNG_NRB: u32 = 4;
pub const PCAPNG_ISB: u32 = 5;
pub const PCAPNG_EPB: u32 = 6;
pub const PCAPNG_CB: u32 = 0x0000_0BAD;

/// A pcapng file, block by block. Start every section with
/// [`Pcapng::section`]; later blocks use that section's byte order.
/// Interface IDs count from 0 within each section, in `interface` order.
#[derive(Clone, Debug, Default)]
pub struct Pcapng {
    le: bool,
    out: Vec<u8>,
}

impl Pcapng {
    pub fn new() -> Pcapng {
        Pcapng { le: true, out: Vec::new() }
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    fn u64(&self, v: u64) -> [u8; 8] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    /// A 64-bit timestamp as pcapng stores it: high word, then low word.
    fn ts(&self, ticks: u64) -> Vec<u8> {
        let mut v = self.u32((ticks >> 32) as u32).to_vec();
        v.extend_from_slice(&self.u32(ticks as u32));
        v
    }

    /// One option (code, length, value padded to 32 bits).
    fn option(&self, code: u16, value: &[u8]) -> Vec<u8> {
        let mut o = self.u16(code).to_vec();
        o.extend_from_slice(&self.u16(value.len() as u16));
        o.extend_from_slice(value);
        pad4(&mut o);
        o
    }

    fn end_of_options(&self) -> Vec<u8> {
        self.option(0, &[])
    }

    /// Any block: type, total length, `body` padded to 32 bits, total
    /// length again.
    pub fn raw_block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let mut body = body.to_vec();
        pad4(&mut body);
        let total = (12 + body.len()) as u32;
        let mut b = self.u32(block_type).to_vec();
        b.extend_from_slice(&self.u32(total));
        b.extend_from_slice(&body);
        b.extend_from_slice(&self.u32(total));
        self.out.extend_from_slice(&b);
        self
    }

    /// Section Header Block: byte-order magic 0x1A2B3C4D, version 1.0,
    /// section length −1 (unknown), no options.
    pub fn section(&mut self, le: bool) -> &mut Self {
        self.le = le;
        let mut body = self.u32(0x1A2B_3C4D).to_vec();
        body.extend_from_slice(&self.u16(1));
        body.extend_from_slice(&self.u16(0));
        body.extend_from_slice(&self.u64(u64::MAX)); // -1
        self.raw_block(PCAPNG_SHB, &body)
    }

    /// Interface Description Block with optional if_tsresol (9) and
    /// if_tsoffset (14, seconds, signed).
    pub fn interface(&mut self, linktype: u16, snaplen: u32, tsresol: Option<u8>, tsoffset: Option<i64>) -> &mut Self {
        let mut body = self.u16(linktype).to_vec();
        body.extend_from_slice(&[0, 0]); // reserved
        body.extend_from_slice(&self.u32(snaplen));
        let mut any = false;
        if let Some(r) = tsresol {
            body.extend_from_slice(&self.option(9, &[r]));
            any = true;
        }
        if let Some(off) = tsoffset {
            body.extend_from_slice(&self.option(14, &self.u64(off as u64)));
            any = true;
        }
        if any {
            body.extend_from_slice(&self.end_of_options());
        }
        self.raw_block(PCAPNG_IDB, &body)
    }

    /// Enhanced Packet Block (captured length = data length).
    pub fn epb(&mut self, if_id: u32, ts_ticks: u64, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = self.u32(if_id).to_vec();
        body.extend_from_slice(&self.ts(ts_ticks));
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(&self.u32(orig_len));
        body.extend_from_slice(data);
        self.raw_block(PCAPNG_EPB, &body)
    }

    /// Simple Packet Block (interface 0, no timestamp). The captured length
    /// is implied: min(orig_len, IDB snaplen, block body length); when
    /// `data` is shorter than `orig_len` and not a multiple of 4, a reader
    /// cannot tell data from padding.
    pub fn spb(&mut self, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = self.u32(orig_len).to_vec();
        body.extend_from_slice(data);
        self.raw_block(PCAPNG_SPB, &body)
    }

    /// The obsolete Packet Block (type 2): 16-bit interface ID, drops 0.
    pub fn obsolete_pb(&mut self, if_id: u16, ts_ticks: u64, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = self.u16(if_id).to_vec();
        body.extend_from_slice(&self.u16(0)); // drops count
        body.extend_from_slice(&self.ts(ts_ticks));
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(&self.u32(orig_len));
        body.extend_from_slice(data);
        self.raw_block(PCAPNG_OPB, &body)
    }

    /// Name Resolution Block with one IPv4 record (192.0.2.1 →
    /// "sensor.example") and the end record.
    pub fn nrb(&mut self) -> &mut Self {
        let mut value = vec![192, 0, 2, 1];
        value.extend_from_slice(b"sensor.example\0");
        let mut body = self.u16(1).to_vec(); // nrb_record_ipv4
        body.extend_from_slice(&self.u16(value.len() as u16));
        body.extend_from_slice(&value);
        pad4(&mut body);
        body.extend_from_slice(&self.u16(0)); // nrb_record_end
        body.extend_from_slice(&self.u16(0));
        self.raw_block(PCAPNG_NRB, &body)
    }

    /// Interface Statistics Block: timestamp = `end_ticks`, options
    /// isb_starttime (2) and isb_endtime (3).
    pub fn isb(&mut self, if_id: u32, start_ticks: u64, end_ticks: u64) -> &mut Self {
        let mut body = self.u32(if_id).to_vec();
        body.extend_from_slice(&self.ts(end_ticks));
        body.extend_from_slice(&self.option(2, &self.ts(start_ticks)));
        body.extend_from_slice(&self.option(3, &self.ts(end_ticks)));
        body.extend_from_slice(&self.end_of_options());
        self.raw_block(PCAPNG_ISB, &body)
    }

    /// Custom Block (0x00000BAD, "may be copied") with a private
    /// enterprise number and a few bytes of data.
    pub fn custom(&mut self, pen: u32) -> &mut Self {
        let mut body = self.u32(pen).to_vec();
        body.extend_from_slice(b"darkscope test");
        self.raw_block(PCAPNG_CB, &body)
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.out.clone()
    }
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

// ---------------------------------------------------------------------------
// Files and compression
// ---------------------------------------------------------------------------

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

/// gzip (one member).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

/// One zstd frame.
pub fn zstd_compress(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd into memory")
}

/// An xz stream.
pub fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
    enc.write_all(bytes).expect("xz into memory");
    enc.finish().expect("xz into memory")
}
