//! The notification list for a national CERT: every source of the home
//! country (`--home-country`) seen in the period, with its origin AS,
//! packets, days, first and last seen, busiest destination ports, tool
//! labels and research-scanner tag, busiest first. The CSV report writes
//! it as `notification.csv`; the JSON report holds it as `notification`.
//! The sources' ports come from the period's statistics (the join of
//! `sources` and `source_ports` that the rankings read).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use arrow_array::Array;
use serde::Serialize;

use super::AddCount;
use super::period::{Period, PeriodStats, PortKey};
use crate::classify::asn::AsnDb;
use crate::store::StoreError;
use crate::store::read::{Columns, batches, files, parse_addr};
use crate::time::Timestamp;

/// Destination ports listed per source.
const PORTS_PER_SOURCE: usize = 5;

#[derive(Clone, Debug, Serialize)]
pub struct Notice {
    pub source: String,
    pub asn: Option<u32>,
    pub as_name: Option<String>,
    pub packets: u64,
    /// Days (of any sensor) the source was seen on.
    pub days: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// Its busiest destination ports (`tcp/23`).
    pub ports: Vec<String>,
    /// The tool labels of its days (DESIGN's fingerprints), if any.
    pub tools: Vec<String>,
    pub scanner: Option<String>,
}

#[derive(Default)]
struct Source {
    asn: Option<u32>,
    packets: u64,
    days: BTreeSet<crate::time::Day>,
    first: i64,
    last: i64,
    tools: BTreeSet<String>,
    scanner: Option<String>,
}

/// The home country's sources of `period`, whose statistics `stats` are;
/// `db` names their ASes.
pub fn notifications(
    store: &Path,
    period: Period,
    sensors: &[String],
    home: &str,
    stats: &PeriodStats,
    db: Option<&AsnDb>,
) -> Result<Vec<Notice>, StoreError> {
    let mut found: HashMap<String, Source> = HashMap::new();
    let columns = ["source", "country", "packets", "first_seen", "last_seen", "asn", "tool", "scanner"];
    for file in files(store, "sources", period.from, period.to, sensors)? {
        batches(&file.path, &columns, |b| {
            let c = Columns::new(b, &file.path);
            let (source, country, packets) = (c.strings("source")?, c.strings("country")?, c.counts("packets")?);
            let (first, last) = (c.timestamps("first_seen")?, c.timestamps("last_seen")?);
            let (asn, tool, scanner) = (c.u32s_if_any("asn")?, c.strings("tool")?, c.strings("scanner")?);
            for (row, &n) in packets.iter().enumerate() {
                if country.get(row) != Some(home) {
                    continue;
                }
                let s = found.entry(source.get(row).unwrap_or_default().to_string()).or_insert_with(|| Source {
                    first: i64::MAX,
                    last: i64::MIN,
                    ..Source::default()
                });
                s.packets.add_count(n);
                s.days.insert(file.day);
                s.first = s.first.min(first[row]);
                s.last = s.last.max(last[row]);
                if let Some(a) = asn.filter(|a| a.is_valid(row)) {
                    s.asn = Some(a.value(row));
                }
                s.tools.extend(tool.get(row).map(str::to_string));
                if let Some(org) = scanner.get(row) {
                    s.scanner = Some(org.to_string());
                }
            }
            Ok(())
        })?;
    }
    let mut list: Vec<Notice> = found
        .into_iter()
        .map(|(source, s)| {
            let by_port = parse_addr(&source).and_then(|a| stats.home_source_ports.get(&a.0));
            let mut ports: Vec<(PortKey, u64)> = by_port.into_iter().flatten().map(|(k, n)| (*k, *n)).collect();
            ports.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            Notice {
                as_name: s.asn.and_then(|a| db?.name(a)).map(str::to_string),
                source,
                asn: s.asn,
                packets: s.packets,
                days: s.days.len() as u64,
                first_seen: Timestamp(s.first).utc_seconds(),
                last_seen: Timestamp(s.last).utc_seconds(),
                ports: ports.into_iter().take(PORTS_PER_SOURCE).map(|(k, _)| k.to_string()).collect(),
                tools: s.tools.into_iter().collect(),
                scanner: s.scanner,
            }
        })
        .collect();
    list.sort_by(|a, b| b.packets.cmp(&a.packets).then_with(|| a.source.cmp(&b.source)));
    Ok(list)
}
