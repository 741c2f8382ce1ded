//! A live day continued after a restart is the day counted in one go: the
//! records of a `generate` capture are counted by one live aggregator from
//! start to end, and by two in turn, the second restored from the first's
//! stored bytes (`DaySnapshot::encode`, `Aggregator::decode_snapshot`,
//! `Aggregator::restore`). Every day's stored bytes (each source's record,
//! every (source, port) and (source, address) pair, the darknet addresses,
//! hourly ports, backscatter victims) must be identical, with a dense
//! darknet and without one, and wherever the cut falls.

use std::path::Path;

use darkscope::aggregate::{Aggregator, DaySnapshot};
use darkscope::classify::geo::CountryDb;
use darkscope::classify::{Cidr, CidrSet, Telescope};
use darkscope::source::{Decompress, InputSpec, ReadReport, Record, RecordSink, open_input, read_capture};

mod common;
use common::cli::ok;

fn aggregator(darknet: &[&str]) -> Aggregator {
    let cidrs: Vec<Cidr> = darknet.iter().map(|c| c.parse().expect("CIDR")).collect();
    let telescope = Telescope { darknet: CidrSet::new(&cidrs), exclude: CidrSet::new(&[]) };
    let mut agg = Aggregator::new(telescope, CountryDb::bundled().expect("country database"), 600.0);
    agg.set_live();
    agg
}

/// Gives records `from..to` (by position) to `agg`.
struct Range<'a> {
    agg: &'a mut Aggregator,
    at: usize,
    from: usize,
    to: usize,
}

impl RecordSink for Range<'_> {
    fn record(&mut self, record: &Record<'_>) {
        if (self.from..self.to).contains(&self.at) {
            self.agg.record(record);
        }
        self.at += 1;
    }
}

fn feed(capture: &Path, agg: &mut Aggregator, from: usize, to: usize) {
    let opened = open_input(&InputSpec::File(capture.to_path_buf()), None, Decompress::Inline).expect("opening");
    let mut stream = opened.stream;
    let mut report = ReadReport::default();
    read_capture(&mut stream, &mut Range { agg, at: 0, from, to }, &mut report).expect("reading the capture");
}

/// Each day's stored bytes.
fn encoded(snapshots: Vec<DaySnapshot>) -> Vec<(String, Vec<u8>)> {
    snapshots
        .into_iter()
        .map(|mut s| {
            let mut bytes = Vec::new();
            s.encode(&mut bytes);
            (s.day.to_string(), bytes)
        })
        .collect()
}

/// Early enough that no day of the capture closes (2024-01-01 00:00 UTC).
const NOW: i64 = 1_704_067_200_000_000_000;

fn continued_equals_whole(capture: &Path, records: usize, darknet: &[&str], cut: usize) {
    let mut whole = aggregator(darknet);
    feed(capture, &mut whole, 0, records);
    let whole = encoded(whole.snapshot(NOW).expect("snapshot"));
    assert_eq!(whole.len(), 2, "the capture spans two days");

    let mut first = aggregator(darknet);
    feed(capture, &mut first, 0, cut);
    let stored = encoded(first.snapshot(NOW).expect("snapshot"));
    let mut second = aggregator(darknet);
    for (_, bytes) in &stored {
        let day = second.decode_snapshot(bytes).expect("stored bytes read back");
        second.restore(day).expect("restored before the first record");
    }
    feed(capture, &mut second, cut, records);
    let continued = encoded(second.snapshot(NOW).expect("snapshot"));
    assert_eq!(continued.len(), whole.len(), "days with darknet {darknet:?}, cut at {cut}");
    for ((day, a), (_, b)) in whole.iter().zip(&continued) {
        assert!(a == b, "day {day} differs when continued after record {cut} (darknet {darknet:?})");
    }
}

#[test]
fn a_day_continued_from_its_stored_state_equals_the_day_counted_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("two-days.pcap");
    let name = path.to_string_lossy().into_owned();
    ok(&["generate", "--out", &name, "--packets", "30000", "--days", "2", "--sources", "2000", "--seed", "4"]);
    for darknet in [&["198.18.0.0/16"][..], &[]] {
        // In the first day, at its end, and in the second day.
        for cut in [7_001, 15_000, 22_222] {
            continued_equals_whole(&path, 30_000, darknet, cut);
        }
    }
}

#[test]
fn damaged_state_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("day.pcap");
    let name = path.to_string_lossy().into_owned();
    ok(&["generate", "--out", &name, "--packets", "2000", "--days", "1", "--sources", "300", "--seed", "5"]);
    let mut agg = aggregator(&["198.18.0.0/16"]);
    feed(&path, &mut agg, 0, 2000);
    let (_, bytes) = encoded(agg.snapshot(NOW).expect("snapshot")).remove(0);
    let fresh = aggregator(&["198.18.0.0/16"]);
    assert!(fresh.decode_snapshot(&bytes).is_ok());
    // Every prefix is cut short; a flipped count must not allocate wildly.
    for len in (0..bytes.len()).step_by(97) {
        assert!(fresh.decode_snapshot(&bytes[..len]).is_err(), "a state cut at {len} bytes is refused");
    }
    let mut flipped = bytes.clone();
    flipped[29] ^= 0xff;
    let _ = fresh.decode_snapshot(&flipped);
    // Another darknet numbers its addresses differently: refused, named.
    let other = aggregator(&["198.19.0.0/16"]);
    let error = other.decode_snapshot(&bytes).expect_err("another darknet").to_string();
    assert!(error.contains("another darknet"), "{error}");
}

fn try_live_store(store: &Path, darknet: &str) -> Result<darkscope::store::LiveStore, darkscope::store::StoreError> {
    use darkscope::store::{InputEntry, LiveStore, Provenance, RunProvenance};
    let geo = std::sync::Arc::new(CountryDb::bundled().expect("country database"));
    let scanners = std::sync::Arc::new(darkscope::classify::ScannerList::bundled().expect("scanner list"));
    let run = RunProvenance {
        darkscope: "test".into(),
        geo: geo.description(),
        scanners: None,
        darknet: vec![darknet.into()],
        exclude: vec![],
        max_gap_secs: 0.0,
        coverage_rule: "live".into(),
        day_offset: None,
        asn: None,
    };
    let provenance = Provenance { run, monitored: 0, monitored_basis: String::new() };
    let entry = InputEntry {
        path: "live:x".into(),
        size: 0,
        blake3: None,
        sha256: None,
        first_ns: Some(NOW),
        last_ns: None,
        records: 0,
        kind: darkscope::store::InputKind::Capture,
    };
    LiveStore::open(store, "s1", scanners, geo, provenance, entry)
}

fn live_store(store: &Path, darknet: &str) -> darkscope::store::LiveStore {
    try_live_store(store, darknet).expect("live store")
}

#[test]
fn a_run_with_another_darknet_seals_the_old_parts_open_days() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("day.pcap");
    let name = path.to_string_lossy().into_owned();
    ok(&["generate", "--out", &name, "--packets", "1000", "--days", "1", "--sources", "100", "--seed", "6"]);
    let store = dir.path().join("store");
    let mut agg = aggregator(&["198.18.0.0/16"]);
    feed(&path, &mut agg, 0, 1000);
    let snapshot = agg.snapshot(NOW).expect("snapshot").remove(0);
    let day = darkscope::store::LiveDay {
        snapshot,
        coverage: vec![(NOW, NOW + 1_000_000_000)],
        drops: 0,
        monitored: 65_536,
        monitored_basis: "darknet_prefixes",
        alerts: None,
    };
    let old_part = {
        let mut old = live_store(&store, "198.18.0.0/16");
        old.write(&mut [day], NOW, 1000, None).expect("a flush");
        assert_eq!(old.stored_days().expect("states").len(), 1, "the open day's state is stored");
        assert!(old.seal_other_parts().expect("sealing").is_empty(), "a part does not seal itself");
        old.part().to_string()
    };
    let new = live_store(&store, "198.19.0.0/16");
    assert_ne!(new.part(), old_part);
    assert_eq!(new.seal_other_parts().expect("sealing"), vec![old_part.clone()]);
    let manifest = darkscope::store::Manifest::load(&store).expect("manifest");
    let old_entry = manifest.parts.iter().find(|p| p.part == old_part).expect("the old part stays");
    assert_eq!(old_entry.live.as_ref().map(|l| l.open_days.len()), Some(0), "its day is final");
    assert!(!store.join(".live").join(format!("s1-{old_part}")).exists(), "its states are gone");
    drop(new);
    // A second daemon of the sensor on the same store is refused.
    let _running = live_store(&store, "198.18.0.0/16");
    let second = try_live_store(&store, "198.19.0.0/16");
    let error = second.err().expect("a second daemon is refused").to_string();
    assert!(error.contains("another darkscope capture of sensor s1"), "{error}");
}
