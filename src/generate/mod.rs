//! Synthetic telescope traffic with ground truth (`darkscope generate`).
//!
//! [`generate`] writes a classic little-endian pcap (magic `a1b2c3d4`, µs
//! timestamps, Ethernet, snap length 65535; gzip when the name ends in `.gz`,
//! zstd for `.zst`) and `<out>.truth.json`, the summary a correct
//! `darkscope replay --darknet <CIDR>` must print. The same configuration
//! always gives byte-identical files (own xoshiro256** PRNG, no threads; see
//! [`rng`] for the one platform caveat, `powf`).
//!
//! # Traffic model
//!
//! * **Time.** Packet `i` of `n` is stamped `start + (i + u) · span / n`
//!   (`u` uniform in [0, 1), `span` = `days` UTC days): non-decreasing,
//!   every day covered, no gap above 10 minutes once `n` exceeds
//!   `144 · days` or so.
//! * **Destinations.** Uniform over the darknet prefix (default
//!   198.18.0.0/16).
//! * **Sources.** `sources` distinct scanning addresses, each from a
//!   country block of [`geo::BLOCKS`] (15 countries checked against the
//!   bundled IPtoASN DB, plus `1.3.0.0/20`, which is not in it: `ZZ`);
//!   runs of more than 250,000 sources (up to 12 M) also draw from the
//!   wider blocks of [`geo::WIDE_BLOCKS`]. Kinds: Mirai 35 %, generic 30 %, UDP 12 %, ICMP 12 %, ZMap TCP 4 %,
//!   masscan 4 %, ZMap ICMP 2 %, ZMap UDP 1 % of the addresses. Activity is
//!   Pareto-weighted (α = 1.2) within each kind, so a few sources send a
//!   large share; every source is also forced once at a random point, so all
//!   `sources` appear when `packets ≥ sources`. 40 DoS victims
//!   (Pareto α = 1) and 12 routers are extra addresses from the same blocks.
//! * **Mix** (share of packets): TCP SYN ≈ 83 % — Mirai 21 % (seq = dst,
//!   dport 23, 10 % 2323), ZMap 17 % (IP ID 54321, window 65535, one port
//!   per source), masscan 9 % (IP ID = (dst ^ dport ^ seq) & 0xffff, window
//!   1024, fixed source port), generic 36 % (random ID/seq, DF, Linux
//!   options / MSS-only / none); TCP other 0.8 % (ACK, FIN, FIN-ACK, PSH-ACK,
//!   NULL, Xmas); UDP 7.7 % (DNS 53, NTP 123 monlist, SNMP 161, SSDP 1900,
//!   memcached 11211, NetBIOS 137, random ports); ICMP echo request 3 %
//!   (ZMap ICMP sources with ID 54321); backscatter 4 % — SYN-ACK 2 %,
//!   RST-ACK 0.9 %, RST 0.4 % (victim port 80/443/22/53/25565/27015/…),
//!   echo reply 0.2 %, ICMP errors 0.5 % (3/3 from the victim quoting UDP,
//!   3/13, 3/1 and 11/0 from a router quoting TCP; the quote's inner source
//!   is the darknet address, inner destination the victim); fragments 0.3 %
//!   (pairs: first fragment offset 0 + MF, then the last fragment at offset
//!   1480 with no L4 header; UDP, 20 % ICMP echo); 0.2 % TCP/UDP probes
//!   captured with only 2 L4 bytes (caplen 36: no port, flags unknown) and
//!   0.05 % SYNs captured with 4 TCP bytes (port, no flags).
//! * **Ports.** Zipf (s = 1.25) over a ranking with head 23, 22, 80, 445,
//!   6379, 8080, 3389, 443, 1433, 8088, 5555, 2323, then the rest of
//!   1–65535 in seeded order.
//! * **Frames.** Ethernet II, IPv4 without options, all IPv4/TCP/UDP/ICMP
//!   checksums correct; frames under 60 bytes are zero-padded to 60 (so
//!   `bytes` must come from the IP total length).
//!
//! * **Scenarios** (`--scenario`) plant known events: see [`scenario`].
//!
//! The truth is computed from the written bytes themselves (see
//! [`truth`]), so chance coincidences count exactly as DESIGN.md defines.

pub mod by_day;
pub mod eve;
pub mod events;
pub mod frame;
pub mod geo;
pub mod mix;
pub mod model;
pub mod rng;
pub mod scans;
pub mod scenario;
pub mod traffic;
pub mod truth;
pub mod writer;

#[cfg(test)]
mod tests;

use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::time::{Day, NANOS_PER_DAY};
pub use scenario::Scenario;
pub use truth::Truth;

/// Coverage gaps in the truth's `by_day` are longer than this (darkscope's
/// default `--max-gap`).
const TRUTH_MAX_GAP_SECS: i64 = 600;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateConfig {
    pub out: PathBuf,
    pub packets: u64,
    pub days: u32,
    pub seed: u64,
    pub sources: u32,
    pub start: Day,
    /// Darknet prefix: network (host byte order) and prefix length.
    pub darknet: (u32, u8),
    pub scenario: Option<Scenario>,
    /// Also write `<out>.eve.json`, the IDS alerts of the capture (see [`eve`]).
    pub alerts: bool,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        GenerateConfig {
            out: PathBuf::new(),
            packets: 1_000_000,
            days: 3,
            seed: 1,
            sources: 50_000,
            start: Day::from_ymd(2024, 1, 1).unwrap_or_default(),
            darknet: (u32::from(Ipv4Addr::new(198, 18, 0, 0)), 16),
            scenario: None,
            alerts: false,
        }
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("invalid generate configuration: {0}")]
    Config(String),
}

/// The path of the truth file for `out`: `<out>.truth.json`.
pub fn truth_path(out: &std::path::Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".truth.json");
    PathBuf::from(s)
}

fn validate(cfg: &GenerateConfig) -> Result<(), GenerateError> {
    let bad = |m: String| Err(GenerateError::Config(m));
    if cfg.out.as_os_str().is_empty() {
        return bad("no output file given".into());
    }
    if cfg.days == 0 {
        return bad("--days must be at least 1".into());
    }
    if cfg.sources == 0 || cfg.sources > geo::MAX_WIDE_ADDRESSES {
        return bad(format!("--sources must be between 1 and {}", geo::MAX_WIDE_ADDRESSES));
    }
    if cfg.scenario == Some(Scenario::TwoPeriod) && cfg.days < 2 {
        return bad("--scenario two-period needs --days 2 or more (a baseline and a period)".into());
    }
    if cfg.scenario == Some(Scenario::Events) && cfg.days < 2 {
        return bad("--scenario events needs --days 2 or more (an attack crosses the first midnight)".into());
    }
    if cfg.darknet.1 > 32 {
        return bad(format!("darknet prefix length {} is over 32", cfg.darknet.1));
    }
    let start = i64::from(cfg.start.0) * NANOS_PER_DAY;
    let end = start + i64::from(cfg.days) * NANOS_PER_DAY;
    if start < 0 || end / 1_000_000_000 > i64::from(u32::MAX) {
        return bad("--start and --days must stay between 1970 and 2106 (pcap time range)".into());
    }
    Ok(())
}

/// The scenario's planted streams (DoS attacks, scan campaigns), merged by
/// time; on a tie the attack's packet goes first.
struct Planted {
    attacks: Option<events::Events>,
    scans: Option<scans::Scans>,
}

impl Planted {
    /// Writes every planted packet due at or before `until` (µs).
    fn write_until(
        &mut self,
        until: u64,
        traffic: &mut traffic::Traffic,
        frame: &mut frame::Frame,
        tally: &mut truth::Tally,
        out: &mut Output,
    ) -> Result<(), GenerateError> {
        loop {
            let attack = self.attacks.as_ref().and_then(events::Events::next_at).filter(|&t| t <= until);
            let scan = self.scans.as_ref().and_then(scans::Scans::next_at).filter(|&t| t <= until);
            let ts = match (attack, scan, self.attacks.as_mut(), self.scans.as_mut()) {
                (Some(a), Some(s), _, Some(scans)) if s < a => scans.emit(frame),
                (Some(_), _, Some(attacks), _) => attacks.emit(traffic, frame),
                (None, Some(_), _, Some(scans)) => scans.emit(frame),
                _ => return Ok(()),
            };
            if let Some(ts) = ts {
                tally.observe(ts, frame.captured());
                out.record(ts, frame)?;
            }
        }
    }
}

/// Where written frames go: the capture and, with `--alerts`, the alerts
/// an IDS raises on them.
struct Output {
    pcap: writer::PcapWriter,
    eve: Option<eve::Eve>,
}

impl Output {
    fn record(&mut self, ts: u64, frame: &frame::Frame) -> Result<(), GenerateError> {
        self.pcap.record(ts, frame.captured(), frame.orig)?;
        match &mut self.eve {
            Some(eve) => eve.observe(ts, frame.captured()),
            None => Ok(()),
        }
    }
}

/// The periods whose alerts the truth counts: the whole run, or the
/// two-period scenario's baseline and period.
fn alert_periods(cfg: &GenerateConfig) -> Vec<(Day, Day)> {
    let (first, last) = (cfg.start.0, cfg.start.0 + cfg.days as i32 - 1);
    match cfg.scenario {
        Some(Scenario::TwoPeriod) => {
            let split = first + (cfg.days / 2) as i32;
            vec![(Day(first), Day(split - 1)), (Day(split), Day(last))]
        }
        _ => vec![(Day(first), Day(last))],
    }
}

/// Writes `cfg.out` and `<cfg.out>.truth.json`; returns the truth.
pub fn generate(cfg: &GenerateConfig) -> Result<Truth, GenerateError> {
    validate(cfg)?;
    let (net_raw, prefix) = cfg.darknet;
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    let net = net_raw & mask;

    let mut setup_rng = rng::Rng::new(cfg.seed, 1);
    let mut pop = model::Population::new(&mut setup_rng, cfg.sources, net, prefix)?;
    let plan = match cfg.scenario {
        Some(Scenario::TwoPeriod) => Some(scenario::Plan::new(pop.planted(&mut setup_rng)?)),
        _ => None,
    };
    let start_us = (i64::from(cfg.start.0) * NANOS_PER_DAY / 1000) as u64;
    let mut planted = Planted { attacks: None, scans: None };
    if cfg.scenario == Some(Scenario::Events) {
        // Victims first, then the scanners: the victims stay those of a run without scans.
        planted.attacks = Some(events::Events::new(&mut pop, &mut setup_rng, start_us)?);
        let scan_rng = rng::Rng::new(cfg.seed, 4);
        planted.scans = Some(scans::Scans::new(&mut pop, &mut setup_rng, scan_rng, start_us, (net, prefix))?);
    }
    let mut traffic = traffic::Traffic::new(rng::Rng::new(cfg.seed, 2), pop, net, prefix);
    traffic.plan = plan;
    traffic.no_backscatter = planted.attacks.is_some();
    let mut time_rng = rng::Rng::new(cfg.seed, 3);
    let mut tally = truth::Tally::new(net, prefix, cfg.sources as usize + 64);
    if cfg.scenario.is_some() {
        tally = tally.with_days(TRUTH_MAX_GAP_SECS);
    }
    let second_period_us = u64::from(cfg.days / 2) * 86_400_000_000;
    let mut frame = frame::Frame::default();
    let eve = match cfg.alerts {
        true => Some(eve::Eve::create(&cfg.out, cfg.seed, (net, mask), &alert_periods(cfg))?),
        false => None,
    };
    let mut out = Output { pcap: writer::PcapWriter::create(&cfg.out)?, eve };

    let span_us = u64::from(cfg.days) * 86_400_000_000;
    let recorded_us = scenario::recorded_span(cfg.scenario, span_us);
    let step = recorded_us as f64 / cfg.packets.max(1) as f64;
    let n = cfg.packets;
    for i in 0..n {
        let u = f64::from(time_rng.next_u32()) * (1.0 / 4_294_967_296.0);
        let offset = scenario::recorded_offset(cfg.scenario, (((i as f64 + u) * step) as u64).min(recorded_us - 1));
        let ts = start_us + offset;
        if let Some(plan) = &mut traffic.plan {
            plan.active = offset >= second_period_us;
        }
        planted.write_until(ts, &mut traffic, &mut frame, &mut tally, &mut out)?;
        traffic.next(i, n, &mut frame);
        tally.observe(ts, frame.captured());
        out.record(ts, &frame)?;
    }
    planted.write_until(u64::MAX, &mut traffic, &mut frame, &mut tally, &mut out)?;
    out.pcap.finish()?;
    let alerts = out.eve.map(eve::Eve::finish).transpose()?;

    let config = truth::TruthConfig {
        out: cfg.out.display().to_string(),
        packets: cfg.packets,
        days: cfg.days,
        seed: cfg.seed,
        sources: cfg.sources,
        start: cfg.start.to_string(),
        darknet: format!("{}/{}", Ipv4Addr::from(net), prefix),
        scenario: cfg.scenario.map(|s| Scenario::NAMES[s as usize].to_string()),
    };
    let mut truth = tally.finish(config);
    truth.alerts = alerts;
    truth.attacks = planted.attacks.map(events::Events::truth);
    if let Some((runs, wide)) = planted.scans.map(scans::Scans::truth) {
        truth.scans = Some(runs);
        truth.wide_sources = Some(wide);
    }
    let path = truth_path(&cfg.out);
    let mut json = serde_json::to_vec_pretty(&truth)
        .map_err(|e| GenerateError::Io { path: path.clone(), source: std::io::Error::other(e) })?;
    json.push(b'\n');
    std::fs::write(&path, json).map_err(|source| GenerateError::Io { path, source })?;
    Ok(truth)
}
