//! Aggregation per UTC day, the run's flat counters and its coverage.
//!
//! [`Aggregator`] is the one place a record goes through decode → classify
//! → count. Days are kept in a short sorted vector with the last-used day
//! cached, since records arrive mostly in time order.

mod counters;
mod coverage;
mod day;
pub mod sketch;
mod sources;

pub use counters::{MALFORMED_REASONS, RecordCounts, Traffic, country_from_index, malformed_index};
pub use coverage::Coverage;
pub use day::{DayTables, SourceDay, ToolLabel, source_port_key, split_source_port_key};
pub use sources::{SourceInfo, SourceTable};

use crate::classify::geo::CountryDb;
use crate::classify::{Scope, Telescope, classify};
use crate::decode::{Decoded, IpVersion, decode};
use crate::source::{LinkType, Record, RecordSink, ReadReport};
use crate::time::{Day, Timestamp};

/// The run's aggregates.
pub struct Aggregator {
    telescope: Telescope,
    geo: CountryDb,
    pub counts: RecordCounts,
    pub traffic: Traffic,
    pub sources: SourceTable,
    /// Sorted by day.
    pub days: Vec<DayTables>,
    last_day: usize,
    pub coverage: Coverage,
    /// Link types of the current input that we do not decode.
    unsupported: Vec<LinkType>,
}

impl Aggregator {
    pub fn new(telescope: Telescope, geo: CountryDb, max_gap_secs: f64) -> Aggregator {
        Aggregator {
            telescope,
            geo,
            counts: RecordCounts::default(),
            traffic: Traffic::default(),
            sources: SourceTable::default(),
            days: Vec::new(),
            last_day: 0,
            coverage: Coverage::new(max_gap_secs),
            unsupported: Vec::new(),
        }
    }

    pub fn telescope(&self) -> &Telescope {
        &self.telescope
    }

    pub fn geo(&self) -> &CountryDb {
        &self.geo
    }

    /// Finishes one input: closes its coverage and adds one warning per
    /// link type it used that darkscope does not decode.
    pub fn end_input(&mut self, report: &mut ReadReport) {
        self.coverage.end_input();
        for link in self.unsupported.drain(..) {
            report.warnings.push(format!("link type {link} is not decoded: its records count as non_ip"));
        }
    }

    /// Distinct darknet addresses seen over the run (the monitored-address
    /// fallback when no IPv4 `--darknet` prefix says how many there are).
    pub fn distinct_darknet_addrs(&self) -> u64 {
        let mut all: hashbrown::HashSet<crate::decode::Addr, foldhash::fast::RandomState> = Default::default();
        for d in &self.days {
            all.extend(d.darknet_addrs.keys().copied());
        }
        all.len() as u64
    }

    /// Time span of the records, first and last.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        let first = self.days.iter().flat_map(|d| d.sources.values()).map(|s| s.first_seen).min()?;
        let last = self.days.iter().flat_map(|d| d.sources.values()).map(|s| s.last_seen).max()?;
        Some((Timestamp(first), Timestamp(last)))
    }
}

/// The day's tables, created if new; `last` caches the previous hit.
#[inline]
fn day_slot<'a>(days: &'a mut Vec<DayTables>, last: &mut usize, day: Day) -> &'a mut DayTables {
    if days.get(*last).is_none_or(|d| d.day != day) {
        *last = match days.binary_search_by_key(&day, |d| d.day) {
            Ok(i) => i,
            Err(i) => {
                days.insert(i, DayTables::new(day));
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
        let day = day_slot(&mut self.days, &mut self.last_day, packet.ts.day());
        // Split borrows: the day table asks the source table for an id only
        // when the source is new that day.
        let Aggregator { sources, geo, .. } = self;
        let id = day.add(&packet, &class, || sources.id(packet.src, geo));
        let country = sources.list[id as usize].country;
        self.traffic.add(&packet, &class, country);
    }

    fn capture_span(&mut self, start: Timestamp, end: Timestamp) {
        self.coverage.state_span(start, end);
    }
}
