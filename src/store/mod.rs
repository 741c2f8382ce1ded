//! The store (DESIGN.md "Store"): Parquet datasets Hive-partitioned by
//! day, `<table>/day=YYYY-MM-DD/<sensor>-<part>.parquet`, plus the ingest
//! manifest. A run of one sensor writes one part; the part's name is a
//! digest of the sensor and its inputs, so replaying the same inputs
//! writes the same file names. Every file is written under a temporary
//! name (the per-source tables of a day as soon as the day closes, see
//! [`part`]) and renamed into place once all of the part's files exist; the
//! part's manifest entry is written last, the same way (see [`entries`]).

mod alerts;
mod claim;
mod commit;
mod entries;
mod error;
mod events;
mod leftovers;
mod live;
mod live_state;
mod manifest;
mod parquet;
mod part;
pub mod read;
mod tables;

pub use commit::finish_interrupted;
pub use entries::{ENTRIES, is_store};
pub use error::StoreError;
pub use leftovers::remove_leftovers;
pub use live::{Flushed, LiveDay, LiveStore, StoredDay, live_part_name};
pub use manifest::{
    FileHash, InputEntry, InputKind, LiveInfo, MANIFEST, Manifest, Part, Provenance, RunProvenance, hash_file,
    part_name,
};
pub use part::PartWriter;
use part::part_with_extra;
pub use tables::TABLES;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;

use crate::aggregate::alerts::{AlertBook, AlertKey};
use crate::aggregate::{Aggregator, Attack, DosProfile, HourlyRow, Scan, VictimKey};
use crate::time::{Day, Timestamp};
use commit::Commit;
use tables::DayCoverage;

/// What a run writes besides the aggregates.
#[derive(Clone, Debug)]
pub struct RunMeta {
    pub sensor: String,
    pub inputs: Vec<InputEntry>,
    pub provenance: Provenance,
    /// Replace stored parts holding these inputs or overlapping them.
    pub replace: bool,
    /// The run's DoS attacks, the profile that found them, and the IPv4
    /// addresses their estimated rates are scaled by.
    pub attacks: Vec<Attack>,
    pub dos_profile: DosProfile,
    pub monitored_ipv4: u64,
    /// The run's scan events.
    pub scans: Vec<Scan>,
    /// The run's IDS alerts (None: no `--alerts`; then no `alerts` table).
    pub alerts: Option<AlertBook>,
}

/// What [`Store::write_run`] did.
#[derive(Clone, Debug, Default)]
pub struct Written {
    pub part: String,
    pub files: usize,
    pub rows: u64,
    /// Names of the parts replaced.
    pub replaced: Vec<String>,
    /// Inputs of replaced parts that this run did not read again: their
    /// data left the store with the part.
    pub dropped_inputs: Vec<String>,
    /// Temporary files of killed writers, removed (see [`leftovers`]).
    pub leftovers: Vec<PathBuf>,
}

pub struct Store {
    dir: PathBuf,
    manifest: Manifest,
}

impl Store {
    /// Opens the store at `dir`, creating the folder if needed.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::NotAFolder { path: dir.to_path_buf() });
        }
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
        commit::finish_interrupted(dir)?;
        let manifest = Manifest::load(dir)?;
        Ok(Store { dir: dir.to_path_buf(), manifest })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The path of a table's file for one day of one part.
    pub fn file(&self, table: &str, day: &str, sensor: &str, part: &str) -> PathBuf {
        self.dir.join(table).join(format!("day={day}")).join(format!("{sensor}-{part}.parquet"))
    }

    /// Writes the tables of the whole run into `writer`: the hourly ports,
    /// backscatter victims, coverage and attacks of every day. Call once `agg` is
    /// finished, while the days' writer may still be writing the last day.
    pub fn write_run_tables(agg: &Aggregator, meta: &RunMeta, writer: &mut PartWriter) -> Result<(), StoreError> {
        let mut extras = DayExtras::of(agg, meta);
        for day in days_of_run(agg, meta) {
            for (table, batch) in run_batches(agg, meta, day, writer, &mut extras)? {
                writer.write(table, day, 0, &batch)?;
            }
        }
        Ok(())
    }

    /// Commits the run's part: the files `writers` wrote (the per-source
    /// tables as the days closed, [`Store::write_run_tables`]'), renamed
    /// into place (replacing the files of replaced parts), then the
    /// manifest. Nothing is renamed when the part conflicts with the
    /// store; dropped, the writers remove their files. `waiting` hears of
    /// a wait for a rival writer's commit (see [`claim`]).
    pub fn write_run(
        &mut self,
        agg: &Aggregator,
        meta: &RunMeta,
        mut writers: Vec<PartWriter>,
        waiting: &dyn Fn(&str),
    ) -> Result<Written, StoreError> {
        // Decided against the manifest as it is once no rival writer goes
        // first (see [`claim`]): another writer may have stored parts since
        // this run began. The claim is withdrawn when this returns, after
        // the part's entry is written.
        let leftovers = remove_leftovers(&self.dir)?;
        let _claim = claim::Claim::settle(&self.dir, &meta.sensor, &meta.inputs, waiting)?;
        self.manifest = Manifest::load(&self.dir)?;
        self.manifest.check_day_offset(&self.dir, crate::time::day_offset())?;
        let conflicts = self.manifest.conflicts(&meta.sensor, &meta.inputs);
        if let (false, Some((part, new, old))) = (meta.replace, conflicts.first()) {
            if new.same_content(old) {
                let (input, part, sensor) = (new.path.clone(), part.part.clone(), part.sensor.clone());
                return Err(StoreError::StoredMeanwhile { input, part, sensor });
            }
            return Err(StoreError::Overlap {
                input: new.path.clone(),
                stored: old.path.clone(),
                part: part.part.clone(),
                sensor: part.sensor.clone(),
            });
        }
        let replaced: Vec<Part> = conflicts.into_iter().map(|(part, _, _)| part.clone()).collect();
        let part = part_name(&meta.sensor, &meta.inputs);
        let days = days_of_run(agg, meta);

        // Every file in place under its name, the replaced parts' other
        // files removed, then the manifest: one commit (see [`commit`]).
        let pending: Vec<_> = writers.iter_mut().flat_map(PartWriter::take_pending).collect();
        let mut written = Written { part: part.clone(), leftovers, ..Written::default() };
        let mut targets: BTreeSet<PathBuf> = BTreeSet::new();
        let mut extra_days: BTreeMap<u32, BTreeSet<Day>> = BTreeMap::new();
        let mut commit = Commit::default();
        for file in &pending {
            let name = part_with_extra(&part, file.extra);
            let target = self.file(file.table, &file.day.to_string(), &meta.sensor, &name);
            commit.rename(&self.dir, &file.temp, &target);
            written.rows += file.rows;
            targets.insert(target);
            if file.extra > 0 {
                extra_days.entry(file.extra).or_default().insert(file.day);
            }
        }
        written.files = targets.len();
        for old in &replaced {
            for day in &old.days {
                for table in TABLES {
                    let path = self.file(table, day, &old.sensor, &old.part);
                    if !targets.contains(&path) && path.exists() {
                        commit.remove(&self.dir, &path);
                    }
                }
            }
            written.replaced.push(old.part.clone());
            for input in &old.inputs {
                let again = meta.inputs.iter().any(|i| i.same_content(input));
                if !again && !written.dropped_inputs.contains(&input.path) {
                    written.dropped_inputs.push(input.path.clone());
                }
            }
        }

        let replaced_part = |p: &Part| p.sensor == meta.sensor && written.replaced.contains(&p.part);
        self.manifest.parts.retain(|p| !replaced_part(p));
        let entry = |name: String, days: &BTreeSet<Day>| Part {
            sensor: meta.sensor.clone(),
            part: name,
            inputs: meta.inputs.clone(),
            days: days.iter().map(Day::to_string).collect(),
            provenance: meta.provenance.clone(),
            live: None,
        };
        self.manifest.parts.push(entry(part.clone(), &days));
        for (extra, days) in &extra_days {
            self.manifest.parts.push(entry(part_with_extra(&part, *extra), days));
        }
        let new: BTreeSet<String> = std::iter::once(part.clone())
            .chain(extra_days.keys().map(|extra| part_with_extra(&part, *extra)))
            .collect();
        self.manifest.parts.sort_by(|a, b| (&a.sensor, &a.part).cmp(&(&b.sensor, &b.part)));
        let gone: Vec<(&str, &str)> = replaced.iter().map(|p| (p.sensor.as_str(), p.part.as_str())).collect();
        let changed = |p: &Part| p.sensor == meta.sensor && new.contains(&p.part);
        commit.entries(&self.dir, &self.manifest, changed, &gone);
        commit.apply(&self.dir)?;
        self.manifest.legacy = false;
        Ok(written)
    }
}

/// Every day with packets, coverage, backscatter or alerts.
fn days_of_run(agg: &Aggregator, meta: &RunMeta) -> BTreeSet<Day> {
    let mut days: BTreeSet<Day> = agg.closed.iter().map(|(day, _)| day).collect();
    days.extend(agg.coverage.seconds_by_day().keys());
    days.extend(agg.victims.keys().map(|k| k.day));
    if let Some(book) = &meta.alerts {
        days.extend(book.counts.keys().map(|k| k.day));
    }
    days
}

/// The run-wide aggregates that the store splits by day.
struct DayExtras {
    seconds: BTreeMap<Day, f64>,
    victims: BTreeMap<Day, Vec<(VictimKey, u64)>>,
    hourly: BTreeMap<Day, Vec<HourlyRow>>,
    /// Attacks and scan events by the day they started.
    attacks: BTreeMap<Day, Vec<Attack>>,
    scans: BTreeMap<Day, Vec<Scan>>,
    /// IDS alerts by day, sorted.
    alerts: BTreeMap<Day, Vec<(AlertKey, u64)>>,
}

impl DayExtras {
    fn of(agg: &Aggregator, meta: &RunMeta) -> DayExtras {
        let mut hourly: BTreeMap<Day, Vec<HourlyRow>> = BTreeMap::new();
        for row in agg.hourly.rows() {
            hourly.entry(Timestamp(row.start_nanos()).day()).or_default().push(row);
        }
        let mut by_day: BTreeMap<Day, Vec<Attack>> = BTreeMap::new();
        for attack in &meta.attacks {
            by_day.entry(attack.day()).or_default().push(*attack);
        }
        let mut scans: BTreeMap<Day, Vec<Scan>> = BTreeMap::new();
        for scan in &meta.scans {
            scans.entry(scan.day()).or_default().push(*scan);
        }
        let mut alerts: BTreeMap<Day, Vec<(AlertKey, u64)>> = BTreeMap::new();
        for (key, &n) in meta.alerts.iter().flat_map(|book| &book.counts) {
            alerts.entry(key.day).or_default().push((*key, n));
        }
        alerts.values_mut().for_each(|rows| rows.sort_unstable());
        DayExtras {
            alerts,
            seconds: agg.coverage.seconds_by_day(),
            victims: tables::victims_by_day(agg),
            hourly,
            attacks: by_day,
            scans,
        }
    }
}

/// The tables of one day written when the run ends: hourly ports,
/// backscatter, attacks and scan events (each when not empty), coverage, and
/// the IDS alerts of a run with `--alerts`.
fn run_batches(
    agg: &Aggregator,
    meta: &RunMeta,
    day: Day,
    writer: &PartWriter,
    extras: &mut DayExtras,
) -> Result<Vec<(&'static str, RecordBatch)>, StoreError> {
    let asn = writer.asn();
    let sensor = meta.sensor.as_str();
    let arrow = StoreError::arrow;
    let mut batches = Vec::new();
    let rows = extras.hourly.remove(&day).unwrap_or_default();
    batches.push(("ports_hourly", tables::ports_hourly(sensor, &rows).map_err(arrow("ports_hourly"))?));
    let rows = extras.victims.remove(&day).unwrap_or_default();
    batches.push(("backscatter", tables::backscatter(sensor, &rows, agg.geo()).map_err(arrow("backscatter"))?));
    let summary = agg.closed.get(day);
    let cover = DayCoverage {
        seconds: extras.seconds.get(&day).copied().unwrap_or(0.0),
        monitored: meta.provenance.monitored,
        packets: summary.map_or(0, |d| d.packets),
        bytes: summary.map_or(0, |d| d.bytes),
        sources: summary.map_or(0, |d| d.sources()),
        drops: 0,
    };
    let basis = meta.provenance.monitored_basis.as_str();
    batches.push(("coverage", tables::coverage(sensor, cover, basis).map_err(arrow("coverage"))?));
    let rows = extras.attacks.remove(&day).unwrap_or_default();
    let attacks = events::attacks(sensor, &meta.dos_profile, &rows, agg.geo(), asn, meta.monitored_ipv4);
    batches.push(("attacks", attacks.map_err(arrow("attacks"))?));
    let rows = extras.scans.remove(&day).unwrap_or_default();
    let (monitored, monitored_ipv4) = (meta.provenance.monitored, meta.monitored_ipv4);
    let scans = events::scans(sensor, &rows, writer.scanners(), asn, monitored, monitored_ipv4);
    batches.push(("scans", scans.map_err(arrow("scans"))?));
    if let Some(book) = &meta.alerts {
        let rows = extras.alerts.remove(&day).unwrap_or_default();
        let alerts = alerts::alerts(sensor, &rows, &book.signatures, agg.geo(), asn);
        batches.push(("alerts", alerts.map_err(arrow("alerts"))?));
    }
    Ok(batches)
}
