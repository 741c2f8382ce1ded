//! "What changed": each destination port's and source country's rate in
//! the period against its rates on the store's trailing days, and the
//! alerts of `darkscope report --alerts`.
//!
//! The method is robust to the outliers a telescope's history holds (one
//! day of a worm, one day of an outage): for each key, the daily rates of
//! the [`HISTORY_DAYS`] days before the period (those with coverage) are
//! put on a log scale, ln((packets + 1) / address-days), so a doubling is
//! the same step at every size and a day without the key stays finite.
//! Their median is the key's usual level and 1.4826 × their median
//! absolute deviation (MAD) its spread, at least [`MIN_SPREAD`] (a
//! quiet series must still move by a third before it alarms). The period's
//! rate on the same scale, minus the median, over the spread, is the
//! score: a robust z-score. A key rises ("surge") at a score of
//! [`ALERT_SCORE`] or more, falls ("drop") at minus that, and is "new" when
//! none of the history days had it. Only keys that matter alert: at least
//! `min_packets` packets in the period (for a drop: at its usual level).
//! With fewer than [`MIN_HISTORY_DAYS`] history days nothing alerts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;

use super::AddCount;
use super::Span;
use super::period::{Period, PeriodStats, PortKey};
use crate::store::StoreError;
use crate::store::read::{Columns, batches, files};
use crate::time::Day;

/// Days before the period that make a key's usual level.
pub const HISTORY_DAYS: i32 = 28;
/// Fewer days with coverage than this: too little history to judge.
pub const MIN_HISTORY_DAYS: usize = 7;
/// The robust z-score at which a rate alerts.
pub const ALERT_SCORE: f64 = 4.0;
/// The smallest spread (natural log units): 4 × 0.15 = 0.6, so a key must
/// move by 82 % up (or 45 % down) at least to alert.
pub const MIN_SPREAD: f64 = 0.15;
/// Scales a MAD to a standard deviation's size for normal data.
const MAD_SCALE: f64 = 1.4826;

#[derive(Clone, Debug, Serialize)]
pub struct Changes {
    /// The days judged against, with the number that had coverage.
    pub history: Span,
    pub history_days: usize,
    pub alerts: Vec<Alert>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    /// "port" or "country".
    pub kind: &'static str,
    pub key: String,
    /// "surge", "drop" or "new".
    pub change: &'static str,
    pub packets: u64,
    pub per_ip_day: f64,
    /// The history's median daily rate (packets per day per address).
    pub usual_per_ip_day: f64,
    /// The period's rate over the usual one (`null` for a new key).
    pub ratio: Option<f64>,
    pub score: f64,
}

/// One key's daily packets over the history days.
type Daily<K> = HashMap<K, BTreeMap<Day, u64>>;

/// The alerts of `now` (the period's statistics) against the history days
/// before `period` in the store.
pub fn what_changed(
    store: &Path,
    period: Period,
    sensors: &[String],
    now: &PeriodStats,
    min_packets: u64,
) -> Result<Changes, StoreError> {
    let history = Period { from: Day(period.from.0 - HISTORY_DAYS), to: Day(period.from.0 - 1) };
    let mut past = PeriodStats::default();
    let address_days: BTreeMap<Day, f64> =
        past.load_coverage(store, history, sensors)?.into_iter().filter(|&(_, ad)| ad > 0.0).collect();
    past.load_hourly(store, history, sensors)?;
    let mut ports: Daily<PortKey> = HashMap::new();
    for (&day, counts) in &past.daily_ports {
        for (&key, &n) in counts {
            ports.entry(key).or_default().insert(day, n);
        }
    }
    let countries = daily_countries(store, history, sensors)?;
    let span = Span { from: history.from.to_string(), to: history.to.to_string(), days: history.days() };
    let mut changes = Changes { history: span, history_days: address_days.len(), alerts: Vec::new() };
    if address_days.len() < MIN_HISTORY_DAYS || now.address_days <= 0.0 {
        return Ok(changes);
    }
    let judge = Judge { address_days: &address_days, now_address_days: now.address_days, min_packets };
    let port_now: HashMap<PortKey, u64> = now.ports.iter().map(|(k, t)| (*k, t.packets)).collect();
    let country_now: HashMap<String, u64> = now.countries.iter().map(|(k, t)| (k.clone(), t.packets)).collect();
    changes.alerts.extend(judge.alerts("port", &port_now, &ports));
    changes.alerts.extend(judge.alerts("country", &country_now, &countries));
    Ok(changes)
}

/// Packets per country and day, from the `sources` table.
fn daily_countries(store: &Path, history: Period, sensors: &[String]) -> Result<Daily<String>, StoreError> {
    let mut daily: Daily<String> = HashMap::new();
    for file in files(store, "sources", history.from, history.to, sensors)? {
        batches(&file.path, &["country", "packets"], |b| {
            let c = Columns::new(b, &file.path);
            let (country, packets) = (c.strings("country")?, c.counts("packets")?);
            for (row, &n) in packets.iter().enumerate() {
                let key = country.get(row).unwrap_or("ZZ");
                daily.entry(key.to_string()).or_default().entry(file.day).or_default().add_count(n);
            }
            Ok(())
        })?;
    }
    Ok(daily)
}

struct Judge<'a> {
    /// Address-days of each history day with coverage.
    address_days: &'a BTreeMap<Day, f64>,
    now_address_days: f64,
    min_packets: u64,
}

impl Judge<'_> {
    /// The alerts of one kind of key, sorted: new keys, then by score
    /// (largest departure first), then by key.
    fn alerts<K: Clone + Ord + std::hash::Hash + std::fmt::Display>(
        &self,
        kind: &'static str,
        now: &HashMap<K, u64>,
        past: &Daily<K>,
    ) -> Vec<Alert> {
        let keys: BTreeSet<&K> = now.keys().chain(past.keys()).collect();
        let none = BTreeMap::new();
        let mut alerts: Vec<Alert> = keys
            .into_iter()
            .filter_map(|key| {
                let packets = now.get(key).copied().unwrap_or(0);
                self.judge(kind, key.to_string(), packets, past.get(key).unwrap_or(&none))
            })
            .collect();
        alerts.sort_by(|a, b| {
            (a.change != "new")
                .cmp(&(b.change != "new"))
                .then(b.score.abs().total_cmp(&a.score.abs()))
                .then_with(|| a.key.cmp(&b.key))
        });
        alerts
    }

    fn judge(&self, kind: &'static str, key: String, packets: u64, days: &BTreeMap<Day, u64>) -> Option<Alert> {
        let logs: Vec<f64> = self
            .address_days
            .iter()
            .map(|(day, ad)| ((days.get(day).copied().unwrap_or(0) as f64 + 1.0) / ad).ln())
            .collect();
        let usual = median(logs.clone());
        let spread = (MAD_SCALE * median(logs.iter().map(|x| (x - usual).abs()).collect())).max(MIN_SPREAD);
        let now = ((packets as f64 + 1.0) / self.now_address_days).ln();
        let score = (now - usual) / spread;
        let seen = self.address_days.keys().any(|day| days.get(day).is_some_and(|&n| n > 0));
        let usual_packets = usual.exp() * self.now_address_days;
        let change = if score >= ALERT_SCORE && packets >= self.min_packets {
            if seen { "surge" } else { "new" }
        } else if score <= -ALERT_SCORE && usual_packets >= self.min_packets as f64 {
            "drop"
        } else {
            return None;
        };
        let per_ip_day = packets as f64 / self.now_address_days;
        // The usual rate without the +1 that keeps empty days finite.
        let usual_per_ip_day =
            median(self.address_days.iter().map(|(d, ad)| days.get(d).map_or(0.0, |&n| n as f64 / ad)).collect());
        let ratio = (change != "new" && usual_per_ip_day > 0.0).then(|| per_ip_day / usual_per_ip_day);
        Some(Alert { kind, key, change, packets, per_ip_day, usual_per_ip_day, ratio, score })
    }
}

/// The median (the mean of the middle two for an even count); 0 for none.
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge_with(history: &[u64], packets: u64) -> Option<Alert> {
        let address_days: BTreeMap<Day, f64> = (0..history.len() as i32).map(|d| (Day(d), 100.0)).collect();
        let days: BTreeMap<Day, u64> =
            history.iter().enumerate().filter(|(_, n)| **n > 0).map(|(d, &n)| (Day(d as i32), n)).collect();
        let judge = Judge { address_days: &address_days, now_address_days: 100.0, min_packets: 100 };
        judge.judge("port", "tcp/8088".into(), packets, &days)
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(Vec::new()), 0.0);
    }

    #[test]
    fn a_rise_of_186_percent_alerts_and_noise_does_not() {
        // 28 days of 980 and 1,020 packets: the spread is the floor, the
        // usual level the middle of the two.
        let history: Vec<u64> = (0..28).map(|d| if d % 2 == 0 { 980 } else { 1_020 }).collect();
        let surge = judge_with(&history, 2_860).expect("a surge");
        assert_eq!((surge.change, surge.packets), ("surge", 2_860));
        let usual = (9.81f64.ln() + 10.21f64.ln()) / 2.0;
        assert!((surge.score - (28.61f64.ln() - usual) / MIN_SPREAD).abs() < 1e-9, "{}", surge.score);
        assert_eq!(surge.usual_per_ip_day, 10.0);
        assert!(judge_with(&history, 1_300).is_none(), "+30 % is noise");
        let drop = judge_with(&history, 300).expect("a drop");
        assert_eq!(drop.change, "drop");
        assert!(judge_with(&vec![0; 28], 500).is_some_and(|a| a.change == "new" && a.ratio.is_none()));
        assert!(judge_with(&vec![0; 28], 99).is_none(), "below the minimum");
        assert!(judge_with(&vec![0; 28], 0).is_none());
    }

    #[test]
    fn one_outlier_day_does_not_move_the_usual_level() {
        let mut history = vec![1_000; 28];
        history[10] = 50_000;
        assert!(judge_with(&history, 1_050).is_none());
        assert!(judge_with(&history, 3_000).is_some_and(|a| a.change == "surge"));
    }
}
