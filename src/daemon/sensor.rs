//! The sensor's state between flushes, free of threads and I/O: the
//! aggregator fed batch by batch, the seconds covered, the capture drops;
//! and at each flush the days to write ([`Sensor::flush`]). The daemon's
//! threads drive it; tests drive it with a [`super::ManualClock`].
//!
//! Coverage live is the seconds the capture ran (DESIGN.md "Coverage"):
//! this run covers [start, last flush], cut at midnight, added to the spans
//! the store held for the day from earlier runs. A crash loses the time
//! since the last flush as it loses its packets, so coverage and counts
//! stay consistent, and an outage is uncovered time, never diluted rates.

use std::collections::{BTreeMap, BTreeSet};

use super::alerts::LiveAlerts;
use crate::aggregate::{Aggregator, DaySnapshot, DayTables, LiveError, closing_time};
use crate::classify::CidrSet;
use crate::source::follow::Position;
use crate::source::{Batch, CaptureStats};
use crate::store::{LiveDay, StoredDay};
use crate::time::{Day, NANOS_PER_DAY, Timestamp};

/// How a day's monitored addresses are counted (DESIGN.md "Per-IP-per-day
/// rate").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monitored {
    /// `--monitored N`.
    Flag(u64),
    /// The IPv4 `--darknet` prefixes' size.
    Prefixes(u64),
    /// The IPv4 prefixes' size plus the distinct IPv6 destinations seen.
    PrefixesAndSeenV6(u64),
    /// No `--darknet`: the distinct destinations seen.
    Seen,
}

impl Monitored {
    /// The rule for a darknet, unless `--monitored` says.
    pub fn of(darknet: &CidrSet, flag: Option<u64>) -> Monitored {
        match flag {
            Some(n) => Monitored::Flag(n),
            None if darknet.is_empty() => Monitored::Seen,
            None if darknet.has_ipv6() => Monitored::PrefixesAndSeenV6(darknet.ipv4_size()),
            None => Monitored::Prefixes(darknet.ipv4_size()),
        }
    }

    /// A day's monitored addresses and their basis.
    fn of_day(self, tables: Option<&DayTables>) -> (u64, &'static str) {
        let seen = |v6_only: bool| {
            tables.map_or(0, |t| t.darknet_addrs.iter().filter(|(a, _)| !v6_only || !a.is_v4()).count() as u64)
        };
        match self {
            Monitored::Flag(n) => (n, "monitored_flag"),
            Monitored::Prefixes(n) => (n, "darknet_prefixes"),
            Monitored::PrefixesAndSeenV6(n) => (n + seen(true), "darknet_prefixes_and_distinct_ipv6_seen"),
            Monitored::Seen => (seen(false), "distinct_destinations_seen"),
        }
    }
}

/// Why a sensor cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    #[error(transparent)]
    Live(#[from] LiveError),
    #[error("the stored live day {day} cannot be read back: {source}")]
    State { day: Day, source: crate::aggregate::StateError },
}

pub struct Sensor {
    agg: Aggregator,
    monitored: Monitored,
    /// When this run started capturing, and its last flush (ns).
    started: i64,
    flushed: i64,
    /// Covered spans of earlier runs, per day still open.
    earlier: BTreeMap<Day, Vec<(i64, i64)>>,
    drops: BTreeMap<Day, u64>,
    /// Days written as final by this run.
    closed: BTreeSet<Day>,
    /// Each interface's counters as last reported.
    stats: Vec<CaptureStats>,
    /// IDS alerts (`--alerts`).
    alerts: Option<LiveAlerts>,
}

impl Sensor {
    /// A sensor counting into `agg` (switched to live capture here) from
    /// `now` on.
    pub fn new(mut agg: Aggregator, monitored: Monitored, now: i64) -> Sensor {
        agg.set_live();
        Sensor {
            agg,
            monitored,
            started: now,
            flushed: now,
            earlier: BTreeMap::new(),
            drops: BTreeMap::new(),
            closed: BTreeSet::new(),
            stats: Vec::new(),
            alerts: None,
        }
    }

    /// Counts IDS alerts too (see [`super::alerts`]).
    pub fn with_alerts(mut self, alerts: LiveAlerts) -> Sensor {
        self.alerts = Some(alerts);
        self
    }

    pub fn alerts(&self) -> Option<&LiveAlerts> {
        self.alerts.as_ref()
    }

    /// Counts followed alert lines (complete lines of `name`, ending at
    /// `position`) into the open days; gives the first malformed line's
    /// warning.
    pub fn ingest_alerts(&mut self, lines: &[u8], position: Position, name: &str) -> Option<String> {
        let (closed, earlier, first) = (&self.closed, &self.earlier, Timestamp(self.started).day());
        let open = |day: Day| !closed.contains(&day) && (day >= first || earlier.contains_key(&day));
        self.alerts.as_mut()?.ingest(lines, position, name, open)
    }

    /// The alerts' state to store with a flush (after [`Sensor::flush`]).
    pub fn alert_state(&self) -> Option<Vec<u8>> {
        self.alerts.as_ref().map(|a| a.state().encode())
    }

    pub fn aggregator(&self) -> &Aggregator {
        &self.agg
    }

    pub fn aggregator_mut(&mut self) -> &mut Aggregator {
        &mut self.agg
    }

    /// Continues the open days the store holds (call before the first
    /// batch): their aggregates, covered spans and drops.
    pub fn restore(&mut self, days: Vec<StoredDay>) -> Result<(), SensorError> {
        for stored in days {
            let snapshot = self
                .agg
                .decode_snapshot(&stored.aggregates)
                .map_err(|source| SensorError::State { day: stored.day, source })?;
            self.agg.restore(snapshot)?;
            self.earlier.insert(stored.day, stored.coverage);
            *self.drops.entry(stored.day).or_default() += stored.drops;
        }
        Ok(())
    }

    /// Counts a batch; its interface's counters, if any, add their new
    /// drops to the day of `now`.
    pub fn ingest(&mut self, batch: &Batch, now: i64) {
        batch.feed(&mut self.agg);
        if let Some(stats) = batch.stats {
            if self.stats.len() <= batch.iface {
                self.stats.resize(batch.iface + 1, CaptureStats::default());
            }
            let last = std::mem::replace(&mut self.stats[batch.iface], stats);
            let new = stats.dropped.saturating_sub(last.dropped) + stats.if_dropped.saturating_sub(last.if_dropped);
            if new > 0 {
                *self.drops.entry(Timestamp(now).day()).or_default() += new;
            }
        }
    }

    /// Each interface's counters as last reported.
    pub fn capture_stats(&self) -> &[CaptureStats] {
        &self.stats
    }

    /// The days to write at `now`: every open day (with packets, covered
    /// time or drops), and the last of each day `now` closes (an hour past
    /// its end), which is forgotten here. In day order.
    pub fn flush(&mut self, now: i64) -> Result<Vec<LiveDay>, SensorError> {
        self.flushed = self.flushed.max(now);
        let mut snapshots: BTreeMap<Day, DaySnapshot> =
            self.agg.snapshot(now)?.into_iter().map(|s| (s.day, s)).collect();
        let mut days: BTreeSet<Day> = snapshots.keys().copied().collect();
        days.extend(self.earlier.keys());
        days.extend(self.drops.keys());
        days.extend(days_between(self.started, self.flushed));
        if let Some(alerts) = &self.alerts {
            days.extend(alerts.days());
        }
        let mut out = Vec::with_capacity(days.len());
        for day in days {
            if self.closed.contains(&day) {
                continue;
            }
            let snapshot = snapshots.remove(&day);
            let closes = now > closing_time(day) || snapshot.as_ref().is_some_and(|s| s.closed);
            let snapshot = snapshot.unwrap_or(DaySnapshot {
                day,
                tables: None,
                hourly: Vec::new(),
                victims: Vec::new(),
                closed: closes,
            });
            let (monitored, monitored_basis) = self.monitored.of_day(snapshot.tables.as_ref());
            let mut coverage = self.earlier.get(&day).cloned().unwrap_or_default();
            let (start, end) = (day.start().0, day.start().0.saturating_add(NANOS_PER_DAY));
            if self.started < end && self.flushed > start {
                coverage.push((self.started.max(start), self.flushed.min(end)));
            }
            let drops = self.drops.get(&day).copied().unwrap_or(0);
            let alerts = self.alerts.as_ref().map(|a| a.day(day));
            if closes {
                self.closed.insert(day);
                self.earlier.remove(&day);
                self.drops.remove(&day);
                if let Some(a) = &mut self.alerts {
                    a.forget(day);
                }
            }
            let snapshot = DaySnapshot { closed: closes, ..snapshot };
            out.push(LiveDay { snapshot, coverage: union(coverage), drops, monitored, monitored_basis, alerts });
        }
        Ok(out)
    }

    /// Lets the aggregator's threads go (the open days stay as last flushed).
    pub fn stop(&mut self) {
        self.agg.stop_live();
    }
}

/// The days a span [start, end] (ns) touches; none when it is empty.
fn days_between(start: i64, end: i64) -> impl Iterator<Item = Day> {
    let (first, last) = (Timestamp(start).day().0, Timestamp(end).day().0);
    let last = if end > start { last } else { first - 1 };
    (first..=last).map(Day)
}

/// Sorted, disjoint spans covering the same time as `spans`.
fn union(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.retain(|(s, e)| e > s);
    spans.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_merge_and_days_are_touched() {
        assert_eq!(union(vec![(5, 9), (1, 3), (3, 4), (8, 12), (20, 20)]), vec![(1, 4), (5, 12)]);
        let d = NANOS_PER_DAY;
        let days: Vec<i32> = days_between(d - 1, 2 * d + 5).map(|d| d.0).collect();
        assert_eq!(days, vec![0, 1, 2]);
        assert_eq!(days_between(7, 7).count(), 0);
    }
}
