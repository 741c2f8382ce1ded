//! Live capture from a network interface through libpcap (the `pcap`
//! crate), beside the file readers: one capture per interface, each run on
//! a plain OS thread of its own that copies records out of libpcap's ring
//! into [`Batch`]es and hands them on. No per-packet async.
//!
//! Defaults are a darknet sensor's: no immediate mode (so libpcap on Linux
//! uses the TPACKET_V3 ring, which immediate mode would turn into V2), a
//! large kernel buffer, promiscuous mode, nanosecond timestamps, only
//! packets received (not sent) by the interface. The kernel wakes the
//! capture when a ring block is full or its timeout passed; a quiet
//! interface therefore blocks in libpcap until [`Stopper::interrupt`]
//! breaks the loop. Stopping is two steps: [`Stopper::stop`] lets the
//! capture take the blocks the kernel hands over within its block timeout
//! and return; `interrupt` ends a wait for packets that will not come.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pcap::{Active, Capture, Direction, Precision};

use super::LinkType;
use super::batch::{Batch, CaptureStats};

/// How to open an interface.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Bytes kept of each packet.
    pub snaplen: u32,
    /// libpcap's kernel buffer, bytes.
    pub buffer_bytes: u32,
    pub promiscuous: bool,
    /// A BPF filter expression (tcpdump syntax).
    pub filter: Option<String>,
    /// Deliver each packet at once (tests only: forces TPACKET_V2).
    pub immediate: bool,
    /// How long the kernel holds a ring block that is not full, ms.
    pub block_timeout_ms: u32,
}

/// Why an interface cannot be captured.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("--iface {iface}: no such interface ({message}); interfaces here: {known}")]
    NoSuchInterface { iface: String, message: String, known: String },
    #[error(
        "--iface {iface}: no permission to capture ({message}): run as root, or give darkscope the \
         capabilities CAP_NET_RAW and CAP_NET_ADMIN (e.g. setcap cap_net_raw,cap_net_admin+ep $(which darkscope))"
    )]
    Permission { iface: String, message: String },
    #[error("--bpf '{filter}' is not a valid filter on {iface}: {message}")]
    Filter { iface: String, filter: String, message: String },
    #[error("capturing on {iface}: {message}")]
    Capture { iface: String, message: String },
}

/// An opened interface, ready to run on a thread of its own.
pub struct LiveCapture {
    iface: String,
    index: usize,
    link: LinkType,
    capture: Capture<Active>,
    /// libpcap's 32-bit counters as last read, and their 64-bit sums.
    last: (u32, u32, u32),
    stats: CaptureStats,
}

/// Stops a running capture from another thread.
#[derive(Clone)]
pub struct Stopper {
    stop: Arc<AtomicBool>,
    breaker: Arc<pcap::BreakLoop>,
}

impl Stopper {
    /// Makes the capture's thread send what it holds and return once the
    /// kernel next hands over packets (within the block timeout, while
    /// packets arrive).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Stops and breaks libpcap's wait for packets (a quiet interface).
    pub fn interrupt(&self) {
        self.stop();
        self.breaker.breakloop();
    }
}

impl LiveCapture {
    /// Opens `iface` (the `index`-th interface of the capture). Needs the
    /// privileges to capture; nothing is read until [`run`](Self::run).
    pub fn open(index: usize, iface: &str, options: &LiveOptions) -> Result<LiveCapture, LiveError> {
        let failed = |e: pcap::Error| classify_error(iface, e);
        let inactive = Capture::from_device(iface)
            .map_err(failed)?
            .snaplen(i32::try_from(options.snaplen).unwrap_or(i32::MAX))
            .buffer_size(i32::try_from(options.buffer_bytes).unwrap_or(i32::MAX))
            .promisc(options.promiscuous)
            .precision(Precision::Nano)
            .immediate_mode(options.immediate)
            .timeout(i32::try_from(options.block_timeout_ms).unwrap_or(1000));
        let capture = inactive.open().map_err(failed)?;
        // Not every interface can tell directions apart (then both come).
        let _ = capture.direction(Direction::In);
        let mut capture = capture;
        if let Some(filter) = &options.filter {
            capture.filter(filter, true).map_err(|e| LiveError::Filter {
                iface: iface.to_string(),
                filter: filter.clone(),
                message: e.to_string(),
            })?;
        }
        let link = LinkType(u16::try_from(capture.get_datalink().0).unwrap_or(u16::MAX));
        Ok(LiveCapture {
            iface: iface.to_string(),
            index,
            link,
            capture,
            last: (0, 0, 0),
            stats: CaptureStats::default(),
        })
    }

    pub fn iface(&self) -> &str {
        &self.iface
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// What stops [`run`](Self::run) from another thread.
    pub fn stopper(&mut self) -> Stopper {
        Stopper { stop: Arc::new(AtomicBool::new(false)), breaker: Arc::new(self.capture.breakloop_handle()) }
    }

    /// Captures until `stopper` says stop or `send` fails (the receiver
    /// is gone): each ring block the kernel hands over becomes a batch,
    /// sent with the interface's counters. The last batch carries the
    /// final counters.
    pub fn run(mut self, stopper: &Stopper, mut send: impl FnMut(Batch) -> bool) -> Result<(), LiveError> {
        let mut batch = Batch::new(self.index, self.link);
        loop {
            let result = self.capture.dispatch(None, |packet| {
                let ts = packet.header.ts;
                // time_t and suseconds_t are i64 here, narrower elsewhere.
                #[allow(clippy::useless_conversion)]
                let ns = i64::from(ts.tv_sec).saturating_mul(1_000_000_000).saturating_add(i64::from(ts.tv_usec));
                batch.push(ns, packet.data, packet.header.len);
            });
            let stopping = stopper.stop.load(Ordering::SeqCst);
            if let Err(e) = result
                && !stopping
            {
                return Err(LiveError::Capture { iface: self.iface.clone(), message: e.to_string() });
            }
            if !batch.is_empty() || stopping {
                batch.stats = self.read_stats();
                let full = std::mem::replace(&mut batch, Batch::new(self.index, self.link));
                if !send(full) || stopping {
                    return Ok(());
                }
            }
        }
    }

    /// libpcap's counters, widened to 64 bits (they wrap at 2^32).
    fn read_stats(&mut self) -> Option<CaptureStats> {
        let now = self.capture.stats().ok()?;
        let (received, dropped, if_dropped) = self.last;
        self.stats.received += u64::from(now.received.wrapping_sub(received));
        self.stats.dropped += u64::from(now.dropped.wrapping_sub(dropped));
        self.stats.if_dropped += u64::from(now.if_dropped.wrapping_sub(if_dropped));
        self.last = (now.received, now.dropped, now.if_dropped);
        Some(self.stats)
    }
}

/// Names the problem of a failed open: a missing interface and missing
/// privileges get their own errors, with what to do.
fn classify_error(iface: &str, e: pcap::Error) -> LiveError {
    let message = e.to_string();
    let lower = message.to_lowercase();
    if lower.contains("no such device") || lower.contains("doesn't exist") || lower.contains("no such file") {
        let known = pcap::Device::list()
            .map(|list| list.into_iter().map(|d| d.name).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        let known = if known.is_empty() { "none found (see `ip link`)".to_string() } else { known };
        LiveError::NoSuchInterface { iface: iface.to_string(), message, known }
    } else if lower.contains("permission") || lower.contains("not permitted") {
        LiveError::Permission { iface: iface.to_string(), message }
    } else {
        LiveError::Capture { iface: iface.to_string(), message }
    }
}
