//! The traffic mix as data: packet classes and their weights, the UDP
//! probe payloads, TCP option templates and the fragment sizes.

use super::model::Pool;

/// UDP probes: (port, payload, weight). Port 0 means a random port.
pub const UDP_SERVICES: [(u16, &[u8], u32); 7] = [
    // DNS: query for "." type ANY, EDNS-less.
    (53, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\xff\x00\x01", 25),
    // NTP mode 7 MON_GETLIST_1.
    (123, b"\x17\x00\x03\x2a\x00\x00\x00\x00", 15),
    // SNMPv2c get-request, community "public", OID 1.3.6.1.2.1 (mib-2).
    (
        161,
        b"\x30\x26\x02\x01\x01\x04\x06public\xa0\x19\x02\x04\x71\x4a\x2c\x05\x02\x01\x00\x02\x01\x00\x30\x0b\x30\x09\x06\x05\x2b\x06\x01\x02\x01\x05\x00",
        12,
    ),
    (1900, b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n", 12),
    (11211, b"\x00\x01\x00\x00\x00\x01\x00\x00stats\r\n", 8),
    // NetBIOS name service NBSTAT query.
    (137, b"\x80\xf0\x00\x10\x00\x01\x00\x00\x00\x00\x00\x00\x20CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x21\x00\x01", 5),
    (0, b"\x00\x00\x00\x00\x00\x00\x00\x00", 23),
];

/// Packet classes of the mix, with weights in units of 0.001 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    SynMirai,
    SynZmap,
    SynMasscan,
    SynGeneric,
    TcpOther,
    Udp,
    Icmp,
    BsSynAck,
    BsRstAck,
    BsRst,
    BsEchoReply,
    BsPortUnreach,
    BsAdminProhibited,
    BsHostUnreach,
    BsTimeExceeded,
    /// A fragmented datagram: two packets, first and non-first fragment.
    FragPair,
    /// A TCP or UDP probe captured with 2 bytes of L4 header.
    TruncPort,
    /// A TCP SYN captured with 4 bytes of TCP header.
    TruncTcp4,
}

pub const CLASSES: [(Class, u32, Option<Pool>); 18] = [
    (Class::SynMirai, 21_000, Some(Pool::Mirai)),
    (Class::SynZmap, 17_000, Some(Pool::Zmap)),
    (Class::SynMasscan, 9_000, Some(Pool::Masscan)),
    (Class::SynGeneric, 35_750, Some(Pool::Generic)),
    (Class::TcpOther, 800, Some(Pool::Generic)),
    (Class::Udp, 7_650, Some(Pool::Udp)),
    (Class::Icmp, 3_000, Some(Pool::Icmp)),
    (Class::BsSynAck, 2_000, None),
    (Class::BsRstAck, 900, None),
    (Class::BsRst, 400, None),
    (Class::BsEchoReply, 200, None),
    (Class::BsPortUnreach, 200, None),
    (Class::BsAdminProhibited, 150, None),
    (Class::BsHostUnreach, 80, None),
    (Class::BsTimeExceeded, 70, None),
    (Class::FragPair, 150, Some(Pool::Udp)),
    (Class::TruncPort, 200, Some(Pool::Generic)),
    (Class::TruncTcp4, 50, Some(Pool::Generic)),
];

/// Linux-style SYN options: MSS 1460, SACK permitted, timestamps, NOP,
/// window scale 7 (TSval patched per packet).
pub const LINUX_OPTS: [u8; 20] = [2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7];
pub const MSS_OPTS: [u8; 4] = [2, 4, 5, 180];
/// UDP/ICMP datagrams that arrive fragmented: payload size and the bytes of
/// L4 data the first fragment carries (1500-byte MTU).
pub const FRAG_DATAGRAM: usize = 2000;
pub const FRAG_FIRST: usize = 1480;
