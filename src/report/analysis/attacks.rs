//! Section 11, "DoS victims": the period's stored DoS attacks (the
//! `attacks` table, by the day each attack started): how many, on how many
//! victims, the top victims with their countries, attacked protocols and
//! ports, durations and peaks, the victims' countries, and attacks per day.
//! A victim's ports are its top victim ports in the period's `backscatter`
//! table (the attacks table keeps only how many there were).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use arrow_array::Array;
use serde::Serialize;

use super::AddCount;
use super::period::Period;
use crate::store::StoreError;
use crate::store::read::{Columns, batches, files};
use crate::time::Timestamp;

/// Victim ports listed per top victim.
const PORTS_PER_VICTIM: usize = 3;

#[derive(Clone, Debug, Default, Serialize)]
pub struct DosVictims {
    pub attacks: u64,
    pub victims: u64,
    /// Backscatter packets of the attacks.
    pub packets: u64,
    /// The detection profiles of the stored attacks (`rsdos`, `moore`).
    pub profiles: Vec<String>,
    pub top_victims: Vec<VictimRow>,
    pub countries: Vec<CountryRow>,
    pub per_day: Vec<DayRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VictimRow {
    pub victim: String,
    pub country: String,
    pub attacks: u64,
    pub packets: u64,
    pub bytes: u64,
    /// Attacked protocols (`tcp`, `udp`, `icmp`, …).
    pub protos: Vec<String>,
    /// The victim's busiest services in the period's backscatter.
    pub ports: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub longest_secs: f64,
    pub peak_packets_per_minute: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CountryRow {
    pub country: String,
    pub attacks: u64,
    pub victims: u64,
    pub packets: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DayRow {
    pub day: String,
    pub attacks: u64,
    pub victims: u64,
    pub packets: u64,
}

/// One victim's attacks, summed.
#[derive(Default)]
struct Victim {
    country: String,
    attacks: u64,
    packets: u64,
    bytes: u64,
    protos: BTreeSet<String>,
    first: i64,
    last: i64,
    longest: f64,
    peak: u64,
}

const COLUMNS: [&str; 9] =
    ["victim", "proto", "country", "first_seen", "last_seen", "duration_secs", "packets", "bytes", "profile"];

/// Section 11 for `period` (attacks that started in it), `top` victims.
pub fn load(store: &Path, period: Period, sensors: &[String], top: usize) -> Result<DosVictims, StoreError> {
    let mut victims: HashMap<String, Victim> = HashMap::new();
    let mut profiles = BTreeSet::new();
    let mut days: BTreeMap<String, (u64, BTreeSet<String>, u64)> = BTreeMap::new();
    let mut out = DosVictims::default();
    for file in files(store, "attacks", period.from, period.to, sensors)? {
        let day = days.entry(file.day.to_string()).or_default();
        let columns: Vec<&str> = COLUMNS.iter().copied().chain(["peak_packets_per_minute"]).collect();
        batches(&file.path, &columns, |b| {
            let c = Columns::new(b, &file.path);
            let (victim, proto, country) = (c.strings("victim")?, c.strings("proto")?, c.strings("country")?);
            let (first, last, secs) =
                (c.timestamps("first_seen")?, c.timestamps("last_seen")?, c.f64s("duration_secs")?);
            let (packets, bytes, peak) =
                (c.counts("packets")?, c.counts("bytes")?, c.counts("peak_packets_per_minute")?);
            let profile = c.strings("profile")?;
            for row in 0..b.num_rows() {
                let name = victim.get(row).unwrap_or("").to_string();
                let v = victims.entry(name.clone()).or_insert_with(|| Victim {
                    first: i64::MAX,
                    last: i64::MIN,
                    ..Victim::default()
                });
                v.country = country.get(row).unwrap_or("ZZ").to_string();
                v.attacks += 1;
                v.packets.add_count(packets[row]);
                v.bytes.add_count(bytes[row]);
                v.protos.insert(proto.get(row).unwrap_or("").to_string());
                v.first = v.first.min(first[row]);
                v.last = v.last.max(last[row]);
                v.longest = v.longest.max(secs[row]);
                v.peak = v.peak.max(peak[row]);
                profiles.insert(profile.get(row).unwrap_or("").to_string());
                day.0 += 1;
                day.1.insert(name);
                day.2.add_count(packets[row]);
                out.attacks += 1;
                out.packets.add_count(packets[row]);
            }
            Ok(())
        })?;
    }
    out.victims = victims.len() as u64;
    out.profiles = profiles.into_iter().collect();
    out.per_day = days
        .into_iter()
        .filter(|(_, d)| d.0 > 0)
        .map(|(day, (attacks, v, packets))| DayRow { day, attacks, victims: v.len() as u64, packets })
        .collect();
    let mut countries: BTreeMap<String, CountryRow> = BTreeMap::new();
    for v in victims.values() {
        let row = countries.entry(v.country.clone()).or_insert_with(|| CountryRow {
            country: v.country.clone(),
            attacks: 0,
            victims: 0,
            packets: 0,
        });
        row.attacks.add_count(v.attacks);
        row.victims += 1;
        row.packets.add_count(v.packets);
    }
    out.countries = countries.into_values().collect();
    out.countries.sort_by(|a, b| b.packets.cmp(&a.packets).then_with(|| a.country.cmp(&b.country)));
    out.countries.truncate(top);
    let mut ranked: Vec<(String, Victim)> = victims.into_iter().collect();
    ranked.sort_by(|a, b| b.1.packets.cmp(&a.1.packets).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(top);
    let ports = victim_ports(store, period, sensors, &ranked)?;
    out.top_victims = ranked
        .into_iter()
        .map(|(victim, v)| VictimRow {
            ports: ports.get(&victim).cloned().unwrap_or_default(),
            victim,
            country: v.country,
            attacks: v.attacks,
            packets: v.packets,
            bytes: v.bytes,
            protos: v.protos.into_iter().collect(),
            first_seen: Timestamp(v.first).utc_seconds(),
            last_seen: Timestamp(v.last).utc_seconds(),
            longest_secs: v.longest,
            peak_packets_per_minute: v.peak,
        })
        .collect();
    Ok(out)
}

/// The top victims' busiest victim ports (`tcp/443`) in the period's
/// backscatter, by packets, ties by key.
fn victim_ports(
    store: &Path,
    period: Period,
    sensors: &[String],
    top: &[(String, Victim)],
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let wanted: BTreeSet<&str> = top.iter().map(|(v, _)| v.as_str()).collect();
    let mut counts: HashMap<String, BTreeMap<String, u64>> = HashMap::new();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    for file in files(store, "backscatter", period.from, period.to, sensors)? {
        batches(&file.path, &["victim", "victim_proto", "victim_port", "packets"], |b| {
            let c = Columns::new(b, &file.path);
            let (victim, proto, port, packets) =
                (c.strings("victim")?, c.strings("victim_proto")?, c.u16s("victim_port")?, c.counts("packets")?);
            for (row, &n) in packets.iter().enumerate() {
                let Some(v) = victim.get(row).filter(|v| wanted.contains(v)) else {
                    continue;
                };
                if port.is_valid(row) {
                    let key = format!("{}/{}", proto.get(row).unwrap_or("tcp"), port.value(row));
                    counts.entry(v.to_string()).or_default().entry(key).or_default().add_count(n);
                }
            }
            Ok(())
        })?;
    }
    Ok(counts
        .into_iter()
        .map(|(victim, ports)| {
            let mut ports: Vec<(String, u64)> = ports.into_iter().collect();
            ports.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (victim, ports.into_iter().take(PORTS_PER_VICTIM).map(|(k, _)| k).collect())
        })
        .collect())
}
