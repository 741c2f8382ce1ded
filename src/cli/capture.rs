//! `darkscope capture`: the sensor daemon. Everything that can be wrong
//! with the setup (flags, interfaces, privileges, the store, the archive
//! folder, stored days that cannot be continued) is found here, before any
//! packet is captured, and is a usage error (exit 2); the daemon itself is
//! [`crate::daemon`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

use super::store::default_sensor;
use super::{CaptureArgs, Failure};
use crate::aggregate::Aggregator;
use crate::classify::asn::AsnDb;
use crate::classify::geo::CountryDb;
use crate::classify::{CidrSet, ScannerList, Telescope};
use crate::daemon::archive::Archive;
use crate::daemon::log::{self, Level, log};
use crate::daemon::privileges::become_user;
use crate::daemon::shared::Shared;
use crate::daemon::{Daemon, Monitored, Reloaded, Sensor, Settings, SharedClock, SystemClock};
use crate::store::{InputEntry, LiveStore, Provenance, RunProvenance};

/// How long the kernel holds a ring block that is not full (ms): the
/// longest a packet waits before the daemon sees it.
const BLOCK_TIMEOUT_MS: u32 = 100;

/// Snap length without --archive: headers only.
const HEADERS_SNAPLEN: u32 = 128;
/// With --archive: whole packets.
const WHOLE_SNAPLEN: u32 = 262_144;

pub fn run(args: CaptureArgs) -> Result<(), Failure> {
    log::set_level(Level::parse(&args.log_level).unwrap_or(Level::Info));
    // Before any day is computed.
    crate::time::set_day_offset(args.day_offset.unwrap_or_default());
    let usage = |e: anyhow::Error| Failure::Usage(format!("{e:#}"));
    let geo: Arc<CountryDb> = Arc::new(match &args.geoip {
        None => CountryDb::bundled().context("loading the bundled country database").map_err(usage)?,
        Some(path) => CountryDb::open(path).map_err(|e| Failure::Usage(format!("--geoip: {e}")))?,
    });
    let scanners = Arc::new(match &args.scanners {
        Some(path) => ScannerList::open(path).map_err(|e| Failure::Usage(format!("--scanners: {e}")))?,
        None => ScannerList::bundled().context("loading the bundled scanner list").map_err(usage)?,
    });
    let telescope = Telescope { darknet: CidrSet::new(&args.darknet), exclude: CidrSet::new(&args.exclude) };
    if telescope.darknet.is_empty() {
        log!(Warn, "no --darknet given: every IP packet counts as inside the darknet, and none is filtered out");
    }
    let sensor_name = args.sensor.clone().unwrap_or_else(default_sensor);
    let clock: SharedClock = Arc::new(SystemClock);
    let started = clock.now();
    let snaplen = args.snaplen.unwrap_or(if args.archive.is_some() { WHOLE_SNAPLEN } else { HEADERS_SNAPLEN });
    let filter = args.bpf.clone().or_else(|| darknet_filter(&telescope.darknet));

    // What needs privileges first: the interfaces, the listening socket.
    let open = open_captures(&args, snaplen, filter.clone())?;
    let http = match args.metrics.as_str() {
        "none" => None,
        address => Some(std::net::TcpListener::bind(address).map_err(|e| {
            Failure::Usage(format!(
                "--metrics {address}: cannot listen there ({e}): give a free ADDRESS:PORT (default \
                 127.0.0.1:9187), or 'none'"
            ))
        })?),
    };
    if let Some(user) = &args.user {
        let (uid, gid) = become_user(user).map_err(|e| Failure::Usage(e.to_string()))?;
        log!(Info, "running as user {user} (uid {uid}, gid {gid})");
    }
    // Then, as the user it runs as, the store and the archive.
    let writable_by = match &args.user {
        Some(user) => format!("user {user} (--user)"),
        None => "the daemon's user".to_string(),
    };
    let store = open_store(&args, &sensor_name, &scanners, &geo, &telescope, started).map_err(|e| {
        Failure::Usage(format!(
            "--store {}: {e}; it must be a folder {writable_by} can create and write files in",
            args.store.display()
        ))
    })?;
    let monitored = Monitored::of(&telescope.darknet, args.monitored);
    let alerts = super::alerts::follow(&args, &telescope, &store)?;
    let mut agg = Aggregator::new(telescope, geo.clone(), 600.0);
    agg.set_threads(args.threads as usize);
    let mut sensor = Sensor::new(agg, monitored, started);
    let (sensor_alerts, follower) = alerts.unzip();
    if let Some(alerts) = sensor_alerts {
        sensor = sensor.with_alerts(alerts);
    }
    for part in store.seal_other_parts().map_err(|e| Failure::Usage(e.to_string()))? {
        log!(
            Warn,
            "part {part} of sensor {sensor_name} was written with another --darknet or --exclude: its open days are \
             final as last flushed; this run writes part {}",
            store.part()
        );
    }
    let leftovers = store.remove_leftovers().map_err(|e| Failure::Usage(e.to_string()))?;
    if !leftovers.is_empty() {
        let names: Vec<String> = leftovers.iter().map(|p| p.display().to_string()).collect();
        log!(Warn, "removed temporary files of writers killed before they finished: {}", names.join(", "));
    }
    let stored = store.stored_days().map_err(|e| Failure::Usage(e.to_string()))?;
    let continued: Vec<String> = stored.iter().map(|d| d.day.to_string()).collect();
    sensor.restore(stored).map_err(|e| {
        Failure::Usage(format!("--store {}: {e} (part {} of sensor {sensor_name})", args.store.display(), store.part()))
    })?;
    let archive = match &args.archive {
        Some(dir) => Some(Archive::open(dir, &sensor_name, args.iface.clone(), snaplen, args.rotate).map_err(|e| {
            Failure::Usage(format!("--archive {}: {e}; it must be a folder {writable_by} can write in", dir.display()))
        })?),
        None => None,
    };

    let shared = Arc::new(Shared {
        sensor_name: sensor_name.clone(),
        interfaces: args.iface.clone(),
        started,
        max_silence: Duration::from_secs(args.max_silence),
        build: Mutex::new((env!("CARGO_PKG_VERSION").to_string(), geo.description(), scanners.description())),
        sensor: Mutex::default(),
        writer: Mutex::default(),
        archive: Mutex::default(),
        stored: Mutex::default(),
        links: Mutex::new(crate::daemon::links::initial(&args.iface, started)),
    });
    let daemon = Daemon { sensor, store, archive, clock, reload: reloader(&args), shared, http, alerts: follower };
    let settings = Settings {
        flush: Duration::from_secs(args.flush),
        shutdown_deadline: Duration::from_secs(args.shutdown_timeout),
        stop_grace: Duration::from_millis(u64::from(BLOCK_TIMEOUT_MS) * 2 + 100),
    };
    log!(
        Info,
        "capture started on {} (sensor {sensor_name}, store {}, flush every {} s, snaplen {snaplen}, \
         buffer {} MiB, filter {}, metrics {}{}{})",
        args.iface.join(", "),
        args.store.display(),
        args.flush,
        args.buffer_mb,
        filter.as_deref().unwrap_or("none"),
        args.metrics,
        args.archive.as_ref().map(|d| format!(", archive {}", d.display())).unwrap_or_default(),
        if continued.is_empty() { String::new() } else { format!(", continuing {}", continued.join(", ")) }
    );
    crate::daemon::serve(daemon, settings, |data, events| start(open, data, events))
        .map_err(|e| Failure::Work(anyhow::Error::new(e)))?;
    log!(Info, "stopped");
    Ok(())
}

/// The sensor's live part of the store, with this run's provenance.
fn open_store(
    args: &CaptureArgs,
    sensor: &str,
    scanners: &Arc<ScannerList>,
    geo: &Arc<CountryDb>,
    telescope: &Telescope,
    started: i64,
) -> Result<LiveStore, crate::store::StoreError> {
    let provenance = Provenance {
        run: RunProvenance {
            darkscope: env!("CARGO_PKG_VERSION").to_string(),
            geo: geo.description(),
            scanners: Some(scanners.description()),
            darknet: telescope.darknet.prefixes().iter().map(ToString::to_string).collect(),
            exclude: telescope.exclude.prefixes().iter().map(ToString::to_string).collect(),
            max_gap_secs: 0.0,
            coverage_rule: "live capture: the seconds the capture ran, up to its last flush".into(),
            asn: None,
            day_offset: RunProvenance::offset_text(crate::time::day_offset()),
        },
        monitored: 0,
        monitored_basis: String::new(),
    };
    let run = InputEntry {
        path: format!("live:{}", args.iface.join("+")),
        size: 0,
        blake3: None,
        sha256: None,
        first_ns: Some(started),
        last_ns: Some(started),
        records: 0,
        kind: crate::store::InputKind::Capture,
    };
    let store = LiveStore::open(&args.store, sensor, scanners.clone(), geo.clone(), provenance, run)?;
    // The bundled table cannot fail to load unless the binary is damaged:
    // then the `asn` columns stay null rather than the sensor stopping.
    Ok(match AsnDb::bundled() {
        Ok(asn) => store.with_asn(Arc::new(asn)),
        Err(e) => {
            log!(Warn, "no origin ASes in the store: {e}");
            store
        }
    })
}

/// `dst net A or dst net B …`: only the darknet's packets leave the kernel.
fn darknet_filter(darknet: &CidrSet) -> Option<String> {
    let nets: Vec<String> = darknet.prefixes().iter().map(|c| format!("dst net {c}")).collect();
    (!nets.is_empty()).then(|| nets.join(" or "))
}

/// Loads the country database and scanner list again (SIGHUP), keeping
/// the old ones (None) when a file does not load.
fn reloader(args: &CaptureArgs) -> crate::daemon::Reload {
    let (geo_path, scanner_path) = (args.geoip.clone(), args.scanners.clone());
    Box::new(move || Reloaded {
        geo: geo_path.as_ref().and_then(|path| match CountryDb::open(path) {
            Ok(db) => Some(Arc::new(db)),
            Err(e) => {
                log!(Error, "reload: keeping the country database in use: --geoip {}: {e}", path.display());
                None
            }
        }),
        scanners: scanner_path.as_ref().and_then(|path| match ScannerList::open(path) {
            Ok(list) => Some(Arc::new(list)),
            Err(e) => {
                log!(Error, "reload: keeping the scanner list in use: --scanners {}: {e}", path.display());
                None
            }
        }),
    })
}

#[cfg(feature = "live")]
type Opened = Vec<crate::source::live::LiveCapture>;
#[cfg(not(feature = "live"))]
type Opened = Vec<()>;

/// Opens every interface (this needs the privileges to capture).
#[cfg(feature = "live")]
fn open_captures(args: &CaptureArgs, snaplen: u32, filter: Option<String>) -> Result<Opened, Failure> {
    use crate::source::live::{LiveCapture, LiveOptions};
    let options = LiveOptions {
        snaplen,
        buffer_bytes: args.buffer_mb.saturating_mul(1 << 20),
        promiscuous: true,
        filter,
        immediate: false,
        block_timeout_ms: BLOCK_TIMEOUT_MS,
    };
    let mut open = Vec::new();
    for (i, iface) in args.iface.iter().enumerate() {
        open.push(LiveCapture::open(i, iface, &options).map_err(|e| Failure::Usage(e.to_string()))?);
    }
    Ok(open)
}

#[cfg(not(feature = "live"))]
fn open_captures(_: &CaptureArgs, _: u32, _: Option<String>) -> Result<Opened, Failure> {
    Err(Failure::Usage(
        "this darkscope was built without live capture (the 'live' feature, which needs libpcap-dev): \
         rebuild with default features"
            .into(),
    ))
}

/// Starts a thread per opened interface.
#[cfg(feature = "live")]
fn start(
    open: Opened,
    data: crossbeam_channel::Sender<crate::source::Batch>,
    events: tokio::sync::mpsc::UnboundedSender<crate::daemon::Event>,
) -> Vec<crate::daemon::CaptureHandle> {
    let mut handles = Vec::new();
    for mut capture in open {
        let name = capture.iface().to_string();
        let stopper = capture.stopper();
        let (stop, interrupt) = (stopper.clone(), stopper.clone());
        let (data, failed) = (data.clone(), events.clone());
        let thread = std::thread::Builder::new().name(format!("capture {name}")).spawn(move || {
            if let Err(e) = capture.run(&stopper, |batch| data.send(batch).is_ok()) {
                log!(Error, "{e}");
                let _ = failed.send(crate::daemon::Event::CaptureFailed(e.to_string()));
            }
        });
        match thread {
            Ok(thread) => handles.push(crate::daemon::CaptureHandle {
                name,
                thread,
                stop: Box::new(move || stop.stop()),
                interrupt: Box::new(move || interrupt.interrupt()),
            }),
            Err(e) => {
                let _ = events.send(crate::daemon::Event::CaptureFailed(format!("starting capture on {name}: {e}")));
            }
        }
    }
    handles
}

#[cfg(not(feature = "live"))]
fn start(
    _: Opened,
    _: crossbeam_channel::Sender<crate::source::Batch>,
    _: tokio::sync::mpsc::UnboundedSender<crate::daemon::Event>,
) -> Vec<crate::daemon::CaptureHandle> {
    Vec::new()
}
