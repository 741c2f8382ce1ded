//! Aggregation per UTC day, the run's flat counters and its coverage.
//!
//! [`Aggregator`] is the one place a record goes through decode → classify
//! → count. The run-wide counters are counted as records come; the per-day
//! tables by the day worker ([`days`]), which gets chunks of packets and
//! commands and runs on the reading thread or, with `--threads` ≥ 2, on its
//! own. Open days are kept in a short sorted vector with the last-used day
//! cached, since records arrive mostly in time order.
//!
//! A day's source table is much larger than the CPU caches, so
//! darknet-inside packets are counted in batches of [`BATCH`] packets of one
//! day, in passes: the reading side hashes every source, prefetches its
//! index slot, then numbers the sources (the calendar keeps each open day's
//! index); the day worker prefetches every record, then counts. The cache
//! misses of a batch then overlap instead of queueing, and with two threads
//! the work splits about evenly. The (source, port) and (source, address)
//! pairs are only logged here (see [`pairs`]); call [`Aggregator::finish`]
//! before reading them.
//!
//! A day closes once the newest record is more than an hour past its end
//! ([`closed`]): its tables go to the [`DaySink`] and memory holds only the
//! days still open, whatever the length of the run.

pub mod alert_state;
pub mod alerts;
pub mod attacks;
mod closed;
mod closer;
mod counters;
mod coverage;
mod darknet;
mod day;
mod days;
mod handoff;
mod hourly;
mod live;
pub mod pairs;
mod prefetch;
mod record;
pub mod scans;
mod sort;
mod source_table;
mod sources;
mod state;
pub mod table;

pub use attacks::{Attack, AttackLog, DosProfile};
pub use closed::{CLOSE_AFTER_NS, ClosedDays, DaySink, DaySummary, SinkError, closing_time};
pub use counters::{MALFORMED_REASONS, RecordCounts, Traffic, country_from_index, country_index, malformed_index};
pub use coverage::Coverage;
pub use darknet::{DarknetCounts, DenseIndex};
pub use day::{DayTables, Pending, SourceDay, ToolLabel, source_addr_key, source_port_key, split_source_port_key};
pub use hourly::{HourlyPorts, HourlyRow};
pub use live::{DaySnapshot, LiveError};
pub use scans::{Scan, ScanKind, ScanRules};
pub use source_table::{SourceId, SourceTable};
pub use sources::CountryCache;
pub use state::StateError;

use std::sync::Arc;

use crate::classify::geo::CountryDb;
use crate::classify::{Backscatter, Telescope, classify};
use crate::decode::{Addr, IpProto};
use crate::source::{LinkType, ReadReport};
use crate::time::{Day, Timestamp};
use days::{Calendar, Chunk, Command, DayWorker};
use handoff::Days;

/// The run's aggregates.
pub struct Aggregator {
    telescope: Telescope,
    geo: Arc<CountryDb>,
    pub counts: RecordCounts,
    pub traffic: Traffic,
    /// Which days are open; what the day worker is told next; the worker.
    calendar: Calendar,
    chunk: Chunk,
    days: Days,
    /// Run the day worker on a thread of its own (`--threads` ≥ 2).
    threaded: bool,
    /// The closed days (all of them, after [`Aggregator::finish`]).
    pub closed: ClosedDays,
    sink_error: Option<SinkError>,
    /// The newest record's timestamp (ns).
    newest: i64,
    pub coverage: Coverage,
    /// Link types of the current input that we do not decode.
    unsupported: Vec<LinkType>,
    /// Where the open batch starts in `chunk.pending`: the packets after
    /// it, all of one day, are not numbered yet.
    batch_start: usize,
    /// The batch's day, as [start, end) in nanoseconds.
    batch_day: (i64, i64),
    /// First and last record timestamps of the current input (ns).
    input_span: Option<(i64, i64)>,
    /// Packets per (hour, protocol, destination port).
    pub hourly: HourlyPorts,
    /// Backscatter packets per victim, kind and victim port, per day.
    pub victims: hashbrown::HashMap<VictimKey, u64, foldhash::fast::RandomState>,
    /// Every backscatter packet, for DoS attack detection (not kept in live
    /// capture, see [`live`]).
    pub attacks: AttackLog,
    log_attacks: bool,
    /// The darknet's dense address index, if it has one.
    dense: Option<Arc<DenseIndex>>,
    /// Live capture (see [`live`]): where the day worker's snapshots come
    /// back; records before `live_floor` (ns) belong to closed days and
    /// are only counted in `late`.
    snapshots: Option<std::sync::mpsc::Receiver<(Day, Option<DayTables>)>>,
    live_floor: i64,
    late: u64,
    /// A darknet of both families: the IPv6 destinations seen (monitored
    /// addresses are the IPv4 prefixes' size plus these).
    ipv6_seen: Option<hashbrown::HashSet<u128, foldhash::fast::RandomState>>,
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

/// Packets handed to the day worker at a time.
const CHUNK_PACKETS: usize = 8_192;

impl Aggregator {
    pub fn new(telescope: Telescope, geo: impl Into<Arc<CountryDb>>, max_gap_secs: f64) -> Aggregator {
        let dense = DenseIndex::new(&telescope.darknet).map(Arc::new);
        let count_darknet_addrs = telescope.darknet.ipv4_size() == 0;
        let mixed = !count_darknet_addrs && telescope.darknet.has_ipv6();
        let geo = geo.into();
        let worker = DayWorker::new(geo.clone(), dense.clone(), ClosedDays::new(count_darknet_addrs));
        Aggregator {
            batch_start: 0,
            batch_day: (0, 0),
            telescope,
            geo,
            counts: RecordCounts::default(),
            traffic: Traffic::default(),
            calendar: Calendar::new(),
            chunk: Chunk::default(),
            days: Days::Inline(Box::new(worker)),
            threaded: false,
            closed: ClosedDays::default(),
            sink_error: None,
            newest: i64::MIN,
            coverage: Coverage::new(max_gap_secs),
            unsupported: Vec::new(),
            input_span: None,
            hourly: HourlyPorts::default(),
            victims: Default::default(),
            attacks: AttackLog::default(),
            log_attacks: true,
            dense,
            snapshots: None,
            live_floor: i64::MIN,
            late: 0,
            ipv6_seen: (mixed).then(Default::default),
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
        let ignored = self.coverage.end_input();
        if ignored > 0 {
            report.warnings.push(format!(
                "{ignored} interface statistics span(s) ignored: empty, starting before 1970, or reaching more \
                 than seven days beyond the file's records"
            ));
        }
        for link in self.unsupported.drain(..) {
            report.warnings.push(format!("link type {link} is not decoded: its records count as non_ip"));
        }
        self.input_span.take()
    }

    /// Gives each day's tables, as the day closes, to `sink` (see
    /// [`closed`]). Call before the first record.
    pub fn set_sink(&mut self, sink: DaySink) {
        if let Some(worker) = self.days.worker_mut() {
            worker.set_sink(sink);
        }
    }

    /// Finds scan events by `rules` (None, the default: off; see
    /// [`scans`]). Call before the first record; read them with
    /// `closed.scans.finish()` after [`Aggregator::finish`].
    pub fn set_scans(&mut self, rules: Option<ScanRules>) {
        if let Some(worker) = self.days.worker_mut() {
            worker.set_scans(rules);
        }
    }

    /// Keeps no backscatter log for DoS attack detection (`--no-dos`, and
    /// live capture): `attacks` stays empty. Call before the first record.
    pub fn drop_attacks(&mut self) {
        self.log_attacks = false;
    }

    /// With `threads` ≥ 2, the per-day tables are filled on a thread of
    /// their own while records are read, decoded and classified (see
    /// [`days`]); the results are the same for any number.
    pub fn set_threads(&mut self, threads: usize) {
        self.threaded = threads >= 2;
    }

    /// The sink's error, if it failed (it got no days after that).
    pub fn take_sink_error(&mut self) -> Option<SinkError> {
        self.sink_error.take()
    }

    /// Distinct darknet addresses seen over the run (the monitored-address
    /// fallback when no IPv4 `--darknet` prefix says how many there are;
    /// counted only then). Call after [`Aggregator::finish`].
    pub fn distinct_darknet_addrs(&self) -> u64 {
        self.closed.distinct_darknet_addrs()
    }

    /// Distinct IPv6 darknet destinations seen, counted only when the
    /// darknet has prefixes of both families.
    pub fn distinct_ipv6_darknet_addrs(&self) -> u64 {
        self.ipv6_seen.as_ref().map_or(0, |seen| seen.len() as u64)
    }

    /// Closes the open days whose closing time `newest`, the record just
    /// read, passed. The open batch is numbered first, as of the records
    /// before it: its day is late only if they were past its closing time.
    #[cold]
    fn close_passed_days(&mut self, newest: i64) {
        self.flush();
        self.newest = newest;
        for day in self.calendar.passed(newest) {
            self.chunk.commands.push(Command::Close(day));
        }
    }

    /// Hands the chunk to the day worker: runs it here, or sends it to the
    /// worker's thread (started by the first chunk) and takes a chunk it is
    /// done with to fill next.
    fn dispatch(&mut self) {
        if self.chunk.commands.is_empty() {
            return;
        }
        if self.threaded && matches!(self.days, Days::Inline(_)) {
            self.days.start_thread();
        }
        if !self.days.hand_over(&mut self.chunk) {
            // The worker is gone (it panicked): finish() says so.
            self.threaded = false;
        }
        self.batch_start = 0;
    }

    /// Packets of the open batch.
    #[inline]
    fn batch_len(&self) -> usize {
        self.chunk.pending.len() - self.batch_start
    }

    /// Numbers the batched packets' sources (all of one day), counts their
    /// hourly ports and queues them for the day worker.
    pub fn flush(&mut self) {
        let batch = &mut self.chunk.pending[self.batch_start..];
        let Some(first) = batch.first() else {
            return;
        };
        let day = Timestamp(first.ts).day();
        // The hourly counters are counted here too, their slots prefetched
        // first: one cache miss per packet, overlapped across the batch.
        for p in batch.iter() {
            if let Some((proto, port)) = p.port() {
                self.hourly.prefetch(proto, port);
            }
        }
        let late = self.calendar.number(day, self.newest, batch);
        for p in batch.iter() {
            if let Some((proto, port)) = p.port() {
                self.hourly.add(p.ts, proto, port);
            }
        }
        let (start, end) = (self.batch_start as u32, self.chunk.pending.len() as u32);
        self.chunk.commands.push(Command::Count { day, late, start, end });
        self.batch_start = self.chunk.pending.len();
        if self.chunk.pending.len() >= CHUNK_PACKETS {
            self.dispatch();
        }
    }

    /// Counts what is still batched, closes every open day (see
    /// [`closed`]), waits for the day worker and drops the sink: call once
    /// the inputs are read, before reading the run's day summaries.
    pub fn finish(&mut self) {
        self.flush();
        for day in self.calendar.all() {
            self.chunk.commands.push(Command::Close(day));
        }
        self.dispatch();
        let Some(mut worker) = self.days.join() else {
            return;
        };
        let closing = worker.finish();
        self.closed = std::mem::take(&mut closing.closed);
        if let Some(e) = closing.sink_error.take() {
            self.sink_error = Some(e);
        }
        self.threaded = false;
        for (sum, n) in self.traffic.countries.iter_mut().zip(worker.country_packets.iter_mut()) {
            *sum += std::mem::take(n);
        }
        self.days = Days::Inline(worker);
    }

    /// Distinct sources of darknet packets over the run (the union of the
    /// days' sources). Call after [`Aggregator::finish`].
    pub fn unique_sources(&self) -> u64 {
        self.closed.unique_sources()
    }
}
