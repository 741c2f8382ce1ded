//! Per-packet tags: TCP flag class, backscatter (CAIDA corsaro's
//! definition) and scanner fingerprints (DESIGN.md "Definitions").

use crate::decode::{Addr, Fields, IpProto, IpVersion, Packet, tcp_flags};

/// TCP flag class, tested in this order: RST+ACK, RST, SYN+ACK, SYN,
/// other; `Unknown` when the flags byte was not captured. ECE/CWR ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlagClass {
    Syn,
    SynAck,
    Rst,
    RstAck,
    Other,
    Unknown,
}

impl FlagClass {
    pub const ALL: [FlagClass; 6] =
        [FlagClass::Syn, FlagClass::SynAck, FlagClass::Rst, FlagClass::RstAck, FlagClass::Other, FlagClass::Unknown];

    pub fn name(self) -> &'static str {
        match self {
            FlagClass::Syn => "syn",
            FlagClass::SynAck => "syn_ack",
            FlagClass::Rst => "rst",
            FlagClass::RstAck => "rst_ack",
            FlagClass::Other => "other",
            FlagClass::Unknown => "unknown",
        }
    }

    #[inline]
    pub fn of(p: &Packet) -> FlagClass {
        if !p.has(Fields::TCP_FLAGS) {
            return FlagClass::Unknown;
        }
        let f = p.tcp_flags;
        let (syn, ack, rst) = (f & tcp_flags::SYN != 0, f & tcp_flags::ACK != 0, f & tcp_flags::RST != 0);
        match (rst, syn, ack) {
            (true, _, true) => FlagClass::RstAck,
            (true, _, false) => FlagClass::Rst,
            (false, true, true) => FlagClass::SynAck,
            (false, true, false) => FlagClass::Syn,
            _ => FlagClass::Other,
        }
    }
}

/// A backscatter kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backscatter {
    TcpSynAck,
    TcpRst,
    TcpRstAck,
    Icmp(u8),
    Icmpv6(u8),
}

impl Backscatter {
    /// The summary key (`tcp_syn_ack`, `icmp/3`, `icmpv6/129`, …).
    pub fn key(self) -> String {
        match self {
            Backscatter::TcpSynAck => "tcp_syn_ack".into(),
            Backscatter::TcpRst => "tcp_rst".into(),
            Backscatter::TcpRstAck => "tcp_rst_ack".into(),
            Backscatter::Icmp(t) => format!("icmp/{t}"),
            Backscatter::Icmpv6(t) => format!("icmpv6/{t}"),
        }
    }
}

/// Fingerprint bits; a packet may match several.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fingerprints(pub u8);

impl Fingerprints {
    pub const MIRAI: u8 = 1;
    pub const ZMAP: u8 = 2;
    pub const MASSCAN: u8 = 4;
    pub const NAMES: [(u8, &'static str); 3] =
        [(Self::MIRAI, "mirai"), (Self::ZMAP, "zmap"), (Self::MASSCAN, "masscan")];

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// Everything classification decides about one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class {
    /// TCP only.
    pub flags: Option<FlagClass>,
    pub backscatter: Option<Backscatter>,
    /// The attacked host: the outer source, or for ICMP errors the quoted
    /// inner destination (when it was captured).
    pub victim: Option<Addr>,
    /// The victim's service port: TCP source port, or the quoted inner
    /// destination port of an ICMP error.
    pub victim_port: Option<u16>,
    pub fingerprints: Fingerprints,
}

#[inline]
pub fn classify(p: &Packet) -> Class {
    let mut class =
        Class { flags: None, backscatter: None, victim: None, victim_port: None, fingerprints: Fingerprints(0) };
    match p.proto {
        IpProto::TCP => {
            let flags = FlagClass::of(p);
            class.flags = Some(flags);
            class.backscatter = match flags {
                FlagClass::SynAck => Some(Backscatter::TcpSynAck),
                FlagClass::Rst => Some(Backscatter::TcpRst),
                FlagClass::RstAck => Some(Backscatter::TcpRstAck),
                _ => None,
            };
            if class.backscatter.is_some() {
                class.victim = Some(p.src);
                class.victim_port = p.has(Fields::PORTS).then_some(p.src_port);
            }
        }
        IpProto::ICMP | IpProto::ICMPV6 if p.has(Fields::ICMP_TYPE) => {
            let v6 = p.proto == IpProto::ICMPV6;
            let t = p.icmp_type;
            let (is_backscatter, is_error) = if v6 {
                (matches!(t, 1..=4 | 129), matches!(t, 1..=4))
            } else {
                (matches!(t, 0 | 3 | 4 | 5 | 11 | 12 | 14 | 16 | 18), matches!(t, 3 | 4 | 5 | 11 | 12))
            };
            if is_backscatter {
                class.backscatter = Some(if v6 { Backscatter::Icmpv6(t) } else { Backscatter::Icmp(t) });
                if !is_error {
                    class.victim = Some(p.src);
                } else if p.has(Fields::INNER) {
                    class.victim = Some(p.inner_dst);
                    class.victim_port = p.has(Fields::INNER_PORT).then_some(p.inner_dst_port);
                }
            }
        }
        _ => {}
    }
    if p.version == IpVersion::V4 {
        class.fingerprints = fingerprints(p, class.flags);
    }
    class
}

#[inline]
fn fingerprints(p: &Packet, flags: Option<FlagClass>) -> Fingerprints {
    let mut bits = 0;
    if p.ip_id == 54321 {
        bits |= Fingerprints::ZMAP;
    }
    if flags == Some(FlagClass::Syn) {
        let dst = p.dst.as_v4().unwrap_or(0);
        if p.seq == dst {
            bits |= Fingerprints::MIRAI;
        }
        if p.has(Fields::PORTS) && u32::from(p.ip_id) == (dst ^ u32::from(p.dst_port) ^ p.seq) & 0xffff {
            bits |= Fingerprints::MASSCAN;
        }
    }
    Fingerprints(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syn(dst: u32, dport: u16, seq: u32, id: u16) -> Packet {
        Packet {
            version: IpVersion::V4,
            proto: IpProto::TCP,
            dst: Addr::v4(dst),
            dst_port: dport,
            seq,
            ip_id: id,
            tcp_flags: tcp_flags::SYN,
            fields: Fields(Fields::PORTS.0 | Fields::SEQ.0 | Fields::TCP_FLAGS.0),
            ..Packet::default()
        }
    }

    #[test]
    fn flag_classes_in_order() {
        let mut p = syn(1, 1, 0, 0);
        for (flags, class) in [
            (tcp_flags::RST | tcp_flags::ACK | tcp_flags::SYN, FlagClass::RstAck),
            (tcp_flags::RST, FlagClass::Rst),
            (tcp_flags::SYN | tcp_flags::ACK | 0xc0, FlagClass::SynAck),
            (tcp_flags::SYN | 0x40, FlagClass::Syn),
            (tcp_flags::ACK, FlagClass::Other),
            (0, FlagClass::Other),
        ] {
            p.tcp_flags = flags;
            assert_eq!(FlagClass::of(&p), class, "flags {flags:#x}");
        }
        p.fields = Fields::PORTS;
        assert_eq!(FlagClass::of(&p), FlagClass::Unknown);
    }

    #[test]
    fn fingerprints_and_near_misses() {
        let dst = 0xc612_0105; // 198.18.1.5
        assert_eq!(classify(&syn(dst, 23, dst, 7)).fingerprints.0, Fingerprints::MIRAI);
        assert_eq!(classify(&syn(dst, 23, dst + 1, 7)).fingerprints.0, 0);
        let seq = 0xdead_beef;
        let id = ((dst ^ 445 ^ seq) & 0xffff) as u16;
        assert_eq!(classify(&syn(dst, 445, seq, id)).fingerprints.0, Fingerprints::MASSCAN);
        assert_eq!(classify(&syn(dst, 446, seq, id)).fingerprints.0, 0);
        assert_eq!(classify(&syn(dst, 80, 1, 54321)).fingerprints.0, Fingerprints::ZMAP);
        // A SYN-ACK with seq == dst is backscatter, not Mirai.
        let mut p = syn(dst, 23, dst, 54321);
        p.tcp_flags = tcp_flags::SYN | tcp_flags::ACK;
        let c = classify(&p);
        assert_eq!(c.fingerprints.0, Fingerprints::ZMAP);
        assert_eq!(c.backscatter, Some(Backscatter::TcpSynAck));
    }

    #[test]
    fn icmp_backscatter_victims() {
        let mut p = Packet {
            version: IpVersion::V4,
            proto: IpProto::ICMP,
            src: Addr::v4(9),
            icmp_type: 3,
            inner_dst: Addr::v4(77),
            inner_dst_port: 53,
            fields: Fields(Fields::ICMP_TYPE.0 | Fields::INNER.0 | Fields::INNER_PORT.0),
            ..Packet::default()
        };
        let c = classify(&p);
        assert_eq!(
            (c.backscatter, c.victim, c.victim_port),
            (Some(Backscatter::Icmp(3)), Some(Addr::v4(77)), Some(53))
        );
        p.icmp_type = 0;
        assert_eq!(classify(&p).victim, Some(Addr::v4(9)));
        p.icmp_type = 8;
        assert_eq!(classify(&p).backscatter, None);
        p.proto = IpProto::ICMPV6;
        p.icmp_type = 129;
        assert_eq!(classify(&p).backscatter, Some(Backscatter::Icmpv6(129)));
    }
}
