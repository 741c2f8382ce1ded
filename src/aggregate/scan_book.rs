//! The scan events of the closed days: each day's log cut into runs as
//! the day closes, the runs near midnight joined when the run ends (see
//! [`super`]).

use super::{Fragment, Probe, Scan, ScanKind, ScanRules, ToolBits};
use crate::aggregate::darknet::Numbered;
use crate::aggregate::day::{DayTables, SourceDay};
use std::collections::BTreeSet;

use crate::decode::Addr;
use crate::time::{Day, NANOS_PER_DAY};

/// A closing day, as its runs need it.
struct Closing<'a> {
    tables: &'a DayTables,
    /// The day's first and last nanosecond + 1.
    start: i64,
    end: i64,
    /// Closed before (see [`ScanBook::reopened`]).
    again: bool,
    numbered: Numbered<'a>,
}

/// The events found so far and the runs still waiting for a neighbour.
#[derive(Debug, Default)]
pub struct ScanBook {
    /// None: scan events are off (nothing is logged).
    rules: Option<ScanRules>,
    scans: Vec<Scan>,
    edges: Vec<Fragment>,
    /// Reused from one key to the next.
    numbers: Vec<u32>,
    seen: DistinctNumbers,
    /// The days closed so far, and those closed a second time.
    closed: BTreeSet<Day>,
    reopened: BTreeSet<Day>,
    /// The last closed day's log, emptied, for the next day to fill (no
    /// fresh pages for every day), and the sorting space.
    spare: Vec<Probe>,
    sorted: Vec<Probe>,
}

impl ScanBook {
    pub fn new(rules: Option<ScanRules>) -> ScanBook {
        ScanBook { rules, ..ScanBook::default() }
    }

    pub fn rules(&self) -> Option<ScanRules> {
        self.rules
    }

    /// Cuts a closing day's probes into events (see the module docs) and
    /// empties its log. A day closed again (records read after it closed)
    /// keeps all its runs for [`ScanBook::finish`], so they can join those
    /// of its first closing that were near midnight; runs of the first
    /// closing in the middle of the day were final already (see
    /// [`ScanBook::reopened`]).
    pub fn add_day(&mut self, tables: &mut DayTables) {
        let Some(rules) = self.rules else {
            return;
        };
        let again = !self.closed.insert(tables.day);
        if again {
            self.reopened.insert(tables.day);
        }
        let probes = std::mem::take(&mut tables.scans.probes);
        if probes.is_empty() {
            return;
        }
        let tables: &DayTables = tables;
        let start = tables.day.start().0;
        let end = start.saturating_add(NANOS_PER_DAY);
        let day = Closing { tables, start, end, again, numbered: tables.darknet_addrs.by_number() };
        let mut sorted = std::mem::take(&mut self.sorted);
        let ends = by_source(&day, &probes, rules, &mut sorted);
        self.spare = probes;
        let mut from = 0;
        for &to in &ends {
            let group = &mut sorted[from as usize..to as usize];
            from = to;
            if group.is_sorted_by_key(|p| p.ts) {
                // Read in time order (the usual case): a stable sort by key
                // keeps each key's probes in it.
                group.sort_by_key(|p| p.key);
            } else {
                group.sort_unstable_by_key(|p| (p.key, p.ts));
            }
            for key in group.chunk_by(|a, b| a.key == b.key) {
                let mut first = 0;
                for i in 1..=key.len() {
                    if i == key.len() || key[i].ts - key[i - 1].ts > rules.timeout_ns {
                        self.add_run(&key[first..i], &day, rules);
                        first = i;
                    }
                }
            }
        }
        self.sorted = sorted;
    }

    /// One run of a key's probes: final at once when it is a timeout away
    /// from both ends of its day (and the day closes for the first time),
    /// else kept whole for [`ScanBook::finish`].
    fn add_run(&mut self, run: &[Probe], day: &Closing<'_>, rules: ScanRules) {
        let (a, z) = (run[0].ts, run[run.len() - 1].ts);
        let near_midnight = a - day.start <= rules.timeout_ns || day.end - z <= rules.timeout_ns;
        let id = run[0].source();
        let (source, country) = (day.tables.sources.addrs()[id], day.tables.sources.records()[id].country);
        if near_midnight || day.again {
            let mut dsts: Vec<u128> = run.iter().map(|p| day.numbered.addr(p.dst).0).collect();
            dsts.sort_unstable();
            dsts.dedup();
            self.edges.push(fragment(run, source, country, dsts));
        } else if run.len() as u64 >= u64::from(rules.min_dsts) {
            let distinct = self.seen.count(run).unwrap_or_else(|| {
                self.numbers.clear();
                self.numbers.extend(run.iter().map(|p| p.dst));
                self.numbers.sort_unstable();
                self.numbers.dedup();
                self.numbers.len() as u32
            });
            if distinct >= rules.min_dsts {
                let f = fragment(run, source, country, Vec::new());
                self.scans.push(f.event(distinct));
            }
        }
    }

    /// The emptied log of the last day closed, for a new day to fill.
    pub fn spare(&mut self) -> Vec<Probe> {
        std::mem::take(&mut self.spare)
    }

    /// Days closed twice: an input older than one read before it brought
    /// records of a day that had closed. Their events may come out split
    /// where the late records continue a run of the day's first closing.
    pub fn reopened(&self) -> impl Iterator<Item = Day> + '_ {
        self.reopened.iter().copied()
    }

    /// Joins the runs near midnight whose gap is within the timeout and
    /// gives every event kept, sorted by start, source, type and port.
    pub fn finish(&mut self) -> Vec<Scan> {
        let Some(rules) = self.rules else {
            return Vec::new();
        };
        let mut edges = std::mem::take(&mut self.edges);
        edges.sort_unstable_by_key(|a| (a.source, a.kind, a.port, a.first));
        let mut joined: Option<Fragment> = None;
        let mut scans = std::mem::take(&mut self.scans);
        let mut keep = |f: Fragment| {
            if f.dsts.len() as u64 >= u64::from(rules.min_dsts) {
                scans.push(f.event(f.dsts.len() as u32));
            }
        };
        for f in edges {
            match &mut joined {
                Some(j)
                    if (j.source, j.kind, j.port) == (f.source, f.kind, f.port)
                        && f.first - j.last <= rules.timeout_ns =>
                {
                    j.last = j.last.max(f.last);
                    j.packets += f.packets;
                    j.tool = j.tool.join(f.tool);
                    j.dsts = union(&j.dsts, &f.dsts);
                }
                _ => {
                    if let Some(done) = joined.replace(f) {
                        keep(done);
                    }
                }
            }
        }
        if let Some(done) = joined {
            keep(done);
        }
        scans.sort_by_key(|s| (s.first_seen, s.source, s.kind, s.port));
        scans
    }
}

fn fragment(run: &[Probe], source: Addr, country: crate::classify::geo::CountryCode, dsts: Vec<u128>) -> Fragment {
    let code = (run[0].key >> 16) as u8;
    Fragment {
        source,
        kind: ScanKind::from_code(code).unwrap_or(ScanKind::TcpOther),
        port: run[0].key as u16,
        first: run[0].ts,
        last: run[run.len() - 1].ts,
        packets: run.len() as u64,
        tool: ToolBits::of(run),
        country,
        dsts,
    }
}

impl Fragment {
    fn event(&self, dsts: u32) -> Scan {
        let tool = if self.kind == ScanKind::TcpSyn { self.tool.label() } else { None };
        Scan {
            source: self.source,
            kind: self.kind,
            port: self.port,
            first_seen: self.first,
            last_seen: self.last,
            packets: self.packets,
            dsts,
            tool,
            country: self.country,
        }
    }
}

/// The probes of the sources of a closing day that can make an event,
/// grouped by source into `sorted` (a counting sort: sources are numbered
/// 0, 1, 2, … in their day); gives where each source's group ends (a source
/// left out has an empty group). Kept are the sources whose busiest key can
/// reach enough distinct darknet addresses in the day (at most the
/// source's distinct addresses, and at most its packets less one for each
/// other port it sent to), those with a probe near midnight (a run there
/// may continue on a neighbouring day), and all of a day closed again.
fn by_source(day: &Closing<'_>, probes: &[Probe], rules: ScanRules, sorted: &mut Vec<Probe>) -> Vec<u32> {
    let min = u64::from(rules.min_dsts);
    let could = |r: &SourceDay| {
        let busiest_key = r.packets.saturating_sub(u64::from(r.distinct_ports.max(1)) - 1);
        day.again || (u64::from(r.distinct_addrs) >= min && busiest_key >= min)
    };
    let mut wanted: Vec<bool> = day.tables.sources.records().iter().map(could).collect();
    let mut next = vec![0u32; wanted.len() + 1];
    for p in probes {
        next[p.source() + 1] += 1;
        if p.ts - day.start <= rules.timeout_ns || day.end - p.ts <= rules.timeout_ns {
            wanted[p.source()] = true;
        }
    }
    for (count, wanted) in next[1..].iter_mut().zip(&wanted) {
        *count *= u32::from(*wanted);
    }
    for i in 1..next.len() {
        next[i] += next[i - 1];
    }
    sorted.clear();
    sorted.resize(next[wanted.len()] as usize, Probe::default());
    for p in probes.iter().filter(|p| wanted[p.source()]) {
        let slot = &mut next[p.source()];
        sorted[*slot as usize] = *p;
        *slot += 1;
    }
    next.pop();
    next
}

/// Counts the distinct darknet addresses of a run in a bitmap of their
/// numbers (linear, where sorting them was not), cleared after each run.
#[derive(Debug, Default)]
struct DistinctNumbers {
    words: Vec<u64>,
}

impl DistinctNumbers {
    /// Numbers beyond this (2^26 addresses, an 8 MiB map) are counted by
    /// sorting instead.
    const LIMIT: u32 = 1 << 26;

    /// The distinct `dst` numbers of `run`, or None past [`Self::LIMIT`].
    fn count(&mut self, run: &[Probe]) -> Option<u32> {
        let mut distinct = 0;
        let mut done = run.len();
        for (i, p) in run.iter().enumerate() {
            if p.dst >= Self::LIMIT {
                done = i;
                break;
            }
            let (word, bit) = ((p.dst / 64) as usize, 1u64 << (p.dst % 64));
            if word >= self.words.len() {
                self.words.resize(word + 1, 0);
            }
            distinct += u32::from(self.words[word] & bit == 0);
            self.words[word] |= bit;
        }
        for p in &run[..done] {
            self.words[(p.dst / 64) as usize] = 0;
        }
        (done == run.len()).then_some(distinct)
    }
}

/// The sorted union of two sorted, distinct lists.
fn union(a: &[u128], b: &[u128]) -> Vec<u128> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => (out.push(a[i]), i += 1),
            std::cmp::Ordering::Greater => (out.push(b[j]), j += 1),
            std::cmp::Ordering::Equal => (out.push(a[i]), (i, j) = (i + 1, j + 1)),
        };
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probes(dsts: &[u32]) -> Vec<Probe> {
        dsts.iter().map(|&dst| Probe { dst, ..Probe::default() }).collect()
    }

    #[test]
    fn distinct_numbers_are_counted_and_the_map_left_clear() {
        let mut seen = DistinctNumbers::default();
        assert_eq!(seen.count(&probes(&[5, 5, 64, 63, 1_000_000, 5])), Some(4));
        assert!(seen.words.iter().all(|w| *w == 0), "cleared for the next run");
        assert_eq!(seen.count(&probes(&[5])), Some(1));
        assert_eq!(seen.count(&probes(&[1, DistinctNumbers::LIMIT])), None, "left to sorting");
        assert!(seen.words.iter().all(|w| *w == 0));
    }

    #[test]
    fn unions_of_sorted_lists_stay_sorted_and_distinct() {
        assert_eq!(union(&[1, 3, 5], &[2, 3, 6]), [1, 2, 3, 5, 6]);
        assert_eq!(union(&[], &[4]), [4]);
    }
}
