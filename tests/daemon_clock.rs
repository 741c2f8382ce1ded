//! The capture daemon's flush schedule and day rollover, with the clock
//! injected (no sleeping to midnight): the daemon (`darkscope::daemon::
//! serve`, its real threads, timer and signal handling) is fed the records
//! of a two-day `generate` capture by a stand-in capture thread while the
//! test moves a `ManualClock` across 00:00 UTC and past 01:00, and ends it
//! with a real SIGTERM.
//!
//! Expected values: covered seconds by hand from the clock's times; packets
//! per day, port, country and source, and unique sources, from the
//! generator's truth, read back by DuckDB.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select, unbounded};
use darkscope::aggregate::Aggregator;
use darkscope::classify::geo::CountryDb;
use darkscope::classify::{Cidr, CidrSet, ScannerList, Telescope};
use darkscope::daemon::shared::Shared;
use darkscope::daemon::{CaptureHandle, Daemon, ManualClock, Monitored, Reloaded, Sensor, Settings, serve};
use darkscope::source::{
    Batch, CaptureStats, Decompress, InputSpec, ReadReport, Record, RecordSink, open_input, read_capture,
};
use darkscope::store::{InputEntry, LiveStore, Manifest, Provenance, RunProvenance};
use darkscope::time::{Day, NANOS_PER_SEC};

mod common;
use common::cli::ok;
use common::json::as_counts as counts;

/// 2024-01-01T00:00:00Z, ns.
const JAN1: i64 = 1_704_067_200 * NANOS_PER_SEC;
const HOUR: i64 = 3_600 * NANOS_PER_SEC;

/// The capture's records in batches of 1,000, per UTC day.
struct Batches {
    days: Vec<Vec<Batch>>,
}

impl RecordSink for Batches {
    fn record(&mut self, record: &Record<'_>) {
        let day = usize::try_from((record.ts.0 - JAN1) / (24 * HOUR)).expect("a record of 2024-01-01 or after");
        if self.days.len() <= day {
            self.days.resize_with(day + 1, Vec::new);
        }
        let batches = &mut self.days[day];
        if batches.last().is_none_or(|b| b.len() == 1_000) {
            batches.push(Batch::new(0, record.link.expect("a link type")));
        }
        batches.last_mut().expect("a batch").push(record.ts.0, record.data, record.orig_len);
    }
}

fn read_batches(capture: &Path) -> Vec<Vec<Batch>> {
    let opened = open_input(&InputSpec::File(capture.to_path_buf()), None, Decompress::Inline).expect("opening");
    let mut stream = opened.stream;
    let mut sink = Batches { days: Vec::new() };
    read_capture(&mut stream, &mut sink, &mut ReadReport::default()).expect("reading");
    sink.days
}

/// A stand-in capture thread: sends what the test gives it until stopped.
fn fake_capture(data: Sender<Batch>, feed: Receiver<Vec<Batch>>) -> CaptureHandle {
    let (stop, stopped) = unbounded::<()>();
    let thread = std::thread::spawn(move || {
        loop {
            select! {
                recv(feed) -> batches => match batches {
                    Ok(batches) => batches.into_iter().for_each(|b| data.send(b).expect("the sensor takes batches")),
                    Err(_) => return,
                },
                recv(stopped) -> _ => return,
            }
        }
    });
    let interrupt = stop.clone();
    CaptureHandle {
        name: "fake".into(),
        thread,
        stop: Box::new(move || {
            let _ = stop.send(());
        }),
        interrupt: Box::new(move || {
            let _ = interrupt.send(());
        }),
    }
}

fn manifest(store: &Path) -> Manifest {
    Manifest::load(store).expect("the manifest")
}

fn open_days(store: &Path) -> Vec<String> {
    manifest(store).parts.first().and_then(|p| p.live.clone()).map(|l| l.open_days).unwrap_or_default()
}

/// (covered seconds, packets) of a day's coverage row, if written.
fn coverage(store: &Path, day: &str) -> Option<(f64, u64)> {
    let day = Day::parse(day).expect("a day");
    let files = darkscope::store::read::files(store, "coverage", day, day, &[]).expect("listing coverage");
    let file = files.first()?;
    let mut row = None;
    darkscope::store::read::batches(&file.path, &["seconds", "packets"], |batch| {
        let columns = darkscope::store::read::Columns::new(batch, &file.path);
        row = Some((columns.f64s("seconds")?[0], columns.u64s("packets")?[0]));
        Ok(())
    })
    .expect("reading coverage");
    row
}

/// Waits (flushes come every 100 ms) until `done` holds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn days_roll_over_and_close_by_the_injected_clock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("two-days.pcap");
    let name = capture.to_string_lossy().into_owned();
    ok(&["generate", "--out", &name, "--packets", "20000", "--days", "2", "--sources", "1500", "--seed", "8"]);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{name}.truth.json")).expect("truth")).expect("truth JSON");
    let per_day = counts(&truth["summary"]["days"]);
    let mut days_in = read_batches(&capture);
    assert_eq!(days_in.len(), 2);

    let store: PathBuf = dir.path().join("store");
    let clock = ManualClock::new(JAN1);
    let darknet: Vec<Cidr> = vec!["198.18.0.0/16".parse().expect("CIDR")];
    let telescope = Telescope { darknet: CidrSet::new(&darknet), exclude: CidrSet::new(&[]) };
    let geo = Arc::new(CountryDb::bundled().expect("country database"));
    let scanners = Arc::new(ScannerList::bundled().expect("scanner list"));
    let provenance = Provenance {
        run: RunProvenance {
            darkscope: "test".into(),
            geo: geo.description(),
            scanners: None,
            darknet: vec!["198.18.0.0/16".into()],
            exclude: vec![],
            max_gap_secs: 0.0,
            coverage_rule: "live".into(),
            day_offset: None,
            asn: None,
        },
        monitored: 0,
        monitored_basis: String::new(),
    };
    let run = InputEntry {
        path: "live:fake".into(),
        size: 0,
        blake3: None,
        sha256: None,
        first_ns: Some(JAN1),
        last_ns: None,
        records: 0,
        kind: darkscope::store::InputKind::Capture,
    };
    let live = LiveStore::open(&store, "clocked", scanners, geo.clone(), provenance, run).expect("store");
    let monitored = Monitored::of(&telescope.darknet, None);
    let sensor = Sensor::new(Aggregator::new(telescope, geo, 600.0), monitored, JAN1);
    let daemon = Daemon {
        sensor,
        store: live,
        archive: None,
        alerts: None,
        clock: Arc::new(clock.clone()),
        reload: Box::new(|| Reloaded { geo: None, scanners: None }),
        shared: Arc::new(Shared {
            sensor_name: "clocked".into(),
            interfaces: vec!["fake".into()],
            started: JAN1,
            max_silence: Duration::from_secs(600),
            build: Default::default(),
            sensor: Default::default(),
            writer: Default::default(),
            archive: Default::default(),
            stored: Default::default(),
            links: Default::default(),
        }),
        http: None,
    };
    let settings = Settings {
        flush: Duration::from_millis(100),
        shutdown_deadline: Duration::from_secs(10),
        stop_grace: Duration::from_millis(50),
    };
    let (feed, fed) = unbounded::<Vec<Batch>>();
    let served = std::thread::spawn(move || serve(daemon, settings, move |data, _| vec![fake_capture(data, fed)]));

    // Day 1 arrives, its last batch with libpcap's counters saying 5 + 2
    // packets were dropped; the clock reaches 23:59:59: one day open,
    // covered 86,399 s.
    let mut day1 = std::mem::take(&mut days_in[0]);
    if let Some(last) = day1.last_mut() {
        last.stats = Some(CaptureStats { received: 10_007, dropped: 5, if_dropped: 2 });
    }
    feed.send(day1).expect("feeding day 1");
    // What the store says after a flush: each day's (covered seconds,
    // packets), the open days, the days with a state file. A flush writes
    // the states, the tables, the manifest, then removes closed days'
    // states: the test waits for all of it.
    let states = store.join(".live");
    let seen = || {
        let state_days: Vec<String> = common::store::files(&states)
            .iter()
            .filter_map(|p| p.file_name()?.to_str()?.strip_suffix(".day").map(String::from))
            .collect();
        (coverage(&store, "2024-01-01"), coverage(&store, "2024-01-02"), open_days(&store), state_days)
    };
    let (day1, day2) = (per_day["2024-01-01"], per_day["2024-01-02"]);
    let days = |list: &[&str]| list.iter().map(|d| d.to_string()).collect::<Vec<_>>();
    clock.set(JAN1 + 24 * HOUR - NANOS_PER_SEC);
    let want = (Some((86_399.0, day1)), None, days(&["2024-01-01"]), days(&["2024-01-01"]));
    wait_for("day 1 flushed at 23:59:59", || seen() == want);

    // Past midnight: day 2 opens, day 1 stays open until 01:00; each open
    // day has its state beside the tables.
    feed.send(std::mem::take(&mut days_in[1])).expect("feeding day 2");
    clock.set(JAN1 + 24 * HOUR + HOUR / 2);
    let both = days(&["2024-01-01", "2024-01-02"]);
    let want = (Some((86_400.0, day1)), Some((1_800.0, day2)), both.clone(), both);
    wait_for("day 2 flushed at 00:30", || seen() == want);

    // An hour past its end (01:00:01), day 1 is final; its state goes.
    clock.set(JAN1 + 25 * HOUR + NANOS_PER_SEC);
    let want = (Some((86_400.0, day1)), Some((3_601.0, day2)), days(&["2024-01-02"]), days(&["2024-01-02"]));
    wait_for("day 1 closed at 01:00:01", || seen() == want);

    // Noon, then SIGTERM: the final flush covers day 2 to noon; it stays
    // open for the next run.
    clock.set(JAN1 + 36 * HOUR);
    let pid = std::process::id().to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("running kill");
    assert!(killed.success());
    let result = served.join().expect("the daemon's thread");
    assert!(result.is_ok(), "SIGTERM ends the daemon cleanly: {result:?}");
    assert_eq!(coverage(&store, "2024-01-02"), Some((43_200.0, day2)));
    assert_eq!(open_days(&store), ["2024-01-02"]);
    let entry = &manifest(&store).parts[0].inputs[0];
    assert_eq!((entry.records, entry.last_ns), (20_000, Some(JAN1 + 36 * HOUR)));

    // DuckDB reads the store back: every count as the generator made it.
    let got = common::python::json("store/query.py", &[&store]);
    let summary = &truth["summary"];
    assert_eq!(counts(&got["ports"]), counts(&summary["dst_ports"]), "per-port packets");
    assert_eq!(counts(&got["countries"]), counts(&summary["countries"]), "per-country packets");
    assert_eq!(counts(&got["days"]), per_day, "per-day packets (coverage)");
    assert_eq!(got["unique_sources"], summary["unique_sources"], "unique sources");
    let stored = counts(&got["sources"]);
    for (source, packets) in counts(&truth["sources"]) {
        assert_eq!(stored.get(&source), Some(&packets), "packets of source {source}");
    }
    let report = ok(&["report", "--store", &store.to_string_lossy(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).expect("report JSON");
    assert_eq!(report["totals"]["capture_drops"], 7, "the drops libpcap reported");
    assert_eq!(report["totals"]["days_with_drops"], serde_json::json!(["2024-01-01"]));
    assert_eq!(
        got["covered_seconds"],
        serde_json::json!({"clocked 2024-01-01": 86_400.0, "clocked 2024-01-02": 43_200.0}),
        "covered seconds"
    );
}
