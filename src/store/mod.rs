//! The store (DESIGN.md "Store"): Parquet datasets Hive-partitioned by
//! day, `<table>/day=YYYY-MM-DD/<sensor>-<part>.parquet`, plus the ingest
//! manifest. A run of one sensor writes one part; the part's name is a
//! digest of the sensor and its inputs, so replaying the same inputs
//! writes the same file names. Every file is written under a temporary
//! name and renamed into place once all of the part's files exist; the
//! manifest is written last, the same way.

mod manifest;
mod parquet;
pub mod read;
mod tables;

pub use manifest::{InputEntry, MANIFEST, Manifest, Part, Provenance, hash_file, part_name};
pub use tables::TABLES;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;

use crate::aggregate::{Aggregator, HourlyRow, VictimKey};
use crate::time::{Day, Timestamp};
use tables::DayCoverage;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a darkscope ingest manifest ({source}); is --store the right folder?")]
    Manifest { path: PathBuf, source: serde_json::Error },
    #[error("writing {path}: {source}")]
    Parquet { path: PathBuf, source: ::parquet::errors::ParquetError },
    #[error("building the {table} table: {source}")]
    Arrow { table: &'static str, source: ArrowError },
    #[error("{path}: column {column} {problem}: was this store written by darkscope?")]
    Schema { path: PathBuf, column: String, problem: String },
    #[error(
        "{input} overlaps {stored} (already in part {part} of sensor {sensor}): pass --replace to replace \
         that part, or --sensor NAME if this is another sensor"
    )]
    Overlap { input: String, stored: String, part: String, sensor: String },
}

/// What a run writes besides the aggregates.
#[derive(Clone, Debug)]
pub struct RunMeta {
    pub sensor: String,
    pub inputs: Vec<InputEntry>,
    pub provenance: Provenance,
    /// Replace stored parts holding these inputs or overlapping them.
    pub replace: bool,
    /// Tags the `scanner` column of `sources`.
    pub scanners: std::sync::Arc<crate::classify::ScannerList>,
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
}

pub struct Store {
    dir: PathBuf,
    manifest: Manifest,
}

impl Store {
    /// Opens the store at `dir`, creating the folder if needed.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
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

    /// Writes the run's part: every table for every day the run saw.
    pub fn write_run(&mut self, agg: &Aggregator, meta: &RunMeta) -> Result<Written, StoreError> {
        let conflicts = self.manifest.conflicts(&meta.sensor, &meta.inputs);
        if let (false, Some((part, new, old))) = (meta.replace, conflicts.first()) {
            return Err(StoreError::Overlap {
                input: new.path.clone(),
                stored: old.path.clone(),
                part: part.part.clone(),
                sensor: part.sensor.clone(),
            });
        }
        let replaced: Vec<Part> = conflicts.into_iter().map(|(part, _, _)| part.clone()).collect();
        let part = part_name(&meta.sensor, &meta.inputs);
        let metadata = vec![
            ("darkscope.sensor".to_string(), meta.sensor.clone()),
            ("darkscope.part".to_string(), part.clone()),
            ("darkscope.provenance".to_string(), serde_json::to_string(&meta.provenance).unwrap_or_default()),
        ];

        let mut written = Written { part: part.clone(), ..Written::default() };
        let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
        let days = days_of_run(agg);
        let mut extras = DayExtras::of(agg);
        let result = (|| {
            for &day in &days {
                let day_text = day.to_string();
                for (table, batch) in day_batches(agg, meta, day, &mut extras)? {
                    let target = self.file(table, &day_text, &meta.sensor, &part);
                    written.rows += batch.num_rows() as u64;
                    temps.push((parquet::write_temp(&target, &batch, &metadata)?, target));
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            for (temp, _) in &temps {
                let _ = std::fs::remove_file(temp);
            }
            return Err(e);
        }
        for (temp, target) in &temps {
            parquet::commit(temp, target)?;
        }
        written.files = temps.len();

        // Files of replaced parts that this part did not overwrite.
        let new_files: BTreeSet<&PathBuf> = temps.iter().map(|(_, target)| target).collect();
        for old in &replaced {
            for day in &old.days {
                for table in TABLES {
                    let path = self.file(table, day, &old.sensor, &old.part);
                    if !new_files.contains(&path) {
                        match std::fs::remove_file(&path) {
                            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                                return Err(StoreError::Io { path, source: e });
                            }
                            _ => {}
                        }
                    }
                }
            }
            written.replaced.push(old.part.clone());
            for input in &old.inputs {
                let again = meta.inputs.iter().any(|i| i.sha256.is_some() && i.sha256 == input.sha256);
                if !again {
                    written.dropped_inputs.push(input.path.clone());
                }
            }
        }

        self.manifest.parts.retain(|p| !(p.sensor == meta.sensor && written.replaced.contains(&p.part)));
        self.manifest.parts.push(Part {
            sensor: meta.sensor.clone(),
            part,
            inputs: meta.inputs.clone(),
            days: days.iter().map(Day::to_string).collect(),
            provenance: meta.provenance.clone(),
        });
        parquet::write_atomic(&self.dir.join(MANIFEST), &self.manifest.to_json())?;
        Ok(written)
    }
}

/// Every day with packets, coverage or backscatter.
fn days_of_run(agg: &Aggregator) -> BTreeSet<Day> {
    let mut days: BTreeSet<Day> = agg.days.iter().map(|d| d.day).collect();
    days.extend(agg.coverage.seconds_by_day().keys());
    days.extend(agg.victims.keys().map(|k| k.day));
    days
}

/// The run-wide aggregates that the store splits by day.
struct DayExtras {
    seconds: BTreeMap<Day, f64>,
    victims: BTreeMap<Day, Vec<(VictimKey, u64)>>,
    hourly: BTreeMap<Day, Vec<HourlyRow>>,
}

impl DayExtras {
    fn of(agg: &Aggregator) -> DayExtras {
        let mut hourly: BTreeMap<Day, Vec<HourlyRow>> = BTreeMap::new();
        for row in agg.hourly.rows() {
            hourly.entry(Timestamp(row.start_nanos()).day()).or_default().push(row);
        }
        DayExtras { seconds: agg.coverage.seconds_by_day(), victims: tables::victims_by_day(agg), hourly }
    }
}

/// The non-empty tables of one day (coverage always).
fn day_batches(
    agg: &Aggregator,
    meta: &RunMeta,
    day: Day,
    extras: &mut DayExtras,
) -> Result<Vec<(&'static str, RecordBatch)>, StoreError> {
    let sensor = meta.sensor.as_str();
    let arrow = |table: &'static str| move |source| StoreError::Arrow { table, source };
    let day_tables = agg.days.iter().find(|d| d.day == day);
    let mut batches = Vec::new();
    if let Some(t) = day_tables {
        batches.push(("sources", tables::sources(sensor, t, &meta.scanners).map_err(arrow("sources"))?));
        batches.push(("source_ports", tables::source_ports(sensor, t).map_err(arrow("source_ports"))?));
        batches.push(("darknet_addrs", tables::darknet_addrs(sensor, t).map_err(arrow("darknet_addrs"))?));
    }
    let rows = extras.hourly.remove(&day).unwrap_or_default();
    batches.push(("ports_hourly", tables::ports_hourly(sensor, &rows).map_err(arrow("ports_hourly"))?));
    let rows = extras.victims.remove(&day).unwrap_or_default();
    batches.push(("backscatter", tables::backscatter(sensor, &rows, agg.geo()).map_err(arrow("backscatter"))?));
    batches.retain(|(_, b)| b.num_rows() > 0);
    let cover =
        DayCoverage { seconds: extras.seconds.get(&day).copied().unwrap_or(0.0), monitored: meta.provenance.monitored };
    let basis = meta.provenance.monitored_basis.as_str();
    batches.push(("coverage", tables::coverage(sensor, day_tables, cover, basis).map_err(arrow("coverage"))?));
    Ok(batches)
}
