//! Section 13, "Scanners": the period's stored scan events (the `scans`
//! table, by the day each event started): how many, from how many
//! sources, the top scanners with their ports, tools and research-list
//! organisation, the tools' shares, research-list against unknown
//! scanners, events per traffic type and per day; and, per day, the
//! sources that touched ≥ 100 distinct destination ports (the NPA's
//! wide-range scanners) and > 10 (JPCERT's), from the `source_ports` rows
//! of every part of the day (see [`super::period::PeriodStats::port_spread`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;

use super::AddCount;
use super::period::{Period, PeriodStats};
use crate::store::StoreError;
use crate::store::read::{Columns, batches, files};
use crate::time::Timestamp;

/// Ports listed per top scanner.
const PORTS_PER_SCANNER: usize = 3;

#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanEvents {
    pub events: u64,
    pub sources: u64,
    /// Probe packets of the events.
    pub packets: u64,
    pub top_scanners: Vec<ScannerRow>,
    /// Events by tool label ("none" for events without one), by packets.
    pub tools: Vec<GroupRow>,
    /// Events of sources in the research-scanner list, and of the others.
    pub research: GroupRow,
    pub unknown: GroupRow,
    /// By traffic type (`tcp_syn`, `tcp_other`, `udp`, `icmp`).
    pub types: Vec<GroupRow>,
    pub per_day: Vec<DayRow>,
    /// Per day that holds data: sources with ≥ 100 and with > 10 distinct
    /// destination ports that day.
    pub port_spread: Vec<SpreadRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScannerRow {
    pub source: String,
    pub country: String,
    /// The research-scanner list's organisation, if it lists the source.
    pub scanner: Option<String>,
    pub events: u64,
    pub packets: u64,
    /// The most distinct darknet addresses one of its events probed.
    pub max_darknet_addrs: u64,
    /// Its busiest scanned ports (`tcp/8088`, `icmp/8`), by packets.
    pub ports: Vec<String>,
    /// Its events' tool labels.
    pub tools: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct GroupRow {
    pub name: String,
    pub events: u64,
    pub sources: u64,
    pub packets: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DayRow {
    pub day: String,
    pub events: u64,
    pub sources: u64,
    pub packets: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SpreadRow {
    pub day: String,
    /// The NPA's wide-range scanners: ≥ 100 distinct ports.
    pub sources_100_ports: u64,
    /// JPCERT's: more than 10 distinct ports.
    pub sources_over_10_ports: u64,
}

/// One source's events, summed.
#[derive(Default)]
struct Scanner {
    country: String,
    scanner: Option<String>,
    events: u64,
    packets: u64,
    max_addrs: u64,
    ports: BTreeMap<String, u64>,
    tools: BTreeSet<String>,
    first: i64,
    last: i64,
}

/// Events, distinct sources and packets of one group.
#[derive(Default)]
struct Group {
    events: u64,
    sources: BTreeSet<String>,
    packets: u64,
}

impl Group {
    fn add(&mut self, source: &str, packets: u64) {
        self.events += 1;
        self.sources.insert(source.to_string());
        self.packets.add_count(packets);
    }

    fn row(self, name: &str) -> GroupRow {
        GroupRow {
            name: name.to_string(),
            events: self.events,
            sources: self.sources.len() as u64,
            packets: self.packets,
        }
    }
}

const COLUMNS: [&str; 11] = [
    "source",
    "scan_type",
    "proto",
    "port",
    "country",
    "scanner",
    "tool",
    "first_seen",
    "last_seen",
    "packets",
    "darknet_addrs",
];

/// Section 13 for `period` (events that started in it), `top` scanners.
pub fn load(
    store: &Path,
    period: Period,
    sensors: &[String],
    top: usize,
    stats: &PeriodStats,
) -> Result<ScanEvents, StoreError> {
    let mut scanners: HashMap<String, Scanner> = HashMap::new();
    let (mut tools, mut types): (BTreeMap<String, Group>, BTreeMap<String, Group>) = Default::default();
    let (mut research, mut unknown, mut all) = (Group::default(), Group::default(), Group::default());
    let mut days: BTreeMap<String, Group> = BTreeMap::new();
    for file in files(store, "scans", period.from, period.to, sensors)? {
        let day = days.entry(file.day.to_string()).or_default();
        batches(&file.path, &COLUMNS, |b| {
            let c = Columns::new(b, &file.path);
            let (source, kind, proto, port) =
                (c.strings("source")?, c.strings("scan_type")?, c.strings("proto")?, c.u16s("port")?);
            let (country, list, tool) = (c.strings("country")?, c.strings("scanner")?, c.strings("tool")?);
            let (first, last) = (c.timestamps("first_seen")?, c.timestamps("last_seen")?);
            let (packets, addrs) = (c.counts("packets")?, c.u32s("darknet_addrs")?);
            for row in 0..b.num_rows() {
                let name = source.get(row).unwrap_or("");
                let n = packets[row];
                let s = scanners.entry(name.to_string()).or_insert_with(|| Scanner {
                    first: i64::MAX,
                    last: i64::MIN,
                    ..Scanner::default()
                });
                s.country = country.get(row).unwrap_or("ZZ").to_string();
                s.scanner = list.get(row).map(str::to_string);
                s.events += 1;
                s.packets.add_count(n);
                s.max_addrs = s.max_addrs.max(u64::from(addrs[row]));
                let key = format!("{}/{}", proto.get(row).unwrap_or(""), port.value(row));
                s.ports.entry(key).or_default().add_count(n);
                let label = tool.get(row).unwrap_or("none");
                if tool.get(row).is_some() {
                    s.tools.insert(label.to_string());
                }
                s.first = s.first.min(first[row]);
                s.last = s.last.max(last[row]);
                tools.entry(label.to_string()).or_default().add(name, n);
                types.entry(kind.get(row).unwrap_or("").to_string()).or_default().add(name, n);
                if list.get(row).is_some() { &mut research } else { &mut unknown }.add(name, n);
                day.add(name, n);
                all.add(name, n);
            }
            Ok(())
        })?;
    }
    let mut tools: Vec<GroupRow> = tools.into_iter().map(|(name, g)| g.row(&name)).collect();
    tools.sort_by(|a, b| b.packets.cmp(&a.packets).then_with(|| a.name.cmp(&b.name)));
    let mut ranked: Vec<(String, Scanner)> = scanners.into_iter().collect();
    ranked.sort_by(|a, b| b.1.packets.cmp(&a.1.packets).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(top);
    let all = all.row("all");
    Ok(ScanEvents {
        events: all.events,
        sources: all.sources,
        packets: all.packets,
        top_scanners: ranked.into_iter().map(|(source, s)| scanner_row(source, s)).collect(),
        tools,
        research: research.row("research list"),
        unknown: unknown.row("not listed"),
        types: types.into_iter().map(|(name, g)| g.row(&name)).collect(),
        per_day: days
            .into_iter()
            .filter(|(_, g)| g.events > 0)
            .map(|(day, g)| {
                let g = g.row("");
                DayRow { day, events: g.events, sources: g.sources, packets: g.packets }
            })
            .collect(),
        port_spread: stats
            .port_spread
            .iter()
            .map(|(day, &(wide, over_10))| SpreadRow {
                day: day.to_string(),
                sources_100_ports: wide,
                sources_over_10_ports: over_10,
            })
            .collect(),
    })
}

fn scanner_row(source: String, s: Scanner) -> ScannerRow {
    let mut ports: Vec<(String, u64)> = s.ports.into_iter().collect();
    ports.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ScannerRow {
        source,
        country: s.country,
        scanner: s.scanner,
        events: s.events,
        packets: s.packets,
        max_darknet_addrs: s.max_addrs,
        ports: ports.into_iter().take(PORTS_PER_SCANNER).map(|(k, _)| k).collect(),
        tools: s.tools.into_iter().collect(),
        first_seen: Timestamp(s.first).utc_seconds(),
        last_seen: Timestamp(s.last).utc_seconds(),
    }
}
