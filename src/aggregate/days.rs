//! The per-day side of the aggregator: the open days' tables, filled batch
//! by batch, and their closing (see [`super::closed`]). It does what
//! [`Chunk`]s of commands say and decides nothing itself: which day a batch
//! belongs to, whether that day is late and when a day closes are decided
//! in record order by the [`Calendar`] on the reading side. So the same
//! input gives the same tables whether the worker runs on the reading
//! thread (`--threads 1`) or on a thread of its own, fed through a channel
//! while the next records are read and decoded.

use std::sync::Arc;

use super::BATCH;
use super::closed::{ClosedDays, DaySink, closing_time};
use super::closer::{Closer, Closing};
use super::counters::country_index;
use super::darknet::DenseIndex;
use super::day::{DayTables, Pending, SourceDay, source_port_key};
use super::scans::{ScanLog, ScanRules};
use super::source_table::{SourceHash, SourceIndex};
use super::sources::CountryCache;
use crate::classify::geo::CountryDb;
use crate::time::Day;

/// What the worker is told to do.
#[derive(Clone, Copy, Debug)]
pub enum Command {
    /// Count `pending[start..end]` of the chunk, all of `day` (at most
    /// [`BATCH`] packets); `late`: the day opens late if it is new.
    Count { day: Day, late: bool, start: u32, end: u32 },
    /// Close the day's tables.
    Close(Day),
    /// Give a copy of the day's tables (live capture's flush; see
    /// [`super::live`]).
    Snapshot(Day),
    /// Drop the day's tables without closing them (live capture: the
    /// snapshot just taken was the day's last).
    Discard(Day),
    /// Look up new sources' countries in the chunk's `geo` from now on.
    Geo,
}

/// Packets and the commands about them, in record order.
#[derive(Default)]
pub struct Chunk {
    pub pending: Vec<Pending>,
    pub commands: Vec<Command>,
    /// The country database of a [`Command::Geo`].
    pub geo: Option<Arc<CountryDb>>,
}

impl Chunk {
    pub fn clear(&mut self) {
        self.pending.clear();
        self.commands.clear();
        self.geo = None;
    }
}

/// Room for a new day's sources: the next day in time (not late, after
/// every open day) is sized like the day before it (the newest open day,
/// else the last closed), since a telescope's days are alike; any other
/// day (late records, an earlier day) starts small and grows with what it
/// holds, so stray records of many old days cost what they hold.
fn room(late: bool, newest: bool, newest_open: Option<usize>, last_closed: usize) -> usize {
    if late || !newest { 0 } else { newest_open.unwrap_or(last_closed) }
}

/// An open day: whether it is late, and its sources' numbers.
#[derive(Debug)]
struct OpenDay {
    day: Day,
    late: bool,
    sources: SourceIndex,
}

/// Which days are open, in record order (the reading side's half of the
/// day lifecycle), with each open day's source index.
#[derive(Debug, Default)]
pub struct Calendar {
    /// Open days, sorted.
    open: Vec<OpenDay>,
    /// The open day of the last batch (records come mostly in time order).
    last: usize,
    closed: std::collections::BTreeSet<Day>,
    /// The earliest closing time of an open day that is not late.
    pub close_at: i64,
    /// Sources of the last day closed (room for the next day's index).
    last_sources: usize,
}

impl Calendar {
    pub fn new() -> Calendar {
        Calendar { close_at: i64::MAX, ..Calendar::default() }
    }

    /// Where `day` is in `open`, opened if it is not (late when `newest` is
    /// past its closing time or it closed before).
    fn open(&mut self, day: Day, newest: i64) -> usize {
        if self.open.get(self.last).is_some_and(|d| d.day == day) {
            return self.last;
        }
        self.last = match self.open.binary_search_by_key(&day, |d| d.day) {
            Ok(i) => i,
            Err(i) => {
                let closes = closing_time(day);
                let late = newest > closes || self.closed.contains(&day);
                if !late {
                    self.close_at = self.close_at.min(closes);
                }
                let newest = i == self.open.len();
                let sources = room(late, newest, self.open.last().map(|d| d.sources.len()), self.last_sources);
                self.open.insert(i, OpenDay { day, late, sources: SourceIndex::with_capacity(sources) });
                i
            }
        };
        self.last
    }

    /// Numbers the sources of `batch` (packets of `day`), opening the day
    /// if needed; gives the day's late flag. Every source is hashed and its
    /// slot prefetched before the first is looked up, so the cache misses
    /// of the batch overlap.
    pub fn number(&mut self, day: Day, newest: i64, batch: &mut [Pending]) -> bool {
        let i = self.open(day, newest);
        let OpenDay { late, sources, .. } = &mut self.open[i];
        let mut hashes = [SourceHash::default(); BATCH];
        for (h, p) in hashes.iter_mut().zip(batch.iter()) {
            *h = sources.hash(p.src);
            sources.prefetch(*h);
        }
        for (h, p) in hashes.iter().zip(batch.iter_mut()) {
            let (id, new) = sources.number(p.src, *h);
            p.id = id;
            if new {
                p.bits |= Pending::NEW_SOURCE;
            }
        }
        *late
    }

    /// Closes the open days (not late) whose closing time `newest` passed.
    pub fn passed(&mut self, newest: i64) -> Vec<Day> {
        let (done, open): (Vec<OpenDay>, Vec<OpenDay>) =
            std::mem::take(&mut self.open).into_iter().partition(|d| !d.late && newest > closing_time(d.day));
        self.open = open;
        self.close_at = self.open.iter().filter(|d| !d.late).map(|d| closing_time(d.day)).min().unwrap_or(i64::MAX);
        self.forget(done)
    }

    /// Closes the open days, late or not, whose closing time `newest`
    /// passed (live capture closes every day by the clock).
    pub fn passed_live(&mut self, newest: i64) -> Vec<Day> {
        let (done, open): (Vec<OpenDay>, Vec<OpenDay>) =
            std::mem::take(&mut self.open).into_iter().partition(|d| newest > closing_time(d.day));
        self.open = open;
        self.forget(done)
    }

    /// The open days, in order.
    pub fn open_days(&self) -> Vec<Day> {
        self.open.iter().map(|d| d.day).collect()
    }

    /// Opens `day` (not late) with `sources` numbered in order: the day as
    /// a live capture stored it, to be continued (see [`super::live`]).
    pub fn restore(&mut self, day: Day, sources: &[crate::decode::Addr]) {
        let i = self.open(day, i64::MIN);
        let index = &mut self.open[i].sources;
        for &addr in sources {
            index.number(addr, index.hash(addr));
        }
    }

    /// Closes every open day.
    pub fn all(&mut self) -> Vec<Day> {
        self.close_at = i64::MAX;
        let days = std::mem::take(&mut self.open);
        self.forget(days)
    }

    fn forget(&mut self, days: Vec<OpenDay>) -> Vec<Day> {
        self.last = 0;
        if let Some(d) = days.last() {
            self.last_sources = d.sources.len();
        }
        self.closed.extend(days.iter().map(|d| d.day));
        days.into_iter().map(|d| d.day).collect()
    }
}

/// The open days' tables and everything closing them needs.
pub struct DayWorker {
    geo: Arc<CountryDb>,
    dense: Option<Arc<DenseIndex>>,
    countries: CountryCache,
    /// Packets per country (by [`country_index`]), merged into the run's
    /// traffic counters at the end.
    pub country_packets: Box<[u64; 677]>,
    open: Vec<DayTables>,
    last_day: usize,
    closer: Closer,
    /// Sources of the last day closed (room for the next day's table).
    last_sources: usize,
    /// Log each day's probes for scan events (see [`super::scans`]), and
    /// how many the last day closed had.
    log_scans: bool,
    last_probes: usize,
    /// Where [`Command::Snapshot`] sends its copies (live capture).
    snapshots: Option<std::sync::mpsc::Sender<(Day, Option<DayTables>)>>,
}

impl DayWorker {
    pub fn new(geo: Arc<CountryDb>, dense: Option<Arc<DenseIndex>>, closed: ClosedDays) -> DayWorker {
        DayWorker {
            geo,
            dense,
            countries: CountryCache::default(),
            country_packets: Box::new([0; 677]),
            open: Vec::new(),
            last_day: 0,
            closer: Closer::new(closed),
            last_sources: 0,
            log_scans: false,
            last_probes: 0,
            snapshots: None,
        }
    }

    /// Sends a copy of a day's tables to `to` at each [`Command::Snapshot`].
    pub fn set_snapshots(&mut self, to: std::sync::mpsc::Sender<(Day, Option<DayTables>)>) {
        self.snapshots = Some(to);
    }

    /// Puts a day's tables back as a live capture stored them (see
    /// [`super::live`]); the calendar numbers its sources alike.
    pub fn restore(&mut self, tables: DayTables) {
        match self.open.binary_search_by_key(&tables.day, |d| d.day) {
            Ok(i) => self.open[i] = tables,
            Err(i) => self.open.insert(i, tables),
        }
        self.last_day = 0;
    }

    pub fn set_sink(&mut self, sink: DaySink) {
        self.closer.set_sink(sink);
    }

    /// Finds scan events by `rules` (None: off). Call before the first day
    /// closes.
    pub fn set_scans(&mut self, rules: Option<ScanRules>) {
        self.log_scans = rules.is_some();
        self.closer.set_scans(rules);
    }

    /// Closes days on a thread of their own (see [`super::closer`]).
    pub fn close_on_a_thread(&mut self) {
        self.closer.start_thread();
    }

    /// Does what `chunk` says, in order.
    pub fn run(&mut self, chunk: &Chunk) {
        for &command in &chunk.commands {
            match command {
                Command::Count { day, late, start, end } => {
                    self.count(day, late, &chunk.pending[start as usize..end as usize]);
                }
                Command::Close(day) => {
                    if let Some(tables) = self.take(day) {
                        self.close(tables);
                    }
                }
                Command::Snapshot(day) => {
                    let copy = self.open.binary_search_by_key(&day, |d| d.day).ok().map(|i| self.open[i].clone());
                    if let Some(to) = &self.snapshots {
                        // The receiver waits for it; if it is gone, so is the run.
                        let _ = to.send((day, copy));
                    }
                }
                Command::Discard(day) => {
                    if let Some(tables) = self.take(day) {
                        self.last_sources = tables.sources.len();
                    }
                }
                Command::Geo => {
                    if let Some(geo) = &chunk.geo {
                        self.geo = geo.clone();
                        self.countries = CountryCache::default();
                    }
                }
            }
        }
    }

    /// Takes the open tables of `day` out of the worker.
    fn take(&mut self, day: Day) -> Option<DayTables> {
        let i = self.open.binary_search_by_key(&day, |d| d.day).ok()?;
        self.last_day = 0;
        Some(self.open.remove(i))
    }

    /// Closes the days still open, waits for every closing and drops the
    /// sink (every day went to it); gives the closed days' summaries.
    pub fn finish(&mut self) -> &mut Closing {
        for tables in std::mem::take(&mut self.open) {
            self.close(tables);
        }
        self.closer.finish()
    }

    fn close(&mut self, tables: DayTables) {
        self.last_sources = tables.sources.len();
        self.last_probes = tables.scans.len();
        // Summed per source here rather than per packet while counting.
        for source in tables.sources.records() {
            self.country_packets[country_index(source.country)] += source.packets;
        }
        self.closer.close(tables);
    }

    /// Where the open tables of `day` are, created if new; `last_day`
    /// caches the previous hit.
    #[inline]
    fn day_index(&mut self, day: Day, late: bool) -> usize {
        if self.open.get(self.last_day).is_none_or(|d| d.day != day) {
            self.last_day = match self.open.binary_search_by_key(&day, |d| d.day) {
                Ok(i) => i,
                Err(i) => {
                    let newest = i == self.open.len();
                    let sources = room(late, newest, self.open.last().map(|d| d.sources.len()), self.last_sources);
                    let mut tables = DayTables::new(day, self.dense.as_ref(), sources, late);
                    if self.log_scans {
                        // Room for a day like the last one, in its emptied log if it is free.
                        let probes = room(late, newest, self.open.last().map(|d| d.scans.len()), self.last_probes);
                        tables.scans = ScanLog::reusing(self.closer.spare_scan_log(), probes);
                    }
                    self.open.insert(i, tables);
                    i
                }
            };
        }
        self.last_day
    }

    /// Counts a batch of one day, its sources numbered by the calendar, in
    /// two passes (see the module docs of [`super`]): prefetch every
    /// packet's record (or, for a new source, its country cache slot) and
    /// darknet address slot; count.
    fn count(&mut self, day: Day, late: bool, batch: &[Pending]) {
        let index = self.day_index(day, late);
        let DayWorker { countries, geo, open, log_scans, .. } = self;
        let day = &mut open[index];
        let n = batch.len();
        for p in batch {
            if p.bits & Pending::NEW_SOURCE != 0 {
                countries.prefetch(p.src);
            } else {
                day.sources.prefetch_record(p.id);
            }
            day.darknet_addrs.prefetch(p.dst);
        }
        let mut bytes = 0;
        for p in batch {
            bytes += u64::from(p.ip_len);
            if p.bits & Pending::NEW_SOURCE != 0 {
                // Looked up here rather than in the first pass, so the
                // country cache's miss overlaps with the others.
                let id = day.sources.push(p.src, SourceDay::new(countries.country(p.src, geo), p.ts));
                debug_assert_eq!(id, p.id, "the calendar and the worker number sources alike");
            }
            day.sources.record_mut(p.id).add(p);
            let dst = day.darknet_addrs.add(p.dst);
            day.source_addrs.push(p.id, dst);
            if *log_scans && p.scan != 0 {
                day.scans.push(p, p.scan, dst);
            }
            if let Some((proto, port)) = p.port() {
                day.source_ports.push(source_port_key(p.id, proto, port));
            }
        }
        day.packets += n as u64;
        day.bytes += bytes;
    }
}
