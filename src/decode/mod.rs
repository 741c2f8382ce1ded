//! Decoding: link layer → IP → transport, lax and allocation-free.
//!
//! Hand-written rather than `etherparse`: we need SLL2, ports of first
//! fragments and quoted ICMP headers, and one pass that reads only the
//! bytes the classifier needs (see `benches/pipeline.rs` for the figures).
//! Every field is read only when its bytes were captured. IDS alert lines
//! (Suricata EVE, Snort 3 `alert_json`) are decoded here too ([`read_alerts`]).

mod alerts;
mod fast;
mod ip;
mod link;
pub mod packet;
mod transport;

pub use alerts::{Alert, AlertsRead, read_alerts};
pub use packet::{Addr, Fields, IpProto, IpVersion, Packet, tcp_flags};

use crate::source::{LinkType, Record};

/// Why a record could not be decoded as far as its IP destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Malformed {
    /// The link-layer header was cut short.
    LinkTruncated,
    /// The IP header was cut before the destination address.
    IpTruncated,
    /// The IP version nibble does not match the link layer's claim.
    BadVersion,
    /// IPv4 header length below 20 bytes.
    BadHeaderLength,
    /// A pcapng packet block naming an interface its section never described.
    NoInterface,
}

impl Malformed {
    pub fn name(self) -> &'static str {
        match self {
            Malformed::LinkTruncated => "link_truncated",
            Malformed::IpTruncated => "ip_truncated",
            Malformed::BadVersion => "bad_version",
            Malformed::BadHeaderLength => "bad_header_length",
            Malformed::NoInterface => "no_interface",
        }
    }
}

/// What a record turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    Ip(Packet),
    /// A frame of a link type we read, but not carrying IP (ARP, LLC, …).
    NonIp,
    /// A frame of a link type we do not decode.
    UnsupportedLink(LinkType),
    Malformed(Malformed),
}

/// Decodes one record.
///
/// Untagged Ethernet carrying IPv4 is nearly all a darknet sensor records:
/// that path is decoded inline, straight-line; everything else takes a call.
#[inline(always)]
pub fn decode(record: &Record<'_>) -> Decoded {
    match fast::ethernet_ipv4(record) {
        Some(packet) => Decoded::Ip(packet),
        None => decode_any_link(record),
    }
}

/// The general decoder: every link type, VLAN tags, IPv6, IPv4 options and
/// fragments, and every malformed case.
#[inline(never)]
fn decode_any_link(record: &Record<'_>) -> Decoded {
    let Some(link) = record.link else {
        return Decoded::Malformed(Malformed::NoInterface);
    };
    match link::network_layer(link, record.data) {
        link::Network::Ip(kind, bytes) => match ip::decode(kind, bytes, record.ts, record.data.len()) {
            Ok(packet) => Decoded::Ip(packet),
            Err(why) => Decoded::Malformed(why),
        },
        link::Network::NonIp => Decoded::NonIp,
        link::Network::Unsupported => Decoded::UnsupportedLink(link),
        link::Network::Truncated => Decoded::Malformed(Malformed::LinkTruncated),
    }
}
