//! Aggregation per UTC day, the run's flat counters and its coverage.
//!
//! [`Aggregator`] is the one place a record goes through decode → classify
//! → count. Days are kept in a short sorted vector with the last-used day
//! cached, since records arrive mostly in time order.
//!
//! A day's source table is much larger than the CPU caches, so
//! darknet-inside packets are counted in batches of [`BATCH`] packets of one
//! day, in three passes: hash every source and prefetch its index slot;
//! number the sources and prefetch their records; count. The cache misses
//! of a batch then overlap instead of queueing. The (source, port) and
//! (source, address) pairs are only logged here (see [`pairs`]); call
//! [`Aggregator::finish`] before reading them.

mod counters;
mod coverage;
mod darknet;
mod day;
mod hourly;
pub mod pairs;
mod prefetch;
mod source_table;
mod sources;
pub mod table;

pub use counters::{MALFORMED_REASONS, RecordCounts, Traffic, country_from_index, malformed_index};
pub use coverage::Coverage;
pub use darknet::{DarknetCounts, DenseIndex};
pub use day::{DayTables, Pending, SourceDay, ToolLabel, source_addr_key, source_port_key, split_source_port_key};
pub use hourly::{HourlyPorts, HourlyRow};
pub use source_table::{SourceId, SourceTable};
pub use sources::CountryCache;

use std::sync::Arc;

use crate::classify::geo::{CountryCode, CountryDb};
use crate::classify::{Backscatter, Scope, Telescope, classify};
use crate::decode::{Addr, Decoded, IpProto, IpVersion, Packet, decode};
use crate::source::{LinkType, ReadReport, Record, RecordSink};
use crate::time::{Day, NANOS_PER_DAY, Timestamp};
use source_table::SourceHash;

/// The run's aggregates.
pub struct Aggregator {
    telescope: Telescope,
    geo: CountryDb,
    pub counts: RecordCounts,
    pub traffic: Traffic,
    countries: CountryCache,
    /// Sorted by day.
    pub days: Vec<DayTables>,
    last_day: usize,
    pub coverage: Coverage,
    /// Link types of the current input that we do not decode.
    unsupported: Vec<LinkType>,
    /// Darknet-inside packets waiting to be counted, all of one day.
    batch: Vec<Pending>,
    /// The batch's day, as [start, end) in nanoseconds.
    batch_day: (i64, i64),
    dense: Option<Arc<DenseIndex>>,
    /// First and last record timestamps of the current input (ns).
    input_span: Option<(i64, i64)>,
    /// Packets per (hour, protocol, destination port).
    pub hourly: HourlyPorts,
    /// Backscatter packets per victim, kind and victim port, per day.
    pub victims: hashbrown::HashMap<VictimKey, u64, foldhash::fast::RandomState>,
}

/// One backscatter victim of one day (DESIGN: the outer source, or the
/// quoted inner destination of an ICMP error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VictimKey {
    pub day: Day,
    pub victim: Addr,
    pub kind: Backscatter,
    /// The victim's service (protocol, port), when it was captured: the
    /// TCP source port, or the quoted inner destination port.
    pub port: Option<(IpProto, u16)>,
}

/// Packets counted together (see the module docs).
pub const BATCH: usize = 32;

impl Aggregator {
    pub fn new(telescope: Telescope, geo: CountryDb, max_gap_secs: f64) -> Aggregator {
        let dense = DenseIndex::new(&telescope.darknet).map(Arc::new);
        Aggregator {
            batch: Vec::with_capacity(BATCH),
            batch_day: (0, 0),
            dense,
            telescope,
            geo,
            counts: RecordCounts::default(),
            traffic: Traffic::default(),
            countries: CountryCache::default(),
            days: Vec::new(),
            last_day: 0,
            coverage: Coverage::new(max_gap_secs),
            unsupported: Vec::new(),
            input_span: None,
            hourly: HourlyPorts::default(),
            victims: Default::default(),
        }
    }

    pub fn telescope(&self) -> &Telescope {
        &self.telescope
    }

    pub fn geo(&self) -> &CountryDb {
        &self.geo
    }

    /// Finishes one input: closes its coverage and adds one warning per
    /// link type it used that darkscope does not decode. Gives the first
    /// and last record timestamps of the input (ns), if it had records.
    pub fn end_input(&mut self, report: &mut ReadReport) -> Option<(i64, i64)> {
        self.flush();
        self.coverage.end_input();
        for link in self.unsupported.drain(..) {
            report.warnings.push(format!("link type {link} is not decoded: its records count as non_ip"));
        }
        self.input_span.take()
    }

    /// Distinct darknet addresses seen over the run (the monitored-address
    /// fallback when no IPv4 `--darknet` prefix says how many there are).
    pub fn distinct_darknet_addrs(&self) -> u64 {
        let mut all: hashbrown::HashSet<crate::decode::Addr, foldhash::fast::RandomState> = Default::default();
        for d in &self.days {
            all.extend(d.darknet_addrs.iter().map(|(addr, _)| addr));
        }
        all.len() as u64
    }

    /// Counts one decoded IP packet: darknet scope, classification, then
    /// the batch (see the module docs).
    #[inline]
    pub fn count_ip(&mut self, packet: Packet) {
        match packet.version {
            IpVersion::V4 => self.counts.ipv4 += 1,
            IpVersion::V6 => self.counts.ipv6 += 1,
        }
        match self.telescope.scope(&packet) {
            Scope::Inside => self.counts.darknet_inside += 1,
            Scope::Outside => {
                self.counts.darknet_outside += 1;
                return;
            }
            Scope::Excluded => {
                self.counts.excluded += 1;
                return;
            }
        }
        let class = classify(&packet);
        // A batch holds one day: compare with the day's bounds rather than
        // dividing every timestamp.
        let ts = packet.ts.0;
        let in_batch_day = (self.batch_day.0..self.batch_day.1).contains(&ts);
        if !self.batch.is_empty() && !in_batch_day {
            self.flush();
        }
        if self.batch.is_empty() {
            let start = packet.ts.day().start().0;
            self.batch_day = (start, start.saturating_add(NANOS_PER_DAY));
        }
        self.traffic.add(&packet, &class);
        if let Some(port) = packet.dst_port() {
            self.hourly.add(ts, packet.proto, port);
        }
        if let (Some(kind), Some(victim)) = (class.backscatter, class.victim) {
            let proto = if packet.proto == IpProto::TCP { IpProto::TCP } else { packet.inner_proto };
            let port = class.victim_port.map(|port| (proto, port));
            let key = VictimKey { day: packet.ts.day(), victim, kind, port };
            *self.victims.entry(key).or_default() += 1;
        }
        self.batch.push(Pending::new(&packet, &class));
        if self.batch.len() == BATCH {
            self.flush();
        }
    }

    /// Counts the batched packets (see the module docs for the passes).
    pub fn flush(&mut self) {
        let Some(first) = self.batch.first() else {
            return;
        };
        let day = day_slot(&mut self.days, &mut self.last_day, Timestamp(first.ts).day(), self.dense.as_ref());
        let Aggregator { countries, geo, traffic, batch, .. } = self;
        let n = batch.len();
        let mut source_hash = [SourceHash::default(); BATCH];
        let mut id = [0 as SourceId; BATCH];
        let mut is_new = [false; BATCH];

        for (i, p) in batch.iter().enumerate() {
            source_hash[i] = day.sources.hash(p.src);
            day.sources.prefetch(source_hash[i]);
            day.darknet_addrs.prefetch(p.dst);
        }
        for (i, p) in batch.iter().enumerate() {
            let known = day.sources.len();
            id[i] = day.sources.id_with(p.src, source_hash[i], || SourceDay::new(CountryCode::UNKNOWN, p.ts));
            is_new[i] = id[i] as usize == known;
            if is_new[i] {
                countries.prefetch(p.src);
            } else {
                day.sources.prefetch_record(id[i]);
            }
        }
        let mut bytes = 0;
        for (i, p) in batch.iter().enumerate() {
            bytes += u64::from(p.ip_len);
            let source = day.sources.record_mut(id[i]);
            if is_new[i] {
                // Looked up here rather than when the source was numbered,
                // so the country cache's miss overlaps with the others.
                source.country = countries.country(p.src, geo);
            }
            source.add(p);
            traffic.add_country(source.country);
            day.source_addrs.push(source_addr_key(id[i], day.darknet_addrs.add(p.dst)));
            if let Some((proto, port)) = p.port() {
                day.source_ports.push(source_port_key(id[i], proto, port));
            }
        }
        day.packets += n as u64;
        day.bytes += bytes;
        batch.clear();
    }

    /// Counts what is still batched and folds every day's pair logs (see
    /// [`DayTables::finish`]): call once the inputs are read, before
    /// reading per-source distinct counts or pair counts.
    pub fn finish(&mut self) {
        self.flush();
        for day in &mut self.days {
            day.finish();
        }
    }

    /// Distinct sources of darknet packets over the run (the union of the
    /// days' sources).
    pub fn unique_sources(&self) -> u64 {
        match self.days.as_slice() {
            [] => 0,
            [day] => day.sources.len() as u64,
            days => {
                let mut all: hashbrown::HashSet<crate::decode::Addr, foldhash::fast::RandomState> = Default::default();
                for d in days {
                    all.extend(d.sources.addrs());
                }
                all.len() as u64
            }
        }
    }
}

/// The day's tables, created if new; `last` caches the previous hit.
#[inline]
fn day_slot<'a>(
    days: &'a mut Vec<DayTables>,
    last: &mut usize,
    day: Day,
    dense: Option<&Arc<DenseIndex>>,
) -> &'a mut DayTables {
    if days.get(*last).is_none_or(|d| d.day != day) {
        *last = match days.binary_search_by_key(&day, |d| d.day) {
            Ok(i) => i,
            Err(i) => {
                let like = days.get(i.saturating_sub(1));
                let tables = DayTables::new(day, dense, like);
                days.insert(i, tables);
                i
            }
        };
    }
    &mut days[*last]
}

impl RecordSink for Aggregator {
    #[inline]
    fn record(&mut self, record: &Record<'_>) {
        self.counts.records += 1;
        self.coverage.observe(record.ts);
        let t = record.ts.0;
        self.input_span = Some(match self.input_span {
            Some((first, last)) => (first.min(t), last.max(t)),
            None => (t, t),
        });
        let packet = match decode(record) {
            Decoded::Ip(packet) => packet,
            Decoded::NonIp => {
                self.counts.non_ip += 1;
                return;
            }
            Decoded::UnsupportedLink(link) => {
                self.counts.non_ip += 1;
                if !self.unsupported.contains(&link) {
                    self.unsupported.push(link);
                }
                return;
            }
            Decoded::Malformed(why) => {
                self.counts.malformed += 1;
                self.counts.malformed_by[malformed_index(why)] += 1;
                return;
            }
        };
        self.count_ip(packet);
    }

    fn capture_span(&mut self, start: Timestamp, end: Timestamp) {
        self.coverage.state_span(start, end);
    }
}
