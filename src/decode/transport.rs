//! TCP, UDP, ICMP and ICMPv6 headers, and the IP header quoted inside ICMP
//! errors (whose destination is the backscatter victim).
//!
//! "A field counts when its bytes were captured": ports need 4 bytes of L4
//! header, the TCP sequence number 8, the flags 14, the window 16; the ICMP
//! type 1 byte and the code 2.

use super::ip::{be16, be32, v6_addr, walk_extensions};
use super::packet::{Addr, Fields, IpProto, Packet};

#[inline(always)]
pub fn decode(p: &mut Packet, l4: &[u8]) {
    // TCP is tested on its own first: it is most of what a darknet sees, and
    // a `match` would be compiled to a comparison tree that takes it three
    // compares to reach.
    if p.proto == IpProto::TCP {
        match l4.first_chunk::<16>() {
            Some(h) => {
                p.src_port = u16::from_be_bytes([h[0], h[1]]);
                p.dst_port = u16::from_be_bytes([h[2], h[3]]);
                p.seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                p.tcp_flags = h[13];
                p.window = u16::from_be_bytes([h[14], h[15]]);
                p.fields.insert(Fields(Fields::PORTS.0 | Fields::SEQ.0 | Fields::TCP_FLAGS.0 | Fields::WINDOW.0));
            }
            None => tcp_cut_short(p, l4),
        }
        return;
    }
    std::hint::cold_path();
    match p.proto {
        IpProto::UDP => {
            if let Some(h) = l4.first_chunk::<4>() {
                p.src_port = u16::from_be_bytes([h[0], h[1]]);
                p.dst_port = u16::from_be_bytes([h[2], h[3]]);
                p.fields.insert(Fields::PORTS);
            }
        }
        IpProto::ICMP | IpProto::ICMPV6 => icmp(p, l4),
        _ => {}
    }
}

/// A TCP header with fewer than 16 bytes captured: each field counts only
/// when its own bytes are there.
#[inline(always)]
fn tcp_cut_short(p: &mut Packet, l4: &[u8]) {
    if l4.len() >= 4 {
        p.src_port = be16(l4, 0);
        p.dst_port = be16(l4, 2);
        p.fields.insert(Fields::PORTS);
    }
    if l4.len() >= 8 {
        p.seq = be32(l4, 4);
        p.fields.insert(Fields::SEQ);
    }
    if l4.len() >= 14 {
        p.tcp_flags = l4[13];
        p.fields.insert(Fields::TCP_FLAGS);
    }
}

// The helpers that fill in `p` are inlined so that the packet never has to
// live in memory before it is returned (passing `&mut Packet` to a call
// costs a copy of the whole packet per record).
#[inline(always)]
fn icmp(p: &mut Packet, l4: &[u8]) {
    let Some(&icmp_type) = l4.first() else {
        return;
    };
    p.icmp_type = icmp_type;
    p.icmp_code = l4.get(1).copied().unwrap_or(0);
    p.fields.insert(Fields::ICMP_TYPE);
    let is_error =
        if p.proto == IpProto::ICMP { matches!(icmp_type, 3 | 4 | 5 | 11 | 12) } else { matches!(icmp_type, 1..=4) };
    if is_error
        && l4.len() > 8
        && let Some(inner) = quoted(&l4[8..])
    {
        p.inner_dst = inner.dst;
        p.inner_proto = inner.proto;
        p.fields.insert(Fields::INNER);
        if let Some(port) = inner.dst_port {
            p.inner_dst_port = port;
            p.fields.insert(Fields::INNER_PORT);
        }
    }
}

/// The packet quoted in an ICMP error, as far as it was captured.
struct Quoted {
    dst: Addr,
    proto: IpProto,
    dst_port: Option<u16>,
}

/// Reads the destination (and destination port) of the packet quoted in an
/// ICMP error: the packet our darknet address "sent" to the victim.
#[inline(never)]
fn quoted(inner: &[u8]) -> Option<Quoted> {
    let (dst, proto, l4_at, first_fragment) = match inner[0] >> 4 {
        4 if inner.len() >= 20 => {
            let header_len = usize::from(inner[0] & 0x0f) * 4;
            let first = be16(inner, 6) & 0x1fff == 0;
            (Addr::v4(be32(inner, 16)), inner[9], header_len.max(20), first)
        }
        6 if inner.len() >= 40 => {
            let walk = walk_extensions(inner[6], inner, 40);
            let at = walk.upper_at.unwrap_or(usize::MAX);
            (v6_addr(inner, 24), walk.next_header, at, !walk.non_first_fragment)
        }
        _ => return None,
    };
    let has_ports = matches!(IpProto(proto), IpProto::TCP | IpProto::UDP);
    let dst_port = (has_ports && first_fragment && l4_at.checked_add(4).is_some_and(|end| end <= inner.len()))
        .then(|| be16(inner, l4_at + 2));
    Some(Quoted { dst, proto: IpProto(proto), dst_port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(proto: IpProto) -> Packet {
        Packet { proto, ..Packet::default() }
    }

    #[test]
    fn tcp_fields_need_their_bytes() {
        let tcp = [0x04, 0xd2, 0x00, 0x17, 0xc6, 0x12, 0x00, 0x05, 0, 0, 0, 0, 0x50, 0x12, 0x04, 0x00];
        for (len, has_port, has_seq, has_flags) in
            [(3, false, false, false), (4, true, false, false), (8, true, true, false), (14, true, true, true)]
        {
            let mut p = packet(IpProto::TCP);
            decode(&mut p, &tcp[..len]);
            assert_eq!(p.has(Fields::PORTS), has_port, "len {len}");
            assert_eq!(p.has(Fields::SEQ), has_seq, "len {len}");
            assert_eq!(p.has(Fields::TCP_FLAGS), has_flags, "len {len}");
        }
        let mut p = packet(IpProto::TCP);
        decode(&mut p, &tcp);
        assert_eq!((p.dst_port, p.seq, p.tcp_flags, p.window), (23, 0xc612_0005, 0x12, 1024));
    }

    #[test]
    fn icmp_error_exposes_quoted_destination_and_port() {
        // Type 3 code 3, then a quoted IPv4/UDP header 198.18.0.9 → 203.0.113.7:53.
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 0, 9, 203, 0, 113, 7]);
        icmp.extend([0x9c, 0x40, 0, 53]);
        let mut p = packet(IpProto::ICMP);
        decode(&mut p, &icmp);
        assert_eq!((p.icmp_type, p.icmp_code), (3, 3));
        assert_eq!(p.inner_dst.to_string(), "203.0.113.7");
        assert_eq!(p.inner_proto, IpProto::UDP);
        assert!(p.has(Fields::INNER_PORT));
        assert_eq!(p.inner_dst_port, 53);
        // The outer packet has no destination port.
        assert_eq!(p.dst_port(), None);
        // Quoted port cut off.
        let mut p = packet(IpProto::ICMP);
        decode(&mut p, &icmp[..30]);
        assert!(p.has(Fields::INNER) && !p.has(Fields::INNER_PORT));
    }

    #[test]
    fn echo_request_has_no_inner() {
        let mut p = packet(IpProto::ICMP);
        decode(&mut p, &[8, 0, 0, 0, 0, 1, 0, 1, 0x45, 0, 0, 0]);
        assert_eq!(p.icmp_type, 8);
        assert!(!p.has(Fields::INNER));
    }
}
