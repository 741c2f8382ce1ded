//! A capture daemon's part of the store (DESIGN.md "Live capture").
//!
//! A sensor's daemon writes one *live part* per configuration: its name is
//! `live` and a digest of the sensor, its darknet and excluded prefixes
//! (a restart with the same configuration continues the same part). At
//! every flush each open day is written again whole: the day's tables under
//! temporary names, renamed over the previous flush's files, then the
//! part's manifest entry. So the store holds one set of files
//! per sensor-day, the last flush's, and a reader never sums two flushes.
//!
//! Beside the tables, each open day keeps its *state* in
//! `.live/<sensor>-<part>/<day>.day`: the day's aggregates as the
//! aggregator encodes them (every (source, port) and (source, address)
//! pair, each source's missed fingerprints), its covered spans and its
//! capture drops, with a sha256 of the whole. A restarted daemon reads the
//! states of its open days back and continues them, so what it counts adds
//! to what the store holds and every count stays exact. The state is
//! written first (temporary file, fsync, rename): a crash between state
//! and tables leaves tables older than the state, rewritten from it at the
//! next flush. When a day closes its last flush is final: the manifest
//! drops it from `open_days` and the state file is removed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::commit::Commit;
use super::live_state::{checked, decode_state, encode_state, with_checksum};
use super::parquet::write_atomic;
use super::part::PartWriter;
use super::tables::{self, DayCoverage};
use super::{InputEntry, Manifest, Provenance, StoreError};
use crate::aggregate::DaySnapshot;
use crate::aggregate::alerts::DayAlerts;
use crate::classify::ScannerList;
use crate::classify::asn::AsnDb;
use crate::classify::geo::CountryDb;
use crate::time::Day;

#[path = "live_entry.rs"]
mod entry;

/// One day of a flush.
pub struct LiveDay {
    pub snapshot: DaySnapshot,
    /// The day's covered spans, ns since the epoch (sorted, disjoint).
    pub coverage: Vec<(i64, i64)>,
    /// Packets the capture dropped on the day.
    pub drops: u64,
    /// Monitored addresses of the day and what they are based on.
    pub monitored: u64,
    pub monitored_basis: &'static str,
    /// The day's IDS alerts (`capture --alerts`; None without).
    pub alerts: Option<DayAlerts>,
}

/// An open day as the store holds it, for a restarted daemon.
pub struct StoredDay {
    pub day: Day,
    pub coverage: Vec<(i64, i64)>,
    pub drops: u64,
    /// The aggregates, as [`DaySnapshot::encode`] wrote them.
    pub aggregates: Vec<u8>,
}

/// What one flush wrote.
#[derive(Clone, Debug, Default)]
pub struct Flushed {
    pub days: usize,
    pub files: usize,
    pub rows: u64,
    /// Days that closed with this flush (their part is final).
    pub closed: Vec<Day>,
}

/// A sensor's live part.
pub struct LiveStore {
    dir: PathBuf,
    sensor: String,
    part: String,
    scanners: Arc<ScannerList>,
    asn: Option<Arc<AsnDb>>,
    geo: Arc<CountryDb>,
    provenance: Provenance,
    /// This daemon run, as an input of the part.
    run: InputEntry,
    /// Held while the daemon runs: a second daemon of the sensor is refused.
    _running: std::fs::File,
}

/// The live part's name for a sensor and its darknet and excluded prefixes.
pub fn live_part_name(sensor: &str, darknet: &[String], exclude: &[String]) -> String {
    let mut hasher = Sha256::new();
    for text in std::iter::once(sensor).chain(["darknet"]).chain(darknet.iter().map(String::as_str)) {
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    for text in std::iter::once("exclude").chain(exclude.iter().map(String::as_str)) {
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    format!("live{}", digest[..4].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

impl LiveStore {
    /// The live part of `sensor` in the store at `dir` (created if need
    /// be; checked writable); `run` names this daemon run as an input.
    pub fn open(
        dir: &Path,
        sensor: &str,
        scanners: Arc<ScannerList>,
        geo: Arc<CountryDb>,
        provenance: Provenance,
        run: InputEntry,
    ) -> Result<LiveStore, StoreError> {
        let part = live_part_name(sensor, &provenance.run.darknet, &provenance.run.exclude);
        let states = dir.join(".live").join(format!("{sensor}-{part}"));
        std::fs::create_dir_all(&states).map_err(|source| StoreError::Io { path: states.clone(), source })?;
        // Writable, and the manifest readable: found now, not at the first flush.
        write_atomic(&states.join(".probe"), b"")?;
        let _ = std::fs::remove_file(states.join(".probe"));
        Manifest::load(dir)?.check_day_offset(dir, crate::time::day_offset())?;
        let lock = dir.join(".live").join(format!("{sensor}.running"));
        let io = |source| StoreError::Io { path: lock.clone(), source };
        let running = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock).map_err(io)?;
        if running.try_lock().is_err() {
            return Err(StoreError::Running { sensor: sensor.to_string(), lock });
        }
        Ok(LiveStore {
            dir: dir.to_path_buf(),
            sensor: sensor.to_string(),
            part,
            scanners,
            asn: None,
            geo,
            provenance,
            run,
            _running: running,
        })
    }

    /// Fills the `asn` columns from `asn`.
    pub fn with_asn(mut self, asn: Arc<AsnDb>) -> LiveStore {
        self.provenance.run.asn = Some(asn.description().to_string());
        self.asn = Some(asn);
        self
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn part(&self) -> &str {
        &self.part
    }

    pub fn set_scanners(&mut self, scanners: Arc<ScannerList>) {
        self.provenance.run.scanners = Some(scanners.description());
        self.scanners = scanners;
    }

    pub fn set_geo(&mut self, geo: Arc<CountryDb>) {
        self.provenance.run.geo = geo.description();
        self.geo = geo;
    }

    /// `.live/<sensor>-<part>`: the open days' states and the run lock.
    fn state_dir(&self) -> PathBuf {
        self.dir.join(".live").join(format!("{}-{}", self.sensor, self.part))
    }

    fn state_file(&self, day: Day) -> PathBuf {
        self.state_dir().join(format!("{day}.day"))
    }

    /// The IDS alerts' state (`capture --alerts`): the open days' alerts
    /// and the followed file's position, in one file so they agree.
    fn alert_state_file(&self) -> PathBuf {
        self.state_dir().join("alerts.state")
    }

    /// The IDS alerts' state as the last flush wrote it (None: none yet).
    pub fn alert_state(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.alert_state_file();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let body = checked(&bytes).ok_or(StoreError::State { path, problem: "damaged (its checksum fails)" })?;
        Ok(Some(body.to_vec()))
    }

    /// Finishes a write that a killed writer committed (see
    /// [`super::commit`]), then removes the temporary files of writers
    /// killed before they committed (see [`super::leftovers`]); gives
    /// their paths.
    pub fn remove_leftovers(&self) -> Result<Vec<PathBuf>, StoreError> {
        super::leftovers::remove_leftovers(&self.dir)
    }

    /// The open days the store holds for this part, in day order.
    pub fn stored_days(&self) -> Result<Vec<StoredDay>, StoreError> {
        let dir = self.state_dir();
        let io = |source| StoreError::Io { path: dir.clone(), source };
        let mut days = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let Some(day) = name.strip_suffix(".day").and_then(Day::parse) else {
                continue;
            };
            let bytes = std::fs::read(&path).map_err(|source| StoreError::Io { path: path.clone(), source })?;
            let stored = decode_state(day, &bytes)
                .ok_or_else(|| StoreError::State { path: path.clone(), problem: "damaged (its checksum fails)" })?;
            days.push(stored);
        }
        days.sort_by_key(|d| d.day);
        Ok(days)
    }

    /// Writes a flush: each day's state (and the alerts' state), then its
    /// tables, then the manifest; removes the states of the days that
    /// closed. `now` and `records` (so far) update this run's entry in the
    /// manifest.
    pub fn write(
        &mut self,
        days: &mut [LiveDay],
        now: i64,
        records: u64,
        alert_state: Option<&[u8]>,
    ) -> Result<Flushed, StoreError> {
        let mut flushed = Flushed { days: days.len(), ..Flushed::default() };
        for day in days.iter_mut() {
            let mut aggregates = Vec::new();
            day.snapshot.encode(&mut aggregates);
            if !day.snapshot.closed {
                write_atomic(&self.state_file(day.snapshot.day), &encode_state(day, &aggregates))?;
            }
        }
        if let Some(state) = alert_state {
            write_atomic(&self.alert_state_file(), &with_checksum(state.to_vec()))?;
        }
        let mut writer = PartWriter::new(&self.dir, &self.sensor, self.scanners.clone(), &self.provenance.run);
        if let Some(asn) = &self.asn {
            writer = writer.with_asn(asn.clone());
        }
        for day in days.iter() {
            self.write_tables(&mut writer, day)?;
        }
        let mut targets = BTreeSet::new();
        let mut commit = Commit::default();
        for file in writer.take_pending() {
            let target = self
                .dir
                .join(file.table)
                .join(format!("day={}", file.day))
                .join(format!("{}-{}.parquet", self.sensor, self.part));
            commit.rename(&self.dir, &file.temp, &target);
            flushed.rows += file.rows;
            targets.insert(target);
        }
        flushed.files = targets.len();

        if let Some(last) = days.last() {
            self.provenance.monitored = last.monitored;
            self.provenance.monitored_basis = last.monitored_basis.to_string();
        }
        self.run.last_ns = Some(now);
        self.run.records = records;
        self.commit(days, commit)?;
        for day in days.iter().filter(|d| d.snapshot.closed) {
            let path = self.state_file(day.snapshot.day);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(StoreError::Io { path, source: e }),
                _ => flushed.closed.push(day.snapshot.day),
            }
        }
        Ok(flushed)
    }

    fn write_tables(&self, writer: &mut PartWriter, day: &LiveDay) -> Result<(), StoreError> {
        let arrow = StoreError::arrow;
        let snapshot = &day.snapshot;
        let mut cover = DayCoverage {
            seconds: day.coverage.iter().map(|(s, e)| (e - s) as f64).sum::<f64>() / 1e9,
            monitored: day.monitored,
            drops: day.drops,
            ..DayCoverage::default()
        };
        if let Some(tables) = &snapshot.tables {
            writer.write_day(tables)?;
            (cover.packets, cover.bytes, cover.sources) = (tables.packets, tables.bytes, tables.sources.len() as u64);
        }
        let sensor = self.sensor.as_str();
        let hourly = tables::ports_hourly(sensor, &snapshot.hourly).map_err(arrow("ports_hourly"))?;
        writer.write("ports_hourly", snapshot.day, 0, &hourly)?;
        let victims = tables::backscatter(sensor, &snapshot.victims, &self.geo).map_err(arrow("backscatter"))?;
        writer.write("backscatter", snapshot.day, 0, &victims)?;
        if let Some(alerts) = &day.alerts {
            let (geo, asn) = (&self.geo, self.asn.as_deref());
            let batch = super::alerts::alerts(sensor, &alerts.rows, &alerts.signatures, geo, asn);
            writer.write("alerts", snapshot.day, 0, &batch.map_err(arrow("alerts"))?)?;
        }
        let coverage = tables::coverage(sensor, cover, day.monitored_basis).map_err(arrow("coverage"))?;
        writer.write("coverage", snapshot.day, 0, &coverage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_follow_the_configuration() {
        let a = live_part_name("s1", &["198.18.0.0/16".into()], &[]);
        assert_eq!(a, live_part_name("s1", &["198.18.0.0/16".into()], &[]));
        assert_ne!(a, live_part_name("s2", &["198.18.0.0/16".into()], &[]));
        assert_ne!(a, live_part_name("s1", &["198.19.0.0/16".into()], &[]));
        assert_ne!(a, live_part_name("s1", &["198.18.0.0/16".into()], &["198.18.0.1/32".into()]));
        // No '-': the store's file names split sensor and part at the last one.
        assert!(a.starts_with("live") && a.len() == 12 && !a.contains('-'));
    }
}
