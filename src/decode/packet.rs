//! The one packet form every stage after `decode` works on.
//!
//! A [`Packet`] is a small `Copy` record: nothing after the decoder touches
//! raw bytes. Which optional fields were captured is said by [`Fields`] bits,
//! following DESIGN.md's rule that "a field counts when its bytes were
//! captured" (ports need 4 bytes of L4 header, TCP flags 14, the sequence
//! number 8).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::time::Timestamp;

/// An IPv4 or IPv6 address in one 128-bit key. IPv4 addresses are stored
/// IPv4-mapped (`::ffff:a.b.c.d`), so one hash map serves both families.
/// An IPv6 packet carrying an IPv4-mapped address (which RFC 4291 keeps off
/// the wire, but spoofers do not) is keyed as `::1:ffff:a.b.c.d` instead, in
/// the reserved `::/8` block, so it never counts as the IPv4 address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr(pub u128);

const V4_MAPPED: u128 = 0xffff_u128 << 32;
/// The bit that moves an IPv6 packet's `::ffff:0:0/96` address to `::1:ffff:0:0/96`.
const V6_MAPPED_BIT: u128 = 1 << 48;

impl Addr {
    pub const fn v4(addr: u32) -> Addr {
        Addr(V4_MAPPED | addr as u128)
    }

    pub fn v6(octets: [u8; 16]) -> Addr {
        let bits = u128::from_be_bytes(octets);
        if bits >> 32 == 0xffff { Addr(bits | V6_MAPPED_BIT) } else { Addr(bits) }
    }

    /// The IPv4 address, when this is one.
    pub fn as_v4(self) -> Option<u32> {
        (self.0 >> 32 == 0xffff).then_some(self.0 as u32)
    }

    pub fn is_v4(self) -> bool {
        self.0 >> 32 == 0xffff
    }

    pub fn to_ip(self) -> IpAddr {
        match self.as_v4() {
            Some(v4) => IpAddr::V4(Ipv4Addr::from(v4)),
            None if self.0 >> 32 == 0x1_ffff => IpAddr::V6(Ipv6Addr::from(self.0 & !V6_MAPPED_BIT)),
            None => IpAddr::V6(Ipv6Addr::from(self.0)),
        }
    }
}

impl From<IpAddr> for Addr {
    fn from(ip: IpAddr) -> Addr {
        match ip {
            IpAddr::V4(v4) => Addr::v4(u32::from(v4)),
            IpAddr::V6(v6) => Addr::v6(v6.octets()),
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_ip().fmt(f)
    }
}

/// An IP protocol number (IPv4 protocol / IPv6 next header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpProto(pub u8);

impl IpProto {
    pub const ICMP: IpProto = IpProto(1);
    pub const IGMP: IpProto = IpProto(2);
    pub const TCP: IpProto = IpProto(6);
    pub const UDP: IpProto = IpProto(17);
    pub const GRE: IpProto = IpProto(47);
    pub const ESP: IpProto = IpProto(50);
    pub const AH: IpProto = IpProto(51);
    pub const ICMPV6: IpProto = IpProto(58);
    pub const NO_NEXT: IpProto = IpProto(59);
    pub const SCTP: IpProto = IpProto(132);

    /// The protocol's name as used in summary keys (`tcp`, `udp`, …, `ip/N`).
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            IpProto::ICMP => "icmp".into(),
            IpProto::IGMP => "igmp".into(),
            IpProto::TCP => "tcp".into(),
            IpProto::UDP => "udp".into(),
            IpProto::GRE => "gre".into(),
            IpProto::ESP => "esp".into(),
            IpProto::ICMPV6 => "icmpv6".into(),
            IpProto::NO_NEXT => "ipv6-nonxt".into(),
            IpProto::SCTP => "sctp".into(),
            IpProto(n) => format!("ip/{n}").into(),
        }
    }
}

/// Which optional fields of a [`Packet`] hold captured values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fields(pub u16);

impl Fields {
    /// Source and destination ports (TCP/UDP, first fragment, 4 bytes seen).
    pub const PORTS: Fields = Fields(1 << 0);
    /// The TCP flags byte (14 bytes of TCP header seen).
    pub const TCP_FLAGS: Fields = Fields(1 << 1);
    /// The TCP sequence number (8 bytes seen).
    pub const SEQ: Fields = Fields(1 << 2);
    /// The TCP window (16 bytes seen).
    pub const WINDOW: Fields = Fields(1 << 3);
    /// ICMP / ICMPv6 type (1 byte seen); the code is 0 unless its byte
    /// was seen too.
    pub const ICMP_TYPE: Fields = Fields(1 << 4);
    /// The packet is a fragment (any offset, or more-fragments set).
    pub const FRAGMENT: Fields = Fields(1 << 5);
    /// The packet is a fragment with a non-zero offset: it carries no L4 header.
    pub const NON_FIRST_FRAGMENT: Fields = Fields(1 << 6);
    /// An ICMP error quoting an inner IP header whose destination was captured.
    pub const INNER: Fields = Fields(1 << 7);
    /// The quoted inner header's destination port was captured too.
    pub const INNER_PORT: Fields = Fields(1 << 8);

    pub const fn contains(self, other: Fields) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn insert(&mut self, other: Fields) {
        self.0 |= other.0;
    }
}

/// IP version of a packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IpVersion {
    #[default]
    V4,
    V6,
}

/// A decoded IP packet: everything later stages need, nothing borrowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Packet {
    pub ts: Timestamp,
    pub version: IpVersion,
    pub src: Addr,
    pub dst: Addr,
    /// The upper-layer protocol (after the IPv6 extension-header walk).
    pub proto: IpProto,
    /// IP total length from the header (IPv6: payload length + 40).
    pub ip_len: u32,
    /// Bytes captured of the frame (after any FCS was stripped).
    pub captured_len: u32,
    pub ttl: u8,
    /// IPv4 identification (0 for IPv6).
    pub ip_id: u16,
    pub fields: Fields,
    pub src_port: u16,
    pub dst_port: u16,
    pub tcp_flags: u8,
    pub seq: u32,
    pub window: u16,
    pub icmp_type: u8,
    pub icmp_code: u8,
    /// ICMP errors: the quoted packet's destination (the backscatter victim).
    pub inner_dst: Addr,
    pub inner_proto: IpProto,
    pub inner_dst_port: u16,
}

impl Packet {
    pub fn has(&self, fields: Fields) -> bool {
        self.fields.contains(fields)
    }

    /// The destination port, when the packet has one under DESIGN.md's rules.
    pub fn dst_port(&self) -> Option<u16> {
        self.has(Fields::PORTS).then_some(self.dst_port)
    }
}

/// TCP flag bits.
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}
