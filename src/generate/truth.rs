//! Ground truth: what a correct `darkscope replay --darknet <CIDR>` must
//! report for the generated file.
//!
//! The counts are re-derived from the bytes of every written record by a
//! small, independent reader that applies DESIGN.md's rules (destination
//! port needs 4 captured L4 bytes and offset 0, flags 14, seq 8; flag-class
//! order; backscatter kinds; per-packet fingerprints; countries by the block
//! table), so accidental coincidences (a random IP ID of 54321, a random
//! sequence number equal to the destination) are counted as an analyser
//! would count them, whatever the generator meant to send.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use hashbrown::HashMap;
use serde::Serialize;

use super::by_day::ByDay;
use super::geo;
use crate::time::Timestamp;

/// `no_dst_port` of the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NoDstPort {
    pub non_first_fragment: u64,
    pub truncated: u64,
}

/// `tcp_flags` of the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TcpFlags {
    pub syn: u64,
    pub syn_ack: u64,
    pub rst: u64,
    pub rst_ack: u64,
    pub other: u64,
    pub unknown: u64,
}

/// `fingerprints` of the summary (packets).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Fingerprints {
    pub mirai: u64,
    pub zmap: u64,
    pub masscan: u64,
}

/// The `darkscope.summary/1` counters a correct analyser reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub records: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub non_ip: u64,
    pub malformed: u64,
    pub darknet_inside: u64,
    pub darknet_outside: u64,
    pub excluded: u64,
    pub packets: u64,
    pub protocols: BTreeMap<String, u64>,
    pub dst_ports: BTreeMap<String, u64>,
    pub no_dst_port: NoDstPort,
    pub icmp_types: BTreeMap<String, u64>,
    pub tcp_flags: TcpFlags,
    pub backscatter: BTreeMap<String, u64>,
    pub fingerprints: Fingerprints,
    pub unique_sources: u64,
    pub days: BTreeMap<String, u64>,
    pub countries: BTreeMap<String, u64>,
}

/// The generator's configuration as recorded in the truth file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TruthConfig {
    pub out: String,
    pub packets: u64,
    pub days: u32,
    pub seed: u64,
    pub sources: u32,
    pub start: String,
    pub darknet: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
}

/// `FILE.truth.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Truth {
    pub schema: String,
    pub config: TruthConfig,
    pub summary: Summary,
    /// The 100 busiest sources: "a.b.c.d" → packets.
    pub sources: BTreeMap<String, u64>,
    /// Sum of the IPv4 total length of darknet-inside packets.
    pub bytes: u64,
    /// Per UTC day (scenarios only; see [`super::by_day`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_day: Option<BTreeMap<String, super::by_day::DayTruth>>,
    /// The `events` scenario's planted DoS attacks, above the thresholds
    /// and below them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attacks: Option<Vec<super::events::AttackTruth>>,
    /// The `events` scenario's planted scan runs (one entry per run a key's
    /// probes are cut into), kept and not kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scans: Option<Vec<super::scans::ScanTruth>>,
    /// The `events` scenario's sources probing many ports once each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wide_sources: Option<Vec<super::scans::WideTruth>>,
    /// With `--alerts`: the alerts written to `<out>.eve.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<super::eve::AlertsTruth>,
}

const BACKSCATTER_ICMP: [u8; 9] = [0, 3, 4, 5, 11, 12, 14, 16, 18];

/// Running counts, fed one written record at a time.
pub struct Tally {
    net: u32,
    mask: u32,
    s: Summary,
    protocols: [u64; 256],
    tcp_ports: Vec<u64>,
    udp_ports: Vec<u64>,
    icmp_types: [u64; 256],
    icmp_unknown: u64,
    bs: [u64; 3],
    bs_icmp: [u64; 256],
    per_source: HashMap<u32, u64, foldhash::fast::FixedState>,
    days: BTreeMap<i32, u64>,
    day: (i32, u64),
    bytes: u64,
    by_day: Option<ByDay>,
}

impl Tally {
    pub fn new(net: u32, prefix: u8, expected_sources: usize) -> Tally {
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        Tally {
            net: net & mask,
            mask,
            s: Summary::default(),
            protocols: [0; 256],
            tcp_ports: vec![0; 65536],
            udp_ports: vec![0; 65536],
            icmp_types: [0; 256],
            icmp_unknown: 0,
            bs: [0; 3],
            bs_icmp: [0; 256],
            per_source: HashMap::with_capacity_and_hasher(expected_sources, foldhash::fast::FixedState::with_seed(11)),
            days: BTreeMap::new(),
            day: (i32::MIN, 0),
            bytes: 0,
            by_day: None,
        }
    }

    /// Also tally per day (see [`super::by_day`]), with coverage gaps
    /// longer than `max_gap_secs`.
    pub fn with_days(mut self, max_gap_secs: i64) -> Tally {
        self.by_day = Some(ByDay::new(max_gap_secs));
        self
    }

    /// Counts one record: its timestamp (µs since the epoch) and the
    /// captured bytes of an Ethernet frame.
    #[inline]
    pub fn observe(&mut self, ts_us: u64, cap: &[u8]) {
        let s = &mut self.s;
        s.records += 1;
        if let Some(b) = &mut self.by_day {
            b.record(ts_us as i64 * 1000);
        }
        if cap.len() < 14 {
            s.malformed += 1;
            return;
        }
        if u16::from_be_bytes([cap[12], cap[13]]) != 0x0800 {
            s.non_ip += 1;
            return;
        }
        let ip = &cap[14..];
        let ihl = usize::from(ip.first().map_or(0, |b| b & 0x0f)) * 4;
        if ip.len() < 20 || ip[0] >> 4 != 4 || ihl < 20 {
            s.malformed += 1;
            return;
        }
        s.ipv4 += 1;
        let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let (src, dst) = (be32(&ip[12..16]), be32(&ip[16..20]));
        if dst & self.mask != self.net {
            s.darknet_outside += 1;
            return;
        }
        s.darknet_inside += 1;
        s.packets += 1;
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        self.bytes += total as u64;
        let id = u16::from_be_bytes([ip[4], ip[5]]);
        let offset = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff;
        let proto = ip[9];
        self.protocols[usize::from(proto)] += 1;
        *self.per_source.entry(src).or_insert(0) += 1;
        let day = Timestamp(ts_us as i64 * 1000).day().0;
        if day != self.day.0 {
            if self.day.1 > 0 {
                *self.days.entry(self.day.0).or_insert(0) += self.day.1;
            }
            self.day = (day, 0);
        }
        self.day.1 += 1;
        if let Some(b) = &mut self.by_day {
            b.packet(day, src);
        }
        if id == 54321 {
            s.fingerprints.zmap += 1;
        }
        // The captured L4 bytes (none for a non-first fragment).
        let l4: &[u8] = if offset != 0 || ip.len() < ihl { &[] } else { &ip[ihl..ip.len().min(total.max(ihl))] };
        match proto {
            6 | 17 => {
                if l4.len() >= 4 {
                    let dport = usize::from(u16::from_be_bytes([l4[2], l4[3]]));
                    if proto == 6 {
                        self.tcp_ports[dport] += 1
                    } else {
                        self.udp_ports[dport] += 1
                    }
                    if let Some(b) = &mut self.by_day {
                        b.port(proto, dport as u16);
                    }
                } else if offset != 0 {
                    s.no_dst_port.non_first_fragment += 1;
                } else {
                    s.no_dst_port.truncated += 1;
                }
                if proto == 6 {
                    if l4.len() < 14 {
                        s.tcp_flags.unknown += 1;
                        return;
                    }
                    let flags = l4[13];
                    let (syn, ack, rst) = (flags & 0x02 != 0, flags & 0x10 != 0, flags & 0x04 != 0);
                    if let Some(b) = self.by_day.as_mut().filter(|_| rst || (syn && ack)) {
                        b.backscatter(src, Some((6, u16::from_be_bytes([l4[0], l4[1]]))));
                    }
                    if rst && ack {
                        s.tcp_flags.rst_ack += 1;
                        self.bs[2] += 1;
                    } else if rst {
                        s.tcp_flags.rst += 1;
                        self.bs[1] += 1;
                    } else if syn && ack {
                        s.tcp_flags.syn_ack += 1;
                        self.bs[0] += 1;
                    } else if syn {
                        s.tcp_flags.syn += 1;
                        let seq = be32(&l4[4..8]);
                        let dport = u32::from(u16::from_be_bytes([l4[2], l4[3]]));
                        if seq == dst {
                            s.fingerprints.mirai += 1;
                        }
                        if u32::from(id) == (dst ^ dport ^ seq) & 0xffff {
                            s.fingerprints.masscan += 1;
                        }
                    } else {
                        s.tcp_flags.other += 1;
                    }
                }
            }
            1 => match l4.first() {
                Some(&t) => {
                    self.icmp_types[usize::from(t)] += 1;
                    if BACKSCATTER_ICMP.contains(&t) {
                        self.bs_icmp[usize::from(t)] += 1;
                        if let Some(b) = &mut self.by_day {
                            let (victim, port) = icmp_victim(t, src, l4);
                            if let Some(victim) = victim {
                                b.backscatter(victim, port);
                            }
                        }
                    }
                }
                None => self.icmp_unknown += 1,
            },
            _ => {}
        }
    }

    /// The final truth for `config`.
    pub fn finish(mut self, config: TruthConfig) -> Truth {
        if self.day.1 > 0 {
            *self.days.entry(self.day.0).or_insert(0) += self.day.1;
        }
        let mut s = self.s;
        let put = |m: &mut BTreeMap<String, u64>, k: String, n: u64| {
            if n > 0 {
                *m.entry(k).or_insert(0) += n;
            }
        };
        for (p, &n) in self.protocols.iter().enumerate() {
            let name = match p {
                1 => "icmp".to_string(),
                6 => "tcp".to_string(),
                17 => "udp".to_string(),
                _ => format!("ip/{p}"),
            };
            put(&mut s.protocols, name, n);
        }
        for port in 0..65536 {
            put(&mut s.dst_ports, format!("tcp/{port}"), self.tcp_ports[port]);
            put(&mut s.dst_ports, format!("udp/{port}"), self.udp_ports[port]);
        }
        for t in 0..256 {
            put(&mut s.icmp_types, format!("icmp/{t}"), self.icmp_types[t]);
            put(&mut s.backscatter, format!("icmp/{t}"), self.bs_icmp[t]);
        }
        put(&mut s.icmp_types, "icmp/unknown".into(), self.icmp_unknown);
        put(&mut s.backscatter, "tcp_syn_ack".into(), self.bs[0]);
        put(&mut s.backscatter, "tcp_rst".into(), self.bs[1]);
        put(&mut s.backscatter, "tcp_rst_ack".into(), self.bs[2]);
        let total = self.bs.iter().sum::<u64>() + self.bs_icmp.iter().sum::<u64>();
        s.backscatter.insert("total".into(), total);
        s.unique_sources = self.per_source.len() as u64;
        for (&day, &n) in &self.days {
            put(&mut s.days, crate::time::Day(day).to_string(), n);
        }
        let mut busiest: Vec<(u32, u64)> = self.per_source.into_iter().collect();
        busiest.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for &(addr, n) in &busiest {
            let cc = geo::country_of(addr);
            put(&mut s.countries, String::from_utf8_lossy(&cc).into_owned(), n);
        }
        let sources = busiest.iter().take(100).map(|&(addr, n)| (Ipv4Addr::from(addr).to_string(), n)).collect();
        let by_day = self.by_day.map(ByDay::finish);
        Truth {
            schema: "darkscope.truth/1".into(),
            config,
            summary: s,
            sources,
            bytes: self.bytes,
            by_day,
            attacks: None,
            scans: None,
            wide_sources: None,
            alerts: None,
        }
    }
}

/// The victim of ICMP backscatter of type `t` and its service port: the
/// sender for replies, the quoted inner destination (and its TCP/UDP port,
/// when captured) for errors.
fn icmp_victim(t: u8, src: u32, icmp: &[u8]) -> (Option<u32>, Option<(u8, u16)>) {
    if !matches!(t, 3 | 4 | 5 | 11 | 12) {
        return (Some(src), None);
    }
    let inner = icmp.get(8..).unwrap_or(&[]);
    if inner.len() < 20 || inner[0] >> 4 != 4 {
        return (None, None);
    }
    let victim = u32::from_be_bytes([inner[16], inner[17], inner[18], inner[19]]);
    let ihl = usize::from(inner[0] & 0x0f) * 4;
    let proto = inner[9];
    let port = match inner.get(ihl..ihl + 4) {
        Some(l4) if matches!(proto, 6 | 17) => Some((proto, u16::from_be_bytes([l4[2], l4[3]]))),
        _ => None,
    };
    (Some(victim), port)
}
