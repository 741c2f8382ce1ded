//! The per-source tables of a report period: `sources` and `source_ports`,
//! read part by part on all cores and joined on the source inside each
//! part, then accumulated in part order on one thread.
//!
//! Every source gets a number the first time it is seen; exact unique-source
//! counts per port, per country and per scanner organisation come from
//! sorting (key, source number, scanner bit) words, so they hold over any
//! number of days, sensors and parts. The scanner bit (set for rows tagged
//! by the research-scanner list) sorts after the untagged row of the same
//! (key, source), so one pass counts the sources with and without scanners.

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::Array;

use super::AddCount;
use super::distinct::{Distinct, distinct, flagged};
use super::join::{Join, Texts};
use super::period::{PeriodStats, PortKey, Tally};
use crate::store::StoreError;
use crate::store::read::{Columns, StoredFile, batches, parse_addr};
use crate::time::Day;

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

/// Distinct destination ports in a day that make a wide-range scanner
/// (the NPA's ≥ 100) and JPCERT's heuristic (more than 10).
const NPA_WIDE_PORTS: usize = 100;
const JPCERT_PORTS: usize = 10;

/// Bits of a port index.
const PORT_INDEX_BITS: u32 = 17;

/// A destination port as 17 bits: the port, and bit 16 for UDP.
fn port_index(key: PortKey) -> u32 {
    u32::from(key.port) | if key.udp { 1 << 16 } else { 0 }
}

fn port_of_index(i: u32) -> PortKey {
    PortKey { udp: i >> 16 != 0, port: i as u16 }
}

/// One part's rows, decoded by a worker. Strings (countries, scanner
/// organisations) are numbered per part in `names` (32-bit numbers, found
/// by hashing: a scanner list may name 65,536 organisations, and a part
/// has its countries besides).
pub struct PartRows {
    day: Day,
    names: Vec<String>,
    numbers: FastMap<String, u32>,
    /// (address, packets, country name, scanner organisation name or
    /// [`NO_NAME`], origin AS name `AS…` or [`NO_NAME`]).
    sources: Vec<(u128, u64, u32, u32, u32)>,
    /// (row in `sources`, port index, packets).
    ports: Vec<(u32, u32, u64)>,
}

/// No scanner organisation.
const NO_NAME: u32 = u32::MAX;

impl PartRows {
    fn name(&mut self, text: &str) -> u32 {
        if let Some(&n) = self.numbers.get(text) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(text.to_string());
        self.numbers.insert(text.to_string(), n);
        n
    }

    /// Reads a part's `sources` file and, when the part has one, its
    /// `source_ports` file.
    pub fn read(sources: &StoredFile, ports: Option<&StoredFile>) -> Result<PartRows, StoreError> {
        let mut part = PartRows {
            day: sources.day,
            names: Vec::new(),
            numbers: FastMap::default(),
            sources: Vec::new(),
            ports: Vec::new(),
        };
        // Source texts in row order, for the join below.
        let mut texts = Texts::default();
        // AS number → name number (`AS13335`, named once per part).
        let mut asn_names: FastMap<u32, u32> = FastMap::default();
        batches(&sources.path, &["source", "packets", "country", "scanner", "asn"], |b| {
            let c = Columns::new(b, &sources.path);
            let (source, packets, country, scanner) =
                (c.strings("source")?, c.counts("packets")?, c.strings("country")?, c.strings("scanner")?);
            let asn = c.u32s_if_any("asn")?;
            // Dictionary columns repeat a few names: number each once per batch.
            let mut last_country: Option<(&str, u32)> = None;
            for (row, &n) in packets.iter().enumerate() {
                let text = source.get(row).unwrap_or_default();
                let addr = parse_addr(text).ok_or_else(|| no_address(&sources.path, text))?;
                let cc = country.get(row).unwrap_or("ZZ");
                let cc = match last_country {
                    Some((name, i)) if name == cc => i,
                    _ => {
                        let i = part.name(cc);
                        last_country = Some((cc, i));
                        i
                    }
                };
                let org = scanner.get(row).map_or(NO_NAME, |org| part.name(org));
                let asn = asn.filter(|a| a.is_valid(row)).map(|a| a.value(row));
                let asn = asn.map_or(NO_NAME, |n| *asn_names.entry(n).or_insert_with(|| part.name(&format!("AS{n}"))));
                part.sources.push((addr.0, n, cc, org, asn));
                texts.push(text);
            }
            Ok(())
        })?;
        if let Some(ports) = ports {
            part.join_ports(ports, &texts)?;
        }
        Ok(part)
    }

    /// Reads `source_ports` rows and finds each row's source. darkscope
    /// writes both tables in the same source order, so a forward walk finds
    /// them without hashing; a part written otherwise falls back to a map.
    fn join_ports(&mut self, file: &StoredFile, texts: &Texts) -> Result<(), StoreError> {
        let mut join = Join::new(texts);
        batches(&file.path, &["source", "proto", "port", "packets"], |b| {
            let c = Columns::new(b, &file.path);
            let (source, proto, port, packets) =
                (c.strings("source")?, c.strings("proto")?, c.u16s("port")?, c.counts("packets")?);
            for (row, &n) in packets.iter().enumerate() {
                let text = source.get(row).unwrap_or_default();
                let found = join.find(text).ok_or_else(|| StoreError::Schema {
                    path: file.path.clone(),
                    column: "source".into(),
                    problem: format!("has {text} that its part's sources table lacks"),
                })?;
                let key = port_index(PortKey { udp: proto.get(row) == Some("udp"), port: port.value(row) });
                self.ports.push((found, key, n));
            }
            Ok(())
        })
    }
}

fn no_address(path: &Path, text: &str) -> StoreError {
    StoreError::Schema {
        path: path.to_path_buf(),
        column: "source".into(),
        problem: format!("holds {text:?}, which is no IP address"),
    }
}

/// What the parts add up to, keyed by numbers; turned into the named
/// tables of [`PeriodStats`] by [`Accumulated::finish`].
#[derive(Default)]
pub struct Accumulated {
    /// IPv6 sources by number (an IPv4 source is its own number).
    v6_numbers: FastMap<u128, u32>,
    /// Every source row's source; the day being read and its sources when
    /// several parts hold that day.
    all_sources: Vec<u64>,
    day: Option<(Day, usize)>,
    day_sources: u64,
    day_words: Vec<u64>,
    /// The day's (source, port index) words, and per day the sources with
    /// ≥ 100 and > 10 distinct ports (see [`PeriodStats::port_spread`]).
    day_port_words: Vec<u64>,
    port_spread: BTreeMap<Day, (u64, u64)>,
    /// Country and organisation names, numbered for the whole period.
    names: Vec<String>,
    name_numbers: FastMap<String, u32>,
    /// By name number: (packets, packets without scanners).
    country_packets: FastMap<u32, (u64, u64)>,
    scanner_packets: FastMap<u32, u64>,
    /// By port index: (packets, packets without scanners).
    port_packets: FastMap<u32, (u64, u64)>,
    /// (port index, country name number) → packets.
    port_country: FastMap<(u32, u32), u64>,
    port_pairs: Vec<u64>,
    country_pairs: Vec<u64>,
    scanner_pairs: Vec<u64>,
    /// Origin ASes by name number: packets, (AS, source) words, and
    /// (port index, AS) → packets.
    asn_packets: FastMap<u32, u64>,
    asn_pairs: Vec<u64>,
    port_asn: FastMap<(u32, u32), u64>,
    /// The home country, and (address, port index) → packets of its sources.
    home: String,
    home_source_ports: FastMap<(u128, u32), u64>,
}

impl Accumulated {
    pub fn new(home: &str) -> Accumulated {
        Accumulated { home: home.to_string(), ..Accumulated::default() }
    }

    fn global_name(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.name_numbers.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_string());
        self.name_numbers.insert(name.to_string(), n);
        n
    }

    /// A source as [`super::distinct::SOURCE_BITS`] bits: an IPv4 address
    /// itself, an IPv6 address by number with bit 32 set.
    fn source(&mut self, addr: u128) -> u64 {
        match crate::decode::Addr(addr).as_v4() {
            Some(v4) => u64::from(v4),
            None => {
                let next = self.v6_numbers.len() as u32;
                (1 << 32) | u64::from(*self.v6_numbers.entry(addr).or_insert(next))
            }
        }
    }

    /// Counts the distinct sources of the day just read: the rows of its
    /// one part (a part lists each source once), or the distinct sources
    /// of its several parts.
    fn close_day(&mut self) {
        if let Some((day, parts)) = self.day.take() {
            let words = std::mem::take(&mut self.day_words);
            self.day_sources += if parts == 1 { words.len() as u64 } else { distinct(words) };
            let mut pairs = std::mem::take(&mut self.day_port_words);
            pairs.sort_unstable();
            if parts > 1 {
                pairs.dedup();
            }
            let spread = self.port_spread.entry(day).or_default();
            for source in pairs.chunk_by(|a, b| a >> PORT_INDEX_BITS == b >> PORT_INDEX_BITS) {
                spread.0 += u64::from(source.len() >= NPA_WIDE_PORTS);
                spread.1 += u64::from(source.len() > JPCERT_PORTS);
            }
            pairs.clear();
            self.day_port_words = pairs;
        }
    }

    /// Adds one part (parts must come in day order).
    pub fn add(&mut self, part: PartRows) {
        match &mut self.day {
            Some((day, parts)) if *day == part.day => *parts += 1,
            _ => {
                self.close_day();
                self.day = Some((part.day, 1));
            }
        }
        let names: Vec<u32> = part.names.iter().map(|n| self.global_name(n)).collect();
        let mut rows: Vec<(u64, u32, bool, Option<u32>)> = Vec::with_capacity(part.sources.len());
        for &(addr, packets, cc, org, asn) in &part.sources {
            let source = self.source(addr);
            self.all_sources.push(source);
            self.day_words.push(source);
            let (cc, scanner) = (names[cc as usize], org != NO_NAME);
            let c = self.country_packets.entry(cc).or_default();
            c.0.add_count(packets);
            if !scanner {
                c.1.add_count(packets);
            }
            self.country_pairs.push(flagged(cc, source, scanner));
            if let Some(&org) = names.get(org as usize) {
                self.scanner_packets.entry(org).or_default().add_count(packets);
                self.scanner_pairs.push(flagged(org, source, false));
            }
            let asn = names.get(asn as usize).copied();
            if let Some(asn) = asn {
                self.asn_packets.entry(asn).or_default().add_count(packets);
                self.asn_pairs.push(flagged(asn, source, false));
            }
            rows.push((source, cc, scanner, asn));
        }
        let home = self.name_numbers.get(self.home.as_str()).copied();
        for &(row, port, packets) in &part.ports {
            let (source, cc, scanner, asn) = rows[row as usize];
            if Some(cc) == home {
                self.home_source_ports.entry((part.sources[row as usize].0, port)).or_default().add_count(packets);
            }
            if let Some(asn) = asn {
                self.port_asn.entry((port, asn)).or_default().add_count(packets);
            }
            let p = self.port_packets.entry(port).or_default();
            p.0.add_count(packets);
            if !scanner {
                p.1.add_count(packets);
            }
            self.port_country.entry((port, cc)).or_default().add_count(packets);
            self.port_pairs.push(flagged(port, source, scanner));
            self.day_port_words.push(source << PORT_INDEX_BITS | u64::from(port));
        }
    }

    /// Fills the per-source tables of `stats`.
    pub fn finish(mut self, stats: &mut PeriodStats) {
        let home = std::mem::take(&mut self.home);
        for (&(addr, port), &n) in &self.home_source_ports {
            stats.home_source_ports.entry(addr).or_default().insert(port_of_index(port), n);
        }
        self.close_day();
        stats.port_spread = std::mem::take(&mut self.port_spread);
        if stats.observed_days > 0 {
            stats.sources_per_day = self.day_sources as f64 / stats.observed_days as f64;
        }
        // The two big sorts run side by side.
        let (all, port_pairs, country_pairs) = (
            std::mem::take(&mut self.all_sources),
            std::mem::take(&mut self.port_pairs),
            std::mem::take(&mut self.country_pairs),
        );
        let (unique, ports, countries) = std::thread::scope(|scope| {
            let ports = scope.spawn(|| Distinct::count(port_pairs));
            let unique = distinct(all);
            let countries = Distinct::count(country_pairs);
            (unique, ports.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), countries)
        });
        stats.unique_sources = unique;
        let tally = |packets: u64, sources: u64| Tally { packets, sources };
        for (&key, &(all, clean)) in &self.port_packets {
            let (sources, clean_sources) = ports.get(key);
            stats.ports.insert(port_of_index(key), tally(all, sources));
            if clean > 0 {
                stats.ports_clean.insert(port_of_index(key), tally(clean, clean_sources));
            }
        }
        for (&cc, &(all, clean)) in &self.country_packets {
            let (sources, clean_sources) = countries.get(cc);
            let name = &self.names[cc as usize];
            stats.countries.insert(name.clone(), tally(all, sources));
            if clean > 0 {
                stats.countries_clean.insert(name.clone(), tally(clean, clean_sources));
            }
        }
        let scanners = Distinct::count(std::mem::take(&mut self.scanner_pairs));
        for (&org, &packets) in &self.scanner_packets {
            stats.scanner_packets.add_count(packets);
            stats.scanners.insert(self.names[org as usize].clone(), tally(packets, scanners.get(org).0));
        }
        let asns = Distinct::count(std::mem::take(&mut self.asn_pairs));
        for (&asn, &packets) in &self.asn_packets {
            stats.asns.insert(self.names[asn as usize].clone(), tally(packets, asns.get(asn).0));
        }
        for (&(key, asn), &n) in &self.port_asn {
            let (port, asn) = (port_of_index(key), &self.names[asn as usize]);
            stats.asn_ports.entry(asn.clone()).or_default().insert(port, n);
            *stats.port_asns.entry(port).or_default() += 1;
        }
        for (&(key, cc), &n) in &self.port_country {
            let (port, country) = (port_of_index(key), &self.names[cc as usize]);
            stats.port_countries.entry(port).or_default().insert(country.clone(), n);
            stats.country_ports.entry(country.clone()).or_default().insert(port, n);
            if *country == home {
                stats.home_ports.insert(port, n);
            }
        }
    }
}
