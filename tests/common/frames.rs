//! Frames for the test captures: link layers, IPv4/IPv6 and transport
//! headers (see `capture.rs` for the conventions).
#![allow(dead_code)]

use super::capture::*;

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
    // Same layout as ICMPv6; only ICMPv4's checksum covers the message alone.
    let mut m = icmpv6(icmp_type, code, rest, payload);
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
