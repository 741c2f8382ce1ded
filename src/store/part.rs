//! Writing one part while its run goes on: each day's per-source tables
//! (`sources`, `source_ports`, `darknet_addrs`) are written as the day
//! closes, under temporary names in the day's folder, so a run of months
//! holds only its open days in memory. [`super::Store::write_run`] gives
//! them their names once the run knows its part (a digest of all its
//! inputs) and renames them into place with the part's other files. A day
//! closed a second time (late records) is an extra part: `<part>x1`, ….
//!
//! Dropped before that, the writer removes its temporary files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;

use super::{RunProvenance, StoreError, parquet, tables};
use crate::aggregate::DayTables;
use crate::classify::ScannerList;
use crate::time::Day;

/// A table file written under a temporary name.
pub struct Pending {
    pub table: &'static str,
    pub day: Day,
    /// 0 for the part itself, k for its k-th extra part.
    pub extra: u32,
    pub temp: PathBuf,
    pub rows: u64,
}

pub struct PartWriter {
    dir: PathBuf,
    sensor: String,
    scanners: Arc<ScannerList>,
    /// Key-value metadata of every file.
    pub metadata: Vec<(String, String)>,
    pending: Vec<Pending>,
    /// Times each day was written.
    closings: HashMap<Day, u32>,
}

/// The name of the `extra`-th extra part of `part` (0: the part itself).
pub fn part_with_extra(part: &str, extra: u32) -> String {
    if extra == 0 { part.to_string() } else { format!("{part}x{extra}") }
}

impl PartWriter {
    pub fn new(dir: &Path, sensor: &str, scanners: Arc<ScannerList>, provenance: &RunProvenance) -> PartWriter {
        let metadata = vec![
            ("darkscope.sensor".to_string(), sensor.to_string()),
            ("darkscope.provenance".to_string(), serde_json::to_string(provenance).unwrap_or_default()),
        ];
        PartWriter {
            dir: dir.to_path_buf(),
            sensor: sensor.to_string(),
            scanners,
            metadata,
            pending: Vec::new(),
            closings: HashMap::new(),
        }
    }

    /// Writes a closed day's per-source tables.
    pub fn write_day(&mut self, day: &DayTables) -> Result<(), StoreError> {
        let count = self.closings.entry(day.day).or_default();
        let extra = *count;
        *count += 1;
        let arrow = |table: &'static str| move |source| StoreError::Arrow { table, source };
        let sensor = self.sensor.as_str();
        let batches = [
            ("sources", tables::sources(sensor, day, &self.scanners).map_err(arrow("sources"))?),
            ("source_ports", tables::source_ports(sensor, day).map_err(arrow("source_ports"))?),
            ("darknet_addrs", tables::darknet_addrs(sensor, day).map_err(arrow("darknet_addrs"))?),
        ];
        for (table, batch) in batches {
            self.write(table, day.day, extra, &batch)?;
        }
        Ok(())
    }

    /// Writes `batch` (when it has rows) as a temporary file of `table`.
    pub fn write(&mut self, table: &'static str, day: Day, extra: u32, batch: &RecordBatch) -> Result<(), StoreError> {
        if batch.num_rows() == 0 && table != "coverage" {
            return Ok(());
        }
        let folder = self.dir.join(table).join(format!("day={day}"));
        let temp = folder.join(format!(".{}-{extra}.parquet.tmp-{}", self.sensor, std::process::id()));
        parquet::write_file(&temp, batch, &self.metadata)?;
        self.pending.push(Pending { table, day, extra, temp, rows: batch.num_rows() as u64 });
        Ok(())
    }

    /// The files written so far; the caller renames them into place.
    pub fn take_pending(&mut self) -> Vec<Pending> {
        std::mem::take(&mut self.pending)
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        for file in &self.pending {
            let _ = std::fs::remove_file(&file.temp);
        }
    }
}
