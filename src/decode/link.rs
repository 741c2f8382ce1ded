//! Link layers: find where the IP header starts and which version it claims.

use crate::source::LinkType;

/// What the link layer says about the network layer.
pub enum Network<'a> {
    /// IP, with what the link layer claims about the version.
    Ip(IpClaim, &'a [u8]),
    NonIp,
    Unsupported,
    Truncated,
}

/// The IP version a link layer announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpClaim {
    V4,
    V6,
    /// Raw IP link types: the version nibble decides.
    Either,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;

#[inline]
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
fn is_vlan(ethertype: u16) -> bool {
    matches!(ethertype, 0x8100 | 0x88a8 | 0x9100)
}

/// Follows an ethertype (and any VLAN tags after it) to the network layer.
#[inline(always)]
fn by_ethertype(ethertype: u16, rest: &[u8]) -> Network<'_> {
    match ethertype {
        ETHERTYPE_IPV4 => Network::Ip(IpClaim::V4, rest),
        ETHERTYPE_IPV6 => Network::Ip(IpClaim::V6, rest),
        tag if is_vlan(tag) => after_vlan_tags(rest),
        _ => Network::NonIp,
    }
}

/// The network layer after a stack of VLAN tags (kept out of the untagged path).
#[inline(never)]
fn after_vlan_tags(mut rest: &[u8]) -> Network<'_> {
    let mut ethertype;
    loop {
        let Some((tag, after)) = rest.split_first_chunk::<4>() else {
            return Network::Truncated;
        };
        ethertype = u16::from_be_bytes([tag[2], tag[3]]);
        rest = after;
        if !is_vlan(ethertype) {
            break;
        }
    }
    match ethertype {
        ETHERTYPE_IPV4 => Network::Ip(IpClaim::V4, rest),
        ETHERTYPE_IPV6 => Network::Ip(IpClaim::V6, rest),
        _ => Network::NonIp,
    }
}

/// BSD address families that mean IPv6 (NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30).
fn family(af: u32) -> Network<'static> {
    match af {
        2 => Network::Ip(IpClaim::V4, &[]),
        24 | 28 | 30 => Network::Ip(IpClaim::V6, &[]),
        _ => Network::NonIp,
    }
}

/// Where the network layer starts. Ethernet, by far the most common link
/// type, is decoded inline; the others take a call.
#[inline(always)]
pub fn network_layer(link: LinkType, data: &[u8]) -> Network<'_> {
    if link != LinkType::ETHERNET {
        return other_network_layer(link, data);
    }
    match data.split_first_chunk::<14>() {
        Some((header, rest)) => by_ethertype(u16::from_be_bytes([header[12], header[13]]), rest),
        None => Network::Truncated,
    }
}

/// Every link type but Ethernet.
#[inline(never)]
fn other_network_layer(link: LinkType, data: &[u8]) -> Network<'_> {
    match link {
        LinkType::LINUX_SLL => {
            if data.len() < 16 {
                return Network::Truncated;
            }
            by_ethertype(be16(data, 14), &data[16..])
        }
        LinkType::LINUX_SLL2 => {
            if data.len() < 20 {
                return Network::Truncated;
            }
            by_ethertype(be16(data, 0), &data[20..])
        }
        LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::RAW_BSDOS => Network::Ip(IpClaim::Either, data),
        LinkType::IPV4 => Network::Ip(IpClaim::V4, data),
        LinkType::IPV6 => Network::Ip(IpClaim::V6, data),
        LinkType::NULL | LinkType::LOOP => {
            if data.len() < 4 {
                return Network::Truncated;
            }
            let raw = [data[0], data[1], data[2], data[3]];
            // NULL is in the writer's byte order: accept either. LOOP is
            // network order only.
            let mut net = family(u32::from_be_bytes(raw));
            if link == LinkType::NULL && matches!(net, Network::NonIp) {
                net = family(u32::from_le_bytes(raw));
            }
            match net {
                Network::Ip(claim, _) => Network::Ip(claim, &data[4..]),
                other => other,
            }
        }
        _ => Network::Unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(net: Network<'_>) -> Option<(IpClaim, usize)> {
        match net {
            Network::Ip(c, rest) => Some((c, rest.len())),
            _ => None,
        }
    }

    #[test]
    fn ethernet_with_three_vlan_tags() {
        let mut f = vec![0u8; 12];
        f.extend([0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x91, 0x00, 0, 3, 0x86, 0xdd]);
        f.extend([0u8; 40]);
        assert_eq!(claim(network_layer(LinkType::ETHERNET, &f)), Some((IpClaim::V6, 40)));
        // Tag cut short.
        assert!(matches!(network_layer(LinkType::ETHERNET, &f[..16]), Network::Truncated));
    }

    #[test]
    fn null_in_both_byte_orders_and_loop() {
        let le = [2, 0, 0, 0, 0x45];
        let be = [0, 0, 0, 2, 0x45];
        assert_eq!(claim(network_layer(LinkType::NULL, &le)), Some((IpClaim::V4, 1)));
        assert_eq!(claim(network_layer(LinkType::NULL, &be)), Some((IpClaim::V4, 1)));
        assert_eq!(claim(network_layer(LinkType::NULL, &[30, 0, 0, 0])), Some((IpClaim::V6, 0)));
        assert_eq!(claim(network_layer(LinkType::LOOP, &be)), Some((IpClaim::V4, 1)));
        assert!(matches!(network_layer(LinkType::LOOP, &le), Network::NonIp));
    }

    #[test]
    fn sll2_protocol_comes_first() {
        let mut f = vec![0x08, 0x00];
        f.extend([0u8; 18]);
        f.push(0x45);
        assert_eq!(claim(network_layer(LinkType::LINUX_SLL2, &f)), Some((IpClaim::V4, 1)));
        assert!(matches!(network_layer(LinkType(105), &f), Network::Unsupported));
        let arp = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x06, 0];
        assert!(matches!(network_layer(LinkType::ETHERNET, &arp), Network::NonIp));
    }
}
