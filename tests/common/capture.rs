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

pub use super::files::*;
pub use super::frames::*;
