//! Rankings with a period comparison, as the NPA publishes them: rank,
//! previous rank, packets per day per address, change against the baseline
//! (percent and absolute, "—" when the baseline has fewer than
//! `min_baseline` packets), unique sources and share; then the increase and
//! decrease rankings by absolute change.

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;

use serde::Serialize;

/// One row of a ranking (`darkscope.report/1`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Position in this table.
    pub rank: usize,
    /// Rank in the full baseline ranking (none without a baseline or when
    /// the key had no packets there).
    pub prev_rank: Option<usize>,
    pub key: String,
    pub packets: u64,
    /// Packets per day per monitored address.
    pub per_ip_day: Option<f64>,
    pub prev_per_ip_day: Option<f64>,
    pub change_pct: Option<f64>,
    pub change_abs: Option<f64>,
    pub sources: Option<u64>,
    /// Of all darknet packets of the period (of the parent key's packets
    /// in a breakdown).
    pub share: Option<f64>,
    /// Packets per covered day (the backscatter tables' unit).
    pub per_day: Option<f64>,
}

/// The denominators of one period.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub address_days: f64,
    pub covered_days: f64,
    pub total_packets: u64,
}

impl Scale {
    pub fn per_ip_day(&self, packets: u64) -> Option<f64> {
        (self.address_days > 0.0).then(|| packets as f64 / self.address_days)
    }

    pub fn per_day(&self, packets: u64) -> Option<f64> {
        (self.covered_days > 0.0).then(|| packets as f64 / self.covered_days)
    }

    pub fn share(&self, packets: u64) -> Option<f64> {
        (self.total_packets > 0).then(|| packets as f64 / self.total_packets as f64)
    }
}

/// A key's packets and, where known, its unique sources.
pub type Counts<K> = HashMap<K, (u64, Option<u64>)>;

/// The baseline side of a comparison.
pub struct Baseline<'a, K> {
    pub counts: &'a Counts<K>,
    pub scale: Scale,
    pub min_packets: u64,
}

/// A ranking and its increase and decrease rankings, `top` rows each.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Compared {
    pub ranking: Vec<Row>,
    pub increase: Vec<Row>,
    pub decrease: Vec<Row>,
}

/// Keys by packets (descending), ties by key.
fn ordered<K: Ord + Clone>(counts: &Counts<K>) -> Vec<(K, u64, Option<u64>)> {
    let mut all: Vec<(K, u64, Option<u64>)> =
        counts.iter().filter(|(_, c)| c.0 > 0).map(|(k, c)| (k.clone(), c.0, c.1)).collect();
    all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all
}

pub fn compare<K: Ord + Clone + Hash + Display>(
    current: &Counts<K>,
    scale: Scale,
    baseline: Option<Baseline<'_, K>>,
    top: usize,
) -> Compared {
    let prev_rank: HashMap<K, usize> = match &baseline {
        Some(b) => ordered(b.counts).into_iter().enumerate().map(|(i, (k, _, _))| (k, i + 1)).collect(),
        None => HashMap::new(),
    };
    let row = |rank: usize, key: &K, packets: u64, sources: Option<u64>| {
        let per_ip_day = scale.per_ip_day(packets);
        let mut r = Row {
            rank,
            prev_rank: prev_rank.get(key).copied(),
            key: key.to_string(),
            packets,
            per_ip_day,
            prev_per_ip_day: None,
            change_pct: None,
            change_abs: None,
            sources,
            share: scale.share(packets),
            per_day: scale.per_day(packets),
        };
        if let Some(b) = &baseline {
            let prev_packets = b.counts.get(key).map_or(0, |c| c.0);
            r.prev_per_ip_day = b.scale.per_ip_day(prev_packets);
            if prev_packets >= b.min_packets.max(1)
                && let (Some(now), Some(before)) = (per_ip_day, r.prev_per_ip_day)
            {
                r.change_abs = Some(now - before);
                r.change_pct = Some((now - before) / before * 100.0);
            }
        }
        r
    };
    let ranking: Vec<Row> =
        ordered(current).iter().take(top).enumerate().map(|(i, (k, p, s))| row(i + 1, k, *p, *s)).collect();

    let mut changed: Vec<Row> = Vec::new();
    if let Some(b) = &baseline {
        let mut keys: Vec<&K> = current.keys().chain(b.counts.keys().filter(|k| !current.contains_key(*k))).collect();
        keys.sort_unstable();
        for key in keys {
            let (packets, sources) = current.get(key).copied().unwrap_or((0, Some(0)));
            let r = row(0, key, packets, sources);
            if r.change_abs.is_some() {
                changed.push(r);
            }
        }
    }
    let pick = |rows: &[Row], rising: bool| -> Vec<Row> {
        let sign = if rising { 1.0 } else { -1.0 };
        let mut picked: Vec<Row> =
            rows.iter().filter(|r| r.change_abs.is_some_and(|c| c * sign > 0.0)).cloned().collect();
        // Stable sort: ties keep key order.
        picked.sort_by(|a, b| {
            let (a, b) = (a.change_abs.unwrap_or(0.0) * sign, b.change_abs.unwrap_or(0.0) * sign);
            b.total_cmp(&a)
        });
        picked.truncate(top);
        for (i, r) in picked.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        picked
    };
    let increase = pick(&changed, true);
    let decrease = pick(&changed, false);
    Compared { ranking, increase, decrease }
}

/// A breakdown of one key's packets (its countries, its ports): `top`
/// rows by packets with their share of `total`.
pub fn breakdown<K: Ord + Clone + Hash + Display>(parts: &HashMap<K, u64>, total: u64, top: usize) -> Vec<Row> {
    let counts: Counts<K> = parts.iter().map(|(k, &p)| (k.clone(), (p, None))).collect();
    let scale = Scale { address_days: 0.0, covered_days: 0.0, total_packets: total };
    let mut rows = compare(&counts, scale, None, top).ranking;
    for r in &mut rows {
        r.per_day = None;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(items: &[(&'static str, u64)]) -> Counts<&'static str> {
        items.iter().map(|&(k, p)| (k, (p, None))).collect()
    }

    #[test]
    fn ranks_compare_and_pick_increases_and_decreases() {
        let now = counts(&[("a", 400), ("b", 400), ("c", 100), ("new", 50)]);
        let before = counts(&[("a", 200), ("b", 800), ("c", 100), ("gone", 300), ("tiny", 99)]);
        let scale = Scale { address_days: 10.0, covered_days: 1.0, total_packets: 950 };
        let base_scale = Scale { address_days: 20.0, covered_days: 2.0, total_packets: 1499 };
        let c = compare(&now, scale, Some(Baseline { counts: &before, scale: base_scale, min_packets: 100 }), 10);
        let keys: Vec<&str> = c.ranking.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c", "new"]);
        // a: 40 per IP-day now, 10 before: +300 %, +30.
        let a = &c.ranking[0];
        // Baseline order: b 800, gone 300, a 200, c 100, tiny 99.
        assert_eq!((a.rank, a.prev_rank, a.per_ip_day, a.prev_per_ip_day), (1, Some(3), Some(40.0), Some(10.0)));
        assert_eq!((a.change_pct, a.change_abs), (Some(300.0), Some(30.0)));
        // new: no baseline packets: no change ("—").
        assert_eq!((c.ranking[3].prev_rank, c.ranking[3].change_pct), (None, None));
        let inc: Vec<(&str, Option<f64>)> = c.increase.iter().map(|r| (r.key.as_str(), r.change_abs)).collect();
        assert_eq!(inc, [("a", Some(30.0)), ("c", Some(5.0))]);
        let dec: Vec<(&str, Option<f64>)> = c.decrease.iter().map(|r| (r.key.as_str(), r.change_abs)).collect();
        // b is unchanged (40 and 40), tiny's baseline is below 100 packets.
        assert_eq!(dec, [("gone", Some(-15.0))]);
    }
}
