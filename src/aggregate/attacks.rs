//! DoS attacks from backscatter (DESIGN "DoS attacks", CAIDA corsaro3's
//! RS-DoS rules): one attack vector per (victim, protocol); a vector idle
//! for longer than the profile's timeout ends, and what it gathered is an
//! attack when it reached the profile's packets, duration and peak.
//!
//! The record path logs every backscatter packet in an observation of 48
//! bytes (victim, protocol, time, darknet address, victim port, bytes: no
//! hashing on the record path); [`AttackLog::detect`] sorts the log by
//! vector and time and walks each vector once. Sorting first makes the attacks independent of
//! the order the packets were read in: inputs split anywhere, given in any
//! order, or counted on any number of threads give the same rows.
//!
//! The peak is the most packets in one 60 s window; windows start at the
//! attack's first packet and slide by 10 s (corsaro's `max_ppm`). The
//! protocol of a vector is the attacked one: TCP for TCP backscatter, the
//! quoted protocol of an ICMP error (a UDP flood answered by port
//! unreachables is a UDP attack), ICMP or ICMPv6 for echo replies and the
//! other informational replies.

use hashbrown::HashMap;

use crate::decode::{Addr, IpProto};
use crate::time::{Day, NANOS_PER_SEC, Timestamp};

/// The peak's window and how far it slides.
pub const WINDOW_NS: i64 = 60 * NANOS_PER_SEC;
pub const SLIDE_NS: i64 = 10 * NANOS_PER_SEC;

/// When a vector is an attack, and when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DosProfile {
    pub name: &'static str,
    pub min_packets: u64,
    /// From the first to the last packet.
    pub min_duration_ns: i64,
    /// Packets in the busiest 60 s window (0: no condition).
    pub min_window_packets: u64,
    /// A gap between two packets longer than this ends the vector.
    pub timeout_ns: i64,
}

impl DosProfile {
    /// CAIDA corsaro3 RS-DoS defaults (the default profile).
    pub const RSDOS: DosProfile = DosProfile {
        name: "rsdos",
        min_packets: 25,
        min_duration_ns: 60 * NANOS_PER_SEC,
        min_window_packets: 30,
        timeout_ns: 300 * NANOS_PER_SEC,
    };
    /// Moore et al. (2006): ≥ 100 packets over ≥ 60 s, 5 min timeout.
    pub const MOORE: DosProfile = DosProfile {
        name: "moore",
        min_packets: 100,
        min_duration_ns: 60 * NANOS_PER_SEC,
        min_window_packets: 0,
        timeout_ns: 300 * NANOS_PER_SEC,
    };
    pub const ALL: [DosProfile; 2] = [DosProfile::RSDOS, DosProfile::MOORE];

    pub fn named(name: &str) -> Option<DosProfile> {
        DosProfile::ALL.into_iter().find(|p| p.name == name)
    }
}

impl Default for DosProfile {
    fn default() -> Self {
        DosProfile::RSDOS
    }
}

/// One backscatter packet, as the log keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Observation {
    victim: [u64; 2],
    proto: u8,
    ts: i64,
    /// An IPv4 darknet address itself; an IPv6 one numbered, with bit 32.
    darknet_addr: u64,
    /// The victim's port + 1, or 0 when the packet did not show it.
    port: u32,
    bytes: u32,
}

impl Observation {
    fn vector(&self) -> ([u64; 2], u8) {
        (self.victim, self.proto)
    }
}

/// Every backscatter packet of the run (see the module docs).
#[derive(Default)]
pub struct AttackLog {
    /// IPv6 darknet addresses by number.
    ipv6_addrs: HashMap<u128, u32, foldhash::fast::RandomState>,
    log: Vec<Observation>,
}

/// One attack: a vector's packets between two idle gaps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attack {
    pub victim: Addr,
    pub proto: IpProto,
    /// First and last packet (ns).
    pub first_seen: i64,
    pub last_seen: i64,
    pub packets: u64,
    /// IP total length.
    pub bytes: u64,
    /// Packets in the busiest 60 s window.
    pub peak_window_packets: u64,
    /// Distinct victim ports (the services attacked).
    pub victim_ports: u32,
    /// Distinct darknet addresses the backscatter reached.
    pub darknet_addrs: u32,
}

impl Attack {
    /// The day the attack started (its partition in the store).
    pub fn day(&self) -> Day {
        Timestamp(self.first_seen).day()
    }

    pub fn duration_secs(&self) -> f64 {
        (self.last_seen - self.first_seen) as f64 / NANOS_PER_SEC as f64
    }

    /// The attack's packets per second at the victim, extrapolated from
    /// the share of IPv4 space the darknet is (× 2^32 / monitored): an
    /// estimate that assumes the attacker spoofed sources uniformly. None
    /// for IPv6 victims, short attacks or an unknown darknet size.
    pub fn estimated_pps(&self, monitored_ipv4: u64) -> Option<f64> {
        let secs = self.duration_secs();
        (self.victim.is_v4() && monitored_ipv4 > 0 && secs > 0.0)
            .then(|| self.packets as f64 / secs * (1u64 << 32) as f64 / monitored_ipv4 as f64)
    }
}

impl AttackLog {
    /// Logs one backscatter packet of `victim`'s `proto` vector.
    #[inline]
    pub fn push(&mut self, victim: Addr, proto: IpProto, ts: i64, bytes: u32, port: Option<u16>, darknet_addr: Addr) {
        let darknet_addr = match darknet_addr.as_v4() {
            Some(v4) => u64::from(v4),
            None => {
                let next = self.ipv6_addrs.len() as u32;
                (1 << 32) | u64::from(*self.ipv6_addrs.entry(darknet_addr.0).or_insert(next))
            }
        };
        let victim = [(victim.0 >> 64) as u64, victim.0 as u64];
        let port = port.map_or(0, |p| u32::from(p) + 1);
        self.log.push(Observation { victim, proto: proto.0, ts, darknet_addr, port, bytes });
    }

    /// The attacks `profile` finds, sorted by start, victim and protocol.
    /// Sorts the log by vector and time (once; later calls find it
    /// sorted): the order among packets of one vector and instant changes
    /// nothing an attack is made of.
    pub fn detect(&mut self, profile: &DosProfile) -> Vec<Attack> {
        self.log.sort_unstable_by_key(|o| (o.victim, o.proto, o.ts));
        let mut attacks = Vec::new();
        let mut scratch = Scratch::default();
        for vector in self.log.chunk_by(|a, b| a.vector() == b.vector()) {
            let [hi, lo] = vector[0].victim;
            let (victim, proto) = (Addr((u128::from(hi) << 64) | u128::from(lo)), IpProto(vector[0].proto));
            let mut start = 0;
            for i in 1..=vector.len() {
                let ends = i == vector.len() || vector[i].ts - vector[i - 1].ts > profile.timeout_ns;
                if ends {
                    if let Some(attack) = scratch.judge(&vector[start..i], profile, victim, proto) {
                        attacks.push(attack);
                    }
                    start = i;
                }
            }
        }
        attacks.sort_by_key(|a| (a.first_seen, a.victim, a.proto));
        attacks
    }
}

/// Buffers reused from one vector to the next.
#[derive(Default)]
struct Scratch {
    ports: Vec<u32>,
    addrs: Vec<u64>,
}

impl Scratch {
    /// The attack `run` (one vector's packets between idle gaps, in time
    /// order) is, if it meets `profile`.
    fn judge(&mut self, run: &[Observation], profile: &DosProfile, victim: Addr, proto: IpProto) -> Option<Attack> {
        let (first, last) = (run[0].ts, run[run.len() - 1].ts);
        if (run.len() as u64) < profile.min_packets || last - first < profile.min_duration_ns {
            return None;
        }
        let peak = peak_window(run, first, last);
        if peak < profile.min_window_packets {
            return None;
        }
        self.ports.clear();
        self.ports.extend(run.iter().filter(|o| o.port > 0).map(|o| o.port));
        self.addrs.clear();
        self.addrs.extend(run.iter().map(|o| o.darknet_addr));
        Some(Attack {
            victim,
            proto,
            first_seen: first,
            last_seen: last,
            packets: run.len() as u64,
            bytes: run.iter().map(|o| u64::from(o.bytes)).sum(),
            peak_window_packets: peak,
            victim_ports: distinct(&mut self.ports),
            darknet_addrs: distinct(&mut self.addrs),
        })
    }
}

/// The most packets of `run` in one window [first + k·10 s, + 60 s).
fn peak_window(run: &[Observation], first: i64, last: i64) -> u64 {
    let (mut lo, mut hi, mut peak) = (0, 0, 0);
    let mut start = first;
    while start <= last {
        while lo < run.len() && run[lo].ts < start {
            lo += 1;
        }
        while hi < run.len() && run[hi].ts < start + WINDOW_NS {
            hi += 1;
        }
        peak = peak.max(hi - lo);
        start += SLIDE_NS;
    }
    peak as u64
}

fn distinct<T: Ord>(values: &mut [T]) -> u32 {
    values.sort_unstable();
    let mut n = 0;
    for (i, v) in values.iter().enumerate() {
        if i == 0 || values[i - 1] != *v {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
#[path = "attacks_tests.rs"]
mod tests;
