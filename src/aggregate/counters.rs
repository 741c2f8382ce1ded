//! Flat counters over the whole run: record accounting, protocols, ports,
//! ICMP types, flag classes, backscatter kinds, fingerprints, countries.
//! Fixed-size arrays indexed by protocol number, port or type: one add per
//! packet, no hashing.

use crate::classify::geo::CountryCode;
use crate::classify::{Backscatter, Class, Fingerprints, FlagClass};
use crate::decode::{Fields, IpProto, Malformed, Packet};

/// Record accounting: `records = ipv4 + ipv6 + non_ip + malformed` and
/// `darknet_inside + darknet_outside + excluded = ipv4 + ipv6`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordCounts {
    pub records: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub non_ip: u64,
    pub malformed: u64,
    /// Malformed records by reason, indexed by [`malformed_index`].
    pub malformed_by: [u64; 5],
    pub darknet_inside: u64,
    pub darknet_outside: u64,
    pub excluded: u64,
}

pub fn malformed_index(m: Malformed) -> usize {
    match m {
        Malformed::LinkTruncated => 0,
        Malformed::IpTruncated => 1,
        Malformed::BadVersion => 2,
        Malformed::BadHeaderLength => 3,
        Malformed::NoInterface => 4,
    }
}

pub const MALFORMED_REASONS: [Malformed; 5] = [
    Malformed::LinkTruncated,
    Malformed::IpTruncated,
    Malformed::BadVersion,
    Malformed::BadHeaderLength,
    Malformed::NoInterface,
];

/// Counters over darknet-inside packets.
#[derive(Clone, Debug)]
pub struct Traffic {
    pub packets: u64,
    pub bytes: u64,
    pub protocols: [u64; 256],
    pub non_first_fragment: u64,
    pub port_truncated: u64,
    pub icmp_types: [u64; 256],
    pub icmpv6_types: [u64; 256],
    pub icmp_unknown: u64,
    pub icmpv6_unknown: u64,
    /// Indexed like [`FlagClass::ALL`].
    pub tcp_flags: [u64; 6],
    pub backscatter_tcp: [u64; 3],
    pub backscatter_icmp: [u64; 256],
    pub backscatter_icmpv6: [u64; 256],
    /// mirai, zmap, masscan.
    pub fingerprints: [u64; 3],
    /// Packets per source country: index `(a-'A')*26 + (b-'A')`, 676 for
    /// anything not two capital letters.
    pub countries: Box<[u64; 677]>,
}

impl Default for Traffic {
    fn default() -> Traffic {
        Traffic {
            packets: 0,
            bytes: 0,
            protocols: [0; 256],
            non_first_fragment: 0,
            port_truncated: 0,
            icmp_types: [0; 256],
            icmpv6_types: [0; 256],
            icmp_unknown: 0,
            icmpv6_unknown: 0,
            tcp_flags: [0; 6],
            backscatter_tcp: [0; 3],
            backscatter_icmp: [0; 256],
            backscatter_icmpv6: [0; 256],
            fingerprints: [0; 3],
            countries: Box::new([0; 677]),
        }
    }
}

pub fn country_index(cc: CountryCode) -> usize {
    let [a, b] = cc.0;
    if a.is_ascii_uppercase() && b.is_ascii_uppercase() {
        usize::from(a - b'A') * 26 + usize::from(b - b'A')
    } else {
        676
    }
}

pub fn country_from_index(i: usize) -> CountryCode {
    if i >= 676 { CountryCode::UNKNOWN } else { CountryCode([b'A' + (i / 26) as u8, b'A' + (i % 26) as u8]) }
}

impl Traffic {
    /// Counts one darknet packet, all but its country (known only once its
    /// source is looked up: see [`add_country`](Self::add_country)).
    #[inline]
    pub fn add(&mut self, p: &Packet, class: &Class) {
        self.packets += 1;
        self.bytes += u64::from(p.ip_len);
        self.protocols[usize::from(p.proto.0)] += 1;
        match p.proto {
            // Packets with a port are counted per hour and port
            // (`HourlyPorts`), the run's totals summed from there.
            IpProto::TCP | IpProto::UDP if p.dst_port().is_none() => {
                if p.has(Fields::NON_FIRST_FRAGMENT) {
                    self.non_first_fragment += 1;
                } else {
                    self.port_truncated += 1;
                }
            }
            IpProto::ICMP => match p.has(Fields::ICMP_TYPE) {
                true => self.icmp_types[usize::from(p.icmp_type)] += 1,
                false => self.icmp_unknown += 1,
            },
            IpProto::ICMPV6 => match p.has(Fields::ICMP_TYPE) {
                true => self.icmpv6_types[usize::from(p.icmp_type)] += 1,
                false => self.icmpv6_unknown += 1,
            },
            _ => {}
        }
        if let Some(flags) = class.flags {
            self.tcp_flags[flags as usize] += 1;
        }
        match class.backscatter {
            None => {}
            Some(Backscatter::TcpSynAck) => self.backscatter_tcp[0] += 1,
            Some(Backscatter::TcpRst) => self.backscatter_tcp[1] += 1,
            Some(Backscatter::TcpRstAck) => self.backscatter_tcp[2] += 1,
            Some(Backscatter::Icmp(t)) => self.backscatter_icmp[usize::from(t)] += 1,
            Some(Backscatter::Icmpv6(t)) => self.backscatter_icmpv6[usize::from(t)] += 1,
        }
        let fp = class.fingerprints;
        self.fingerprints[0] += u64::from(fp.has(Fingerprints::MIRAI));
        self.fingerprints[1] += u64::from(fp.has(Fingerprints::ZMAP));
        self.fingerprints[2] += u64::from(fp.has(Fingerprints::MASSCAN));
    }

    #[inline]
    pub fn add_country(&mut self, country: CountryCode) {
        self.countries[country_index(country)] += 1;
    }

    pub fn backscatter_total(&self) -> u64 {
        self.backscatter_tcp.iter().chain(&self.backscatter_icmp).chain(&self.backscatter_icmpv6).sum()
    }

    /// Backscatter counts by kind, zero counts left out.
    pub fn backscatter_kinds(&self) -> Vec<(Backscatter, u64)> {
        let tcp = [Backscatter::TcpSynAck, Backscatter::TcpRst, Backscatter::TcpRstAck];
        let mut kinds: Vec<(Backscatter, u64)> = tcp.into_iter().zip(self.backscatter_tcp).collect();
        kinds.extend((0..=255u8).map(|t| (Backscatter::Icmp(t), self.backscatter_icmp[usize::from(t)])));
        kinds.extend((0..=255u8).map(|t| (Backscatter::Icmpv6(t), self.backscatter_icmpv6[usize::from(t)])));
        kinds.retain(|(_, n)| *n > 0);
        kinds
    }

    pub fn flag_count(&self, class: FlagClass) -> u64 {
        self.tcp_flags[class as usize]
    }
}
