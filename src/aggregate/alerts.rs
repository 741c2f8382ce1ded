//! IDS alerts counted beside the packets: the alerts of each (day,
//! source, signature, protocol, destination port), each signature with its
//! attack method ([`crate::classify::methods`]). An alert outside the
//! darknet or from an excluded source is counted as such and goes no
//! further, as a packet does. Days are the packets' days (`--day-offset`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::classify::methods::Methods;
use crate::classify::{Scope, Telescope};
use crate::decode::Alert;
use crate::decode::{Addr, IpProto};
use crate::time::Day;

/// A signature as its alerts carried it, and its attack method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub gid: u32,
    pub sid: u32,
    pub rev: u32,
    pub text: String,
    pub category: String,
    pub severity: u8,
    pub method: Arc<str>,
}

/// What alerts of a day and source are counted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertKey {
    pub day: Day,
    pub src: Addr,
    /// Index into [`AlertBook::signatures`].
    pub signature: u32,
    pub proto: IpProto,
    pub port: Option<u16>,
}

/// One day's alerts: rows sorted by key, each signature an index into
/// `signatures` (the day's own).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayAlerts {
    pub rows: Vec<(AlertKey, u64)>,
    pub signatures: Vec<Signature>,
}

/// One attack method's alerts in a run.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodTotal {
    pub method: Arc<str>,
    pub alerts: u64,
    /// Distinct sources (per run, not per day).
    pub sources: u64,
}

/// The alerts of a run. Its tables hash keys an attacker chooses (source
/// addresses) with a seed drawn per run, as the packets' tables do.
#[derive(Clone, Debug, Default)]
pub struct AlertBook {
    pub signatures: Vec<Signature>,
    /// By (gid, sid, rev): the signatures of that id (their texts differ).
    by_id: hashbrown::HashMap<(u32, u32, u32), Vec<u32>, RandomState>,
    pub counts: hashbrown::HashMap<AlertKey, u64, RandomState>,
    /// Alerts counted, and those outside the darknet or excluded.
    pub inside: u64,
    pub outside: u64,
    pub excluded: u64,
}

impl AlertBook {
    pub fn add(&mut self, alert: &Alert<'_>, telescope: &Telescope, methods: &mut Methods) {
        match telescope.scope_of(alert.src, alert.dst) {
            Scope::Inside => self.inside += 1,
            Scope::Outside => return self.outside += 1,
            Scope::Excluded => return self.excluded += 1,
        }
        let signature = self.signature(alert, methods);
        let key = AlertKey { day: alert.ts.day(), src: alert.src, signature, proto: alert.proto, port: alert.dst_port };
        *self.counts.entry(key).or_default() += 1;
    }

    fn signature(&mut self, a: &Alert<'_>, methods: &mut Methods) -> u32 {
        let found = self.find(a.gid, a.sid, a.rev, &a.signature, &a.category, a.severity);
        found.unwrap_or_else(|| {
            let method = methods.method(a.gid, a.sid, a.rev, &a.signature, &a.category);
            self.push(Signature {
                gid: a.gid,
                sid: a.sid,
                rev: a.rev,
                text: a.signature.to_string(),
                category: a.category.to_string(),
                severity: a.severity,
                method,
            })
        })
    }

    fn find(&self, gid: u32, sid: u32, rev: u32, text: &str, category: &str, severity: u8) -> Option<u32> {
        let same = self.by_id.get(&(gid, sid, rev))?;
        same.iter().copied().find(|&i| {
            let s = &self.signatures[i as usize];
            s.text == text && s.category == category && s.severity == severity
        })
    }

    fn push(&mut self, signature: Signature) -> u32 {
        let i = self.signatures.len() as u32;
        self.by_id.entry((signature.gid, signature.sid, signature.rev)).or_default().push(i);
        self.signatures.push(signature);
        i
    }

    /// One day's alerts, sorted, with the signatures they use.
    pub fn day(&self, day: Day) -> DayAlerts {
        let mut local: HashMap<u32, u32> = HashMap::new();
        let mut out = DayAlerts::default();
        let mut keys: Vec<(AlertKey, u64)> =
            self.counts.iter().filter(|(k, _)| k.day == day).map(|(k, &n)| (*k, n)).collect();
        keys.sort_unstable();
        for (key, n) in keys {
            let signature = *local.entry(key.signature).or_insert_with(|| {
                out.signatures.push(self.signatures[key.signature as usize].clone());
                out.signatures.len() as u32 - 1
            });
            out.rows.push((AlertKey { signature, ..key }, n));
        }
        out
    }

    /// The days that have alerts.
    pub fn days(&self) -> std::collections::BTreeSet<Day> {
        self.counts.keys().map(|k| k.day).collect()
    }

    /// Forgets a day's alerts (its signatures stay).
    pub fn forget(&mut self, day: Day) {
        self.counts.retain(|k, _| k.day != day);
    }

    /// Adds a day's alerts back (a restarted daemon's open days).
    pub fn add_day(&mut self, day: DayAlerts) {
        let mut global = Vec::with_capacity(day.signatures.len());
        for s in day.signatures {
            let found = self.find(s.gid, s.sid, s.rev, &s.text, &s.category, s.severity);
            global.push(found.unwrap_or_else(|| self.push(s)));
        }
        for (key, n) in day.rows {
            if let Some(&signature) = global.get(key.signature as usize) {
                *self.counts.entry(AlertKey { signature, ..key }).or_default() += n;
            }
        }
    }

    /// Every attack method's alerts and distinct sources, most alerts
    /// first (ties by name).
    pub fn methods(&self) -> Vec<MethodTotal> {
        let mut by_method: HashMap<&Arc<str>, (u64, HashSet<Addr>)> = HashMap::new();
        for (key, &n) in &self.counts {
            let entry = by_method.entry(&self.signatures[key.signature as usize].method).or_default();
            entry.0 += n;
            entry.1.insert(key.src);
        }
        let mut out: Vec<MethodTotal> = by_method
            .into_iter()
            .map(|(m, (alerts, sources))| MethodTotal { method: m.clone(), alerts, sources: sources.len() as u64 })
            .collect();
        out.sort_by(|a, b| b.alerts.cmp(&a.alerts).then_with(|| a.method.cmp(&b.method)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::cidr::Cidr;
    use crate::time::Timestamp;

    fn alert<'a>(src: &str, dst: &str, sid: u32, signature: &'a str, secs: i64) -> Alert<'a> {
        Alert {
            ts: Timestamp::from_secs_nanos(secs, 0),
            src: Addr::from(src.parse::<std::net::IpAddr>().expect("src")),
            dst: Addr::from(dst.parse::<std::net::IpAddr>().expect("dst")),
            proto: IpProto::TCP,
            dst_port: Some(23),
            gid: 1,
            sid,
            rev: 1,
            signature: signature.into(),
            category: "".into(),
            severity: 2,
        }
    }

    #[test]
    fn alerts_are_scoped_counted_by_day_and_ranked_by_method() {
        let cidr = |s: &str| s.parse::<Cidr>().expect("cidr");
        let telescope = Telescope {
            darknet: crate::classify::CidrSet::new(&[cidr("198.18.0.0/16")]),
            exclude: crate::classify::CidrSet::new(&[cidr("10.0.0.0/8")]),
        };
        let mut methods = Methods::bundled();
        let mut book = AlertBook::default();
        let day = 1_704_067_200; // 2024-01-01
        for a in [
            alert("203.0.113.1", "198.18.0.1", 7, "INDICATOR-SCAN a", day),
            alert("203.0.113.1", "198.18.0.2", 7, "INDICATOR-SCAN a", day + 60),
            alert("203.0.113.2", "198.18.0.2", 8, "INDICATOR-SCAN b", day + 86_400),
            alert("203.0.113.3", "198.18.0.9", 9, "ET SCAN MS Terminal Server Traffic", day),
            alert("203.0.113.3", "192.0.2.1", 9, "ET SCAN MS Terminal Server Traffic", day),
            alert("10.1.1.1", "198.18.0.9", 9, "ET SCAN MS Terminal Server Traffic", day),
        ] {
            book.add(&a, &telescope, &mut methods);
        }
        assert_eq!((book.inside, book.outside, book.excluded), (4, 1, 1));
        assert_eq!(book.signatures.len(), 3);
        assert_eq!(book.counts.len(), 3, "two days of INDICATOR-SCAN, one of RDP: {:?}", book.counts);
        let got: Vec<(String, u64, u64)> =
            book.methods().into_iter().map(|m| (m.method.to_string(), m.alerts, m.sources)).collect();
        assert_eq!(got, [("INDICATOR-SCAN".into(), 3, 2), ("Microsoft Windows Terminal server".into(), 1, 1)]);
    }
}
