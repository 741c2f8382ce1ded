//! A live day's aggregates as bytes: what a capture daemon stores beside the
//! day's Parquet files so that a restarted daemon continues the day exactly
//! (see [`super::live`]). The Parquet tables cannot serve for that: they
//! hold each source's distinct ports and addresses as numbers, not the
//! (source, port) and (source, address) pairs behind them, nor which tool
//! fingerprints each source's SYNs missed.
//!
//! Little-endian, in order: a magic and version; the day, its packets and
//! bytes; each source (address, counters, country, missed fingerprints) in
//! number order; the (source, port) runs with their packets; the (source,
//! darknet address) runs; the darknet addresses with their number and
//! packets; the hourly port rows; the backscatter victims. Counts are
//! checked against the bytes left before anything is allocated, so damaged
//! bytes give an error, never a panic or a huge allocation.

use super::darknet::DarknetCounts;
use super::day::{AddrPairs, DayTables, SourceDay};
use super::live::DaySnapshot;
use super::pairs::{PairCounts, PairSet};
use super::{Aggregator, HourlyRow, VictimKey};
use crate::classify::Backscatter;
use crate::classify::geo::CountryCode;
use crate::decode::{Addr, IpProto};
use crate::time::Day;

const MAGIC: &[u8; 8] = b"DSLIVE01";

/// Why stored live bytes cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("not a darkscope live day (bad magic or version)")]
    Magic,
    #[error("cut short at byte {0}")]
    Truncated(usize),
    #[error("damaged: {0}")]
    Damaged(&'static str),
    #[error("made with another darknet (its address numbers differ): keep this run's --darknet for the day")]
    OtherDarknet,
}

impl DaySnapshot {
    /// Appends the snapshot's bytes to `out`; folds the tables' pair logs.
    pub fn encode(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(MAGIC);
        put(out, self.day.0);
        match &mut self.tables {
            None => out.push(0),
            Some(tables) => {
                tables.finish();
                out.push(1);
                encode_tables(tables, out);
            }
        }
        put(out, self.hourly.len() as u64);
        for row in &self.hourly {
            put(out, row.hour);
            out.push(u8::from(row.proto == IpProto::UDP));
            put(out, row.port);
            put(out, row.packets);
        }
        put(out, self.victims.len() as u64);
        for (key, packets) in &self.victims {
            put(out, key.day.0);
            put(out, key.victim.0);
            let (kind, icmp_type) = match key.kind {
                Backscatter::TcpSynAck => (0u8, 0u8),
                Backscatter::TcpRst => (1, 0),
                Backscatter::TcpRstAck => (2, 0),
                Backscatter::Icmp(t) => (3, t),
                Backscatter::Icmpv6(t) => (4, t),
            };
            out.extend_from_slice(&[kind, icmp_type]);
            let (has_port, proto, port) = key.port.map_or((0u8, 0u8, 0u16), |(proto, port)| (1, proto.0, port));
            out.extend_from_slice(&[has_port, proto]);
            put(out, port);
            put(out, *packets);
        }
    }
}

fn encode_tables(tables: &DayTables, out: &mut Vec<u8>) {
    put(out, tables.packets);
    put(out, tables.bytes);
    put(out, tables.sources.len() as u64);
    for (addr, r) in tables.sources.iter() {
        put(out, addr.0);
        for n in [r.packets, r.bytes] {
            put(out, n);
        }
        for t in [r.first_seen, r.last_seen] {
            put(out, t);
        }
        for n in [r.distinct_ports, r.distinct_addrs] {
            put(out, n);
        }
        put(out, r.syn_packets());
        out.extend_from_slice(&r.country.0);
        out.push(r.syn_misses());
    }
    put(out, tables.source_ports.len() as u64);
    for (key, packets) in tables.source_ports.runs() {
        put(out, key);
        put(out, packets);
    }
    let keys: Vec<u64> = match &tables.source_addrs {
        AddrPairs::Dense(pairs) => pairs.runs().collect(),
        AddrPairs::Sparse(pairs) => pairs.runs().collect(),
    };
    put(out, keys.len() as u64);
    for key in keys {
        put(out, key);
    }
    let addrs = tables.darknet_addrs.numbered();
    put(out, addrs.len() as u64);
    for (number, addr, packets) in addrs {
        put(out, number);
        put(out, addr.0);
        put(out, packets);
    }
}

impl Aggregator {
    /// Reads a snapshot [`DaySnapshot::encode`] wrote, for this run's
    /// darknet; the result is not closed.
    pub fn decode_snapshot(&self, bytes: &[u8]) -> Result<DaySnapshot, StateError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(StateError::Magic);
        }
        let day = Day(r.i32()?);
        let tables = match r.u8()? {
            0 => None,
            1 => Some(self.decode_tables(day, &mut r)?),
            _ => return Err(StateError::Damaged("tables flag")),
        };
        let n = r.count(19)?;
        let mut hourly = Vec::with_capacity(n);
        for _ in 0..n {
            let hour = r.i64()?;
            let proto = if r.u8()? == 1 { IpProto::UDP } else { IpProto::TCP };
            hourly.push(HourlyRow { hour, proto, port: r.u16()?, packets: r.u64()? });
        }
        let n = r.count(34)?;
        let mut victims = Vec::with_capacity(n);
        for _ in 0..n {
            let key_day = Day(r.i32()?);
            let victim = Addr(r.u128()?);
            let kind = match (r.u8()?, r.u8()?) {
                (0, _) => Backscatter::TcpSynAck,
                (1, _) => Backscatter::TcpRst,
                (2, _) => Backscatter::TcpRstAck,
                (3, t) => Backscatter::Icmp(t),
                (4, t) => Backscatter::Icmpv6(t),
                _ => return Err(StateError::Damaged("backscatter kind")),
            };
            let (has_port, proto, port) = (r.u8()?, r.u8()?, r.u16()?);
            let port = (has_port == 1).then_some((IpProto(proto), port));
            victims.push((VictimKey { day: key_day, victim, kind, port }, r.u64()?));
        }
        if r.at != bytes.len() {
            return Err(StateError::Damaged("bytes after the end"));
        }
        Ok(DaySnapshot { day, tables, hourly, victims, closed: false })
    }

    fn decode_tables(&self, day: Day, r: &mut Reader<'_>) -> Result<DayTables, StateError> {
        let mut tables = DayTables::new(day, self.dense.as_ref(), 0, false);
        tables.packets = r.u64()?;
        tables.bytes = r.u64()?;
        let sources = r.count(67)?;
        for _ in 0..sources {
            let addr = Addr(r.u128()?);
            let (packets, bytes) = (r.u64()?, r.u64()?);
            let (first_seen, last_seen) = (r.i64()?, r.i64()?);
            let (distinct_ports, distinct_addrs, syn) = (r.u32()?, r.u32()?, r.u64()?);
            let country = CountryCode([r.u8()?, r.u8()?]);
            let mut record = SourceDay::new(country, first_seen);
            record.packets = packets;
            record.bytes = bytes;
            record.last_seen = last_seen;
            record.distinct_ports = distinct_ports;
            record.distinct_addrs = distinct_addrs;
            tables.sources.push(addr, record.with_syn_packets(syn).with_syn_misses(r.u8()?));
        }
        let source_id_ok = |key: u64, shift: u32| (key >> shift) < sources as u64;
        let (shift, bits) = tables.source_ports.layout_bits();
        let n = r.count(16)?;
        let mut runs = Vec::with_capacity(n);
        for _ in 0..n {
            let run = (r.u64()?, r.u64()?);
            if !source_id_ok(run.0, shift) {
                return Err(StateError::Damaged("source port of no source"));
            }
            runs.push(run);
        }
        tables.source_ports = PairCounts::from_runs(shift, bits, runs).ok_or(StateError::Damaged("source ports"))?;
        let n = r.count(8)?;
        let mut keys = Vec::with_capacity(n);
        for _ in 0..n {
            keys.push(r.u64()?);
        }
        tables.source_addrs = match &tables.source_addrs {
            AddrPairs::Dense(pairs) => AddrPairs::Dense(restore_set(pairs, keys, sources)?),
            AddrPairs::Sparse(pairs) => AddrPairs::Sparse(restore_set(pairs, keys, sources)?),
        };
        let darknet: &mut DarknetCounts = &mut tables.darknet_addrs;
        for _ in 0..r.count(28)? {
            let (number, addr, packets) = (r.u32()?, Addr(r.u128()?), r.u64()?);
            if !darknet.restore(number, addr, packets) {
                return Err(StateError::OtherDarknet);
            }
        }
        Ok(tables)
    }
}

/// A set of (source, address) keys like `like`, holding `keys`.
fn restore_set<W: super::pairs::Word>(
    like: &PairSet<W>,
    keys: Vec<u64>,
    sources: usize,
) -> Result<PairSet<W>, StateError> {
    let (shift, bits) = like.layout_bits();
    if keys.iter().any(|k| (k >> shift) >= sources as u64) {
        return Err(StateError::Damaged("darknet address of no source"));
    }
    PairSet::from_runs(shift, bits, keys).ok_or(StateError::Damaged("source addresses"))
}

/// Little-endian bytes of a number.
trait Bytes: Copy {
    fn put(self, out: &mut Vec<u8>);
}

macro_rules! bytes {
    ($($t:ty),*) => {$(
        impl Bytes for $t {
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
bytes!(u16, u32, u64, u128, i32, i64);

fn put<T: Bytes>(out: &mut Vec<u8>, value: T) {
    value.put(out);
}

/// Reads what [`put`] wrote, checking every length.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

macro_rules! read {
    ($($name:ident: $t:ty),*) => {$(
        fn $name(&mut self) -> Result<$t, StateError> {
            let bytes = self.take(size_of::<$t>())?;
            Ok(<$t>::from_le_bytes(bytes.try_into().map_err(|_| StateError::Truncated(self.at))?))
        }
    )*};
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        let end =
            self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or(StateError::Truncated(self.at))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u8(&mut self) -> Result<u8, StateError> {
        Ok(self.take(1)?[0])
    }

    read!(u16: u16, u32: u32, u64: u64, u128: u128, i32: i32, i64: i64);

    /// A count of items of at least `item_bytes` each, no more than the
    /// bytes left could hold.
    fn count(&mut self, item_bytes: usize) -> Result<usize, StateError> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) / item_bytes;
        usize::try_from(n).ok().filter(|&n| n <= left).ok_or(StateError::Truncated(self.at))
    }
}
