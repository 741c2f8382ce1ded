//! The scan events of the closed days: each day's log cut into runs as
//! the day closes, the runs near midnight joined when the run ends (see
//! [`super`]).

use super::{Fragment, Probe, Scan, ScanKind, ScanRules, ToolBits};
use crate::aggregate::day::DayTables;
use std::collections::BTreeSet;

use crate::decode::Addr;
use crate::time::{Day, NANOS_PER_DAY};

/// The events found so far and the runs still waiting for a neighbour.
#[derive(Debug, Default)]
pub struct ScanBook {
    /// None: scan events are off (nothing is logged).
    rules: Option<ScanRules>,
    scans: Vec<Scan>,
    edges: Vec<Fragment>,
    /// Reused from one key to the next.
    numbers: Vec<u32>,
    /// The days closed so far, and those closed a second time.
    closed: BTreeSet<Day>,
    reopened: BTreeSet<Day>,
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
        let start = tables.day.start().0;
        let end = start.saturating_add(NANOS_PER_DAY);
        // Only sources that can make an event are sorted: those with enough
        // distinct darknet addresses in the day (of any packet), those with
        // a probe near midnight (a run there may continue on a neighbouring
        // day), and all of a day closed again.
        let mut wanted: Vec<bool> = tables
            .sources
            .records()
            .iter()
            .map(|r| again || u64::from(r.distinct_addrs) >= u64::from(rules.min_dsts))
            .collect();
        for p in &probes {
            if p.ts - start <= rules.timeout_ns || end - p.ts <= rules.timeout_ns {
                wanted[p.source()] = true;
            }
        }
        let (mut sorted, ends) = by_source(&probes, &wanted);
        drop(probes);
        let numbered = tables.darknet_addrs.by_number();
        let mut from = 0;
        for &to in &ends {
            let group = &mut sorted[from as usize..to as usize];
            from = to;
            group.sort_unstable_by_key(|p| (p.key, p.ts));
            for key in group.chunk_by(|a, b| a.key == b.key) {
                let mut first = 0;
                for i in 1..=key.len() {
                    if i < key.len() && key[i].ts - key[i - 1].ts <= rules.timeout_ns {
                        continue;
                    }
                    let run = &key[first..i];
                    first = i;
                    let (a, z) = (run[0].ts, run[run.len() - 1].ts);
                    let near_midnight = a - start <= rules.timeout_ns || end - z <= rules.timeout_ns;
                    if near_midnight || again {
                        let source = tables.sources.addrs()[run[0].source()];
                        let country = tables.sources.records()[run[0].source()].country;
                        let mut dsts: Vec<u128> = run.iter().map(|p| numbered.addr(p.dst).0).collect();
                        dsts.sort_unstable();
                        dsts.dedup();
                        self.edges.push(fragment(run, source, country, dsts));
                    } else if run.len() as u64 >= u64::from(rules.min_dsts) {
                        self.numbers.clear();
                        self.numbers.extend(run.iter().map(|p| p.dst));
                        self.numbers.sort_unstable();
                        self.numbers.dedup();
                        if self.numbers.len() as u64 >= u64::from(rules.min_dsts) {
                            let source = tables.sources.addrs()[run[0].source()];
                            let country = tables.sources.records()[run[0].source()].country;
                            let f = fragment(run, source, country, Vec::new());
                            self.scans.push(f.event(self.numbers.len() as u32));
                        }
                    }
                }
            }
        }
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

/// The probes of the `wanted` sources grouped by source (a counting sort:
/// sources are numbered 0, 1, 2, … in their day) and where each source's
/// group ends (a source not wanted has an empty group).
fn by_source(probes: &[Probe], wanted: &[bool]) -> (Vec<Probe>, Vec<u32>) {
    let mut next = vec![0u32; wanted.len() + 1];
    for p in probes {
        next[p.source() + 1] += u32::from(wanted[p.source()]);
    }
    for i in 1..next.len() {
        next[i] += next[i - 1];
    }
    let mut sorted = vec![Probe::default(); next[wanted.len()] as usize];
    for p in probes.iter().filter(|p| wanted[p.source()]) {
        let slot = &mut next[p.source()];
        sorted[*slot as usize] = *p;
        *slot += 1;
    }
    next.pop();
    (sorted, next)
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
