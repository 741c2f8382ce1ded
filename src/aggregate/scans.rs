//! Scan events (DESIGN "Scan events", after Durumeric et al. and Merit's
//! darknet-events): one event per (source, destination port or ICMP type,
//! traffic type) until the key is idle for longer than the timeout (480 s;
//! exactly 480 s does not end it), kept when it reached at least
//! `min_dsts` distinct darknet addresses (100).
//!
//! The day worker logs each probe of a day (16 bytes and a tag: the key
//! with the source's number in its day, the time, the darknet address's
//! number, the tool bits); when the day closes, [`ScanBook::add_day`] sorts
//! the log by key and time (a counting sort by source, then each source's
//! few probes) and cuts each key's probes at the idle gaps. A run of probes
//! at least a timeout away from both ends of its day is final at once;
//! one nearer an end may continue on the day before or after, so it is
//! kept with its addresses and joined at [`ScanBook::finish`] with the
//! runs of its neighbouring days. Sorting makes the events independent of
//! the order the probes were read in, of the splits of the input, and of
//! the threads. Memory: the open days' logs (24 bytes a probe) and the
//! runs near midnight.
//!
//! Traffic types: a TCP SYN, another TCP probe that is not backscatter
//! (ACK, FIN, NULL, XMAS scans), UDP, and ICMP or ICMPv6 that is not
//! backscatter (keyed by ICMP type). Backscatter belongs to
//! [`super::attacks`]; packets without a destination port (non-first
//! fragments, other protocols) are not probes.

use super::day::{Pending, SourceDay, ToolLabel};
use crate::classify::geo::CountryCode;
use crate::decode::Addr;
use crate::time::{NANOS_PER_SEC, Timestamp};

/// A key idle for longer than this ends its event.
pub const SCAN_TIMEOUT_NS: i64 = 480 * NANOS_PER_SEC;
/// Distinct darknet addresses an event needs to be kept.
pub const DEFAULT_MIN_DSTS: u32 = 100;

/// The traffic type of a probe (its code is the log's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanKind {
    TcpSyn = 1,
    TcpOther = 2,
    Udp = 3,
    Icmp = 4,
}

impl ScanKind {
    pub const ALL: [ScanKind; 4] = [ScanKind::TcpSyn, ScanKind::TcpOther, ScanKind::Udp, ScanKind::Icmp];

    pub fn name(self) -> &'static str {
        match self {
            ScanKind::TcpSyn => "tcp_syn",
            ScanKind::TcpOther => "tcp_other",
            ScanKind::Udp => "udp",
            ScanKind::Icmp => "icmp",
        }
    }

    pub fn from_code(code: u8) -> Option<ScanKind> {
        ScanKind::ALL.into_iter().find(|k| *k as u8 == code)
    }
}

/// When events end and which are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanRules {
    pub min_dsts: u32,
    pub timeout_ns: i64,
}

impl Default for ScanRules {
    fn default() -> Self {
        ScanRules { min_dsts: DEFAULT_MIN_DSTS, timeout_ns: SCAN_TIMEOUT_NS }
    }
}

/// One probe as a day's log keeps it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Probe {
    /// Source number (high 32 bits), traffic type, port or ICMP type.
    key: u64,
    ts: i64,
    /// The darknet address's number in its day.
    dst: u32,
    /// [`Pending`]'s SYN and fingerprint bits.
    bits: u8,
}

impl Probe {
    fn source(&self) -> usize {
        (self.key >> 24) as usize
    }
}

/// The probes of one open day.
#[derive(Clone, Debug, Default)]
pub struct ScanLog {
    probes: Vec<Probe>,
}

impl ScanLog {
    /// Logs the probe `p` (numbered as the day's source `p.id`) of traffic
    /// type `kind` to the darknet address numbered `dst`.
    #[inline]
    pub fn push(&mut self, p: &Pending, kind: u8, dst: u32) {
        let key = (u64::from(p.id) << 24) | (u64::from(kind) << 16) | u64::from(p.port);
        self.probes.push(Probe { key, ts: p.ts, dst, bits: p.bits });
    }

    /// An empty log in `buffer` (a closed day's, see [`ScanBook::spare`]),
    /// with room for `probes`.
    pub fn reusing(mut buffer: Vec<Probe>, probes: usize) -> ScanLog {
        buffer.clear();
        buffer.reserve(probes);
        ScanLog { probes: buffer }
    }

    pub fn len(&self) -> usize {
        self.probes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.probes.is_empty()
    }
}

/// One scan event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scan {
    pub source: Addr,
    pub kind: ScanKind,
    /// Destination port, or the ICMP type.
    pub port: u16,
    pub first_seen: i64,
    pub last_seen: i64,
    pub packets: u64,
    /// Distinct darknet addresses probed.
    pub dsts: u32,
    /// Every SYN of the event matched the tool (precedence mirai,
    /// masscan, zmap); None for other traffic types.
    pub tool: Option<ToolLabel>,
    pub country: CountryCode,
}

impl Scan {
    /// The day the event started (its partition in the store).
    pub fn day(&self) -> crate::time::Day {
        Timestamp(self.first_seen).day()
    }

    pub fn duration_secs(&self) -> f64 {
        (self.last_seen - self.first_seen) as f64 / NANOS_PER_SEC as f64
    }

    /// Packets per second at the darknet (None for a single instant).
    pub fn rate_pps(&self) -> Option<f64> {
        let secs = self.duration_secs();
        (secs > 0.0).then(|| self.packets as f64 / secs)
    }

    /// The share of the darknet's `monitored` addresses probed.
    pub fn coverage(&self, monitored: u64) -> Option<f64> {
        (monitored > 0).then(|| f64::from(self.dsts) / monitored as f64)
    }

    /// The scan's rate over all of IPv4 (× 2^32 / monitored IPv4): an
    /// estimate that assumes the scanner probes addresses uniformly. None
    /// for IPv6 sources, single instants or an unknown darknet size.
    pub fn extrapolated_pps(&self, monitored_ipv4: u64) -> Option<f64> {
        let rate = self.rate_pps().filter(|_| self.source.is_v4() && monitored_ipv4 > 0)?;
        Some(rate * (1u64 << 32) as f64 / monitored_ipv4 as f64)
    }

    /// Hours to probe every IPv4 address once at the extrapolated rate.
    pub fn ipv4_sweep_hours(&self, monitored_ipv4: u64) -> Option<f64> {
        self.extrapolated_pps(monitored_ipv4).map(|pps| (1u64 << 32) as f64 / pps / 3_600.0)
    }
}

/// A key's probes between idle gaps near midnight (see the module docs).
#[derive(Clone, Debug)]
struct Fragment {
    source: Addr,
    kind: ScanKind,
    port: u16,
    first: i64,
    last: i64,
    packets: u64,
    tool: ToolBits,
    country: CountryCode,
    /// Sorted, distinct.
    dsts: Vec<u128>,
}

/// Whether a SYN was seen and which tools' fingerprints one missed.
#[derive(Clone, Copy, Debug, Default)]
struct ToolBits {
    syn: bool,
    misses: u8,
}

impl ToolBits {
    const TOOLS: u8 = Pending::MIRAI | Pending::MASSCAN | Pending::ZMAP;

    fn of(probes: &[Probe]) -> ToolBits {
        let mut t = ToolBits::default();
        for p in probes.iter().filter(|p| p.bits & Pending::SYN != 0) {
            t.syn = true;
            t.misses |= !p.bits & ToolBits::TOOLS;
        }
        t
    }

    fn join(self, other: ToolBits) -> ToolBits {
        ToolBits { syn: self.syn || other.syn, misses: self.misses | other.misses }
    }

    /// As [`SourceDay::tool_label`] decides a source-day's.
    fn label(self) -> Option<ToolLabel> {
        let record = SourceDay::default().with_syn_packets(u64::from(self.syn)).with_syn_misses(self.misses);
        record.tool_label()
    }
}

#[path = "scan_book.rs"]
mod book;
pub use book::ScanBook;
