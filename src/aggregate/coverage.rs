//! Coverage: the seconds a sensor was actually recording, per UTC day
//! (DESIGN.md "Coverage").
//!
//! Replay derives it from the records: the union of the spans between
//! records consecutive in time over the whole run (every record, late and
//! out-of-order ones included), cut at gaps longer than `--max-gap` and at
//! day ends. The records are kept as clusters ([`Spans`]): runs of records
//! whose neighbours in time are at most the gap apart, merged as records
//! join or bridge them. So memory grows with the outages, not with the
//! records, and the result is the same for any order of the inputs and of
//! the records in them, and for any split of a capture into files.
//!
//! A pcapng input whose interface statistics blocks state plausible start
//! and end times ([`plausible`]) counts those spans instead of its own
//! records' clusters, and nothing else changes.

use std::collections::BTreeMap;

use crate::time::{Day, NANOS_PER_DAY, NANOS_PER_SEC, Timestamp};

/// How far a stated span may reach beyond its input's records.
pub const STATED_REACH: i64 = 7 * NANOS_PER_DAY;

#[derive(Clone, Debug)]
pub struct Coverage {
    max_gap: i64,
    /// Clusters of the records of the inputs read so far (those whose
    /// stated spans did not replace them).
    records: Spans,
    /// Clusters of the current input's records.
    input: Spans,
    /// Spans stated by the current input's interface statistics.
    input_stated: Vec<(i64, i64)>,
    /// Stated spans of the inputs read so far, found plausible.
    stated: Vec<(i64, i64)>,
}

impl Coverage {
    pub fn new(max_gap_secs: f64) -> Coverage {
        let max_gap = (max_gap_secs * NANOS_PER_SEC as f64) as i64;
        Coverage {
            max_gap,
            records: Spans::new(max_gap),
            input: Spans::new(max_gap),
            input_stated: Vec::new(),
            stated: Vec::new(),
        }
    }

    #[inline]
    pub fn observe(&mut self, ts: Timestamp) {
        self.input.add(ts.0);
    }

    /// A span stated by the capture itself (checked when its input ends).
    pub fn state_span(&mut self, start: Timestamp, end: Timestamp) {
        self.input_stated.push((start.0, end.0));
    }

    /// Closes the current input: its plausible stated spans replace its
    /// records' clusters; without any, the clusters join the run's (and
    /// merge with those of other inputs within the gap). Gives the number
    /// of stated spans ignored as implausible (none for an input without
    /// records, which covers nothing whatever it states).
    pub fn end_input(&mut self) -> usize {
        let clusters = std::mem::replace(&mut self.input, Spans::new(self.max_gap)).into_sorted();
        let had_records = !clusters.is_empty();
        let stated = std::mem::take(&mut self.input_stated);
        let before = self.stated.len();
        self.stated.extend(stated.iter().copied().filter(|&span| plausible(span, &clusters)));
        if self.stated.len() == before {
            for cluster in clusters {
                self.records.merge(cluster);
            }
        }
        if had_records { stated.len() - (self.stated.len() - before) } else { 0 }
    }

    /// Covered seconds per day: the union of all spans, split at midnight.
    pub fn seconds_by_day(&self) -> BTreeMap<Day, f64> {
        let mut spans = self.records.clone().into_sorted();
        // An input still being read counts with its records.
        spans.extend(self.input.clone().into_sorted());
        spans.extend(&self.stated);
        spans.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut by_day: BTreeMap<Day, i64> = BTreeMap::new();
        for (mut s, e) in merged {
            loop {
                let day = Timestamp(s).day();
                let day_end = day.start().0.saturating_add(NANOS_PER_DAY);
                let piece_end = e.min(day_end);
                *by_day.entry(day).or_default() += piece_end - s;
                if e <= day_end {
                    break;
                }
                s = day_end;
            }
        }
        by_day.into_iter().map(|(d, ns)| (d, ns as f64 / NANOS_PER_SEC as f64)).collect()
    }
}

/// Whether a stated span (start, end) counts (DESIGN.md "Coverage"): it is
/// not empty, does not start before the Unix epoch, and every instant of it
/// lies within [`STATED_REACH`] of a cluster of its input's `clusters`
/// (sorted): so a capture's few records cannot state centuries, and a
/// small file stays a small run. (Inside a cluster records are at most the
/// gap apart.)
fn plausible((start, end): (i64, i64), clusters: &[(i64, i64)]) -> bool {
    if start < 0 || end <= start {
        return false;
    }
    // Covered from `start` up to `reach` so far.
    let mut reach = start;
    for &(a, b) in clusters {
        let (from, to) = (a.saturating_sub(STATED_REACH), b.saturating_add(STATED_REACH));
        if to < reach {
            continue;
        }
        if from > reach {
            return false;
        }
        reach = to;
        if reach >= end {
            return true;
        }
    }
    false
}

/// Times (ns) as clusters: disjoint spans more than `gap` apart, each from a
/// record to a record with no gap over `gap` between records inside. The
/// cluster the last record joined is kept apart (`open`), so records in
/// time order cost a comparison or two each.
#[derive(Clone, Debug)]
struct Spans {
    gap: i64,
    /// Start → end of the other clusters.
    done: BTreeMap<i64, i64>,
    open: Option<(i64, i64)>,
}

impl Spans {
    fn new(gap: i64) -> Spans {
        Spans { gap: gap.max(0), done: BTreeMap::new(), open: None }
    }

    #[inline]
    fn add(&mut self, t: i64) {
        if let Some((start, end)) = &mut self.open {
            // Differences as u64: exact for any two i64 in order.
            if t > *end {
                if (t.wrapping_sub(*end) as u64) <= self.gap as u64 {
                    *end = t;
                    return;
                }
            } else if t >= *start {
                return;
            } else if (start.wrapping_sub(t) as u64) <= self.gap as u64 {
                *start = t;
                return;
            }
        }
        self.reopen(t);
    }

    /// A record out of reach of the open cluster: that one joins the
    /// others, a new one opens.
    #[cold]
    fn reopen(&mut self, t: i64) {
        if let Some(open) = self.open.take() {
            self.merge(open);
        }
        self.open = Some((t, t));
    }

    /// Adds a cluster, merging every cluster within the gap of it.
    fn merge(&mut self, (mut start, mut end): (i64, i64)) {
        loop {
            let (from, to) = (start.saturating_sub(self.gap), end.saturating_add(self.gap));
            // The last cluster starting by `to`; if it ends before `from`,
            // so do all before it.
            let near = self.done.range(..=to).next_back().filter(|&(_, &e)| e >= from).map(|(&s, &e)| (s, e));
            let Some((s, e)) = near else { break };
            self.done.remove(&s);
            (start, end) = (start.min(s), end.max(e));
        }
        self.done.insert(start, end);
    }

    /// Every cluster, sorted.
    fn into_sorted(mut self) -> Vec<(i64, i64)> {
        if let Some(open) = self.open.take() {
            self.merge(open);
        }
        self.done.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: i64) -> Timestamp {
        Timestamp(s * NANOS_PER_SEC)
    }

    /// Covered seconds per day of `inputs` (each its record times in
    /// seconds), read in this order.
    fn covered(inputs: &[&[i64]]) -> BTreeMap<Day, f64> {
        let mut c = Coverage::new(600.0);
        for input in inputs {
            for &t in *input {
                c.observe(secs(t));
            }
            c.end_input();
        }
        c.seconds_by_day()
    }

    #[test]
    fn gap_longer_than_max_is_not_covered() {
        // 00:00 to 01:00 every 60 s, silence for 3 h, then 04:00 to 05:00.
        let times: Vec<i64> = (0..=3600).step_by(60).chain((4 * 3600..=5 * 3600).step_by(60)).collect();
        assert_eq!(covered(&[&times]).get(&Day(0)), Some(&7200.0));
    }

    #[test]
    fn spans_split_at_midnight_and_inputs_union() {
        let a: Vec<i64> = (86_400 - 300..=86_400 + 300).step_by(100).collect();
        // A second input overlapping the first counts once.
        let by_day = covered(&[&a, &[86_400 - 100, 86_400 + 500]]);
        assert_eq!(by_day[&Day(0)], 300.0);
        assert_eq!(by_day[&Day(1)], 500.0);
    }

    #[test]
    fn any_order_of_inputs_and_records_gives_the_same_coverage() {
        // 10:00 and 10:05 in one file, 11:00 and 11:05 in another: 600 s
        // either way; with 10:10 .. 10:55 every 5 min in a third, 3900 s.
        let (h10, h11) = (36_000, 39_600);
        let (f1, f3) = ([h10, h10 + 300], [h11, h11 + 300]);
        let f2: Vec<i64> = (h10 + 600..h11).step_by(300).collect();
        for inputs in [[&f1[..], &f3[..]], [&f3[..], &f1[..]]] {
            assert_eq!(covered(&inputs)[&Day(0)], 600.0);
        }
        for inputs in [[&f1[..], &f2, &f3], [&f3, &f2, &f1], [&f2, &f3, &f1], [&f3, &f1, &f2]] {
            assert_eq!(covered(&inputs)[&Day(0)], 3900.0, "{inputs:?}");
        }
        // Records in reverse and shuffled order inside one input.
        let mut all: Vec<i64> = [&f1[..], &f2, &f3].concat();
        all.reverse();
        assert_eq!(covered(&[&all])[&Day(0)], 3900.0);
        all.sort_by_key(|t| (t * 7919) % 1013);
        assert_eq!(covered(&[&all])[&Day(0)], 3900.0);
    }

    #[test]
    fn a_late_record_fills_an_outage_it_falls_in() {
        // 0..600 and 1500..2100, then late records at 900 and 1200: each
        // gap is now 300 s.
        assert_eq!(covered(&[&[0, 600, 1500, 2100]])[&Day(0)], 1200.0);
        assert_eq!(covered(&[&[0, 600, 1500, 2100, 900, 1200]])[&Day(0)], 2100.0);
    }

    #[test]
    fn stated_spans_replace_their_own_inputs_records_only() {
        let stated = |c: &mut Coverage, times: &[i64], span: (i64, i64)| {
            for &t in times {
                c.observe(secs(t));
            }
            c.state_span(secs(span.0), secs(span.1));
            c.end_input()
        };
        // An input with records 10..20 stating 0..1000: 1000 s.
        let mut c = Coverage::new(600.0);
        assert_eq!(stated(&mut c, &[10, 20], (0, 1000)), 0);
        assert_eq!(c.seconds_by_day()[&Day(0)], 1000.0);
        // Beside an input without statistics (one hour of records), in
        // either order: both count.
        let hour: Vec<i64> = (7200..=10_800).step_by(60).collect();
        for first in [true, false] {
            let mut c = Coverage::new(600.0);
            if first {
                stated(&mut c, &[10, 20], (0, 3600));
            }
            hour.iter().for_each(|&t| c.observe(secs(t)));
            c.end_input();
            if !first {
                stated(&mut c, &[10, 20], (0, 3600));
            }
            assert_eq!(c.seconds_by_day()[&Day(0)], 7200.0);
        }
    }

    #[test]
    fn implausible_stated_spans_are_ignored() {
        let day = 86_400;
        let ns = |(s, e): (i64, i64)| (s * NANOS_PER_SEC, e * NANOS_PER_SEC);
        let records = [ns((100 * day, 100 * day + 60))];
        // Within seven days of the records on both sides: counts.
        assert!(plausible(ns((93 * day, 107 * day + 60)), &records));
        // A second more on either side, before the epoch, empty, backwards.
        assert!(!plausible(ns((93 * day - 1, 100 * day)), &records));
        assert!(!plausible(ns((100 * day, 107 * day + 61)), &records));
        assert!(!plausible(ns((-1, 100 * day)), &[ns((0, 60))]));
        assert!(!plausible(ns((100 * day, 100 * day)), &records));
        assert!(!plausible(ns((100 * day + 60, 100 * day)), &records));
        // Across records fourteen days apart, not across fifteen.
        let two = |apart: i64| [ns((100 * day, 100 * day)), ns(((100 + apart) * day, (100 + apart) * day))];
        assert!(plausible(ns((100 * day, 114 * day)), &two(14)));
        assert!(!plausible(ns((100 * day, 115 * day)), &two(15)));
        // Without records, nothing is plausible; the extremes do not overflow.
        assert!(!plausible(ns((0, 60)), &[]));
        assert!(!plausible((0, i64::MAX), &[(i64::MIN, i64::MIN)]));
        assert!(!plausible((0, i64::MAX), &[(i64::MAX, i64::MAX)]));
    }

    #[test]
    fn no_day_holds_more_than_a_day_at_the_calendar_edges() {
        let mut c = Coverage::new(600.0);
        for t in [i64::MIN, i64::MIN + 1, i64::MIN + 60 * NANOS_PER_SEC, i64::MAX - 1, i64::MAX] {
            c.observe(Timestamp(t));
        }
        c.end_input();
        let by_day = c.seconds_by_day();
        assert_eq!(by_day.len(), 2, "{by_day:?}");
        assert!(by_day.values().all(|&s| (0.0..=86_400.0).contains(&s)), "{by_day:?}");
        assert_eq!(by_day.values().next(), Some(&60.0));
    }
}
