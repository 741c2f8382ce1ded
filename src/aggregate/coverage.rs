//! Coverage: the seconds a sensor was actually recording, per UTC day.
//!
//! Replay derives it from the records: the union of the spans between
//! consecutive records, cut at gaps longer than `--max-gap` and at day ends.
//! A pcapng interface statistics block that states start and end times takes
//! precedence for its input. Spans continue from one input to the next.
//! Records out of order extend the current span backwards when they fall
//! within the gap of its start; a stray record from long before covers
//! nothing and leaves the current span open.

use std::collections::BTreeMap;

use crate::time::{Day, NANOS_PER_DAY, NANOS_PER_SEC, Timestamp};

const MAX_STATED_SPAN: i64 = 366 * NANOS_PER_DAY;

#[derive(Clone, Debug)]
pub struct Coverage {
    max_gap: i64,
    /// Closed spans of finished inputs, in nanoseconds.
    spans: Vec<(i64, i64)>,
    /// Spans derived from records of the current input.
    input_spans: Vec<(i64, i64)>,
    current: Option<(i64, i64)>,
    /// Spans stated by the current input's interface statistics.
    stated: Vec<(i64, i64)>,
}

impl Coverage {
    pub fn new(max_gap_secs: f64) -> Coverage {
        Coverage {
            max_gap: (max_gap_secs * NANOS_PER_SEC as f64) as i64,
            spans: Vec::new(),
            input_spans: Vec::new(),
            current: None,
            stated: Vec::new(),
        }
    }

    #[inline]
    pub fn observe(&mut self, ts: Timestamp) {
        let t = ts.0;
        match &mut self.current {
            Some((start, end)) if t >= *start && t <= *end => {}
            Some((_, end)) if t > *end && t.saturating_sub(*end) <= self.max_gap => *end = t,
            Some((start, _)) if t < *start && start.saturating_sub(t) <= self.max_gap => *start = t,
            // A stray record from long before: note it, keep the open span.
            Some((start, _)) if t < *start => self.input_spans.push((t, t)),
            _ => {
                if let Some(done) = self.current.take() {
                    self.input_spans.push(done);
                }
                self.current = Some((t, t));
            }
        }
    }

    /// A span stated by the capture itself. Spans longer than a year are
    /// implausible for one interface-statistics block and are ignored.
    pub fn state_span(&mut self, start: Timestamp, end: Timestamp) {
        if end.0 >= start.0 && end.0 - start.0 <= MAX_STATED_SPAN {
            self.stated.push((start.0, end.0));
        }
    }

    /// Closes the current input: its stated spans win over derived ones.
    /// Otherwise the open span stays open, so the next file's first record
    /// continues it (coverage does not depend on how a capture is split).
    pub fn end_input(&mut self) {
        if self.stated.is_empty() {
            self.spans.append(&mut self.input_spans);
        } else {
            self.spans.append(&mut self.stated);
            self.input_spans.clear();
            self.current = None;
        }
    }

    /// Covered seconds per day: the union of all spans, split at midnight.
    pub fn seconds_by_day(&self) -> BTreeMap<Day, f64> {
        let mut spans = self.spans.clone();
        spans.extend(self.current);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: i64) -> Timestamp {
        Timestamp(s * NANOS_PER_SEC)
    }

    #[test]
    fn gap_longer_than_max_is_not_covered() {
        let mut c = Coverage::new(600.0);
        // 00:00 to 01:00 every 60 s, silence for 3 h, then 04:00 to 05:00.
        for t in (0..=3600).step_by(60).chain((4 * 3600..=5 * 3600).step_by(60)) {
            c.observe(secs(t));
        }
        c.end_input();
        assert_eq!(c.seconds_by_day().get(&Day(0)), Some(&7200.0));
    }

    #[test]
    fn spans_split_at_midnight_and_inputs_union() {
        let mut c = Coverage::new(600.0);
        for t in (86_400 - 300..=86_400 + 300).step_by(100) {
            c.observe(secs(t));
        }
        c.end_input();
        // A second input overlapping the first counts once.
        c.observe(secs(86_400 - 100));
        c.observe(secs(86_400 + 500));
        c.end_input();
        let by_day = c.seconds_by_day();
        assert_eq!(by_day[&Day(0)], 300.0);
        assert_eq!(by_day[&Day(1)], 500.0);
    }

    #[test]
    fn stated_spans_take_precedence() {
        let mut c = Coverage::new(600.0);
        c.observe(secs(10));
        c.observe(secs(20));
        c.state_span(secs(0), secs(1000));
        c.end_input();
        assert_eq!(c.seconds_by_day()[&Day(0)], 1000.0);
    }
}
