//! Per-day ground truth, written for scenarios (`--scenario`): per UTC day
//! the darknet packets, the covered seconds, packets per destination port
//! and per source country, and backscatter packets per victim port and
//! victim country. Report tests compute every expected ranking and rate
//! from these numbers.
//!
//! Coverage follows DESIGN.md independently of darkscope's code: the union
//! of the spans between consecutive records no more than `max_gap` apart,
//! split at midnight (UTC).

use std::collections::BTreeMap;

use hashbrown::HashMap;
use serde::Serialize;

use super::geo;
use crate::time::{Day, NANOS_PER_DAY};

/// One day of [`ByDay`], as written to the truth file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DayTruth {
    pub packets: u64,
    pub covered_seconds: f64,
    /// "tcp/23" → packets.
    pub dst_ports: BTreeMap<String, u64>,
    pub countries: BTreeMap<String, u64>,
    /// Victim service "tcp/443" → backscatter packets (those whose victim
    /// port was captured).
    pub backscatter_ports: BTreeMap<String, u64>,
    /// Victim country → backscatter packets.
    pub backscatter_countries: BTreeMap<String, u64>,
}

#[derive(Default)]
struct DayCounts {
    packets: u64,
    ports: HashMap<(u8, u16), u64>,
    countries: HashMap<[u8; 2], u64>,
    bs_ports: HashMap<(u8, u16), u64>,
    bs_countries: HashMap<[u8; 2], u64>,
}

/// The per-day tallies, fed by [`super::truth::Tally`].
pub struct ByDay {
    days: BTreeMap<i32, DayCounts>,
    current: i32,
    max_gap_ns: i64,
    previous_ts: Option<i64>,
    covered_ns: BTreeMap<i32, i64>,
}

fn proto_name(proto: u8) -> &'static str {
    if proto == 17 { "udp" } else { "tcp" }
}

fn cc(code: [u8; 2]) -> String {
    String::from_utf8_lossy(&code).into_owned()
}

impl ByDay {
    pub fn new(max_gap_secs: i64) -> ByDay {
        ByDay {
            days: BTreeMap::new(),
            current: 0,
            max_gap_ns: max_gap_secs * 1_000_000_000,
            previous_ts: None,
            covered_ns: BTreeMap::new(),
        }
    }

    /// Any record (coverage counts every record, in the darknet or not).
    pub fn record(&mut self, ts_ns: i64) {
        if let Some(previous) = self.previous_ts.filter(|&p| ts_ns >= p && ts_ns - p <= self.max_gap_ns) {
            let mut start = previous;
            while start < ts_ns {
                let day = start.div_euclid(NANOS_PER_DAY);
                let end = ts_ns.min((day + 1) * NANOS_PER_DAY);
                *self.covered_ns.entry(day as i32).or_default() += end - start;
                start = end;
            }
        }
        self.previous_ts = Some(ts_ns);
    }

    /// A darknet-inside packet from `src`.
    pub fn packet(&mut self, day: i32, src: u32) {
        self.current = day;
        let d = self.days.entry(day).or_default();
        d.packets += 1;
        *d.countries.entry(geo::country_of(src)).or_default() += 1;
    }

    fn today(&mut self) -> &mut DayCounts {
        self.days.entry(self.current).or_default()
    }

    /// The packet's destination port.
    pub fn port(&mut self, proto: u8, port: u16) {
        *self.today().ports.entry((proto, port)).or_default() += 1;
    }

    /// The packet is backscatter from `victim` about its service `port`.
    pub fn backscatter(&mut self, victim: u32, port: Option<(u8, u16)>) {
        let d = self.today();
        *d.bs_countries.entry(geo::country_of(victim)).or_default() += 1;
        if let Some(port) = port {
            *d.bs_ports.entry(port).or_default() += 1;
        }
    }

    pub fn finish(self) -> BTreeMap<String, DayTruth> {
        let mut out = BTreeMap::new();
        let days: std::collections::BTreeSet<i32> = self.days.keys().chain(self.covered_ns.keys()).copied().collect();
        let mut counts = self.days;
        for day in days {
            let d = counts.remove(&day).unwrap_or_default();
            let port_key = |&(proto, port): &(u8, u16)| format!("{}/{port}", proto_name(proto));
            out.insert(
                Day(day).to_string(),
                DayTruth {
                    packets: d.packets,
                    covered_seconds: self.covered_ns.get(&day).copied().unwrap_or(0) as f64 / 1e9,
                    dst_ports: d.ports.iter().map(|(k, &n)| (port_key(k), n)).collect(),
                    countries: d.countries.iter().map(|(&k, &n)| (cc(k), n)).collect(),
                    backscatter_ports: d.bs_ports.iter().map(|(k, &n)| (port_key(k), n)).collect(),
                    backscatter_countries: d.bs_countries.iter().map(|(&k, &n)| (cc(k), n)).collect(),
                },
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn coverage_joins_close_records_splits_at_midnight_and_skips_gaps() {
        let mut b = ByDay::new(600);
        let midnight = NANOS_PER_DAY;
        for ts in [midnight - 100 * S, midnight + 50 * S, midnight + 2000 * S, midnight + 2010 * S] {
            b.record(ts);
        }
        let days = b.finish();
        assert_eq!(days["1970-01-01"].covered_seconds, 100.0);
        // 50 s after midnight, then a 1,950 s gap (not covered), then 10 s.
        assert_eq!(days["1970-01-02"].covered_seconds, 60.0);
    }
}
