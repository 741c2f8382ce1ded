//! The `events` scenario's planted scan campaigns: sources that probe one
//! destination port (or ICMP type) of the darknet at exact intervals, as
//! ZMap, Mirai, masscan or no known tool, some above the scan-event
//! threshold (≥ 100 distinct darknet addresses) and some just below it,
//! two cut by an idle pause just longer than the 480 s timeout, one joined
//! across a pause of exactly 480 s, one crossing midnight; and two sources
//! that probe many ports once each (the NPA's wide-range scanner, JPCERT's
//! "> 10 ports a day") without forming an event.
//!
//! Whether each run is kept, and its tool label, are stated here by hand
//! from DESIGN.md's definitions, not computed by darkscope's rules. Every
//! campaign has its own source, drawn after the DoS victims so that they
//! stay the same, and its own random stream (stream 4), so the background
//! and the attacks are byte-for-byte those of a run without the scans. IP
//! IDs and sequence numbers of the probes that are not meant to carry a
//! fingerprint are chosen so that they match none (not 54321, seq ≠ dst,
//! ID ≠ (dst ^ dport ^ seq) & 0xffff). The truth's counts (packets,
//! distinct darknet addresses, first and last seen, a wide source's
//! distinct ports per day) come from the written frames.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use hashbrown::HashSet;
use serde::Serialize;

use super::GenerateError;
use super::frame::{ETH_LEN, Frame, IP_DF, IPPROTO_ICMP, IPPROTO_UDP, Ip};
use super::mix::{MSS_OPTS, UDP_SERVICES};
use super::model::{Population, Victim};
use super::rng::Rng;
use crate::time::{Day, Timestamp};

const S: u64 = 1_000_000;
const H: u64 = 3_600 * S;
const ZMAP_ID: u16 = 54321;
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

/// How a campaign's probes are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    /// SYN with IP ID 54321.
    Zmap,
    /// SYN with seq = destination address.
    Mirai,
    /// SYN with IP ID = (dst ^ dport ^ seq) & 0xffff.
    Masscan,
    /// SYN matching no fingerprint.
    Syn,
    /// A bare ACK (traffic type `tcp_other`).
    Ack,
    Udp,
    /// ICMP echo request (type 8).
    Echo,
}

/// Packets `spacing` µs apart from `start` (µs from the run's start), to
/// `addrs` distinct darknet addresses in turn (packet k to the k mod
/// `addrs`-th), none of them used by another burst of the campaign.
struct Burst {
    start: u64,
    packets: u32,
    spacing: u64,
    addrs: u32,
}

/// One run of a key as darkscope must cut it: its bursts, and whether it
/// is kept (≥ 100 distinct darknet addresses), stated by hand.
struct Run {
    name: &'static str,
    kept: bool,
    bursts: &'static [Burst],
}

/// One source's probes. `ports` consecutive ports from `port` are probed
/// in turn (ICMP: `port` is the type). A `wide` campaign forms no event (one
/// packet per port) and is listed in the truth's `wide_sources` instead.
struct Campaign {
    country: [u8; 2],
    probe: Probe,
    port: u16,
    ports: u16,
    tool: Option<&'static str>,
    wide: bool,
    runs: &'static [Run],
}

const fn b(start: u64, packets: u32, spacing: u64, addrs: u32) -> Burst {
    Burst { start, packets, spacing, addrs }
}

const fn camp(
    country: &[u8; 2],
    probe: Probe,
    port: u16,
    tool: Option<&'static str>,
    runs: &'static [Run],
) -> Campaign {
    Campaign { country: *country, probe, port, ports: 1, tool, wide: false, runs }
}

#[rustfmt::skip]
const PLANNED: [Campaign; 13] = [
    // 1. ZMap sweep of 8088/tcp: 300 addresses in 300 s.
    camp(b"US", Probe::Zmap, 8088, Some("zmap"), &[Run { name: "zmap-8088", kept: true, bursts: &[b(H, 300, S, 300)] }]),
    // 2. Mirai to 23/tcp: 150 addresses, 2 s apart.
    camp(b"CN", Probe::Mirai, 23, Some("mirai"), &[Run { name: "mirai-23", kept: true, bursts: &[b(3 * H, 150, 2 * S, 150)] }]),
    // 3. masscan to 6379/tcp: 130 packets to 110 addresses (20 probed twice).
    camp(b"RU", Probe::Masscan, 6379, Some("masscan"), &[Run { name: "masscan-6379-repeats", kept: true, bursts: &[b(5 * H, 130, 3 * S, 110)] }]),
    // 4. A SYN scan of 22/tcp by no known tool.
    camp(b"NL", Probe::Syn, 22, None, &[Run { name: "generic-syn-22", kept: true, bursts: &[b(7 * H, 200, S, 200)] }]),
    // 5. Just below the threshold: 130 SYNs to 445/tcp, 99 addresses.
    camp(b"DE", Probe::Syn, 445, None, &[Run { name: "99-addresses", kept: false, bursts: &[b(9 * H, 130, 2 * S, 99)] }]),
    // 6. Exactly at the threshold: an ACK scan of 80/tcp, 100 addresses.
    camp(b"BR", Probe::Ack, 80, None, &[Run { name: "ack-scan-at-the-threshold", kept: true, bursts: &[b(11 * H, 100, 4 * S, 100)] }]),
    // 7. 481 s of silence after the 80th SYN to 3389/tcp: two runs of 80.
    camp(b"KR", Probe::Syn, 3389, None, &[
        Run { name: "before-a-481s-pause", kept: false, bursts: &[b(13 * H, 80, S, 80)] },
        Run { name: "after-a-481s-pause", kept: false, bursts: &[b(13 * H + 79 * S + 481 * S, 80, S, 80)] },
    ]),
    // 8. Exactly 480 s of silence after the 60th SYN to 5900/tcp: one run of 120.
    camp(b"JP", Probe::Syn, 5900, None, &[
        Run { name: "across-a-480s-pause", kept: true, bursts: &[b(26 * H, 60, S, 60), b(26 * H + 59 * S + 480 * S, 60, S, 60)] },
    ]),
    // 9. 600 s of silence between two big runs of UDP 161 probes.
    camp(b"IN", Probe::Udp, 161, None, &[
        Run { name: "udp-161-before-a-600s-pause", kept: true, bursts: &[b(30 * H, 120, S, 120)] },
        Run { name: "udp-161-after-a-600s-pause", kept: true, bursts: &[b(30 * H + 119 * S + 600 * S, 110, S, 110)] },
    ]),
    // 10. UDP 53 from 300 s before the first midnight: 120 probes each side.
    camp(b"TW", Probe::Udp, 53, None, &[Run { name: "udp-53-across-midnight", kept: true, bursts: &[b(24 * H - 300 * S, 240, 2_500_000, 240)] }]),
    // 11. An ICMP echo-request sweep (the port column is the type, 8).
    camp(b"VN", Probe::Echo, 8, None, &[Run { name: "icmp-echo-sweep", kept: true, bursts: &[b(34 * H, 150, S, 150)] }]),
    // 12. One SYN to each of 10000..=10149/tcp, to 3 addresses in turn: no event, ≥ 100 ports.
    Campaign { country: *b"SG", probe: Probe::Syn, port: 10_000, ports: 150, tool: None, wide: true,
        runs: &[Run { name: "wide-range-150-tcp-ports", kept: false, bursts: &[b(38 * H, 150, 2 * S, 3)] }] },
    // ... and one UDP probe to each of 20000..=20011: no event, > 10 ports.
    Campaign { country: *b"HK", probe: Probe::Udp, port: 20_000, ports: 12, tool: None, wide: true,
        runs: &[Run { name: "12-udp-ports", kept: false, bursts: &[b(42 * H, 12, 5 * S, 3)] }] },
];

/// One run of planted probes as the truth file gives it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScanTruth {
    pub name: String,
    pub source: String,
    pub country: String,
    pub scan_type: String,
    /// Destination port; the ICMP type for `icmp`.
    pub port: u16,
    pub first_seen_ns: i64,
    pub last_seen_ns: i64,
    pub packets: u64,
    pub darknet_addrs: u64,
    pub tool: Option<String>,
    pub kept: bool,
}

/// A source probing many ports, per UTC day it was seen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WideTruth {
    pub name: String,
    pub source: String,
    pub country: String,
    /// Distinct (protocol, destination port) pairs that day.
    pub distinct_ports: u64,
    pub day: String,
}

/// Where a burst's packets go.
#[derive(Clone, Copy)]
struct Slot {
    campaign: usize,
    /// Index into the truth's runs (`None`: a wide campaign).
    run: Option<usize>,
    /// First of its addresses in the campaign's list, and how many.
    base: usize,
    addrs: u32,
}

/// The planted probes still to write, in time order.
pub struct Scans {
    rng: Rng,
    sources: Vec<Victim>,
    sports: Vec<u16>,
    /// Per campaign: distinct darknet addresses, burst after burst.
    addrs: Vec<Vec<u32>>,
    slots: Vec<Slot>,
    /// (time µs, slot, packet number), reversed: the next one is last.
    queue: Vec<(u64, usize, u32)>,
    truth: Vec<ScanTruth>,
    seen: Vec<BTreeSet<u32>>,
    /// (campaign, day) → (protocol, port) pairs seen.
    wide: BTreeMap<(usize, i32), BTreeSet<(u8, u16)>>,
}

impl Scans {
    /// Draws the campaigns' sources from `pop` with `setup` and their
    /// darknet addresses (inside `net`/`prefix`) with `rng`.
    pub fn new(
        pop: &mut Population,
        setup: &mut Rng,
        mut rng: Rng,
        start_us: u64,
        (net, prefix): (u32, u8),
    ) -> Result<Scans, GenerateError> {
        let host_mask = if prefix == 0 { u32::MAX } else { !(u32::MAX << (32 - prefix)) };
        let need = PLANNED.iter().map(|c| c.runs.iter().flat_map(|r| r.bursts).map(|b| b.addrs).sum::<u32>());
        let need = need.max().unwrap_or(0);
        if u64::from(host_mask) + 1 < u64::from(need) {
            return Err(GenerateError::Config(format!(
                "--scenario events plants a scan of {need} distinct darknet addresses: use a darknet that large (/23 or wider)"
            )));
        }
        let (mut sources, mut sports, mut addrs) = (Vec::new(), Vec::new(), Vec::new());
        let (mut slots, mut queue, mut truth) = (Vec::new(), Vec::new(), Vec::new());
        for (ci, c) in PLANNED.iter().enumerate() {
            let source = pop.draw_victim(setup, c.country)?;
            sources.push(source);
            sports.push(rng.range_u16(32_768, 61_000));
            let mut list = Vec::new();
            let mut taken = HashSet::with_hasher(foldhash::fast::FixedState::with_seed(13));
            for run in c.runs {
                let r = (!c.wide).then_some(truth.len());
                for burst in run.bursts {
                    let base = list.len();
                    while list.len() < base + burst.addrs as usize {
                        let a = (net & !host_mask) | (rng.next_u32() & host_mask);
                        if taken.insert(a) {
                            list.push(a);
                        }
                    }
                    let slot = slots.len();
                    slots.push(Slot { campaign: ci, run: r, base, addrs: burst.addrs });
                    let at = |k: u32| start_us + burst.start + u64::from(k) * burst.spacing;
                    queue.extend((0..burst.packets).map(|k| (at(k), slot, k)));
                }
                if !c.wide {
                    truth.push(ScanTruth {
                        name: run.name.into(),
                        source: Ipv4Addr::from(source.addr).to_string(),
                        country: String::from_utf8_lossy(&c.country).into_owned(),
                        scan_type: scan_type(c.probe).into(),
                        port: c.port,
                        first_seen_ns: i64::MAX,
                        last_seen_ns: i64::MIN,
                        packets: 0,
                        darknet_addrs: 0,
                        tool: c.tool.map(String::from),
                        kept: run.kept,
                    });
                }
            }
            addrs.push(list);
        }
        queue.sort_unstable_by(|a, b| b.cmp(a));
        let seen = vec![BTreeSet::new(); truth.len()];
        Ok(Scans { rng, sources, sports, addrs, slots, queue, truth, seen, wide: BTreeMap::new() })
    }

    /// The time of the next planted probe (µs), if any is left.
    pub fn next_at(&self) -> Option<u64> {
        self.queue.last().map(|q| q.0)
    }

    /// Builds the next planted probe into `f`; gives its time (µs).
    pub fn emit(&mut self, f: &mut Frame) -> Option<u64> {
        let (ts, slot, k) = self.queue.pop()?;
        let s = self.slots[slot];
        let c = &PLANNED[s.campaign];
        let dst = self.addrs[s.campaign].get(s.base + (k % s.addrs.max(1)) as usize).copied().unwrap_or(0);
        let port = c.port.wrapping_add((k % u32::from(c.ports.max(1))) as u16);
        self.build(c.probe, s.campaign, dst, port, f);
        // The truth, from the bytes just written.
        let ip = f.captured().get(ETH_LEN..).unwrap_or(&[]);
        let ns = ts as i64 * 1000;
        if let Some(r) = s.run {
            let dst = ip.get(16..20).map_or(0, |d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]));
            let t = &mut self.truth[r];
            t.first_seen_ns = t.first_seen_ns.min(ns);
            t.last_seen_ns = t.last_seen_ns.max(ns);
            t.packets += 1;
            self.seen[r].insert(dst);
            t.darknet_addrs = self.seen[r].len() as u64;
        } else if let (Some(&proto), Some(l4)) = (ip.get(9), ip.get(20..24)) {
            let key = (proto, u16::from_be_bytes([l4[2], l4[3]]));
            self.wide.entry((s.campaign, Timestamp(ns).day().0)).or_default().insert(key);
        }
        Some(ts)
    }

    /// Builds one probe of `probe` from campaign `ci`'s source.
    fn build(&mut self, probe: Probe, ci: usize, dst: u32, dport: u16, f: &mut Frame) {
        let src = self.sources[ci];
        let r = self.rng.next_u64();
        let (r32, r16) = ((r >> 32) as u32, r as u16);
        let mut ip = Ip { src: src.addr, dst, id: 0, frag: 0, ttl: src.ttl, proto: super::frame::IPPROTO_TCP };
        let sport = self.sports[ci];
        match probe {
            Probe::Zmap => {
                ip.id = ZMAP_ID;
                f.tcp(&ip, sport, dport, plain_seq(r32, dst, dport, ZMAP_ID), 0, SYN, 65535, &[]);
            }
            Probe::Mirai => {
                ip.id = plain_id(r16, dst, dport, dst);
                f.tcp(&ip, sport, dport, dst, 0, SYN, (r >> 16) as u16, &[]);
            }
            Probe::Masscan => {
                let seq = plain_seq(r32, dst, dport, ZMAP_ID);
                ip.id = masscan_id(dst, dport, seq);
                f.tcp(&ip, sport, dport, seq, 0, SYN, 1024, &[]);
            }
            Probe::Syn | Probe::Ack => {
                let seq = if r32 == dst { r32.wrapping_add(1) } else { r32 };
                ip.id = plain_id(r16, dst, dport, seq);
                ip.frag = IP_DF;
                let sport = 32_768 + (r >> 17) as u16 % 28_000;
                match probe {
                    Probe::Ack => f.tcp(&ip, sport, dport, seq, (r >> 8) as u32, ACK, 1024, &[]),
                    _ => f.tcp(&ip, sport, dport, seq, 0, SYN, 64240, &MSS_OPTS),
                }
            }
            Probe::Udp => {
                ip.proto = IPPROTO_UDP;
                ip.id = plain_id(r16, dst, dport, 0);
                let payload = UDP_SERVICES.iter().find(|s| s.0 == dport).map_or(&[0u8; 8][..], |s| s.1);
                f.udp(&ip, sport, dport, payload);
            }
            Probe::Echo => {
                ip.proto = IPPROTO_ICMP;
                ip.id = plain_id(r16, dst, 0, 0);
                f.icmp(&ip, 8, 0, r32.to_be_bytes(), &[0u8; 56]);
            }
        }
    }

    /// The runs, and the wide sources per day they were seen.
    pub fn truth(self) -> (Vec<ScanTruth>, Vec<WideTruth>) {
        let wide = self
            .wide
            .iter()
            .map(|(&(ci, day), ports)| {
                let c = &PLANNED[ci];
                WideTruth {
                    name: c.runs.first().map_or("", |r| r.name).into(),
                    source: Ipv4Addr::from(self.sources[ci].addr).to_string(),
                    country: String::from_utf8_lossy(&c.country).into_owned(),
                    distinct_ports: ports.len() as u64,
                    day: Day(day).to_string(),
                }
            })
            .collect();
        (self.truth, wide)
    }
}

fn scan_type(probe: Probe) -> &'static str {
    match probe {
        Probe::Zmap | Probe::Mirai | Probe::Masscan | Probe::Syn => "tcp_syn",
        Probe::Ack => "tcp_other",
        Probe::Udp => "udp",
        Probe::Echo => "icmp",
    }
}

/// masscan's IP ID for a SYN: (dst ^ dport ^ seq) & 0xffff.
pub fn masscan_id(dst: u32, dport: u16, seq: u32) -> u16 {
    ((dst ^ u32::from(dport) ^ seq) & 0xffff) as u16
}

/// `seq`, or the next number that is not `dst` (Mirai) and does not make
/// `id` masscan's ID (each step changes the masscan ID, so at most a few).
fn plain_seq(mut seq: u32, dst: u32, dport: u16, id: u16) -> u32 {
    while seq == dst || masscan_id(dst, dport, seq) == id {
        seq = seq.wrapping_add(1);
    }
    seq
}

/// `id`, or the next ID that is neither ZMap's nor masscan's for `seq`.
fn plain_id(mut id: u16, dst: u32, dport: u16, seq: u32) -> u16 {
    while id == ZMAP_ID || id == masscan_id(dst, dport, seq) {
        id = id.wrapping_add(1);
    }
    id
}
