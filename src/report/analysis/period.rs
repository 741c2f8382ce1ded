//! One report period, re-aggregated from the store: coverage and
//! address-days, packets and exact unique sources per destination port and
//! per country, ports by country and countries by port, home-country port
//! counts, backscatter by victim port and country, daily port series and
//! monthly well-known vs other ports.
//!
//! Files are read on all cores ([`decode_in_order`]); the per-source
//! tables and their exact unique-source counts are [`super::sources`]'.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use arrow_array::Array;

use super::sources::{Accumulated, PartRows};
use super::{AddCount, tallied};
use crate::store::StoreError;
use crate::store::read::{Columns, StoredFile, batches, decode_in_order, files};
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
    pub fn parse(proto: Option<&str>, port: u16) -> PortKey {
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
    /// Days that hold data (darknet packets or covered seconds), of any
    /// sensor: what every per-day average divides by.
    pub observed_days: u64,
    /// Those days: the daily series has a row for each.
    pub data_days: std::collections::BTreeSet<Day>,
    /// Σ over sensors of their monitored addresses.
    pub monitored: u64,
    /// Packets the live captures dropped, and the days they did.
    pub drops: u64,
    pub drop_days: std::collections::BTreeSet<Day>,
    pub unique_sources: u64,
    /// Mean over the days that hold data of the day's distinct sources.
    pub sources_per_day: f64,
    pub ports: HashMap<PortKey, Tally>,
    pub countries: HashMap<String, Tally>,
    /// The same without the sources the research-scanner list tags.
    pub ports_clean: HashMap<PortKey, Tally>,
    pub countries_clean: HashMap<String, Tally>,
    /// Packets of tagged sources, and per organisation.
    pub scanner_packets: u64,
    pub scanners: HashMap<String, Tally>,
    pub port_countries: HashMap<PortKey, HashMap<String, u64>>,
    pub country_ports: HashMap<String, HashMap<PortKey, u64>>,
    /// Packets per port from sources of the home country, and per port
    /// of each such source (by address: the notification list).
    pub home_ports: HashMap<PortKey, u64>,
    pub home_source_ports: HashMap<u128, HashMap<PortKey, u64>>,
    /// By origin AS (`AS13335`; sources without one are left out): packets
    /// and unique sources, packets per port, and distinct source ASes per
    /// port (CAIDA's `uniq_src_asn`).
    pub asns: HashMap<String, Tally>,
    pub asn_ports: HashMap<String, HashMap<PortKey, u64>>,
    pub port_asns: HashMap<PortKey, u64>,
    pub backscatter_ports: HashMap<PortKey, u64>,
    pub backscatter_countries: HashMap<String, u64>,
    pub daily_ports: BTreeMap<Day, HashMap<PortKey, u64>>,
    /// Per day with source rows: sources with ≥ 100 distinct destination
    /// ports that day (the NPA's wide-range scanners) and with more than 10
    /// (JPCERT's), over every part of the day.
    pub port_spread: BTreeMap<Day, (u64, u64)>,
    /// By "YYYY-MM".
    pub monthly: BTreeMap<String, Monthly>,
}

fn month(day: Day) -> String {
    day.to_string().get(..7).unwrap_or_default().to_string()
}

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

/// One `ports_hourly` file summed: its day's packets per port, and its
/// well-known and other packets.
struct HourlyFile {
    day: Day,
    ports: FastMap<PortKey, u64>,
    well_known: u64,
    other: u64,
}

impl HourlyFile {
    fn read(file: &StoredFile) -> Result<HourlyFile, StoreError> {
        let mut sum = HourlyFile { day: file.day, ports: FastMap::default(), well_known: 0, other: 0 };
        batches(&file.path, &["proto", "port", "packets"], |b| {
            let c = Columns::new(b, &file.path);
            let (proto, port, packets) = (c.strings("proto")?, c.u16s("port")?, c.counts("packets")?);
            for (row, &n) in packets.iter().enumerate() {
                let key = PortKey::parse(proto.get(row), port.value(row));
                sum.ports.entry(key).or_default().add_count(n);
                if key.port < 1024 {
                    sum.well_known.add_count(n);
                } else {
                    sum.other.add_count(n);
                }
            }
            Ok(())
        })?;
        Ok(sum)
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
    pub(super) fn load_coverage(
        &mut self,
        store: &Path,
        period: Period,
        sensors: &[String],
    ) -> Result<BTreeMap<Day, f64>, StoreError> {
        // Several parts of one sensor and day (runs over different inputs)
        // add their seconds; one day cannot hold more than a day.
        let mut per_sensor_day: BTreeMap<(String, Day), (f64, u64)> = BTreeMap::new();
        for file in files(store, "coverage", period.from, period.to, sensors)? {
            batches(&file.path, &["seconds", "monitored", "packets", "drops"], |b| {
                let c = Columns::new(b, &file.path);
                let (seconds, monitored, packets) = (c.f64s("seconds")?, c.u64s("monitored")?, c.counts("packets")?);
                let drops = c.counts("drops")?;
                for row in 0..b.num_rows() {
                    let entry = per_sensor_day.entry((file.sensor.clone(), file.day)).or_default();
                    entry.0 += seconds[row];
                    entry.1 = entry.1.max(monitored[row]);
                    self.packets.add_count(packets[row]);
                    self.drops.add_count(drops[row]);
                    if drops[row] > 0 {
                        self.drop_days.insert(file.day);
                    }
                    if seconds[row] > 0.0 || packets[row] > 0 {
                        self.data_days.insert(file.day);
                    }
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
        self.observed_days = self.data_days.len() as u64;
        self.monitored = tallied(monitored.values().copied());
        Ok(by_day)
    }

    /// Sources and (source, port) rows, joined per part on the source.
    fn load_sources(&mut self, store: &Path, period: Period, sensors: &[String], home: &str) -> Result<(), StoreError> {
        let port_files = files(store, "source_ports", period.from, period.to, sensors)?;
        let parts: Vec<(StoredFile, Option<&StoredFile>)> = files(store, "sources", period.from, period.to, sensors)?
            .into_iter()
            .map(|file| {
                let ports = port_files.iter().find(|p| p.day == file.day && p.stem == file.stem);
                (file, ports)
            })
            .collect();
        let mut acc = Accumulated::new(home);
        decode_in_order(
            &parts,
            |(file, ports)| PartRows::read(file, *ports),
            |part| {
                acc.add(part);
                Ok(())
            },
        )?;
        acc.finish(self);
        Ok(())
    }

    fn load_backscatter(&mut self, store: &Path, period: Period, sensors: &[String]) -> Result<(), StoreError> {
        for file in files(store, "backscatter", period.from, period.to, sensors)? {
            batches(&file.path, &["victim_proto", "victim_port", "country", "packets"], |b| {
                let c = Columns::new(b, &file.path);
                let (proto, port, country, packets) =
                    (c.strings("victim_proto")?, c.u16s("victim_port")?, c.strings("country")?, c.counts("packets")?);
                for (row, &n) in packets.iter().enumerate() {
                    self.backscatter_countries
                        .entry(country.get(row).unwrap_or("ZZ").to_string())
                        .or_default()
                        .add_count(n);
                    if port.is_valid(row) {
                        let key = PortKey::parse(proto.get(row), port.value(row));
                        self.backscatter_ports.entry(key).or_default().add_count(n);
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    pub(super) fn load_hourly(&mut self, store: &Path, period: Period, sensors: &[String]) -> Result<(), StoreError> {
        let hourly = files(store, "ports_hourly", period.from, period.to, sensors)?;
        decode_in_order(&hourly, HourlyFile::read, |sum| {
            let daily = self.daily_ports.entry(sum.day).or_default();
            for (key, n) in sum.ports {
                daily.entry(key).or_default().add_count(n);
            }
            let m = self.monthly.entry(month(sum.day)).or_default();
            m.well_known.add_count(sum.well_known);
            m.other.add_count(sum.other);
            Ok(())
        })
    }
}
