//! IPv4 (options, fragments) and IPv6 (extension-header walk).

use super::link::IpClaim;
use super::packet::{Addr, Fields, IpProto, IpVersion, Packet};
use super::{Malformed, transport};
use crate::time::Timestamp;

#[inline]
pub(super) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
pub(super) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(super) fn v6_addr(b: &[u8], at: usize) -> Addr {
    let mut octets = [0u8; 16];
    octets.copy_from_slice(&b[at..at + 16]);
    Addr::v6(octets)
}

/// Decodes the IP header and what follows it. IPv4 is decoded inline (it is
/// most of what a darknet sees); IPv6 takes a call.
#[inline(always)]
pub fn decode(claim: IpClaim, b: &[u8], ts: Timestamp, captured: usize) -> Result<Packet, Malformed> {
    let Some(&first) = b.first() else {
        return Err(Malformed::IpTruncated);
    };
    match (claim, first >> 4) {
        (IpClaim::V4 | IpClaim::Either, 4) => ipv4(first, b, ts, captured),
        (IpClaim::V6 | IpClaim::Either, 6) => ipv6(b, ts, captured),
        _ => Err(Malformed::BadVersion),
    }
}

#[inline(always)]
fn ipv4(first: u8, b: &[u8], ts: Timestamp, captured: usize) -> Result<Packet, Malformed> {
    // The header length is judged before the capture length, so a bad IHL
    // is reported as such even in a short capture.
    let header_len = usize::from(first & 0x0f) * 4;
    if header_len < 20 {
        return Err(Malformed::BadHeaderLength);
    }
    let Some(h) = b.first_chunk::<20>() else {
        return Err(Malformed::IpTruncated);
    };
    let total_len = u16::from_be_bytes([h[2], h[3]]);
    let frag = u16::from_be_bytes([h[6], h[7]]);
    let mut p = Packet {
        ts,
        version: IpVersion::V4,
        src: Addr::v4(u32::from_be_bytes([h[12], h[13], h[14], h[15]])),
        dst: Addr::v4(u32::from_be_bytes([h[16], h[17], h[18], h[19]])),
        proto: IpProto(h[9]),
        ip_len: u32::from(total_len),
        captured_len: captured as u32,
        ttl: h[8],
        ip_id: u16::from_be_bytes([h[4], h[5]]),
        ..Packet::default()
    };
    // More-fragments set or a non-zero offset.
    if frag & 0x3fff != 0 {
        p.fields.insert(Fields::FRAGMENT);
        if frag & 0x1fff != 0 {
            p.fields.insert(Fields::NON_FIRST_FRAGMENT);
            return Ok(p);
        }
    }
    // The payload ends at the IP total length (trailing link padding is not
    // L4 data) unless the length is implausible (0 with TSO, or too small).
    let total_len = usize::from(total_len);
    let end = if total_len >= header_len { b.len().min(total_len) } else { b.len() };
    if let Some(l4) = b.get(header_len..end) {
        transport::decode(&mut p, l4);
    }
    Ok(p)
}

#[inline(never)]
fn ipv6(b: &[u8], ts: Timestamp, captured: usize) -> Result<Packet, Malformed> {
    if b.len() < 40 {
        return Err(Malformed::IpTruncated);
    }
    let payload_len = usize::from(be16(b, 4));
    let mut p = Packet {
        ts,
        version: IpVersion::V6,
        src: v6_addr(b, 8),
        dst: v6_addr(b, 24),
        ip_len: payload_len as u32 + 40,
        captured_len: captured as u32,
        ttl: b[7],
        ..Packet::default()
    };
    // A zero payload length means a jumbogram (or a bogus header): use what
    // was captured.
    let end = if payload_len == 0 { b.len() } else { b.len().min(40 + payload_len) };
    let walk = walk_extensions(b[6], &b[..end], 40);
    p.proto = IpProto(walk.next_header);
    if walk.fragment {
        p.fields.insert(Fields::FRAGMENT);
    }
    if walk.non_first_fragment {
        p.fields.insert(Fields::NON_FIRST_FRAGMENT);
    } else if let Some(at) = walk.upper_at {
        transport::decode(&mut p, &b[at..end]);
    }
    Ok(p)
}

/// Where an IPv6 extension-header walk ended.
pub(super) struct Walk {
    /// The upper-layer protocol, or the extension header that was cut short.
    pub next_header: u8,
    /// Offset of the upper-layer header, when the whole chain was captured.
    pub upper_at: Option<usize>,
    pub fragment: bool,
    pub non_first_fragment: bool,
}

/// Walks hop-by-hop (0), routing (43), fragment (44), destination options
/// (60) and AH (51). ESP (50), no-next-header (59) and anything else end it.
pub(super) fn walk_extensions(mut next: u8, b: &[u8], mut at: usize) -> Walk {
    let mut walk = Walk { next_header: next, upper_at: None, fragment: false, non_first_fragment: false };
    loop {
        let len = match next {
            0 | 43 | 60 => {
                if at + 2 > b.len() {
                    break;
                }
                (usize::from(b[at + 1]) + 1) * 8
            }
            51 => {
                if at + 2 > b.len() {
                    break;
                }
                (usize::from(b[at + 1]) + 2) * 4
            }
            44 => {
                if at + 8 > b.len() {
                    break;
                }
                walk.fragment = true;
                if be16(b, at + 2) >> 3 != 0 {
                    walk.non_first_fragment = true;
                }
                8
            }
            _ => {
                walk.next_header = next;
                // The last extension header may claim more bytes than were
                // captured: then there is no upper-layer header to read.
                walk.upper_at = (at <= b.len()).then_some(at);
                return walk;
            }
        };
        next = b[at];
        at += len;
        if walk.non_first_fragment {
            // The rest is a fragment's payload: no headers to walk.
            walk.next_header = next;
            return walk;
        }
        walk.next_header = next;
    }
    walk
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4_header(proto: u8, frag: u16, ihl: u8, total: u16) -> Vec<u8> {
        let mut h = vec![0x40 | ihl, 0, 0, 0, 0x12, 0x34, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 198, 18, 0, 5];
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[6..8].copy_from_slice(&frag.to_be_bytes());
        h.resize(usize::from(ihl) * 4, 1); // options
        h
    }

    #[test]
    fn ipv4_with_options_reads_ports_after_them() {
        let mut b = v4_header(17, 0, 6, 24 + 8);
        b.extend([0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0]);
        let p = decode(IpClaim::V4, &b, Timestamp(0), b.len()).unwrap();
        assert_eq!(p.dst.to_string(), "198.18.0.5");
        assert_eq!(p.ip_id, 0x1234);
        assert_eq!(p.dst_port(), Some(53));
        assert_eq!(p.src_port, 12345);
    }

    #[test]
    fn ipv4_fragments() {
        // First fragment (MF, offset 0) has its ports.
        let mut b = v4_header(17, 0x2000, 5, 28);
        b.extend([0, 1, 0, 2, 0, 8, 0, 0]);
        let p = decode(IpClaim::V4, &b, Timestamp(0), b.len()).unwrap();
        assert!(p.has(Fields::FRAGMENT));
        assert_eq!(p.dst_port(), Some(2));
        // Non-first fragment: no port even though bytes follow.
        let mut b = v4_header(17, 185, 5, 28);
        b.extend([0, 1, 0, 2, 0, 8, 0, 0]);
        let p = decode(IpClaim::V4, &b, Timestamp(0), b.len()).unwrap();
        assert!(p.has(Fields::NON_FIRST_FRAGMENT));
        assert_eq!(p.dst_port(), None);
    }

    #[test]
    fn ipv4_malformed() {
        let b = v4_header(6, 0, 5, 20);
        assert_eq!(decode(IpClaim::V4, &b[..19], Timestamp(0), 19), Err(Malformed::IpTruncated));
        assert_eq!(decode(IpClaim::V6, &b, Timestamp(0), 20), Err(Malformed::BadVersion));
        let mut bad = b.clone();
        bad[0] = 0x44;
        assert_eq!(decode(IpClaim::V4, &bad, Timestamp(0), 20), Err(Malformed::BadHeaderLength));
    }

    #[test]
    fn ipv6_extension_walk() {
        let mut b = vec![0x60, 0, 0, 0, 0, 0, 0, 64];
        b.extend([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        b[6] = 0; // hop-by-hop
        b.extend([43, 0, 1, 4, 0, 0, 0, 0]); // HBH → routing
        b.extend([44, 0, 0, 0, 0, 0, 0, 0]); // routing → fragment
        b.extend([60, 0, 0, 0, 0, 0, 0, 1]); // fragment (offset 0, M=1) → dst opts
        b.extend([6, 0, 1, 4, 0, 0, 0, 0]); // dst opts → TCP
        b.extend([0x04, 0xd2, 0x00, 0x17, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff]);
        let len = (b.len() - 40) as u16;
        b[4..6].copy_from_slice(&len.to_be_bytes());
        let p = decode(IpClaim::Either, &b, Timestamp(0), b.len()).unwrap();
        assert_eq!(p.proto, IpProto::TCP);
        assert!(p.has(Fields::FRAGMENT) && !p.has(Fields::NON_FIRST_FRAGMENT));
        assert_eq!(p.dst_port(), Some(23));
        assert_eq!(p.tcp_flags, 0x02);
        // Cut inside the routing header: protocol is where the walk stopped.
        let p = decode(IpClaim::V6, &b[..49], Timestamp(0), 49).unwrap();
        assert_eq!(p.proto, IpProto(43));
        assert_eq!(p.dst_port(), None);
    }
}
