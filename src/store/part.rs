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

use super::parquet::TableFile;
use super::{RunProvenance, StoreError, tables};
use crate::aggregate::DayTables;
use crate::classify::ScannerList;
use crate::classify::asn::AsnDb;
use crate::time::Day;

/// Rows per batch of a day's per-source tables: a day of 10 M sources is
/// built and encoded a million rows at a time.
const CHUNK_ROWS: usize = 1 << 20;

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
    /// Origin ASes for the `asn` columns (null without).
    asn: Option<Arc<AsnDb>>,
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
            asn: None,
            metadata,
            pending: Vec::new(),
            closings: HashMap::new(),
        }
    }

    /// Fills the `asn` columns from `asn`.
    pub fn with_asn(mut self, asn: Arc<AsnDb>) -> PartWriter {
        self.asn = Some(asn);
        self
    }

    pub fn asn(&self) -> Option<&AsnDb> {
        self.asn.as_deref()
    }

    pub fn scanners(&self) -> &ScannerList {
        &self.scanners
    }

    /// Writes a closed day's per-source tables, [`CHUNK_ROWS`] rows at a
    /// time: `sources` on a thread of its own beside `source_ports` and
    /// `darknet_addrs` (when the run's reading is done, the last days are
    /// written while nothing else runs).
    pub fn write_day(&mut self, day: &DayTables) -> Result<(), StoreError> {
        let count = self.closings.entry(day.day).or_default();
        let extra = *count;
        *count += 1;
        let this = &*self;
        let (sources, ports, darknet) = std::thread::scope(|scope| {
            let sources = scope.spawn(|| this.sources_file(day, extra));
            let ports = this.source_ports_file(day, extra);
            let darknet = this.darknet_file(day, extra);
            let sources = sources.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (sources, ports, darknet)
        });
        // Each file kept (or removed, on an error) whatever the others did.
        let mut first_error = None;
        for (table, file) in [("sources", sources), ("source_ports", ports), ("darknet_addrs", darknet)] {
            let kept = file.and_then(|file| self.keep(file, table, day.day, extra));
            if let Err(e) = kept {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn sources_file(&self, day: &DayTables, extra: u32) -> Result<TableFile, StoreError> {
        let mut file = self.file("sources", day.day, extra);
        let sources = day.sources.len();
        for start in (0..sources).step_by(CHUNK_ROWS) {
            let rows = start..sources.min(start + CHUNK_ROWS);
            let batch = tables::sources(&self.sensor, day, &self.scanners, self.asn(), rows)
                .map_err(StoreError::arrow("sources"))?;
            file.write(&batch)?;
        }
        Ok(file)
    }

    fn source_ports_file(&self, day: &DayTables, extra: u32) -> Result<TableFile, StoreError> {
        let mut file = self.file("source_ports", day.day, extra);
        let mut runs = day.source_ports.runs();
        let mut left = day.source_ports.len();
        while left > 0 {
            let n = left.min(CHUNK_ROWS);
            let batch = tables::source_ports(&self.sensor, day, runs.by_ref().take(n), n)
                .map_err(StoreError::arrow("source_ports"))?;
            file.write(&batch)?;
            left -= n;
        }
        Ok(file)
    }

    fn darknet_file(&self, day: &DayTables, extra: u32) -> Result<TableFile, StoreError> {
        let mut file = self.file("darknet_addrs", day.day, extra);
        file.write(&tables::darknet_addrs(&self.sensor, day).map_err(StoreError::arrow("darknet_addrs"))?)?;
        Ok(file)
    }

    /// Writes `batch` as the temporary file of `table` (a day's table of
    /// the whole run, written when the run ends).
    pub fn write(&mut self, table: &'static str, day: Day, extra: u32, batch: &RecordBatch) -> Result<(), StoreError> {
        if batch.num_rows() == 0 && table != "coverage" {
            // Not even the day's folder (see `keep`).
            return Ok(());
        }
        let mut file = self.file(table, day, extra);
        file.write(batch)?;
        self.keep(file, table, day, extra)
    }

    fn file(&self, table: &str, day: Day, extra: u32) -> TableFile {
        let folder = self.dir.join(table).join(format!("day={day}"));
        TableFile::create(
            folder.join(super::leftovers::temp_name(&format!("{}-{extra}.parquet", self.sensor))),
            &self.metadata,
        )
    }

    /// Closes `file` and remembers it, unless it has no rows (but for
    /// `coverage`, which every day has).
    fn keep(&mut self, file: TableFile, table: &'static str, day: Day, extra: u32) -> Result<(), StoreError> {
        if let Some((temp, rows)) = file.finish()? {
            if rows == 0 && table != "coverage" {
                let _ = std::fs::remove_file(&temp);
            } else {
                self.pending.push(Pending { table, day, extra, temp, rows });
            }
        }
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
