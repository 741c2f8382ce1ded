//! The aggregator under live capture (DESIGN.md "Live capture").
//!
//! Replay closes a day when the newest record is an hour past its end and
//! writes each day once. A capture daemon instead asks, every flush
//! interval, for a copy of every open day ([`Aggregator::snapshot`]):
//! the tables as they stand, to be written as the sensor's live part of the
//! day. Days close by the clock the daemon passes in, not by record
//! timestamps, so a silent darknet still closes its days; a closed day's
//! last snapshot is its final part, and the aggregator forgets it (months
//! of capture hold only the open days in memory).
//!
//! A record for a day already closed (the clock stepped back by more than
//! an hour) cannot be added to a final part: it is counted in
//! [`Aggregator::late_records`] and in the run's counters, not in a day.
//!
//! A restarted daemon puts each stored open day back with
//! [`Aggregator::restore`] before the first record, so what comes now adds
//! to what the store holds, every count exact.

use std::sync::mpsc;

use super::closed::CLOSE_AFTER_NS;
use super::days::Command;
use super::{Aggregator, DayTables, HourlyRow, VictimKey};
use crate::classify::geo::CountryDb;
use crate::time::{Day, NANOS_PER_DAY, Timestamp};

/// One day's aggregates as they stand at a flush.
#[derive(Clone, Debug)]
pub struct DaySnapshot {
    pub day: Day,
    /// The day's tables; `None` when no packet of the day was counted.
    pub tables: Option<DayTables>,
    /// Packets per (hour, protocol, destination port) of the day's hours.
    pub hourly: Vec<HourlyRow>,
    /// Backscatter packets per victim, kind and victim port, sorted.
    pub victims: Vec<(VictimKey, u64)>,
    /// The day closed with this snapshot: it is the day's last.
    pub closed: bool,
}

/// Why a live aggregator cannot do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("a day can be restored only before the first record is counted")]
    RestoreTooLate,
    #[error("the day worker stopped (it panicked); the run cannot continue")]
    WorkerGone,
}

impl Aggregator {
    /// Switches to live capture: days close only by [`snapshot`]'s clock.
    /// Call before the first record. Backscatter is not logged for attack
    /// detection: a daemon's log would grow for as long as it runs.
    ///
    /// [`snapshot`]: Aggregator::snapshot
    pub fn set_live(&mut self) {
        let (send, receive) = mpsc::channel();
        if let Some(worker) = self.days.worker_mut() {
            worker.set_snapshots(send);
        }
        self.snapshots = Some(receive);
        self.live_floor = i64::MIN;
        self.drop_attacks();
    }

    /// Records counted in no day because their day had closed already.
    pub fn late_records(&self) -> u64 {
        self.late
    }

    /// Puts back a day as a live capture stored it: its sources keep their
    /// numbers, its pairs, hourly counts and victims add up with what comes.
    pub fn restore(&mut self, snapshot: DaySnapshot) -> Result<(), LiveError> {
        let worker = self.days.worker_mut().ok_or(LiveError::RestoreTooLate)?;
        if let Some(tables) = snapshot.tables {
            self.calendar.restore(snapshot.day, tables.sources.addrs());
            worker.restore(tables);
        }
        self.hourly.restore(&snapshot.hourly);
        for (key, packets) in snapshot.victims {
            *self.victims.entry(key).or_default() += packets;
        }
        Ok(())
    }

    /// A copy of every open day's aggregates at `now` (ns since the epoch),
    /// and the last of every day that `now` closes (an hour past its end):
    /// those are forgotten, and later records of them are
    /// [`late_records`](Self::late_records). In day order.
    pub fn snapshot(&mut self, now: i64) -> Result<Vec<DaySnapshot>, LiveError> {
        self.flush();
        self.newest = self.newest.max(now);
        let closing = self.calendar.passed_live(self.newest);
        let open = self.calendar.open_days();
        for &day in closing.iter().chain(&open) {
            self.chunk.commands.push(Command::Snapshot(day));
        }
        for &day in &closing {
            self.chunk.commands.push(Command::Discard(day));
        }
        // Records of days closed from now on are late (see the module docs).
        let floor = Timestamp(self.newest.saturating_sub(CLOSE_AFTER_NS + 1)).day().start().0;
        self.live_floor = self.live_floor.max(floor);
        self.dispatch();

        let receive = self.snapshots.as_ref().ok_or(LiveError::WorkerGone)?;
        let mut copies = Vec::with_capacity(closing.len() + open.len());
        for _ in 0..closing.len() + open.len() {
            copies.push(receive.recv().map_err(|_| LiveError::WorkerGone)?);
        }
        copies.sort_by_key(|(day, _)| *day);
        let mut snapshots = Vec::with_capacity(copies.len());
        for (day, tables) in copies {
            let start = day.start().0;
            let end = start.saturating_add(NANOS_PER_DAY);
            let closed = closing.contains(&day);
            let mut victims: Vec<(VictimKey, u64)> =
                self.victims.iter().filter(|(k, _)| k.day == day).map(|(k, v)| (*k, *v)).collect();
            victims.sort_unstable();
            if closed {
                self.victims.retain(|k, _| k.day != day);
            }
            let hourly = self.hourly.rows_between(start, end);
            snapshots.push(DaySnapshot { day, tables, hourly, victims, closed });
        }
        if let Some(last) = closing.iter().max() {
            self.hourly.forget_before(last.start().0.saturating_add(NANOS_PER_DAY));
        }
        Ok(snapshots)
    }

    /// Uses `geo` for the sources first seen from now on (a reloaded
    /// country database); sources already counted keep their country.
    pub fn set_geo(&mut self, geo: std::sync::Arc<CountryDb>) {
        self.geo = geo.clone();
        self.chunk.geo = Some(geo);
        self.chunk.commands.push(Command::Geo);
    }

    /// Waits for the day worker and lets it go, closing nothing: a live
    /// capture's open days stay in the store as last snapshotted, for the
    /// next run to continue.
    pub fn stop_live(&mut self) {
        self.chunk.clear();
        self.batch_start = 0;
        drop(self.days.join());
    }
}
