//! One report period, re-aggregated from the store: coverage and
//! address-days, packets and exact unique sources per destination port and
//! per country, ports by country and countries by port, home-country port
//! counts, backscatter by victim port and country, daily port series and
//! monthly well-known vs other ports.
//!
//! Sources are interned to numbers as they are read; unique-source counts
//! come from sorting the (key, source number) pairs, so they are exact over
//! any number of days, sensors and parts.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use arrow_array::Array;

use crate::decode::Addr;
use crate::store::StoreError;
use crate::store::read::{Columns, StoredFile, batches, files};
use crate::time::{Day, NANOS_PER_DAY};

/// An inclusive range of UTC days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Day,
    pub to: Day,
}

impl Period {
    pub fn days(&self) -> i64 {
        i64::from(self.to.0) - i64::from(self.from.0) + 1
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

/// A destination (or victim) port; sorts TCP before UDP, then by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortKey {
    pub udp: bool,
    pub port: u16,
}

impl PortKey {
    fn parse(proto: Option<&str>, port: u16) -> PortKey {
        PortKey { udp: proto == Some("udp"), port }
    }
}

impl fmt::Display for PortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", if self.udp { "udp" } else { "tcp" }, self.port)
    }
}

/// Packets and unique sources of one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub packets: u64,
    pub sources: u64,
}

/// Well-known (0-1023) and other destination-port packets of one month.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Monthly {
    pub well_known: u64,
    pub other: u64,
    pub address_days: f64,
}

#[derive(Clone, Debug, Default)]
pub struct PeriodStats {
    pub packets: u64,
    /// Σ over (sensor, day) of covered seconds ÷ 86,400 × monitored addresses.
    pub address_days: f64,
    /// Σ over (sensor, day) of covered seconds ÷ 86,400.
    pub covered_days: f64,
    /// Days with any coverage.
    pub observed_days: u64,
    /// Σ over sensors of their monitored addresses.
    pub monitored: u64,
    pub unique_sources: u64,
    /// Mean over observed days of the day's distinct sources.
    pub sources_per_day: f64,
    pub ports: HashMap<PortKey, Tally>,
    pub countries: HashMap<String, Tally>,
    pub port_countries: HashMap<PortKey, HashMap<String, u64>>,
    pub country_ports: HashMap<String, HashMap<PortKey, u64>>,
    /// Packets per port from sources of the home country.
    pub home_ports: HashMap<PortKey, u64>,
    pub backscatter_ports: HashMap<PortKey, u64>,
    pub backscatter_countries: HashMap<String, u64>,
    pub daily_ports: BTreeMap<Day, HashMap<PortKey, u64>>,
    /// By "YYYY-MM".
    pub monthly: BTreeMap<String, Monthly>,
}

/// Counts the distinct sources per key from [`pair`]s.
fn distinct_per_key(mut pairs: Vec<u64>) -> FastMap<u32, u64> {
    pairs.sort_unstable();
    pairs.dedup();
    let mut out: FastMap<u32, u64> = FastMap::default();
    for pair in pairs {
        *out.entry((pair >> 32) as u32).or_default() += 1;
    }
    out
}

/// A (key, source number) pair as one sortable word.
fn pair(key: u32, source: u32) -> u64 {
    (u64::from(key) << 32) | u64::from(source)
}

fn month(day: Day) -> String {
    day.to_string().get(..7).unwrap_or_default().to_string()
}

fn port_index(key: PortKey) -> u32 {
    u32::from(key.port) | if key.udp { 1 << 16 } else { 0 }
}

fn port_of_index(i: u32) -> PortKey {
    PortKey { udp: i >> 16 != 0, port: i as u16 }
}

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

/// What the (source, port) join accumulates, keyed by numbers; turned into
/// the named tables of [`PeriodStats`] once every part is read.
#[derive(Default)]
struct Joined {
    intern: FastMap<u128, u32>,
    country_names: Vec<String>,
    country_packets: Vec<u64>,
    /// By [`port_index`].
    port_packets: FastMap<u32, u64>,
    /// (port index, country index) → packets.
    port_country: FastMap<(u32, u32), u64>,
    port_pairs: Vec<u64>,
    country_pairs: Vec<u64>,
}

impl Joined {
    fn country_index(&mut self, cc: &str) -> u32 {
        match self.country_names.iter().position(|n| n == cc) {
            Some(i) => i as u32,
            None => {
                self.country_names.push(cc.to_string());
                self.country_packets.push(0);
                self.country_names.len() as u32 - 1
            }
        }
    }

    fn join_ports(&mut self, file: &StoredFile, sources: &FastMap<u128, (u32, u32)>) -> Result<(), StoreError> {
        batches(&file.path, &["source", "proto", "port", "packets"], |b| {
            let c = Columns::new(b, &file.path);
            let (source, proto, port, packets) =
                (c.strings("source")?, c.strings("proto")?, c.u16s("port")?, c.u64s("packets")?);
            // Rows come grouped by source: look each one up once.
            let mut last: Option<(&str, u32, u32)> = None;
            for (row, &n) in packets.iter().enumerate() {
                let text = source.get(row);
                let (id, cc) = match (last, text) {
                    (Some((t, id, cc)), Some(now)) if t == now => (id, cc),
                    _ => {
                        let addr = parse_addr(text, &file.path)?;
                        let Some(&(id, cc)) = sources.get(&addr) else {
                            return Err(StoreError::Schema {
                                path: file.path.clone(),
                                column: "source".into(),
                                problem: format!("has {} that its part's sources table lacks", Addr(addr)),
                            });
                        };
                        last = text.map(|t| (t, id, cc));
                        (id, cc)
                    }
                };
                let key = port_index(PortKey::parse(proto.get(row), port.value(row)));
                *self.port_packets.entry(key).or_default() += n;
                *self.port_country.entry((key, cc)).or_default() += n;
                self.port_pairs.push(pair(key, id));
            }
            Ok(())
        })
    }

    fn finish(self, stats: &mut PeriodStats, home: &str) {
        let sources = distinct_per_key(self.port_pairs);
        for (&key, &packets) in &self.port_packets {
            let tally = Tally { packets, sources: sources.get(&key).copied().unwrap_or(0) };
            stats.ports.insert(port_of_index(key), tally);
        }
        let sources = distinct_per_key(self.country_pairs);
        for (i, name) in self.country_names.iter().enumerate() {
            let tally =
                Tally { packets: self.country_packets[i], sources: sources.get(&(i as u32)).copied().unwrap_or(0) };
            stats.countries.insert(name.clone(), tally);
        }
        for (&(key, cc), &n) in &self.port_country {
            let (port, country) = (port_of_index(key), &self.country_names[cc as usize]);
            stats.port_countries.entry(port).or_default().insert(country.clone(), n);
            stats.country_ports.entry(country.clone()).or_default().insert(port, n);
            if country == home {
                stats.home_ports.insert(port, n);
            }
        }
    }
}

impl PeriodStats {
    /// Reads every part of the store for `period` (of `sensors`, or all).
    pub fn load(store: &Path, period: Period, sensors: &[String], home: &str) -> Result<PeriodStats, StoreError> {
        let mut stats = PeriodStats::default();
        let day_address_days = stats.load_coverage(store, period, sensors)?;
        for (&day, &ad) in &day_address_days {
            stats.monthly.entry(month(day)).or_default().address_days += ad;
        }
        stats.load_sources(store, period, sensors, home)?;
        stats.load_backscatter(store, period, sensors)?;
        stats.load_hourly(store, period, sensors)?;
        Ok(stats)
    }

    /// Coverage and address-days; gives the address-days of each day.
    fn load_coverage(
        &mut self,
        store: &Path,
        period: Period,
        sensors: &[String],
    ) -> Result<BTreeMap<Day, f64>, StoreError> {
        // Several parts of one sensor and day (runs over different inputs)
        // add their seconds; one day cannot hold more than a day.
        let mut per_sensor_day: BTreeMap<(String, Day), (f64, u64)> = BTreeMap::new();
        for file in files(store, "coverage", period.from, period.to, sensors)? {
            batches(&file.path, &["seconds", "monitored", "packets"], |b| {
                let c = Columns::new(b, &file.path);
                let (seconds, monitored, packets) = (c.f64s("seconds")?, c.u64s("monitored")?, c.u64s("packets")?);
                for row in 0..b.num_rows() {
                    let entry = per_sensor_day.entry((file.sensor.clone(), file.day)).or_default();
                    entry.0 += seconds[row];
                    entry.1 = entry.1.max(monitored[row]);
                    self.packets += packets[row];
                }
                Ok(())
            })?;
        }
        let mut monitored: HashMap<&str, u64> = HashMap::new();
        let mut by_day: BTreeMap<Day, f64> = BTreeMap::new();
        for ((sensor, day), (seconds, addresses)) in &per_sensor_day {
            let covered = (seconds.min(NANOS_PER_DAY as f64 / 1e9)) / 86_400.0;
            self.covered_days += covered;
            *by_day.entry(*day).or_default() += covered * *addresses as f64;
            let m = monitored.entry(sensor.as_str()).or_default();
            *m = (*m).max(*addresses);
        }
        self.address_days = by_day.values().sum();
        self.observed_days = per_sensor_day
            .iter()
            .filter(|(_, (s, _))| *s > 0.0)
            .map(|((_, d), _)| d)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64;
        self.monitored = monitored.values().sum();
        Ok(by_day)
    }

    /// Sources and (source, port) rows, joined per part file on the source.
    fn load_sources(&mut self, store: &Path, period: Period, sensors: &[String], home: &str) -> Result<(), StoreError> {
        let mut acc = Joined::default();
        let mut day_pairs: Vec<u64> = Vec::new();
        let port_files = files(store, "source_ports", period.from, period.to, sensors)?;
        for file in files(store, "sources", period.from, period.to, sensors)? {
            // This part's sources: address → (number, country index).
            let mut here: FastMap<u128, (u32, u32)> = FastMap::default();
            batches(&file.path, &["source", "packets", "country"], |b| {
                let c = Columns::new(b, &file.path);
                let (source, packets, country) = (c.strings("source")?, c.u64s("packets")?, c.strings("country")?);
                for (row, &packets) in packets.iter().enumerate() {
                    let addr = parse_addr(source.get(row), &file.path)?;
                    let next = acc.intern.len() as u32;
                    let id = *acc.intern.entry(addr).or_insert(next);
                    let cc = acc.country_index(country.get(row).unwrap_or("ZZ"));
                    here.insert(addr, (id, cc));
                    acc.country_packets[cc as usize] += packets;
                    acc.country_pairs.push(pair(cc, id));
                    day_pairs.push(pair(file.day.0 as u32, id));
                }
                Ok(())
            })?;
            for ports in port_files.iter().filter(|p| p.day == file.day && p.stem == file.stem) {
                acc.join_ports(ports, &here)?;
            }
        }
        self.unique_sources = acc.intern.len() as u64;
        let per_day = distinct_per_key(day_pairs);
        if self.observed_days > 0 {
            self.sources_per_day = per_day.values().sum::<u64>() as f64 / self.observed_days as f64;
        }
        acc.finish(self, home);
        Ok(())
    }

    fn load_backscatter(&mut self, store: &Path, period: Period, sensors: &[String]) -> Result<(), StoreError> {
        for file in files(store, "backscatter", period.from, period.to, sensors)? {
            batches(&file.path, &["victim_proto", "victim_port", "country", "packets"], |b| {
                let c = Columns::new(b, &file.path);
                let (proto, port, country, packets) =
                    (c.strings("victim_proto")?, c.u16s("victim_port")?, c.strings("country")?, c.u64s("packets")?);
                for (row, &n) in packets.iter().enumerate() {
                    *self.backscatter_countries.entry(country.get(row).unwrap_or("ZZ").to_string()).or_default() += n;
                    if port.is_valid(row) {
                        let key = PortKey::parse(proto.get(row), port.value(row));
                        *self.backscatter_ports.entry(key).or_default() += n;
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    fn load_hourly(&mut self, store: &Path, period: Period, sensors: &[String]) -> Result<(), StoreError> {
        for file in files(store, "ports_hourly", period.from, period.to, sensors)? {
            // A file holds the hours of its day.
            let mut day_ports: FastMap<PortKey, u64> = FastMap::default();
            let (mut well_known, mut other) = (0, 0);
            batches(&file.path, &["proto", "port", "packets"], |b| {
                let c = Columns::new(b, &file.path);
                let (proto, port, packets) = (c.strings("proto")?, c.u16s("port")?, c.u64s("packets")?);
                for (row, &n) in packets.iter().enumerate() {
                    let key = PortKey::parse(proto.get(row), port.value(row));
                    *day_ports.entry(key).or_default() += n;
                    if key.port < 1024 {
                        well_known += n;
                    } else {
                        other += n;
                    }
                }
                Ok(())
            })?;
            let daily = self.daily_ports.entry(file.day).or_default();
            for (key, n) in day_ports {
                *daily.entry(key).or_default() += n;
            }
            let m = self.monthly.entry(month(file.day)).or_default();
            m.well_known += well_known;
            m.other += other;
        }
        Ok(())
    }
}

fn parse_addr(text: Option<&str>, path: &Path) -> Result<u128, StoreError> {
    text.and_then(|t| t.parse::<std::net::IpAddr>().ok()).map(|ip| Addr::from(ip).0).ok_or_else(|| StoreError::Schema {
        path: path.to_path_buf(),
        column: "source".into(),
        problem: format!("holds {text:?}, which is no IP address"),
    })
}
