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
//!
//! A day closes once the newest record is more than an hour past its end
//! ([`closed`]): its tables go to the [`DaySink`] and memory holds only the
//! days still open, whatever the length of the run.

mod closed;
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

pub use closed::{CLOSE_AFTER_NS, ClosedDays, DaySink, DaySummary, closing_time};
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
    /// Days still open, sorted by day.
    open: Vec<DayTables>,
    last_day: usize,
    /// Days closed so far (all of them after [`Aggregator::finish`]).
    pub closed: ClosedDays,
    sink: Option<DaySink>,
    sink_error: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// The newest record's timestamp, and the earliest closing time of an
    /// open day that is not late (ns).
    newest: i64,
    close_at: i64,
    /// Sources of the last day closed (room for the next day's table).
    last_sources: usize,
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
        let count_darknet_addrs = telescope.darknet.ipv4_size() == 0;
        Aggregator {
            batch: Vec::with_capacity(BATCH),
            batch_day: (0, 0),
            dense,
            telescope,
            geo,
            counts: RecordCounts::default(),
            traffic: Traffic::default(),
            countries: CountryCache::default(),
            open: Vec::new(),
            last_day: 0,
            closed: ClosedDays::new(count_darknet_addrs),
            sink: None,
            sink_error: None,
            newest: i64::MIN,
            close_at: i64::MAX,
            last_sources: 0,
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

    /// Gives each day's tables, as the day closes, to `sink` (see
    /// [`closed`]).
    pub fn set_sink(&mut self, sink: DaySink) {
        self.sink = Some(sink);
    }

    /// The sink's error, if it failed (it got no days after that).
    pub fn take_sink_error(&mut self) -> Option<Box<dyn std::error::Error + Send + Sync>> {
        self.sink_error.take()
    }

    /// Distinct darknet addresses seen over the run (the monitored-address
    /// fallback when no IPv4 `--darknet` prefix says how many there are;
    /// counted only then). Call after [`Aggregator::finish`].
    pub fn distinct_darknet_addrs(&self) -> u64 {
        self.closed.distinct_darknet_addrs()
    }

    /// Closes the open days whose closing time the newest record passed.
    #[cold]
    fn close_passed_days(&mut self) {
        self.flush();
        let newest = self.newest;
        let (done, open): (Vec<DayTables>, Vec<DayTables>) =
            std::mem::take(&mut self.open).into_iter().partition(|d| !d.late && newest > closing_time(d.day));
        self.open = open;
        self.last_day = 0;
        self.close_at = self.open.iter().filter(|d| !d.late).map(|d| closing_time(d.day)).min().unwrap_or(i64::MAX);
        for tables in done {
            self.close(tables);
        }
    }

    /// Folds a day's pair logs, hands the tables to the sink and keeps
    /// their summary.
    fn close(&mut self, mut tables: DayTables) {
        tables.finish();
        if let Some(sink) = &mut self.sink
            && let Err(e) = sink(&tables)
        {
            self.sink_error = Some(e);
            self.sink = None;
        }
        self.last_sources = tables.sources.len();
        self.closed.add(&tables);
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
        let index = self.day_index(Timestamp(first.ts).day());
        let Aggregator { countries, geo, traffic, batch, open, .. } = self;
        let day = &mut open[index];
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

    /// Counts what is still batched, closes every open day (see
    /// [`closed`]) and drops the sink: call once the inputs are read,
    /// before reading the run's day summaries.
    pub fn finish(&mut self) {
        self.flush();
        self.close_at = i64::MAX;
        for tables in std::mem::take(&mut self.open) {
            self.close(tables);
        }
        self.last_day = 0;
        // Every day went to it: let go of it (and of what it holds).
        self.sink = None;
    }

    /// Distinct sources of darknet packets over the run (the union of the
    /// days' sources). Call after [`Aggregator::finish`].
    pub fn unique_sources(&self) -> u64 {
        self.closed.unique_sources()
    }

    /// Where the open tables of `day` are, created if new; `last_day`
    /// caches the previous hit.
    #[inline]
    fn day_index(&mut self, day: Day) -> usize {
        if self.open.get(self.last_day).is_none_or(|d| d.day != day) {
            self.last_day = match self.open.binary_search_by_key(&day, |d| d.day) {
                Ok(i) => i,
                Err(i) => self.open_day(i, day),
            };
        }
        self.last_day
    }

    #[cold]
    fn open_day(&mut self, at: usize, day: Day) -> usize {
        let closes = closing_time(day);
        let late = self.newest > closes || self.closed.get(day).is_some();
        if !late {
            self.close_at = self.close_at.min(closes);
        }
        // Room for as many sources as the day before had.
        let sources = self.open.get(at.wrapping_sub(1)).map_or(self.last_sources, |d| d.sources.len());
        self.open.insert(at, DayTables::new(day, self.dense.as_ref(), sources, late));
        at
    }
}

impl RecordSink for Aggregator {
    #[inline]
    fn record(&mut self, record: &Record<'_>) {
        self.counts.records += 1;
        self.coverage.observe(record.ts);
        let t = record.ts.0;
        if t > self.newest {
            self.newest = t;
            if t > self.close_at {
                self.close_passed_days();
            }
        }
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
