//! What the daemon's threads publish for the HTTP side (`/metrics`,
//! `/healthz`, the status page), read without stopping capture.
//!
//! Each piece has one writer: the sensor thread publishes a copy of its
//! counters at most every [`PUBLISH_EVERY`] and after each flush; the
//! writer thread its flush results and, after each successful flush, the
//! status page's numbers read back from the store; the archive thread its
//! files and bytes. A reader locks a piece only to clone it, and encodes
//! outside the lock, so capture never waits for a scrape. A concurrent map
//! (dashmap) would serve many writers into one map; here every piece has a
//! single writer and readers want a consistent copy, which a mutex around a
//! small struct gives most simply.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;

use super::links::LinkView;
use crate::aggregate::{Aggregator, RecordCounts};
use crate::classify::FlagClass;
use crate::report::Report;
use crate::source::CaptureStats;

/// How often the sensor thread publishes its counters at most.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// A latency histogram in microseconds, 1 µs to 1 hour, 2 significant
/// digits (1 %): 3 KiB of counts, cheap to copy at each publication.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("constant, valid bounds")
}

/// The sensor thread's counters.
#[derive(Clone, Debug, Default)]
pub struct SensorView {
    pub counts: RecordCounts,
    /// Records counted in no day (their day had closed).
    pub late: u64,
    /// Darknet packets by protocol name (`tcp`, `udp`, `icmp`, `icmpv6`, `ip/N`).
    pub protocols: Vec<(String, u64)>,
    /// TCP packets by flag class.
    pub tcp_flags: Vec<(&'static str, u64)>,
    /// Backscatter packets by kind (`tcp_syn_ack`, `icmp/3`, …).
    pub backscatter: Vec<(String, u64)>,
    /// Packets matching mirai, zmap, masscan.
    pub fingerprints: [u64; 3],
    /// Each interface's libpcap counters.
    pub capture: Vec<CaptureStats>,
    /// When (wall clock, ns) the last batch with records came.
    pub last_packet: Option<i64>,
    /// How long packets waited from their capture timestamp to being
    /// counted (µs): the ring's block timeout plus the queues.
    pub batch_latency: Option<Histogram<u64>>,
    /// The open days at the last flush: (day, packets, distinct sources).
    pub open_days: Vec<(String, u64, u64)>,
    /// Percentiles of the per-source packets of the newest open day.
    pub source_packets: Vec<(f64, u64)>,
    /// What the followed IDS alert file held (`--alerts`; None without).
    pub alerts: Option<super::alerts::AlertCounts>,
}

impl SensorView {
    /// Copies the aggregator's run counters.
    pub fn count(&mut self, agg: &Aggregator) {
        self.counts = agg.counts.clone();
        self.late = agg.late_records();
        let t = &agg.traffic;
        self.protocols = t
            .protocols
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(p, n)| (crate::decode::IpProto(p as u8).name().into_owned(), *n))
            .collect();
        self.tcp_flags = FlagClass::ALL.iter().map(|c| (c.name(), t.flag_count(*c))).collect();
        self.backscatter =
            t.backscatter_kinds().into_iter().filter(|(_, n)| *n > 0).map(|(k, n)| (k.key(), n)).collect();
        self.fingerprints = t.fingerprints;
    }
}

/// The writer thread's flushes.
#[derive(Clone, Debug, Default)]
pub struct WriterView {
    pub flushes: u64,
    pub failures: u64,
    /// When the last flush that succeeded ended (wall clock, ns).
    pub last_success: Option<i64>,
    /// The last flush's error, while the next has not succeeded.
    pub failing: Option<String>,
    /// Flush durations (µs).
    pub durations: Option<Histogram<u64>>,
}

/// The archive's files.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArchiveView {
    pub files: u64,
    pub bytes: u64,
}

/// What the status page shows from the store after a flush: the newest
/// day as a report compared with the day before, and the hourly packets
/// of its top ports.
#[derive(Clone, Debug)]
pub struct StoredView {
    pub report: Report,
    /// Packets of each top port (the report's order) in each hour 0-23.
    pub hourly: Vec<(String, Vec<u64>)>,
    /// When the flush it was read after ended (wall clock, ns).
    pub flushed: i64,
}

/// Everything published, with what does not change.
#[derive(Debug)]
pub struct Shared {
    pub sensor_name: String,
    pub interfaces: Vec<String>,
    pub started: i64,
    /// `--max-silence`: no packet for this long is unhealthy.
    pub max_silence: Duration,
    /// darkscope's version, the country database, the scanner list.
    pub build: Mutex<(String, String, String)>,
    pub sensor: Mutex<SensorView>,
    pub writer: Mutex<WriterView>,
    pub archive: Mutex<ArchiveView>,
    pub stored: Mutex<Option<Arc<StoredView>>>,
    /// The capture interfaces' links, in the order of `interfaces`.
    pub links: Mutex<Vec<LinkView>>,
}

/// A copy of what a mutex holds (a poisoned one still has its last value).
pub fn read<T: Clone>(cell: &Mutex<T>) -> T {
    match cell.lock() {
        Ok(guard) => guard.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// Replaces what a mutex holds.
pub fn write<T>(cell: &Mutex<T>, value: T) {
    match cell.lock() {
        Ok(mut guard) => *guard = value,
        Err(poisoned) => *poisoned.into_inner() = value,
    }
}

/// Changes what a mutex holds.
pub fn update<T>(cell: &Mutex<T>, change: impl FnOnce(&mut T)) {
    match cell.lock() {
        Ok(mut guard) => change(&mut guard),
        Err(poisoned) => change(&mut poisoned.into_inner()),
    }
}

/// Whether the sensor is healthy at `now` (wall clock, ns): the reason it
/// is not, if so.
pub fn unhealthy(shared: &Shared, now: i64) -> Option<String> {
    let writer = read(&shared.writer);
    if let Some(error) = writer.failing {
        return Some(format!("the last flush failed: {error}"));
    }
    if let Some(reason) = super::links::unhealthy(shared, &read(&shared.links), now) {
        return Some(reason);
    }
    let sensor = read(&shared.sensor);
    let since = sensor.last_packet.unwrap_or(shared.started);
    let silence = Duration::from_nanos(u64::try_from(now.saturating_sub(since)).unwrap_or(0));
    if silence > shared.max_silence {
        let what = if sensor.last_packet.is_some() { "no packet for" } else { "no packet since the start," };
        return Some(format!("{what} {} s (--max-silence {} s)", silence.as_secs(), shared.max_silence.as_secs()));
    }
    None
}
