//! Days that are done (DESIGN.md "Store": a day stays open until the newest
//! record read is more than an hour past its end). A closed day's tables go
//! to the run's [`DaySink`] (the store writes them) and are dropped; what the
//! run's summary still needs of them stays here: packets and bytes, the tool
//! labels earned, and the day's sources as a sorted list (4 bytes an IPv4
//! source), so unique-source counts stay exact over the run.
//!
//! A day closed once and opened again by late records (or first seen when
//! the newest record is already past it) stays open to the end of the run
//! and is closed once more there: its tables form an extra part in the
//! store, and here its counts add to the first closing's.

use std::collections::BTreeMap;

use super::day::DayTables;
use crate::decode::Addr;
use crate::time::{Day, NANOS_PER_DAY};

/// How long past its end a day stays open.
pub const CLOSE_AFTER_NS: i64 = 3_600 * 1_000_000_000;

/// What receives each closed day's tables (the store's part writer); an
/// error stops further writing and is reported when the run ends.
/// It may run on the day worker's thread (see [`super::days`]).
pub type DaySink = Box<dyn FnMut(DayTables) -> Result<(), SinkError> + Send>;

/// The error a sink gave (it gets no days after that).
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// When a day's tables close: the newest record must be past this.
pub fn closing_time(day: Day) -> i64 {
    day.start().0.saturating_add(NANOS_PER_DAY).saturating_add(CLOSE_AFTER_NS)
}

/// What the summary keeps of one closed day.
#[derive(Clone, Debug, Default)]
pub struct DaySummary {
    pub packets: u64,
    pub bytes: u64,
    /// Sources that earned each tool label (mirai, masscan, zmap).
    pub tool_labels: [u64; 3],
    /// How many times the day was closed (more than one: late records).
    pub closings: u32,
    v4: Vec<u32>,
    v6: Vec<u128>,
}

impl DaySummary {
    /// Distinct sources of the day.
    pub fn sources(&self) -> u64 {
        (self.v4.len() + self.v6.len()) as u64
    }
}

/// The closed days of a run, and the darknet addresses they saw when the
/// run counts them (no IPv4 darknet prefix: monitored = distinct seen).
#[derive(Debug, Default)]
pub struct ClosedDays {
    days: BTreeMap<Day, DaySummary>,
    darknet_addrs: Option<hashbrown::HashSet<Addr, foldhash::fast::RandomState>>,
}

/// Sorted `a` ∪ sorted `b`, sorted.
fn union<T: Ord + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    super::pairs::merge_by_key(a, b, |x| *x, |x, _| x)
}

impl ClosedDays {
    /// `count_darknet_addrs`: keep the distinct darknet addresses seen.
    pub fn new(count_darknet_addrs: bool) -> ClosedDays {
        ClosedDays { days: BTreeMap::new(), darknet_addrs: count_darknet_addrs.then(Default::default) }
    }

    /// Keeps what the summary needs of a day's (finished) tables.
    pub fn add(&mut self, tables: &DayTables) {
        let mut v4: Vec<u32> = Vec::with_capacity(tables.sources.len());
        let mut v6: Vec<u128> = Vec::new();
        for addr in tables.sources.addrs() {
            match addr.as_v4() {
                Some(a) => v4.push(a),
                None => v6.push(addr.0),
            }
        }
        v4.sort_unstable();
        v6.sort_unstable();
        let mut labels = [0u64; 3];
        for source in tables.sources.records() {
            if let Some(label) = source.tool_label() {
                labels[label as usize] += 1;
            }
        }
        if let Some(seen) = &mut self.darknet_addrs {
            seen.extend(tables.darknet_addrs.iter().map(|(addr, _)| addr));
        }
        let day = self.days.entry(tables.day).or_default();
        day.packets += tables.packets;
        day.bytes += tables.bytes;
        for (sum, n) in day.tool_labels.iter_mut().zip(labels) {
            *sum += n;
        }
        day.closings += 1;
        if day.closings == 1 {
            (day.v4, day.v6) = (v4, v6);
        } else {
            day.v4 = union(&day.v4, &v4);
            day.v6 = union(&day.v6, &v6);
        }
    }

    /// Every closed day, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Day, &DaySummary)> {
        self.days.iter().map(|(d, s)| (*d, s))
    }

    pub fn get(&self, day: Day) -> Option<&DaySummary> {
        self.days.get(&day)
    }

    pub fn len(&self) -> usize {
        self.days.len()
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// Distinct sources over every closed day.
    pub fn unique_sources(&self) -> u64 {
        match self.days.len() {
            0 => 0,
            1 => self.days.values().map(DaySummary::sources).sum(),
            _ => {
                let mut v4: Vec<u32> = self.days.values().flat_map(|d| d.v4.iter().copied()).collect();
                let mut v6: Vec<u128> = self.days.values().flat_map(|d| d.v6.iter().copied()).collect();
                v4.sort_unstable();
                v4.dedup();
                v6.sort_unstable();
                v6.dedup();
                (v4.len() + v6.len()) as u64
            }
        }
    }

    /// The mean over days of the day's distinct sources.
    pub fn mean_daily_sources(&self) -> f64 {
        if self.days.is_empty() {
            return 0.0;
        }
        self.days.values().map(|d| d.sources() as f64).sum::<f64>() / self.days.len() as f64
    }

    /// Sources that earned each tool label, summed over the days.
    pub fn tool_labels(&self) -> [u64; 3] {
        let mut all = [0u64; 3];
        for d in self.days.values() {
            for (sum, n) in all.iter_mut().zip(d.tool_labels) {
                *sum += n;
            }
        }
        all
    }

    /// Distinct darknet addresses seen (when counted; see [`ClosedDays::new`]).
    pub fn distinct_darknet_addrs(&self) -> u64 {
        self.darknet_addrs.as_ref().map_or(0, |s| s.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unions_are_sorted_and_distinct() {
        assert_eq!(union(&[1, 3, 5], &[2, 3, 6, 7]), vec![1, 2, 3, 5, 6, 7]);
        assert_eq!(union::<u32>(&[], &[4]), vec![4]);
    }

    #[test]
    fn days_close_an_hour_past_their_end() {
        let day = Day::parse("2024-01-01").unwrap();
        let end = Day::parse("2024-01-02").unwrap().start().0;
        assert_eq!(closing_time(day), end + 3_600_000_000_000);
    }
}
