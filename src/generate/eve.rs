//! The IDS alerts a sensor's Suricata would raise on the generated capture
//! (`generate --alerts`): `<out>.eve.json`, Suricata EVE lines, with their
//! truth in the truth file's `alerts`.
//!
//! # Rules
//!
//! A written frame raises an alert when it is a TCP SYN (flags exactly
//! SYN), a UDP datagram or an ICMP echo request that matches one of
//! [`RULES`] (by protocol and destination port, ICMP by type), and then only
//! one time in four (its own random stream, so the capture is byte-identical
//! with or without `--alerts`). Fragments after the first and probes
//! captured without their port raise none. Each rule names, by hand, the
//! attack method the README's rule gives its signature with the bundled
//! mapping; the truth counts by that name, never by darkscope's code.
//! Every 50th alert is followed by a `flow` event and the file ends with a
//! `stats` event: both are skipped by a reader and counted in the truth.
//!
//! The truth's `periods` are the whole run, or with `--scenario two-period`
//! the baseline (first half of the days) and the period: per attack method
//! and per source country (of [`super::geo`]) the alerts and distinct
//! sources of darknet-inside alerts. The two-period scenario's port changes
//! carry over: `ET EXPLOIT` (5555/tcp) rises, `SMBv1` (445/tcp) falls and
//! `SERVER-OTHER` (37215/tcp) is new.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::GenerateError;
use super::geo;
use super::rng::Rng;
use crate::time::{Day, NANOS_PER_DAY};

/// What a rule matches: a protocol and a destination port (the ICMP type
/// for ICMP).
#[derive(Clone, Copy)]
struct Match(u8, u16);

/// One rule: what it matches, its signature id, text and category, and the
/// attack method it must be ranked as.
struct Rule {
    on: &'static [Match],
    sid: u32,
    signature: &'static str,
    category: &'static str,
    method: &'static str,
}

const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMP: u8 = 1;

/// The rules, one per method (families, mapped names, a category).
const RULES: [Rule; 11] = [
    Rule {
        on: &[Match(TCP, 23), Match(TCP, 2323)],
        sid: 2_023_019,
        signature: "ET SCAN Mirai Variant Telnet Login Attempt",
        category: "Attempted Administrator Privilege Gain",
        method: "Telnet brute force",
    },
    Rule {
        on: &[Match(TCP, 22)],
        sid: 2_001_219,
        signature: "ET SCAN Potential SSH Scan",
        category: "Attempted Information Leak",
        method: "SSH brute force",
    },
    Rule {
        on: &[Match(TCP, 3389)],
        sid: 2_023_753,
        signature: "ET SCAN MS Terminal Server Traffic on Non-standard Port",
        category: "Attempted Information Leak",
        method: "Microsoft Windows Terminal server",
    },
    Rule {
        on: &[Match(TCP, 445)],
        sid: 2_024_218,
        signature: "ET EXPLOIT Possible ETERNALBLUE MS17-010 Probe",
        category: "Attempted Administrator Privilege Gain",
        method: "SMBv1",
    },
    Rule {
        on: &[Match(TCP, 80), Match(TCP, 8080), Match(TCP, 8088)],
        sid: 45_552,
        signature: "SERVER-WEBAPP Netgear DGN1000 series routers arbitrary command execution attempt",
        category: "Web Application Attack",
        method: "SERVER-WEBAPP",
    },
    Rule {
        on: &[Match(TCP, 5555)],
        sid: 2_027_250,
        signature: "ET EXPLOIT Android Debug Bridge shell command attempt",
        category: "Attempted Administrator Privilege Gain",
        method: "ET EXPLOIT",
    },
    Rule {
        on: &[Match(TCP, 37215)],
        sid: 44_875,
        signature: "SERVER-OTHER Huawei HG532 RealTek SDK remote code execution attempt",
        category: "Attempted Administrator Privilege Gain",
        method: "SERVER-OTHER",
    },
    Rule {
        on: &[Match(TCP, 1433)],
        sid: 2_010_935,
        signature: "ET SCAN Suspicious inbound to MSSQL port 1433",
        category: "Potentially Bad Traffic",
        method: "ET SCAN",
    },
    Rule {
        on: &[Match(UDP, 1900)],
        sid: 1_917,
        signature: "INDICATOR-SCAN UPnP service discover attempt",
        category: "Detection of a Network Scan",
        method: "INDICATOR-SCAN",
    },
    Rule {
        on: &[Match(ICMP, 8)],
        sid: 2_100_366,
        signature: "GPL ICMP_INFO PING *NIX",
        category: "Misc activity",
        method: "ICMP",
    },
    Rule {
        on: &[Match(TCP, 6379)],
        sid: 9_000_010,
        signature: "local: redis probe",
        category: "Attempted Information Leak",
        method: "Attempted Information Leak",
    },
];

/// Alerts and distinct sources of one key.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KeyTruth {
    pub alerts: u64,
    pub sources: u64,
}

/// One period's darknet-inside alerts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PeriodTruth {
    /// First and last day (YYYY-MM-DD).
    pub from: String,
    pub to: String,
    pub alerts: u64,
    pub methods: BTreeMap<String, KeyTruth>,
    pub countries: BTreeMap<String, KeyTruth>,
}

/// The truth file's `alerts`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AlertsTruth {
    pub file: String,
    /// Alert lines, inside the darknet and outside it.
    pub alerts: u64,
    pub inside: u64,
    pub outside: u64,
    /// Other events by type (skipped by a reader).
    pub skipped: BTreeMap<String, u64>,
    pub periods: Vec<PeriodTruth>,
}

/// A period being tallied: its days and distinct (key, source) pairs.
struct Period {
    days: (i32, i32),
    truth: PeriodTruth,
    seen: HashSet<(u8, bool, u32)>,
}

/// Writes `<out>.eve.json` as the frames go by.
pub struct Eve {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    rng: Rng,
    net: u32,
    mask: u32,
    truth: AlertsTruth,
    periods: Vec<Period>,
    line: String,
}

/// The EVE file's path for a capture `out`: `<out>.eve.json`.
pub fn eve_path(out: &std::path::Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".eve.json");
    PathBuf::from(s)
}

impl Eve {
    /// `periods`: first and last day of each period the truth counts.
    pub fn create(
        out: &std::path::Path,
        seed: u64,
        (net, mask): (u32, u32),
        periods: &[(Day, Day)],
    ) -> Result<Eve, GenerateError> {
        let path = eve_path(out);
        let file = std::fs::File::create(&path).map_err(|source| GenerateError::Io { path: path.clone(), source })?;
        let periods = periods
            .iter()
            .map(|&(from, to)| Period {
                days: (from.0, to.0),
                truth: PeriodTruth { from: from.to_string(), to: to.to_string(), ..PeriodTruth::default() },
                seen: HashSet::new(),
            })
            .collect();
        let truth = AlertsTruth { file: path.display().to_string(), ..AlertsTruth::default() };
        let out = std::io::BufWriter::with_capacity(1 << 16, file);
        Ok(Eve { path, out, rng: Rng::new(seed, 5), net, mask, truth, periods, line: String::new() })
    }

    fn io(&self) -> impl Fn(std::io::Error) -> GenerateError + '_ {
        |source| GenerateError::Io { path: self.path.clone(), source }
    }

    /// Writes the alert `cap` (an Ethernet frame stamped `ts_us`) raises, if any.
    pub fn observe(&mut self, ts_us: u64, cap: &[u8]) -> Result<(), GenerateError> {
        let Some((rule, src, sport, dst, probe)) = alerting(cap) else {
            return Ok(());
        };
        if !self.rng.chance(1, 4) {
            return Ok(());
        }
        let rule_index = RULES.iter().position(|r| std::ptr::eq(r, rule)).unwrap_or(0) as u8;
        self.truth.alerts += 1;
        let inside = dst & self.mask == self.net;
        if inside {
            self.truth.inside += 1;
            let day = (ts_us as i64 * 1000).div_euclid(NANOS_PER_DAY) as i32;
            let country = geo::country_of(src);
            let country = String::from_utf8_lossy(&country).into_owned();
            for p in self.periods.iter_mut().filter(|p| (p.days.0..=p.days.1).contains(&day)) {
                p.truth.alerts += 1;
                let new_method = p.seen.insert((rule_index, false, src));
                let method = p.truth.methods.entry(rule.method.to_string()).or_default();
                method.alerts += 1;
                method.sources += u64::from(new_method);
                // Countries are keyed by the source alone (a source has one country).
                let new_source = p.seen.insert((u8::MAX, true, src));
                let by_country = p.truth.countries.entry(country.clone()).or_default();
                by_country.alerts += 1;
                by_country.sources += u64::from(new_source);
            }
        } else {
            self.truth.outside += 1;
        }
        self.line.clear();
        let stamp = timestamp(ts_us);
        let (src, dst) = (std::net::Ipv4Addr::from(src), std::net::Ipv4Addr::from(dst));
        let flow = self.truth.alerts;
        let ends = match probe {
            Probe::Port(proto, port) => {
                let name = if proto == TCP { "TCP" } else { "UDP" };
                format!(r#""src_port":{sport},"dest_ip":"{dst}","dest_port":{port},"proto":"{name}""#)
            }
            Probe::Icmp(typ) => format!(r#""dest_ip":"{dst}","proto":"ICMP","icmp_type":{typ},"icmp_code":0"#),
        };
        self.line.push_str(&format!(
            concat!(
                r#"{{"timestamp":"{}","flow_id":{},"in_iface":"eth0","event_type":"alert","src_ip":"{}",{},"#,
                r#""alert":{{"action":"allowed","gid":1,"signature_id":{},"rev":3,"signature":"{}","category":"{}","severity":2}}}}"#,
                "\n"
            ),
            stamp, flow, src, ends, rule.sid, rule.signature, rule.category
        ));
        if flow.is_multiple_of(50) {
            self.line.push_str(&format!(
                r#"{{"timestamp":"{stamp}","flow_id":{flow},"event_type":"flow","src_ip":"{src}","dest_ip":"{dst}","proto":"TCP","flow":{{"pkts_toserver":1}}}}"#
            ));
            self.line.push('\n');
            *self.truth.skipped.entry("flow".into()).or_default() += 1;
        }
        self.out.write_all(self.line.as_bytes()).map_err(self.io())
    }

    /// Ends the file with a `stats` event; gives the truth.
    pub fn finish(mut self) -> Result<AlertsTruth, GenerateError> {
        let stats = format!(r#"{{"event_type":"stats","stats":{{"uptime":1,"alerts":{}}}}}"#, self.truth.alerts);
        writeln!(self.out, "{stats}").and_then(|()| self.out.flush()).map_err(self.io())?;
        *self.truth.skipped.entry("stats".into()).or_default() += 1;
        self.truth.periods = self.periods.into_iter().map(|p| p.truth).collect();
        Ok(self.truth)
    }
}

/// What an alerting frame probed.
enum Probe {
    Port(u8, u16),
    Icmp(u8),
}

/// The rule a frame matches, with its source, source port, destination and probe.
fn alerting(cap: &[u8]) -> Option<(&'static Rule, u32, u16, u32, Probe)> {
    if cap.len() < 34 || cap[12..14] != [0x08, 0x00] {
        return None;
    }
    let ip = &cap[14..];
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let fragment = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff;
    if ip[0] >> 4 != 4 || ihl < 20 || fragment != 0 {
        return None;
    }
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let (src, dst) = (be32(&ip[12..16]), be32(&ip[16..20]));
    let l4 = ip.get(ihl..)?;
    let port = |at: usize| u16::from_be_bytes([l4[at], l4[at + 1]]);
    let (probe, sport) = match ip[9] {
        TCP if l4.get(13) == Some(&0x02) => (Probe::Port(TCP, port(2)), port(0)),
        UDP if l4.len() >= 4 => (Probe::Port(UDP, port(2)), port(0)),
        ICMP if l4.first() == Some(&8) => (Probe::Icmp(8), 0),
        _ => return None,
    };
    let (proto, number) = match probe {
        Probe::Port(proto, port) => (proto, port),
        Probe::Icmp(typ) => (ICMP, u16::from(typ)),
    };
    let rule = RULES.iter().find(|r| r.on.iter().any(|m| m.0 == proto && m.1 == number))?;
    Some((rule, src, sport, dst, probe))
}

/// Suricata's timestamp: `2024-01-01T00:00:01.123456+0000`.
fn timestamp(ts_us: u64) -> String {
    let secs = (ts_us / 1_000_000) as i64;
    let day = Day(secs.div_euclid(86_400) as i32);
    let (y, m, d) = day.ymd();
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}+0000", s / 3600, s / 60 % 60, s % 60, ts_us % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suricata_timestamps_are_utc_with_microseconds() {
        assert_eq!(timestamp(1_704_067_200_000_001), "2024-01-01T00:00:00.000001+0000");
        assert_eq!(timestamp(1_704_153_599_999_999), "2024-01-01T23:59:59.999999+0000");
    }

    #[test]
    fn every_rule_matches_something_and_keys_are_unique() {
        let methods: HashSet<&str> = RULES.iter().map(|r| r.method).collect();
        assert_eq!(methods.len(), RULES.len(), "a method per rule (the truth counts sources by rule)");
        let mut keys = HashSet::new();
        for rule in &RULES {
            assert!(!rule.on.is_empty(), "{}", rule.signature);
            for m in rule.on {
                assert!(keys.insert((m.0, m.1)), "{} matches twice", rule.signature);
            }
        }
    }
}
