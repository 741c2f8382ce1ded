//! Days that are done (DESIGN.md "Store": a day stays open until the newest
//! record read is more than an hour past its end). A closed day's tables go
//! to the run's [`DaySink`] (the store writes them) and are dropped; what the
//! run's summary still needs of them stays here: packets and bytes, and the
//! day's sources as a sorted list (4 bytes an IPv4 source) with a byte each
//! saying whether they sent a SYN and which tools' fingerprints one of their
//! SYNs missed, so unique-source counts stay exact over the run and tool
//! labels are decided per source-day over all its records.
//!
//! A day closed once and opened again by late records (or first seen when
//! the newest record is already past it) stays open to the end of the run
//! and is closed once more there: its tables form an extra part in the
//! store, and here its counts add to the first closing's, its sources join
//! the day's (their SYN bytes combined).

use std::collections::BTreeMap;

use super::day::{DayTables, SourceDay, ToolLabel};
use super::pairs::merge_by_key;
use crate::decode::Addr;
use crate::time::{Day, NANOS_PER_DAY};

/// How long past its end a day stays open.
pub const CLOSE_AFTER_NS: i64 = crate::time::NANOS_PER_HOUR;

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
    /// How many times the day was closed (more than one: late records).
    pub closings: u32,
    v4: Sources<u32>,
    v6: Sources<u128>,
}

impl DaySummary {
    /// Distinct sources of the day.
    pub fn sources(&self) -> u64 {
        (self.v4.addrs.len() + self.v6.addrs.len()) as u64
    }

    /// Sources that earned each tool label (mirai, masscan, zmap), decided
    /// over every record of the source that day, whatever closing it was in.
    pub fn tool_labels(&self) -> [u64; 3] {
        let mut labels = [0u64; 3];
        for &bits in self.v4.syn.iter().chain(&self.v6.syn) {
            if let Some(label) = label_of(bits) {
                labels[label as usize] += 1;
            }
        }
        labels
    }
}

/// A day's sources of one family, sorted, each with its SYN byte: [`SENT_SYN`]
/// and the [`Pending`](super::day::Pending) bits of the tools whose
/// fingerprint a SYN missed.
#[derive(Clone, Debug, Default)]
struct Sources<T> {
    addrs: Vec<T>,
    syn: Vec<u8>,
}

/// In a SYN byte: the source sent a SYN that day.
const SENT_SYN: u8 = 1;

impl<T: Ord + Copy> Sources<T> {
    fn sorted(mut pairs: Vec<(T, u8)>) -> Sources<T> {
        pairs.sort_unstable_by_key(|&(addr, _)| addr);
        let (addrs, syn) = pairs.into_iter().unzip();
        Sources { addrs, syn }
    }

    /// `self` ∪ `other`, the SYN bytes of a source in both combined.
    fn union(&self, other: &Sources<T>) -> Sources<T> {
        let pairs = |s: &Sources<T>| s.addrs.iter().copied().zip(s.syn.iter().copied()).collect::<Vec<_>>();
        let both = merge_by_key(&pairs(self), &pairs(other), |&(addr, _)| addr, |(addr, a), (_, b)| (addr, a | b));
        let (addrs, syn) = both.into_iter().unzip();
        Sources { addrs, syn }
    }
}

/// The SYN byte of a source's day.
fn syn_byte(source: &SourceDay) -> u8 {
    if source.syn_packets() == 0 { 0 } else { SENT_SYN | source.syn_misses() }
}

/// The tool label of a SYN byte (DESIGN.md: every SYN matched; precedence
/// mirai, masscan, zmap), as [`SourceDay::tool_label`] decides one record's.
fn label_of(bits: u8) -> Option<ToolLabel> {
    let record = SourceDay::default().with_syn_packets(u64::from(bits & SENT_SYN)).with_syn_misses(bits);
    record.tool_label()
}

/// The closed days of a run, and the darknet addresses they saw when the
/// run counts them (no IPv4 darknet prefix: monitored = distinct seen).
#[derive(Debug, Default)]
pub struct ClosedDays {
    days: BTreeMap<Day, DaySummary>,
    darknet_addrs: Option<hashbrown::HashSet<Addr, foldhash::fast::RandomState>>,
    /// The scan events of the days closed (see [`super::scans`]).
    pub scans: super::scans::ScanBook,
}

impl ClosedDays {
    /// `count_darknet_addrs`: keep the distinct darknet addresses seen.
    pub fn new(count_darknet_addrs: bool) -> ClosedDays {
        ClosedDays {
            days: BTreeMap::new(),
            darknet_addrs: count_darknet_addrs.then(Default::default),
            scans: Default::default(),
        }
    }

    /// Keeps what the summary needs of a day's (finished) tables.
    pub fn add(&mut self, tables: &DayTables) {
        let mut v4: Vec<(u32, u8)> = Vec::with_capacity(tables.sources.len());
        let mut v6: Vec<(u128, u8)> = Vec::new();
        for (addr, source) in tables.sources.iter() {
            match addr.as_v4() {
                Some(a) => v4.push((a, syn_byte(source))),
                None => v6.push((addr.0, syn_byte(source))),
            }
        }
        let (v4, v6) = (Sources::sorted(v4), Sources::sorted(v6));
        if let Some(seen) = &mut self.darknet_addrs {
            seen.extend(tables.darknet_addrs.iter().map(|(addr, _)| addr));
        }
        let day = self.days.entry(tables.day).or_default();
        day.packets += tables.packets;
        day.bytes += tables.bytes;
        day.closings += 1;
        if day.closings == 1 {
            (day.v4, day.v6) = (v4, v6);
        } else {
            day.v4 = day.v4.union(&v4);
            day.v6 = day.v6.union(&v6);
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
                let mut v4: Vec<u32> = self.days.values().flat_map(|d| d.v4.addrs.iter().copied()).collect();
                let mut v6: Vec<u128> = self.days.values().flat_map(|d| d.v6.addrs.iter().copied()).collect();
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
            for (sum, n) in all.iter_mut().zip(d.tool_labels()) {
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
    use super::super::day::Pending;
    use super::*;

    #[test]
    fn unions_are_sorted_and_distinct_with_the_syn_bytes_combined() {
        let a = Sources::sorted(vec![(5u32, 0), (1, SENT_SYN), (3, SENT_SYN)]);
        let b = Sources::sorted(vec![(7u32, 0), (3, SENT_SYN | Pending::MIRAI), (2, 0), (6, 0)]);
        let both = a.union(&b);
        assert_eq!(both.addrs, vec![1, 2, 3, 5, 6, 7]);
        assert_eq!(both.syn, vec![SENT_SYN, 0, SENT_SYN | Pending::MIRAI, 0, 0, 0]);
        assert_eq!(Sources::<u32>::default().union(&Sources::sorted(vec![(4, 0)])).addrs, vec![4]);
    }

    #[test]
    fn a_syn_byte_labels_as_one_record_would() {
        assert_eq!(label_of(0), None, "no SYN, no label");
        assert_eq!(label_of(SENT_SYN), Some(ToolLabel::Mirai), "every tool matched: precedence");
        assert_eq!(label_of(SENT_SYN | Pending::MIRAI), Some(ToolLabel::Masscan));
        assert_eq!(label_of(SENT_SYN | Pending::MIRAI | Pending::MASSCAN), Some(ToolLabel::Zmap));
        assert_eq!(label_of(SENT_SYN | Pending::MIRAI | Pending::MASSCAN | Pending::ZMAP), None);
    }

    #[test]
    fn days_close_an_hour_past_their_end() {
        let day = Day::parse("2024-01-01").unwrap();
        let end = Day::parse("2024-01-02").unwrap().start().0;
        assert_eq!(closing_time(day), end + 3_600_000_000_000);
    }
}
