//! The tables of one UTC day: per source, per (source, port), per darknet
//! address. Everything here is exact except the per-source distinct darknet
//! addresses (see [`super::sketch`]).

use foldhash::fast::RandomState;
use hashbrown::HashMap;

use super::sketch::DistinctCounter;
use crate::classify::{Class, FlagClass, Fingerprints};
use crate::decode::{Addr, IpProto, Packet};
use crate::time::Day;

/// A scanner tool label earned by a source for a day: it sent at least one
/// SYN and every one of its SYNs that day matched (precedence mirai,
/// masscan, zmap).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ToolLabel {
    Mirai,
    Masscan,
    Zmap,
}

impl ToolLabel {
    pub fn name(self) -> &'static str {
        match self {
            ToolLabel::Mirai => "mirai",
            ToolLabel::Masscan => "masscan",
            ToolLabel::Zmap => "zmap",
        }
    }
}

/// One source's traffic on one day.
#[derive(Clone, Debug)]
pub struct SourceDay {
    /// Index into the run's source table (country, address).
    pub id: u32,
    pub packets: u64,
    /// Sum of IP total lengths.
    pub bytes: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Distinct (protocol, destination port) pairs.
    pub distinct_ports: u32,
    pub syn: u32,
    pub syn_mirai: u32,
    pub syn_masscan: u32,
    pub syn_zmap: u32,
    pub darknet_addrs: DistinctCounter,
}

impl SourceDay {
    pub fn tool_label(&self) -> Option<ToolLabel> {
        if self.syn == 0 {
            None
        } else if self.syn_mirai == self.syn {
            Some(ToolLabel::Mirai)
        } else if self.syn_masscan == self.syn {
            Some(ToolLabel::Masscan)
        } else if self.syn_zmap == self.syn {
            Some(ToolLabel::Zmap)
        } else {
            None
        }
    }
}

/// Key of the per-(source, port) table: source id, protocol bit, port.
#[inline]
pub fn source_port_key(id: u32, proto: IpProto, port: u16) -> u64 {
    (u64::from(id) << 17) | (u64::from(proto == IpProto::UDP) << 16) | u64::from(port)
}

/// Splits a [`source_port_key`] into (source id, protocol, port).
pub fn split_source_port_key(key: u64) -> (u32, IpProto, u16) {
    let proto = if key & (1 << 16) != 0 { IpProto::UDP } else { IpProto::TCP };
    ((key >> 17) as u32, proto, key as u16)
}

/// Aggregates of one UTC day.
#[derive(Clone, Debug)]
pub struct DayTables {
    pub day: Day,
    pub packets: u64,
    pub bytes: u64,
    pub sources: HashMap<Addr, SourceDay, RandomState>,
    /// Packets per (source, protocol, destination port).
    pub source_ports: HashMap<u64, u64, RandomState>,
    /// Packets per darknet destination address.
    pub darknet_addrs: HashMap<Addr, u64, RandomState>,
}

impl DayTables {
    pub fn new(day: Day) -> DayTables {
        DayTables {
            day,
            packets: 0,
            bytes: 0,
            sources: HashMap::default(),
            source_ports: HashMap::default(),
            darknet_addrs: HashMap::default(),
        }
    }

    /// Adds one darknet-inside packet and returns its source id; `source_id`
    /// is called only the first time a source shows up this day.
    #[inline]
    pub fn add(&mut self, p: &Packet, class: &Class, source_id: impl FnOnce() -> u32) -> u32 {
        self.packets += 1;
        self.bytes += u64::from(p.ip_len);
        let ts = p.ts.0;
        let src = self.sources.entry(p.src).or_insert_with(|| SourceDay {
            id: source_id(),
            packets: 0,
            bytes: 0,
            first_seen: ts,
            last_seen: ts,
            distinct_ports: 0,
            syn: 0,
            syn_mirai: 0,
            syn_masscan: 0,
            syn_zmap: 0,
            darknet_addrs: DistinctCounter::default(),
        });
        src.packets += 1;
        src.bytes += u64::from(p.ip_len);
        src.first_seen = src.first_seen.min(ts);
        src.last_seen = src.last_seen.max(ts);
        if class.flags == Some(FlagClass::Syn) {
            let fp = class.fingerprints;
            src.syn += 1;
            src.syn_mirai += u32::from(fp.has(Fingerprints::MIRAI));
            src.syn_masscan += u32::from(fp.has(Fingerprints::MASSCAN));
            src.syn_zmap += u32::from(fp.has(Fingerprints::ZMAP));
        }
        src.darknet_addrs.insert(p.dst);
        if let Some(port) = p.dst_port() {
            let count = self.source_ports.entry(source_port_key(src.id, p.proto, port)).or_insert(0);
            if *count == 0 {
                src.distinct_ports += 1;
            }
            *count += 1;
        }
        let id = src.id;
        *self.darknet_addrs.entry(p.dst).or_insert(0) += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_port_key_round_trips() {
        for (id, proto, port) in [(0, IpProto::TCP, 0), (7, IpProto::UDP, 65535), (u32::MAX >> 1, IpProto::TCP, 23)] {
            assert_eq!(split_source_port_key(source_port_key(id, proto, port)), (id, proto, port));
        }
    }
}
