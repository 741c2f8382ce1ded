//! Section 14, "Intrusion attempts": the period's IDS alerts (the
//! `alerts` table of runs with `--alerts`) as the NPA's observation tables
//! rank them: attack methods by alerts per address per day, this period
//! and the baseline, with the change and the increase and decrease ranks in
//! the same table; the source countries of the alerts the same way; the
//! top methods' monthly alerts per address per day and the methods'
//! shares; and each top country's mix of methods. The denominators are the
//! packets': the period's (and each month's) address-days.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use super::period::{Period, PeriodStats};
use super::ranking::{Baseline, Counts, Row, breakdown, compare};
use super::{AddCount, ReportOptions, scale};
use crate::store::StoreError;
use crate::store::read::{Columns, batches, files};

/// One row of an NPA-style table: the port ranking's fields where the
/// meaning is the same, the alerts, and the row's ranks among the keys
/// that rose (`rise_rank`) and fell (`fall_rank`) against the baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttackRow {
    pub rank: usize,
    pub prev_rank: Option<usize>,
    pub key: String,
    pub alerts: u64,
    pub per_ip_day: Option<f64>,
    pub prev_per_ip_day: Option<f64>,
    pub change_pct: Option<f64>,
    pub change_abs: Option<f64>,
    pub rise_rank: Option<usize>,
    pub fall_rank: Option<usize>,
    pub sources: Option<u64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Intrusions {
    /// Alerts of the period, and their distinct sources.
    pub alerts: u64,
    pub sources: u64,
    pub attack_methods: Vec<AttackRow>,
    pub attack_countries: Vec<AttackRow>,
    /// Each top country's alerts by method.
    pub attack_method_countries: Vec<CountryMethods>,
    /// The top methods' alerts per IP per day, month by month.
    pub attack_methods_monthly: Vec<MonthMethods>,
    /// The period's alerts by method: the top methods, then `other`.
    pub attack_method_shares: Vec<MethodShare>,
}

/// One month of the period: each top method's alerts per address per day
/// (over the month's address-days; none when the month has no coverage).
#[derive(Clone, Debug, Serialize)]
pub struct MonthMethods {
    pub month: String,
    pub methods: BTreeMap<String, Option<f64>>,
}

/// A top country's alerts and their methods' shares.
#[derive(Clone, Debug, Serialize)]
pub struct CountryMethods {
    pub key: String,
    pub alerts: u64,
    pub methods: Vec<MethodShare>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MethodShare {
    pub key: String,
    pub alerts: u64,
    /// Of the country's alerts.
    pub share: Option<f64>,
}

/// Alerts and their distinct sources, by key.
type ByKey = HashMap<String, (u64, HashSet<String>)>;

/// A period's alerts: by method, by country, by (country, method).
#[derive(Default)]
struct Alerts {
    total: u64,
    sources: HashSet<String>,
    methods: ByKey,
    countries: ByKey,
    country_methods: HashMap<String, HashMap<String, u64>>,
    /// Month (YYYY-MM) → method → alerts.
    monthly: BTreeMap<String, HashMap<String, u64>>,
}

impl Alerts {
    fn load(store: &Path, period: Period, sensors: &[String]) -> Result<Alerts, StoreError> {
        let mut a = Alerts::default();
        for file in files(store, "alerts", period.from, period.to, sensors)? {
            let month = file.day.to_string().get(..7).unwrap_or_default().to_string();
            batches(&file.path, &["source", "country", "method", "alerts"], |b| {
                let c = Columns::new(b, &file.path);
                let (source, country, method) = (c.strings("source")?, c.strings("country")?, c.strings("method")?);
                let alerts = c.counts("alerts")?;
                for (row, &n) in alerts.iter().enumerate() {
                    let (src, cc) = (source.get(row).unwrap_or(""), country.get(row).unwrap_or("ZZ"));
                    let m = method.get(row).unwrap_or("unclassified");
                    a.total.add_count(n);
                    a.sources.insert(src.to_string());
                    let by_method = a.methods.entry(m.to_string()).or_default();
                    by_method.0.add_count(n);
                    by_method.1.insert(src.to_string());
                    let by_country = a.countries.entry(cc.to_string()).or_default();
                    by_country.0.add_count(n);
                    by_country.1.insert(src.to_string());
                    a.country_methods.entry(cc.to_string()).or_default().entry(m.to_string()).or_default().add_count(n);
                    a.monthly.entry(month.clone()).or_default().entry(m.to_string()).or_default().add_count(n);
                }
                Ok(())
            })?;
        }
        Ok(a)
    }
}

fn counts(by: &ByKey) -> Counts<String> {
    by.iter().map(|(k, (n, s))| (k.clone(), (*n, Some(s.len() as u64)))).collect()
}

/// Section 14 of the period `now` against `before` (their packets' statistics give the address-days).
pub fn load(
    store: &Path,
    periods: (Period, Option<Period>),
    stats: (&PeriodStats, Option<&PeriodStats>),
    opts: &ReportOptions,
) -> Result<Intrusions, StoreError> {
    let now = Alerts::load(store, periods.0, &opts.sensors)?;
    let before = match (periods.1, stats.1) {
        (Some(p), Some(s)) => Some((Alerts::load(store, p, &opts.sensors)?, s)),
        _ => None,
    };
    let table = |pick: fn(&Alerts) -> &ByKey| {
        let base = before.as_ref().map(|(a, s)| (counts(pick(a)), scale(s)));
        let baseline = base.as_ref().map(|(c, s)| Baseline { counts: c, scale: *s, min_packets: opts.min_baseline });
        npa_table(compare(&counts(pick(&now)), scale(stats.0), baseline, usize::MAX), opts.top)
    };
    let attack_methods = table(|a| &a.methods);
    let attack_countries = table(|a| &a.countries);
    let attack_method_countries = attack_countries
        .iter()
        .map(|r| {
            let parts = now.country_methods.get(&r.key).cloned().unwrap_or_default();
            let methods = breakdown(&parts, r.alerts, opts.top)
                .into_iter()
                .map(|m| MethodShare { key: m.key, alerts: m.packets, share: m.share })
                .collect();
            CountryMethods { key: r.key.clone(), alerts: r.alerts, methods }
        })
        .collect();
    let attack_methods_monthly = monthly(&now, &attack_methods, stats.0);
    let totals: HashMap<String, u64> = now.methods.iter().map(|(k, (n, _))| (k.clone(), *n)).collect();
    let attack_method_shares = super::shares(&totals, opts.top)
        .into_iter()
        .map(|r| MethodShare { key: r.key, alerts: r.packets, share: r.share })
        .collect();
    Ok(Intrusions {
        alerts: now.total,
        sources: now.sources.len() as u64,
        attack_methods,
        attack_countries,
        attack_method_countries,
        attack_methods_monthly,
        attack_method_shares,
    })
}

/// Each month of the period (with coverage or alerts): the top methods'
/// alerts per address per day, 0 alerts counting as a rate of 0.
fn monthly(now: &Alerts, top: &[AttackRow], stats: &PeriodStats) -> Vec<MonthMethods> {
    let months: std::collections::BTreeSet<&String> = stats.monthly.keys().chain(now.monthly.keys()).collect();
    let none = HashMap::new();
    months
        .into_iter()
        .map(|month| {
            let address_days = stats.monthly.get(month).map_or(0.0, |m| m.address_days);
            let alerts = now.monthly.get(month).unwrap_or(&none);
            let rate = |key: &str| {
                let n = alerts.get(key).copied().unwrap_or(0);
                (address_days > 0.0).then(|| n as f64 / address_days)
            };
            MonthMethods { month: month.clone(), methods: top.iter().map(|r| (r.key.clone(), rate(&r.key))).collect() }
        })
        .collect()
}

/// The ranking's top rows with their ranks among every key that rose and
/// every key that fell.
fn npa_table(all: super::ranking::Compared, top: usize) -> Vec<AttackRow> {
    let position = |rows: &[Row], key: &str| rows.iter().position(|r| r.key == key).map(|i| i + 1);
    all.ranking
        .iter()
        .take(top)
        .map(|r| AttackRow {
            rank: r.rank,
            prev_rank: r.prev_rank,
            key: r.key.clone(),
            alerts: r.packets,
            per_ip_day: r.per_ip_day,
            prev_per_ip_day: r.prev_per_ip_day,
            change_pct: r.change_pct,
            change_abs: r.change_abs,
            rise_rank: position(&all.increase, &r.key),
            fall_rank: position(&all.decrease, &r.key),
            sources: r.sources,
        })
        .collect()
}
