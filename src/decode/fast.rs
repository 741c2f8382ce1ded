//! The straight-line path for what a darknet sensor mostly records: untagged
//! Ethernet carrying an unfragmented IPv4 packet without options.
//!
//! One length check covers both headers, and one byte compare covers the
//! version and header length, so none of the general decoder's error cases
//! can arise here. Anything else returns `None` and goes to the general
//! decoder, which stays the reference: the tests check that both agree.

use super::packet::{Addr, IpProto, IpVersion, Packet};
use super::transport;
use crate::source::{LinkType, Record};

/// Ethernet header plus an IPv4 header without options.
const HEADERS_LEN: usize = 14 + 20;

/// The packet, when the record is untagged Ethernet → IPv4 (IHL 5, neither
/// more-fragments nor an offset) with both headers captured.
#[inline(always)]
pub(super) fn ethernet_ipv4(record: &Record<'_>) -> Option<Packet> {
    let data = record.data;
    let (h, after_headers) = data.split_first_chunk::<HEADERS_LEN>()?;
    // Ethertype 0x0800, then version 4 with a 20-byte header.
    if record.link != Some(LinkType::ETHERNET) || [h[12], h[13], h[14]] != [0x08, 0x00, 0x45] {
        return None;
    }
    let frag = u16::from_be_bytes([h[20], h[21]]);
    if frag & 0x3fff != 0 {
        return None;
    }
    let total_len = u16::from_be_bytes([h[16], h[17]]);
    // As in the general decoder: the payload ends at the IP total length,
    // or at the end of the capture when that comes first or the total length
    // is implausible (below 20, which wraps to a length no capture has).
    let payload_len = usize::from(total_len).wrapping_sub(20);
    let l4 = after_headers.get(..payload_len).unwrap_or(after_headers);
    let mut p = Packet {
        ts: record.ts,
        version: IpVersion::V4,
        src: Addr::v4(u32::from_be_bytes([h[26], h[27], h[28], h[29]])),
        dst: Addr::v4(u32::from_be_bytes([h[30], h[31], h[32], h[33]])),
        proto: IpProto(h[23]),
        ip_len: u32::from(total_len),
        captured_len: data.len() as u32,
        ttl: h[22],
        ip_id: u16::from_be_bytes([h[18], h[19]]),
        ..Packet::default()
    };
    transport::decode(&mut p, l4);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::super::{Decoded, decode_any_link};
    use super::*;
    use crate::time::Timestamp;

    /// Ethernet → IPv4 → `l4`, with the given protocol, flags/offset and total length.
    fn frame(proto: u8, frag: u16, total_len: u16, l4: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00, 0x45, 0, 0, 0, 0xd4, 0x31, 0, 0, 64, proto, 0, 0]);
        f[16..18].copy_from_slice(&total_len.to_be_bytes());
        f[20..22].copy_from_slice(&frag.to_be_bytes());
        f.extend([203, 0, 113, 7, 198, 18, 0, 5]);
        f.extend_from_slice(l4);
        f
    }

    /// Checks the fast path against the general decoder; says whether the
    /// fast path took the record.
    fn agree(link: LinkType, data: &[u8]) -> bool {
        let record = Record { ts: Timestamp(42), link: Some(link), data, orig_len: data.len() as u32 };
        let fast = ethernet_ipv4(&record);
        if let Some(packet) = fast {
            assert_eq!(Decoded::Ip(packet), decode_any_link(&record), "{data:02x?}");
        }
        fast.is_some()
    }

    #[test]
    fn agrees_with_the_general_decoder() {
        let tcp = [0x04, 0xd2, 0x00, 0x17, 0xc6, 0x12, 0x00, 0x05, 0, 0, 0, 0, 0x50, 0x12, 0x04, 0x00, 1, 2, 3, 4];
        let icmp_error = [
            3, 3, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 0, 9, 203, 0, 113, 7, 0, 1, 0,
            53,
        ];
        let (mut taken, mut expected) = (0, 0);
        for (proto, l4) in [(6, &tcp[..]), (17, &tcp[..]), (1, &icmp_error[..]), (58, &icmp_error[..]), (47, &tcp[..])]
        {
            for frag in [0, 0x4000, 0x2000, 0x0001, 0x8000] {
                // Total lengths below, at and past the header, short of and
                // past what was captured.
                for total_len in [0, 19, 20, 21, 24, 33, 36, 40, 52, 60, 0xffff] {
                    let f = frame(proto, frag, total_len, l4);
                    // Every capture length, including ones cut inside the headers.
                    for cut in 0..=f.len() {
                        taken += usize::from(agree(LinkType::ETHERNET, &f[..cut]));
                        expected += usize::from(frag & 0x3fff == 0 && cut >= HEADERS_LEN);
                        assert!(!agree(LinkType::RAW, &f[..cut]));
                    }
                }
            }
        }
        // The fast path took every unfragmented frame whose headers were captured.
        assert_eq!(taken, expected);
    }

    #[test]
    fn leaves_other_frames_to_the_general_decoder() {
        let udp = frame(17, 0, 28, &[0, 1, 0, 2, 0, 8, 0, 0]);
        fn record(link: LinkType, data: &[u8]) -> Record<'_> {
            Record { ts: Timestamp(0), link: Some(link), data, orig_len: 0 }
        }
        assert!(ethernet_ipv4(&record(LinkType::ETHERNET, &udp)).is_some());
        assert!(ethernet_ipv4(&record(LinkType::LINUX_SLL, &udp)).is_none());
        assert!(ethernet_ipv4(&Record { link: None, ..record(LinkType::ETHERNET, &udp) }).is_none());
        for (at, value) in [(12, 0x81), (13, 0x01), (14, 0x46), (14, 0x65), (20, 0x20), (21, 1)] {
            let mut other = udp.clone();
            other[at] = value;
            assert!(ethernet_ipv4(&record(LinkType::ETHERNET, &other)).is_none(), "byte {at} = {value:#x}");
        }
    }
}
