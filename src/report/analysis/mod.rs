//! `darkscope report`: the analyst report (schema `darkscope.report/1`)
//! over a period of the store, compared with a baseline period: totals,
//! destination-port and source-country rankings with their increase and
//! decrease rankings, well-known vs other ports per month, port shares
//! (all and home-country sources), countries of each top port and ports of
//! each top country, backscatter by victim port and country, and the daily
//! series of the top ports, what changed against the store's trailing
//! days ([`changes`]), the DoS attacks' victims ([`attacks`]), the
//! sources' origin ASes ([`networks`]) and the scan events ([`scans`]); and the home country's sources as a
//! notification list ([`notify`]). The same store and options always give the
//! same report (ties broken by key, no run time inside). This is the
//! numbers only: [`super::render`] makes them Markdown, HTML, CSV or the
//! capture daemon's status page.

pub mod attacks;
pub mod changes;
mod distinct;
mod hourly;
pub mod intrusions;
mod join;
pub mod networks;
pub mod notify;
pub mod period;
pub mod ranking;
pub mod scans;
mod sources;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

use crate::store::StoreError;
use crate::store::read::files;
use crate::time::Day;
pub use hourly::hourly_ports;
use period::{Period, PeriodStats, PortKey};
use ranking::{Baseline, Compared, Counts, Row, Scale, breakdown, compare};

/// Adding up stored counts. The store's reader bounds each one
/// ([`crate::store::read::MAX_COUNT`]), but a damaged store can hold enough
/// rows to pass 2^64 in a sum: the sum then stays at `u64::MAX`, never
/// wrapping round to a small number nor panicking.
pub(crate) trait AddCount {
    fn add_count(&mut self, n: u64);
}

impl AddCount for u64 {
    fn add_count(&mut self, n: u64) {
        *self = self.saturating_add(n);
    }
}

/// The sum of stored counts (saturating, as [`AddCount`]).
pub(crate) fn tallied(counts: impl IntoIterator<Item = u64>) -> u64 {
    counts.into_iter().fold(0, u64::saturating_add)
}

#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// `None`: every stored day.
    pub period: Option<Period>,
    /// `None`: the equally long period just before, when stored.
    pub baseline: Option<Period>,
    pub top: usize,
    pub home_country: String,
    pub min_baseline: u64,
    pub sensors: Vec<String>,
    /// Judge the period against the store's trailing days (section 10;
    /// reads [`changes::HISTORY_DAYS`] more days).
    pub changes: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub period: Span,
    pub baseline: Option<Span>,
    /// The offset from UTC the store's days begin at (`+00:00`, `+09:00`).
    pub day_offset: String,
    /// The sensors asked for (empty: all).
    pub sensors: Vec<String>,
    pub top: usize,
    pub home_country: String,
    pub min_baseline: u64,
    pub totals: Totals,
    pub baseline_totals: Option<Totals>,
    pub tables: Tables,
    /// Section 10: the period against the store's trailing days (when
    /// asked for).
    pub changes: Option<changes::Changes>,
    /// Section 11: the period's DoS attacks.
    pub dos_victims: attacks::DosVictims,
    /// Section 12: the sources' origin ASes.
    pub networks: networks::Networks,
    /// Section 13: the period's scan events.
    pub scan_events: scans::ScanEvents,
    /// Section 14: the period's IDS alerts by attack method and country.
    pub intrusions: intrusions::Intrusions,
    /// The home country's sources, for a national CERT (JSON and CSV only).
    pub notification: Vec<notify::Notice>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Span {
    pub from: String,
    pub to: String,
    pub days: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    pub packets: u64,
    pub observed_days: u64,
    pub covered_days: f64,
    pub monitored_addresses: u64,
    pub address_days: f64,
    pub per_ip_day: Option<f64>,
    /// NICTER's "one packet every N seconds per address".
    pub seconds_between_packets_per_address: Option<f64>,
    pub unique_sources: u64,
    pub unique_sources_per_day: f64,
    /// Share of the packets sent by sources the research-scanner list tags.
    pub research_scanner_share: Option<f64>,
    /// Packets live captures dropped (libpcap's ps_drop + ps_ifdrop), and
    /// the days they did: those days' counts are short by as much.
    pub capture_drops: u64,
    pub days_with_drops: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MonthRow {
    pub month: String,
    pub well_known_packets: u64,
    pub other_packets: u64,
    pub well_known_per_ip_day: Option<f64>,
    pub other_per_ip_day: Option<f64>,
    pub well_known_share: Option<f64>,
}

/// One key's breakdown (a port's countries, a country's ports).
#[derive(Clone, Debug, Serialize)]
pub struct Breakdown {
    pub key: String,
    pub packets: u64,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DailyRow {
    pub day: String,
    /// Packets of each of the period's top ports.
    pub ports: BTreeMap<String, u64>,
}

/// One month's packets per day per address of each of the top ports (the
/// NPA's monthly chart).
#[derive(Clone, Debug, Serialize)]
pub struct MonthPorts {
    pub month: String,
    pub ports: BTreeMap<String, Option<f64>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tables {
    pub ports: Vec<Row>,
    pub ports_increase: Vec<Row>,
    pub ports_decrease: Vec<Row>,
    pub well_known_monthly: Vec<MonthRow>,
    pub port_shares: Vec<Row>,
    pub port_shares_home: Vec<Row>,
    pub port_countries: Vec<Breakdown>,
    pub countries: Vec<Row>,
    pub countries_increase: Vec<Row>,
    pub countries_decrease: Vec<Row>,
    pub country_ports: Vec<Breakdown>,
    pub backscatter_ports: Vec<Row>,
    pub backscatter_countries: Vec<Row>,
    /// Section 8: the rankings again without the sources the research-scanner
    /// list tags, and the tagged organisations.
    pub ports_no_scanners: Vec<Row>,
    pub ports_no_scanners_increase: Vec<Row>,
    pub ports_no_scanners_decrease: Vec<Row>,
    pub countries_no_scanners: Vec<Row>,
    pub countries_no_scanners_increase: Vec<Row>,
    pub countries_no_scanners_decrease: Vec<Row>,
    pub scanners: Vec<Row>,
    /// Section 9's series: daily packets of the top ports, their monthly
    /// rates, and the country shares (top countries and the rest).
    pub daily_ports: Vec<DailyRow>,
    pub monthly_ports: Vec<MonthPorts>,
    pub country_shares: Vec<Row>,
}

/// The first and last day with coverage in the store.
pub fn stored_days(store: &Path, sensors: &[String]) -> Result<Option<Period>, StoreError> {
    let all = files(store, "coverage", Day(i32::MIN), Day(i32::MAX), sensors)?;
    Ok(all.first().zip(all.last()).map(|(a, b)| Period { from: a.day, to: b.day }))
}

impl Totals {
    fn of(s: &PeriodStats) -> Totals {
        let per_ip_day = (s.address_days > 0.0).then(|| s.packets as f64 / s.address_days);
        Totals {
            packets: s.packets,
            observed_days: s.observed_days,
            covered_days: s.covered_days,
            monitored_addresses: s.monitored,
            address_days: s.address_days,
            per_ip_day,
            seconds_between_packets_per_address: per_ip_day.filter(|&r| r > 0.0).map(|r| 86_400.0 / r),
            unique_sources: s.unique_sources,
            unique_sources_per_day: s.sources_per_day,
            research_scanner_share: (s.packets > 0).then(|| s.scanner_packets as f64 / s.packets as f64),
            capture_drops: s.drops,
            days_with_drops: s.drop_days.iter().map(Day::to_string).collect(),
        }
    }
}

fn scale(s: &PeriodStats) -> Scale {
    Scale { address_days: s.address_days, covered_days: s.covered_days, total_packets: s.packets }
}

/// One ranking of the period against the baseline's, `counts` picking the
/// table from each period's statistics.
fn ranked<K: Ord + Clone + std::hash::Hash + std::fmt::Display>(
    now: &PeriodStats,
    before: Option<&PeriodStats>,
    counts: impl Fn(&PeriodStats) -> Counts<K>,
    opts: &ReportOptions,
) -> Compared {
    let base = before.map(|b| (counts(b), scale(b)));
    let baseline = base.as_ref().map(|(c, s)| Baseline { counts: c, scale: *s, min_packets: opts.min_baseline });
    compare(&counts(now), scale(now), baseline, opts.top)
}

fn tallies<K: Clone + Eq + std::hash::Hash>(m: &HashMap<K, period::Tally>) -> Counts<K> {
    m.iter().map(|(k, t)| (k.clone(), (t.packets, Some(t.sources)))).collect()
}

fn plain<K: Clone + Eq + std::hash::Hash>(m: &HashMap<K, u64>) -> Counts<K> {
    m.iter().map(|(k, &p)| (k.clone(), (p, None))).collect()
}

/// The top rows by packets plus an "other" row holding the rest; shares
/// are of all the counts, so they add up to one.
pub(super) fn shares<K: Ord + Clone + std::hash::Hash + std::fmt::Display>(
    counts: &HashMap<K, u64>,
    top: usize,
) -> Vec<Row> {
    let total = tallied(counts.values().copied());
    let mut rows = breakdown(counts, total, top);
    let rest = total.saturating_sub(tallied(rows.iter().map(|r| r.packets)));
    if rest > 0 {
        rows.push(Row {
            rank: rows.len() + 1,
            prev_rank: None,
            key: "other".into(),
            packets: rest,
            per_ip_day: None,
            prev_per_ip_day: None,
            change_pct: None,
            change_abs: None,
            sources: None,
            share: Some(rest as f64 / total as f64),
            per_day: None,
        });
    }
    rows
}

/// The report's period (`--period`, else every stored day) and baseline
/// (`--baseline`, else the equally long period just before, when the
/// store holds any of it); `None` when the store holds no day.
pub fn periods(store: &Path, opts: &ReportOptions) -> Result<Option<(Period, Option<Period>)>, StoreError> {
    let Some(period) = opts.period.or(stored_days(store, &opts.sensors)?) else {
        return Ok(None);
    };
    let baseline = match opts.baseline {
        Some(b) => Some(b),
        None => {
            let days = period.days() as i32;
            let before = Period { from: Day(period.from.0 - days), to: Day(period.from.0 - 1) };
            let stored = !files(store, "coverage", before.from, before.to, &opts.sensors)?.is_empty();
            stored.then_some(before)
        }
    };
    Ok(Some((period, baseline)))
}

pub fn build(store: &Path, opts: &ReportOptions) -> Result<Option<Report>, StoreError> {
    let Some((period, baseline)) = periods(store, opts)? else {
        return Ok(None);
    };
    let home = opts.home_country.as_str();
    let now = PeriodStats::load(store, period, &opts.sensors, home)?;
    let before = match baseline {
        Some(b) => Some(PeriodStats::load(store, b, &opts.sensors, home)?),
        None => None,
    };
    let top = opts.top;

    let ports = ranked(&now, before.as_ref(), |s| tallies(&s.ports), opts);
    let countries = ranked(&now, before.as_ref(), |s| tallies(&s.countries), opts);
    let bs_ports = ranked(&now, before.as_ref(), |s| plain(&s.backscatter_ports), opts);
    let bs_countries = ranked(&now, before.as_ref(), |s| plain(&s.backscatter_countries), opts);
    let ports_clean = ranked(&now, before.as_ref(), |s| tallies(&s.ports_clean), opts);
    let countries_clean = ranked(&now, before.as_ref(), |s| tallies(&s.countries_clean), opts);
    let scanners = compare(&tallies(&now.scanners), scale(&now), None, top).ranking;

    let port_totals: HashMap<PortKey, u64> = now.ports.iter().map(|(k, t)| (*k, t.packets)).collect();
    let top_ports: Vec<PortKey> = ports.ranking.iter().filter_map(|r| parse_port(&r.key)).collect();
    let port_countries = top_ports
        .iter()
        .map(|k| {
            let parts = now.port_countries.get(k).cloned().unwrap_or_default();
            let packets = port_totals.get(k).copied().unwrap_or(0);
            Breakdown { key: k.to_string(), packets, rows: breakdown(&parts, packets, top) }
        })
        .collect();
    let country_ports = countries
        .ranking
        .iter()
        .map(|r| {
            let parts = now.country_ports.get(&r.key).cloned().unwrap_or_default();
            Breakdown { key: r.key.clone(), packets: r.packets, rows: breakdown(&parts, r.packets, top) }
        })
        .collect();
    let well_known_monthly = now
        .monthly
        .iter()
        .map(|(month, m)| {
            let rate = |p: u64| (m.address_days > 0.0).then(|| p as f64 / m.address_days);
            let all = m.well_known + m.other;
            MonthRow {
                month: month.clone(),
                well_known_packets: m.well_known,
                other_packets: m.other,
                well_known_per_ip_day: rate(m.well_known),
                other_per_ip_day: rate(m.other),
                well_known_share: (all > 0).then(|| m.well_known as f64 / all as f64),
            }
        })
        .collect();
    // Every day that holds data has a row, 0 for a port it has no packet of.
    let no_ports = HashMap::new();
    let days: std::collections::BTreeSet<Day> = now.data_days.iter().chain(now.daily_ports.keys()).copied().collect();
    let daily_ports: Vec<DailyRow> = days
        .into_iter()
        .map(|day| {
            let counts = now.daily_ports.get(&day).unwrap_or(&no_ports);
            DailyRow {
                day: day.to_string(),
                ports: top_ports.iter().map(|k| (k.to_string(), counts.get(k).copied().unwrap_or(0))).collect(),
            }
        })
        .collect();
    let monthly_ports = monthly_rates(&daily_ports, &now);
    let country_totals: HashMap<String, u64> = now.countries.iter().map(|(k, t)| (k.clone(), t.packets)).collect();
    let changes = match opts.changes {
        true => Some(changes::what_changed(store, period, &opts.sensors, &now, opts.min_baseline)?),
        false => None,
    };

    let dos_victims = attacks::load(store, period, &opts.sensors, top)?;
    let scan_events = scans::load(store, period, &opts.sensors, top, &now)?;
    // AS names; the sections go without them if the bundled table fails.
    let asn_db = crate::classify::asn::AsnDb::bundled_once();
    let networks = networks::networks(&now, before.as_ref(), &ports.ranking, opts, asn_db);
    let notification = notify::notifications(store, period, &opts.sensors, home, &now, asn_db)?;
    let intrusions = intrusions::load(store, (period, baseline), (&now, before.as_ref()), opts)?;

    let span = |p: Period| Span { from: p.from.to_string(), to: p.to.to_string(), days: p.days() };
    Ok(Some(Report {
        schema: "darkscope.report/1",
        period: span(period),
        baseline: baseline.map(span),
        day_offset: crate::time::day_offset().to_string(),
        sensors: opts.sensors.clone(),
        top,
        home_country: opts.home_country.clone(),
        min_baseline: opts.min_baseline,
        totals: Totals::of(&now),
        baseline_totals: before.as_ref().map(Totals::of),
        tables: Tables {
            ports: ports.ranking,
            ports_increase: ports.increase,
            ports_decrease: ports.decrease,
            well_known_monthly,
            port_shares: shares(&port_totals, top),
            port_shares_home: shares(&now.home_ports, top),
            port_countries,
            countries: countries.ranking,
            countries_increase: countries.increase,
            countries_decrease: countries.decrease,
            country_ports,
            backscatter_ports: bs_ports.ranking,
            backscatter_countries: bs_countries.ranking,
            ports_no_scanners: ports_clean.ranking,
            ports_no_scanners_increase: ports_clean.increase,
            ports_no_scanners_decrease: ports_clean.decrease,
            countries_no_scanners: countries_clean.ranking,
            countries_no_scanners_increase: countries_clean.increase,
            countries_no_scanners_decrease: countries_clean.decrease,
            scanners,
            daily_ports,
            monthly_ports,
            country_shares: shares(&country_totals, top),
        },
        changes,
        dos_victims,
        networks,
        scan_events,
        intrusions,
        notification,
    }))
}

/// Each month's packets per day per address of the top ports: the month's
/// packets of the daily series over the month's address-days.
fn monthly_rates(daily: &[DailyRow], stats: &PeriodStats) -> Vec<MonthPorts> {
    let mut months: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for row in daily {
        let month = months.entry(row.day.get(..7).unwrap_or_default().to_string()).or_default();
        for (port, &n) in &row.ports {
            month.entry(port.clone()).or_default().add_count(n);
        }
    }
    months
        .into_iter()
        .map(|(month, ports)| {
            let address_days = stats.monthly.get(&month).map_or(0.0, |m| m.address_days);
            let ports =
                ports.into_iter().map(|(k, n)| (k, (address_days > 0.0).then(|| n as f64 / address_days))).collect();
            MonthPorts { month, ports }
        })
        .collect()
}

fn parse_port(key: &str) -> Option<PortKey> {
    let (proto, port) = key.split_once('/')?;
    Some(PortKey { udp: proto == "udp", port: port.parse().ok()? })
}
