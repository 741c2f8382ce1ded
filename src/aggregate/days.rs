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
use super::counters::country_index;
use super::darknet::DenseIndex;
use super::day::{DayTables, Pending, SourceDay, source_addr_key, source_port_key};
use super::source_table::{SourceHash, SourceId};
use super::sources::CountryCache;
use crate::classify::geo::{CountryCode, CountryDb};
use crate::time::Day;

/// What the worker is told to do.
#[derive(Clone, Copy, Debug)]
pub enum Command {
    /// Count `pending[start..end]` of the chunk, all of `day` (at most
    /// [`BATCH`] packets); `late`: the day opens late if it is new.
    Count { day: Day, late: bool, start: u32, end: u32 },
    /// Close the day's tables.
    Close(Day),
}

/// Packets and the commands about them, in record order.
#[derive(Debug, Default)]
pub struct Chunk {
    pub pending: Vec<Pending>,
    pub commands: Vec<Command>,
}

impl Chunk {
    pub fn clear(&mut self) {
        self.pending.clear();
        self.commands.clear();
    }
}

/// An open day and whether it is late.
type OpenDay = (Day, bool);

/// Which days are open, in record order (the reading side's half of the
/// day lifecycle).
#[derive(Debug, Default)]
pub struct Calendar {
    /// Open days, sorted, with their late flag.
    open: Vec<OpenDay>,
    closed: std::collections::BTreeSet<Day>,
    /// The earliest closing time of an open day that is not late.
    pub close_at: i64,
}

impl Calendar {
    pub fn new() -> Calendar {
        Calendar { close_at: i64::MAX, ..Calendar::default() }
    }

    /// Opens `day` if it is not open (late when `newest` is past its
    /// closing time or it closed before); gives its late flag.
    pub fn open(&mut self, day: Day, newest: i64) -> bool {
        match self.open.binary_search_by_key(&day, |d| d.0) {
            Ok(i) => self.open[i].1,
            Err(i) => {
                let closes = closing_time(day);
                let late = newest > closes || self.closed.contains(&day);
                if !late {
                    self.close_at = self.close_at.min(closes);
                }
                self.open.insert(i, (day, late));
                late
            }
        }
    }

    /// Closes the open days (not late) whose closing time `newest` passed.
    pub fn passed(&mut self, newest: i64) -> Vec<Day> {
        let (done, open): (Vec<OpenDay>, Vec<OpenDay>) =
            self.open.iter().partition(|(d, late)| !late && newest > closing_time(*d));
        self.open = open;
        self.close_at = self.open.iter().filter(|d| !d.1).map(|d| closing_time(d.0)).min().unwrap_or(i64::MAX);
        self.closed.extend(done.iter().map(|d| d.0));
        done.into_iter().map(|d| d.0).collect()
    }

    /// Closes every open day.
    pub fn all(&mut self) -> Vec<Day> {
        self.close_at = i64::MAX;
        let days: Vec<Day> = self.open.drain(..).map(|d| d.0).collect();
        self.closed.extend(&days);
        days
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
    pub closed: ClosedDays,
    sink: Option<DaySink>,
    pub sink_error: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Sources of the last day closed (room for the next day's table).
    last_sources: usize,
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
            closed,
            sink: None,
            sink_error: None,
            last_sources: 0,
        }
    }

    pub fn set_sink(&mut self, sink: DaySink) {
        self.sink = Some(sink);
    }

    /// Does what `chunk` says, in order.
    pub fn run(&mut self, chunk: &Chunk) {
        for &command in &chunk.commands {
            match command {
                Command::Count { day, late, start, end } => {
                    self.count(day, late, &chunk.pending[start as usize..end as usize]);
                }
                Command::Close(day) => {
                    if let Ok(i) = self.open.binary_search_by_key(&day, |d| d.day) {
                        let tables = self.open.remove(i);
                        self.last_day = 0;
                        self.close(tables);
                    }
                }
            }
        }
    }

    /// Drops the sink (every day went to it) and with it what it holds.
    pub fn finish(&mut self) {
        for tables in std::mem::take(&mut self.open) {
            self.close(tables);
        }
        self.sink = None;
    }

    /// Folds a day's pair logs, keeps their summary and hands the tables
    /// to the sink.
    fn close(&mut self, mut tables: DayTables) {
        tables.finish();
        self.last_sources = tables.sources.len();
        self.closed.add(&tables);
        if let Some(sink) = &mut self.sink
            && let Err(e) = sink(tables)
        {
            self.sink_error = Some(e);
            self.sink = None;
        }
    }

    /// Where the open tables of `day` are, created if new; `last_day`
    /// caches the previous hit.
    #[inline]
    fn day_index(&mut self, day: Day, late: bool) -> usize {
        if self.open.get(self.last_day).is_none_or(|d| d.day != day) {
            self.last_day = match self.open.binary_search_by_key(&day, |d| d.day) {
                Ok(i) => i,
                Err(i) => {
                    // Room for as many sources as the day before had.
                    let sources = self.open.get(i.wrapping_sub(1)).map_or(self.last_sources, |d| d.sources.len());
                    self.open.insert(i, DayTables::new(day, self.dense.as_ref(), sources, late));
                    i
                }
            };
        }
        self.last_day
    }

    /// Counts a batch of one day, in three passes (see the module docs of
    /// [`super`]): hash every source and prefetch its index slot; number
    /// the sources and prefetch their records; count.
    fn count(&mut self, day: Day, late: bool, batch: &[Pending]) {
        let index = self.day_index(day, late);
        let DayWorker { countries, geo, country_packets, open, .. } = self;
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
            country_packets[country_index(source.country)] += 1;
            day.source_addrs.push(source_addr_key(id[i], day.darknet_addrs.add(p.dst)));
            if let Some((proto, port)) = p.port() {
                day.source_ports.push(source_port_key(id[i], proto, port));
            }
        }
        day.packets += n as u64;
        day.bytes += bytes;
    }
}
