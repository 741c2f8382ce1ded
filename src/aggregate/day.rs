//! The tables of one UTC day: per source, per (source, port), per (source,
//! darknet address), per darknet address, filled in batches by the
//! aggregator. Everything here is exact, and its memory grows with the
//! distinct keys of the day, not with its packets.

use std::sync::Arc;

use super::darknet::{DarknetCounts, DenseIndex};
use super::pairs::{PairCounts, PairSet, Word};
use super::scans::{ScanKind, ScanLog};
use super::source_table::{SourceId, SourceTable};
use crate::classify::geo::CountryCode;
use crate::classify::{Class, Fingerprints, FlagClass};
use crate::decode::{Addr, Fields, IpProto, Packet};
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

/// One source's traffic on one day (48 bytes: a day of 10 M sources keeps
/// its records in under half a GiB).
#[derive(Clone, Debug, Default)]
pub struct SourceDay {
    pub packets: u64,
    /// Sum of IP total lengths.
    pub bytes: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Distinct (protocol, destination port) pairs (set by
    /// [`DayTables::finish`]).
    pub distinct_ports: u32,
    /// Distinct darknet addresses (set by [`DayTables::finish`]).
    pub distinct_addrs: u32,
    /// SYN-class TCP packets: the low 32 bits here, the next 8 in
    /// `syn_high` (the record's last padding byte), so the count is exact
    /// to 2^40 − 1 (a flood of 12 M SYNs a second from one source all day)
    /// and stops there; read it with [`SourceDay::syn_packets`].
    syn: u32,
    /// The source's country (kept here so counting needs no other lookup).
    pub country: CountryCode,
    /// One bit per tool ([`Pending::MIRAI`], ...): set once a SYN did not
    /// match that tool's fingerprint.
    syn_misses: u8,
    syn_high: u8,
}

impl SourceDay {
    pub fn tool_label(&self) -> Option<ToolLabel> {
        let matched_all = |tool: u8| self.syn_misses & tool == 0;
        if self.syn_packets() == 0 {
            None
        } else if matched_all(Pending::MIRAI) {
            Some(ToolLabel::Mirai)
        } else if matched_all(Pending::MASSCAN) {
            Some(ToolLabel::Masscan)
        } else if matched_all(Pending::ZMAP) {
            Some(ToolLabel::Zmap)
        } else {
            None
        }
    }
}

/// Bits below the source id in a [`source_port_key`] and a
/// [`source_addr_key`].
const PORT_KEY_BITS: u32 = 17;
const ADDR_KEY_BITS: u32 = 32;

/// Key of the per-(source, port) table: source id, protocol bit, port.
#[inline]
pub fn source_port_key(id: SourceId, proto: IpProto, port: u16) -> u64 {
    (u64::from(id) << PORT_KEY_BITS) | (u64::from(proto == IpProto::UDP) << 16) | u64::from(port)
}

/// Splits a [`source_port_key`] into (source id, protocol, port).
pub fn split_source_port_key(key: u64) -> (SourceId, IpProto, u16) {
    let proto = if key & (1 << 16) != 0 { IpProto::UDP } else { IpProto::TCP };
    ((key >> PORT_KEY_BITS) as u32, proto, key as u16)
}

/// Key of the per-(source, darknet address) set: source id and the
/// address's number from [`DarknetCounts::add`].
#[inline]
pub fn source_addr_key(id: SourceId, addr_number: u32) -> u64 {
    (u64::from(id) << ADDR_KEY_BITS) | u64::from(addr_number)
}

/// Aggregates of one UTC day.
#[derive(Clone, Debug)]
pub struct DayTables {
    pub day: Day,
    pub packets: u64,
    pub bytes: u64,
    pub sources: SourceTable,
    /// Packets per [`source_port_key`].
    pub source_ports: PairCounts,
    /// The [`source_addr_key`]s seen (DESIGN asks only for each source's
    /// distinct addresses, not packets per pair).
    pub source_addrs: AddrPairs,
    /// Packets per darknet destination address.
    pub darknet_addrs: DarknetCounts,
    /// The day's probes, for scan events (empty when they are off).
    pub scans: ScanLog,
    /// Opened after its closing time (late records, or a day already
    /// closed): stays open to the end of the run (see [`super::closed`]).
    pub late: bool,
}

impl DayTables {
    /// Empty tables with room for `sources` (the previous day's count, so
    /// a busy day does not spend its time growing them).
    pub fn new(day: Day, dense: Option<&Arc<DenseIndex>>, sources: usize, late: bool) -> DayTables {
        DayTables {
            day,
            packets: 0,
            bytes: 0,
            sources: SourceTable::with_capacity(sources),
            source_ports: PairCounts::new(PORT_KEY_BITS, PORT_KEY_BITS),
            source_addrs: AddrPairs::new(dense.is_some()),
            darknet_addrs: DarknetCounts::new(dense),
            scans: ScanLog::default(),
            late,
        }
    }

    /// Folds the pair logs and sets every source's distinct ports and
    /// darknet addresses from them. Call before reading the pair counts or
    /// the distinct counts; cheap when nothing changed since.
    pub fn finish(&mut self) {
        self.source_ports.fold();
        let records = self.sources.records_mut();
        for (id, n) in self.source_ports.distinct_per_source() {
            records[id as usize].distinct_ports = n;
        }
        fn set_addrs<W: Word>(records: &mut [SourceDay], pairs: &mut PairSet<W>) {
            pairs.fold();
            for (id, n) in pairs.distinct_per_source() {
                records[id as usize].distinct_addrs = n;
            }
        }
        match &mut self.source_addrs {
            AddrPairs::Dense(pairs) => set_addrs(records, pairs),
            AddrPairs::Sparse(pairs) => set_addrs(records, pairs),
        }
    }
}

/// The (source, darknet address) pairs of a day. A dense darknet numbers
/// its addresses below [`DENSE_VALUE_BITS`] bits, so the pairs' logs hold
/// 32-bit words; other darknets number addresses as they come (up to 32
/// bits) and need 64.
#[derive(Clone, Debug)]
pub enum AddrPairs {
    Dense(PairSet<u32>),
    Sparse(PairSet<u64>),
}

/// Bits of a dense darknet address number.
const DENSE_VALUE_BITS: u32 = super::darknet::DENSE_BITS;

impl AddrPairs {
    fn new(dense: bool) -> AddrPairs {
        if dense {
            AddrPairs::Dense(PairSet::new(ADDR_KEY_BITS, DENSE_VALUE_BITS))
        } else {
            AddrPairs::Sparse(PairSet::new(ADDR_KEY_BITS, ADDR_KEY_BITS))
        }
    }

    /// Logs the pair of source `id` and darknet address `number`.
    #[inline]
    pub fn push(&mut self, id: SourceId, number: u32) {
        match self {
            // A dense number is below the index's size (u32::MAX, for an
            // address outside the index, cannot occur: only darknet
            // addresses are counted); clamped so a word never overflows.
            AddrPairs::Dense(pairs) => pairs.push(source_addr_key(id, number.min((1 << DENSE_VALUE_BITS) - 1))),
            AddrPairs::Sparse(pairs) => pairs.push(source_addr_key(id, number)),
        }
    }
}

impl SourceDay {
    /// The tools whose fingerprint one of the source's SYNs missed (bits
    /// of [`Pending`]); with [`with_syn_misses`](Self::with_syn_misses),
    /// what a stored live day keeps of its tool labels.
    pub fn syn_misses(&self) -> u8 {
        self.syn_misses
    }

    /// The record with `n` SYN packets (saturating at 2^40 − 1, as
    /// counting does).
    pub fn with_syn_packets(self, n: u64) -> SourceDay {
        let n = n.min((1 << 40) - 1);
        SourceDay { syn: n as u32, syn_high: (n >> 32) as u8, ..self }
    }

    pub fn with_syn_misses(self, bits: u8) -> SourceDay {
        SourceDay { syn_misses: bits & (Pending::MIRAI | Pending::MASSCAN | Pending::ZMAP), ..self }
    }

    /// A source's first packet of the day.
    pub fn new(country: CountryCode, ts: i64) -> SourceDay {
        SourceDay { country, first_seen: ts, last_seen: ts, ..SourceDay::default() }
    }

    /// Counts one packet (all but the distinct ports and addresses).
    #[inline]
    pub fn add(&mut self, p: &Pending) {
        self.packets += 1;
        self.bytes += u64::from(p.ip_len);
        self.first_seen = self.first_seen.min(p.ts);
        self.last_seen = self.last_seen.max(p.ts);
        if p.bits & Pending::SYN != 0 {
            self.count_syn();
            self.syn_misses |= !p.bits & (Pending::MIRAI | Pending::MASSCAN | Pending::ZMAP);
        }
    }
}

impl SourceDay {
    /// SYN-class TCP packets (exact up to 2^40 − 1, then stays there).
    pub fn syn_packets(&self) -> u64 {
        (u64::from(self.syn_high) << 32) | u64::from(self.syn)
    }

    #[inline]
    fn count_syn(&mut self) {
        match self.syn.checked_add(1) {
            Some(n) => self.syn = n,
            None if self.syn_high < u8::MAX => (self.syn, self.syn_high) = (0, self.syn_high + 1),
            None => {}
        }
    }
}

/// What the per-day tables need of a darknet packet: a compact copy kept
/// while its batch waits (a third of a `Packet` and its `Class`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending {
    pub src: Addr,
    pub dst: Addr,
    pub ts: i64,
    pub ip_len: u32,
    /// The source's number in its day (set when the batch is numbered).
    pub id: SourceId,
    /// The destination port (the ICMP type of an ICMP probe).
    pub port: u16,
    pub bits: u8,
    /// The probe's traffic type ([`ScanKind`] as a code; 0: not a probe).
    pub scan: u8,
}

impl Pending {
    pub const HAS_PORT: u8 = 1;
    pub const UDP: u8 = 2;
    pub const SYN: u8 = 4;
    pub const MIRAI: u8 = 8;
    pub const MASSCAN: u8 = 16;
    pub const ZMAP: u8 = 32;
    /// The packet's source is new in its day ([`Pending::id`] is the next
    /// number).
    pub const NEW_SOURCE: u8 = 64;

    #[inline]
    pub fn new(p: &Packet, class: &Class) -> Pending {
        let mut bits = 0;
        if p.dst_port().is_some() {
            bits |= Pending::HAS_PORT | if p.proto == IpProto::UDP { Pending::UDP } else { 0 };
        }
        if class.flags == Some(FlagClass::Syn) {
            let fp = class.fingerprints;
            bits |= Pending::SYN;
            if fp.has(Fingerprints::MIRAI) {
                bits |= Pending::MIRAI;
            }
            if fp.has(Fingerprints::MASSCAN) {
                bits |= Pending::MASSCAN;
            }
            if fp.has(Fingerprints::ZMAP) {
                bits |= Pending::ZMAP;
            }
        }
        let scan = scan_kind(p, class).map_or(0, |k| k as u8);
        let port = if scan == ScanKind::Icmp as u8 { u16::from(p.icmp_type) } else { p.dst_port };
        Pending { src: p.src, dst: p.dst, ts: p.ts.0, ip_len: p.ip_len, id: 0, port, bits, scan }
    }

    /// The (protocol, destination port), when the packet has a port.
    #[inline]
    pub fn port(&self) -> Option<(IpProto, u16)> {
        let proto = if self.bits & Pending::UDP != 0 { IpProto::UDP } else { IpProto::TCP };
        (self.bits & Pending::HAS_PORT != 0).then_some((proto, self.port))
    }
}

/// The traffic type of a probe for [`super::scans`]: TCP SYN, another TCP
/// flag class (not backscatter, flags known), UDP with ports, ICMP that is
/// not backscatter; None for everything else.
#[inline]
fn scan_kind(p: &Packet, class: &Class) -> Option<ScanKind> {
    if class.backscatter.is_some() {
        return None;
    }
    match p.proto {
        IpProto::TCP if p.has(Fields::PORTS) => match class.flags {
            Some(FlagClass::Syn) => Some(ScanKind::TcpSyn),
            Some(FlagClass::Other) => Some(ScanKind::TcpOther),
            _ => None,
        },
        IpProto::UDP if p.has(Fields::PORTS) => Some(ScanKind::Udp),
        IpProto::ICMP | IpProto::ICMPV6 if p.has(Fields::ICMP_TYPE) => Some(ScanKind::Icmp),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_syn_count_carries_past_32_bits_and_stops_at_40_within_48_bytes() {
        assert_eq!(std::mem::size_of::<SourceDay>(), 48);
        let syn = Pending { bits: Pending::SYN | Pending::MIRAI, ..Pending::default() };
        let mut day = SourceDay { syn: u32::MAX - 1, ..SourceDay::default() };
        for _ in 0..3 {
            day.add(&syn);
        }
        assert_eq!(day.syn_packets(), (1 << 32) + 1);
        assert_eq!(day.packets, 3);
        assert_eq!(day.tool_label(), Some(ToolLabel::Mirai));
        let mut full = SourceDay { syn: u32::MAX, syn_high: u8::MAX, ..SourceDay::default() };
        full.add(&syn);
        assert_eq!(full.syn_packets(), (1 << 40) - 1);
    }

    #[test]
    fn source_port_key_round_trips() {
        for (id, proto, port) in [(0, IpProto::TCP, 0), (7, IpProto::UDP, 65535), (u32::MAX >> 1, IpProto::TCP, 23)] {
            assert_eq!(split_source_port_key(source_port_key(id, proto, port)), (id, proto, port));
        }
    }
}
