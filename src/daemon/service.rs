//! The daemon's threads and its shutdown protocol.
//!
//! * **Capture threads** (one per interface, started by the caller with a
//!   sender of [`Batch`]es) copy packets out of libpcap.
//! * **The sensor thread** owns the [`Sensor`]: it counts each batch, hands
//!   it to the archive, and at each flush tick takes the open days'
//!   snapshot and hands it to the writer. Everything that changes the
//!   aggregates happens here, in order.
//! * **The writer thread** owns the [`LiveStore`] and writes each flush
//!   (state, tables, manifest); a flush that fails is logged and the next
//!   one writes the whole state again, so nothing is lost but time.
//! * **The archive thread** compresses and writes the raw packets.
//! * **The main thread** runs tokio: the signals, the flush timer, the
//!   HTTP side and, with `--alerts`, the follower of the IDS's alert file
//!   ([`super::eve`]), which sends its lines to the sensor thread.
//!
//! Shutdown, on SIGTERM or SIGINT (or a capture that fails):
//! 0. with `--alerts`, the alert file is read to its end and the follower
//!    stops (its lines are queued for the sensor thread);
//! 1. each capture is told to stop; it sends what the kernel hands over
//!    within one ring-block timeout and returns; then any capture still
//!    waiting for packets is interrupted;
//! 2. with every capture gone, the batch channel closes: the sensor thread
//!    counts the alert lines still queued, takes the final snapshot
//!    (coverage ends now), hands it to the writer, closes its channels and
//!    stops the aggregator's threads;
//! 3. the archive thread finishes its files (renamed into place), the
//!    writer writes the final flush;
//! 4. the main thread waits for all of them, at most `--shutdown-timeout`
//!    after the signal: then exit 0, or 1 if the final flush failed or the
//!    deadline passed (the store then holds the flush before). A second
//!    signal during shutdown exits at once, status 1.
//!
//! SIGHUP rotates the archive and reloads the country database and the
//! scanner list (the old ones stay when the new ones do not load).

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Sender, bounded, unbounded};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::archive::Archive;
use super::clock::SharedClock;
use super::counting::Counting;
use super::log::log;
use super::sensor::Sensor;
use super::shared::Shared;
use super::workers::{write_archive, write_flushes};
use crate::classify::ScannerList;
use crate::classify::geo::CountryDb;
use crate::source::Batch;
use crate::store::{LiveDay, LiveStore};

/// Batches that may wait for the sensor thread (then capture threads wait,
/// and libpcap's ring buffers what comes meanwhile).
const QUEUED_BATCHES: usize = 256;

/// How the daemon runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub flush: Duration,
    pub shutdown_deadline: Duration,
    /// How long a capture may take to hand over what the kernel holds once
    /// told to stop (its ring-block timeout, and a margin).
    pub stop_grace: Duration,
}

/// A capture thread, started by the caller.
pub struct CaptureHandle {
    pub name: String,
    pub thread: JoinHandle<()>,
    /// Tell the capture to stop, and to stop waiting for packets.
    pub stop: Box<dyn Fn() + Send + Sync>,
    pub interrupt: Box<dyn Fn() + Send + Sync>,
}

/// What the daemon's threads tell the main thread.
#[derive(Debug)]
pub enum Event {
    /// A capture thread stopped with an error.
    CaptureFailed(String),
}

/// The country database and scanner list loaded again (SIGHUP).
pub struct Reloaded {
    pub geo: Option<Arc<CountryDb>>,
    pub scanners: Option<Arc<ScannerList>>,
}

/// Loads what SIGHUP reloads; logs what could not be loaded.
pub type Reload = Box<dyn Fn() -> Reloaded + Send + Sync>;

/// Everything the daemon runs on.
pub struct Daemon {
    pub sensor: Sensor,
    pub store: LiveStore,
    pub archive: Option<Archive>,
    pub clock: SharedClock,
    pub reload: Reload,
    /// What the threads publish for the HTTP side (and the interfaces'
    /// names, in the order of their batches' `iface`).
    pub shared: Arc<Shared>,
    /// Where `/metrics`, `/healthz` and the status page are served, if anywhere.
    pub http: Option<std::net::TcpListener>,
    /// The IDS's alert file, followed (`--alerts`).
    pub alerts: Option<crate::source::follow::Follower>,
}

pub(super) enum Control {
    Flush,
    Rotate,
    Reloaded(Reloaded),
    /// Complete lines of the followed alert file, ending at `position`.
    Alerts {
        lines: Vec<u8>,
        position: crate::source::follow::Position,
    },
}

pub(super) enum Job {
    /// The open days, and the alerts' state (with `--alerts`).
    Flush {
        days: Vec<LiveDay>,
        now: i64,
        records: u64,
        alerts: Option<Vec<u8>>,
    },
    Geo(Arc<CountryDb>),
    Scanners(Arc<ScannerList>),
}

pub(super) enum ToArchive {
    Batch(Batch),
    Sync,
    Rotate,
}

/// Why the daemon ended with status 1.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("{0}")]
    Capture(String),
    #[error("the final flush failed ({0}): the store holds the flush before it")]
    FinalFlush(String),
    #[error("shutdown took longer than --shutdown-timeout ({0:?}): the store holds the last flush that finished")]
    Deadline(Duration),
    #[error("stopped by a second signal during shutdown: the store holds the last flush that finished")]
    Aborted,
    #[error("starting the daemon: {0}")]
    Start(String),
}

/// Why the main loop ended.
#[derive(Debug, Default)]
enum Stop {
    #[default]
    Signal,
    Capture(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Signal => f.write_str("signal"),
            Stop::Capture(e) => write!(f, "capture failed: {e}"),
        }
    }
}

/// Runs the daemon until a signal or a failure; `start_captures` starts
/// the capture threads with the batch sender and the event sender.
pub fn serve(
    daemon: Daemon,
    settings: Settings,
    start_captures: impl FnOnce(Sender<Batch>, UnboundedSender<Event>) -> Vec<CaptureHandle>,
) -> Result<(), DaemonError> {
    let start = |e: std::io::Error| DaemonError::Start(e.to_string());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(start)?;
    // Signals are caught from here on (before any thread starts).
    let guard = runtime.enter();
    let mut signals = Signals::new().map_err(start)?;
    drop(guard);
    let (events, mut event_rx) = unbounded_channel::<Event>();
    let (data, data_rx) = bounded::<Batch>(QUEUED_BATCHES);
    let (control, control_rx) = unbounded::<Control>();
    let (jobs, jobs_rx) = bounded::<Job>(1);
    let store = daemon.store;
    let shared = daemon.shared.clone();
    let writer = spawn("writer", move || write_flushes(store, jobs_rx, &shared)).map_err(start)?;
    let (archive, archive_thread) = match daemon.archive {
        Some(archive) => {
            let (send, receive) = bounded::<ToArchive>(QUEUED_BATCHES);
            let shared = daemon.shared.clone();
            (Some(send), Some(spawn("archive", move || write_archive(archive, receive, &shared)).map_err(start)?))
        }
        None => (None, None),
    };
    let clock = daemon.clock.clone();
    let mut sensor = daemon.sensor;
    let shared = daemon.shared.clone();
    let alert_file = daemon.alerts.as_ref().map(|f| f.path().display().to_string()).unwrap_or_default();
    let sensor_thread = spawn("sensor", move || {
        let mut counting = Counting::new(&mut sensor, clock, shared.clone(), jobs, archive);
        counting.alert_file = alert_file;
        counting.run(&data_rx, &control_rx);
        for (name, stats) in shared.interfaces.iter().zip(sensor.capture_stats()) {
            log!(
                Info,
                "{name}: libpcap received {}, dropped {} (buffer full), {} by the interface",
                stats.received,
                stats.dropped,
                stats.if_dropped
            );
        }
        log!(Info, "{} records counted in this run", sensor.aggregator().counts.records);
        if let Some(c) = sensor.alerts().map(|a| &a.counts) {
            log!(
                Info,
                "--alerts: {} lines read in this run: {} alerts counted, {} outside the darknet, {} excluded, {} of \
                 days not open (late), {} other events, {} malformed",
                c.lines,
                c.counted,
                c.outside,
                c.excluded,
                c.late,
                c.skipped,
                c.malformed
            );
        }
        sensor.stop();
    })
    .map_err(start)?;
    let captures = start_captures(data, events);

    runtime.spawn(super::links::watch(daemon.shared.clone(), daemon.clock.clone()));
    let follower = daemon.alerts.map(|follower| {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        (stop, runtime.spawn(super::eve::follow(follower, control.clone(), stopped)))
    });
    if let Some(listener) = daemon.http {
        runtime.spawn(super::http::serve(listener, daemon.shared.clone(), daemon.clock.clone()));
    }
    runtime.block_on(async move {
        let reason = main_loop(&settings, &control, &daemon.reload, &mut signals, &mut event_rx).await;
        log!(Info, "shutting down ({reason})");
        let deadline = tokio::time::Instant::now() + settings.shutdown_deadline;
        // The alert file is read to its end before the captures stop, so
        // the final flush counts it (the sensor thread takes what is queued).
        if let Some((stop, task)) = follower {
            let _ = stop.send(());
            let _ = tokio::time::timeout_at(deadline, task).await;
        }
        for capture in &captures {
            (capture.stop)();
        }
        let grace = tokio::time::sleep(settings.stop_grace);
        tokio::pin!(grace);
        let mut interrupted = false;
        // The capture threads end first, then the sensor's, the archive's
        // and the writer's (see the module docs).
        let (interrupts, joins): (Vec<_>, Vec<_>) = captures.into_iter().map(|c| (c.interrupt, c.thread)).unzip();
        let joined = tokio::task::spawn_blocking(move || {
            for thread in joins {
                let _ = thread.join();
            }
            sensor_thread.join().map_err(|_| "the sensor thread panicked".to_string())?;
            if let Some(thread) = archive_thread {
                thread.join().map_err(|_| "the archive thread panicked".to_string())?;
            }
            writer.join().map_err(|_| "the writer thread panicked".to_string())?
        });
        tokio::pin!(joined);
        loop {
            tokio::select! {
                _ = &mut grace, if !interrupted => {
                    interrupted = true;
                    interrupts.iter().for_each(|interrupt| interrupt());
                }
                _ = signals.any() => return Err(DaemonError::Aborted),
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(DaemonError::Deadline(settings.shutdown_deadline));
                }
                result = &mut joined => {
                    return match (result, reason) {
                        (Ok(Ok(())), Stop::Capture(e)) => Err(DaemonError::Capture(e)),
                        (Ok(Ok(())), Stop::Signal) => Ok(()),
                        (Ok(Err(e)), _) => Err(DaemonError::FinalFlush(e)),
                        (Err(e), _) => Err(DaemonError::FinalFlush(e.to_string())),
                    };
                }
            }
        }
    })
}

fn spawn<T: Send + 'static>(name: &str, work: impl FnOnce() -> T + Send + 'static) -> std::io::Result<JoinHandle<T>> {
    std::thread::Builder::new().name(name.to_string()).spawn(work)
}

/// The signals the daemon handles.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// SIGTERM or SIGINT.
    async fn any(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// Ticks the flushes and answers SIGHUP until SIGTERM, SIGINT or a failed
/// capture.
async fn main_loop(
    settings: &Settings,
    control: &Sender<Control>,
    reload: &Reload,
    signals: &mut Signals,
    events: &mut UnboundedReceiver<Event>,
) -> Stop {
    let mut tick = tokio::time::interval(settings.flush);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    // Capture threads hold the event senders; when none is left, there is
    // nothing more to hear from them.
    let mut listening = true;
    loop {
        tokio::select! {
            _ = signals.term.recv() => return Stop::Signal,
            _ = signals.int.recv() => return Stop::Signal,
            _ = tick.tick() => {
                let _ = control.send(Control::Flush);
            }
            _ = signals.hup.recv() => {
                log!(Info, "SIGHUP: rotating the archive, reloading the country database and scanner list");
                let _ = control.send(Control::Rotate);
                let _ = control.send(Control::Reloaded(reload()));
            }
            event = events.recv(), if listening => match event {
                Some(Event::CaptureFailed(e)) => return Stop::Capture(e),
                None => listening = false,
            },
        }
    }
}
