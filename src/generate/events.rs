//! The `events` scenario's planted DoS attacks: victims whose backscatter
//! arrives at exact intervals, some above the RS-DoS or Moore thresholds
//! and some just below them, one crossing midnight and two split by an
//! idle pause just longer than the timeout. The background traffic of the
//! scenario has no backscatter of its own, so these are all the attacks
//! there are.
//!
//! Whether each profile reports an attack, and its peak, are stated here
//! by hand from its spacing (a window [first + 10k s, + 60 s) holds
//! ⌈60 s ÷ spacing⌉ packets), not computed by darkscope's rules. The
//! truth's counts (packets, bytes, darknet addresses, first and last seen)
//! come from the written frames.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use serde::Serialize;

use super::GenerateError;
use super::frame::Frame;
use super::mix::Class;
use super::model::{Population, Victim};
use super::rng::Rng;
use super::traffic::Traffic;

const S: u64 = 1_000_000;

/// One planted attack vector.
struct Planned {
    name: &'static str,
    /// Index into the scenario's victims (two plans may share one).
    victim: usize,
    class: Class,
    ports: &'static [u16],
    /// From the run's start (µs).
    start: u64,
    packets: u32,
    spacing: u64,
    peak: u64,
    rsdos: bool,
    moore: bool,
}

/// Victims' countries, by index.
const VICTIMS: [[u8; 2]; 9] = [*b"JP", *b"US", *b"DE", *b"CN", *b"RU", *b"BR", *b"IN", *b"NL", *b"KR"];

const H: u64 = 3_600 * S;

#[rustfmt::skip]
const PLANNED: [Planned; 12] = [
    Planned { name: "syn-ack-flood", victim: 0, class: Class::BsSynAck, ports: &[443, 80], start: 2 * H, packets: 600, spacing: 2 * S, peak: 30, rsdos: true, moore: true },
    Planned { name: "echo-flood-same-victim", victim: 0, class: Class::BsEchoReply, ports: &[], start: 2 * H + 100 * S, packets: 300, spacing: S / 4, peak: 240, rsdos: true, moore: true },
    Planned { name: "across-midnight", victim: 1, class: Class::BsRstAck, ports: &[80], start: 24 * H - 300 * S, packets: 900, spacing: S, peak: 60, rsdos: true, moore: true },
    Planned { name: "udp-port-unreachable", victim: 2, class: Class::BsPortUnreach, ports: &[53], start: 6 * H, packets: 150, spacing: S / 2, peak: 120, rsdos: true, moore: true },
    Planned { name: "before-a-long-pause", victim: 3, class: Class::BsSynAck, ports: &[22], start: 8 * H, packets: 61, spacing: S, peak: 60, rsdos: true, moore: false },
    Planned { name: "after-a-long-pause", victim: 3, class: Class::BsSynAck, ports: &[22], start: 8 * H + 361 * S, packets: 61, spacing: S, peak: 60, rsdos: true, moore: false },
    Planned { name: "59-seconds", victim: 4, class: Class::BsSynAck, ports: &[443], start: 10 * H, packets: 60, spacing: S, peak: 60, rsdos: false, moore: false },
    Planned { name: "29-a-minute", victim: 5, class: Class::BsRstAck, ports: &[25565], start: 12 * H, packets: 100, spacing: 2_100_000, peak: 29, rsdos: false, moore: true },
    Planned { name: "short-before-a-pause", victim: 6, class: Class::BsSynAck, ports: &[80], start: 14 * H, packets: 40, spacing: S, peak: 40, rsdos: false, moore: false },
    Planned { name: "short-after-a-pause", victim: 6, class: Class::BsSynAck, ports: &[80], start: 14 * H + 340 * S, packets: 40, spacing: S, peak: 40, rsdos: false, moore: false },
    Planned { name: "at-the-thresholds", victim: 7, class: Class::BsSynAck, ports: &[443], start: 16 * H, packets: 31, spacing: 2 * S, peak: 30, rsdos: true, moore: false },
    Planned { name: "second-day-rst", victim: 8, class: Class::BsRst, ports: &[8080, 8443, 9000], start: 27 * H, packets: 200, spacing: S, peak: 60, rsdos: true, moore: true },
];

/// One planted attack as the truth file gives it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttackTruth {
    pub name: String,
    pub victim: String,
    pub country: String,
    pub proto: String,
    pub first_seen_ns: i64,
    pub last_seen_ns: i64,
    pub packets: u64,
    pub bytes: u64,
    pub peak_packets_per_minute: u64,
    pub victim_ports: u64,
    pub darknet_addrs: u64,
    /// Whether each profile reports it.
    pub rsdos: bool,
    pub moore: bool,
}

/// The planted packets still to write, in time order.
pub struct Events {
    victims: Vec<Victim>,
    /// (time µs, plan, packet number), reversed: the next one is last.
    queue: Vec<(u64, usize, u32)>,
    truth: Vec<AttackTruth>,
    addrs: Vec<BTreeSet<u32>>,
}

impl Events {
    pub fn new(pop: &mut Population, rng: &mut Rng, start_us: u64) -> Result<Events, GenerateError> {
        let victims = VICTIMS.iter().map(|&cc| pop.draw_victim(rng, cc)).collect::<Result<Vec<_>, _>>()?;
        let mut queue = Vec::new();
        let mut truth = Vec::new();
        for (i, p) in PLANNED.iter().enumerate() {
            queue.extend((0..p.packets).map(|k| (start_us + p.start + u64::from(k) * p.spacing, i, k)));
            let proto = match p.class {
                Class::BsEchoReply => "icmp",
                Class::BsPortUnreach => "udp",
                _ => "tcp",
            };
            truth.push(AttackTruth {
                name: p.name.into(),
                victim: Ipv4Addr::from(victims[p.victim].addr).to_string(),
                country: String::from_utf8_lossy(&VICTIMS[p.victim]).into_owned(),
                proto: proto.into(),
                first_seen_ns: i64::MAX,
                last_seen_ns: i64::MIN,
                packets: 0,
                bytes: 0,
                peak_packets_per_minute: p.peak,
                victim_ports: p.ports.len() as u64,
                darknet_addrs: 0,
                rsdos: p.rsdos,
                moore: p.moore,
            });
        }
        queue.sort_unstable_by(|a, b| b.cmp(a));
        Ok(Events { victims, queue, truth, addrs: vec![BTreeSet::new(); PLANNED.len()] })
    }

    /// The time of the next planted packet (µs), if any is left.
    pub fn next_at(&self) -> Option<u64> {
        self.queue.last().map(|q| q.0)
    }

    /// Builds the next planted packet into `f`; gives its time (µs).
    pub fn emit(&mut self, traffic: &mut Traffic, f: &mut Frame) -> Option<u64> {
        let (ts, i, k) = self.queue.pop()?;
        let plan = &PLANNED[i];
        let mut victim = self.victims[plan.victim];
        victim.port = plan.ports.get(k as usize % plan.ports.len().max(1)).copied().unwrap_or(0);
        traffic.backscatter_from(plan.class, victim, f);
        let ip = &f.captured()[14..];
        let t = &mut self.truth[i];
        let ns = ts as i64 * 1000;
        t.first_seen_ns = t.first_seen_ns.min(ns);
        t.last_seen_ns = t.last_seen_ns.max(ns);
        t.packets += 1;
        t.bytes += u64::from(u16::from_be_bytes([ip[2], ip[3]]));
        self.addrs[i].insert(u32::from_be_bytes([ip[16], ip[17], ip[18], ip[19]]));
        t.darknet_addrs = self.addrs[i].len() as u64;
        Some(ts)
    }

    pub fn truth(self) -> Vec<AttackTruth> {
        self.truth
    }
}
