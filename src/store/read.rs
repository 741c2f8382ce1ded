//! Reading the store back: which files hold a table's days, and their
//! columns as typed views. Reports re-aggregate every part by key; a part
//! is one file per table and day, named `<sensor>-<part>.parquet`.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampNanosecondType, UInt16Type, UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::StoreError;
use crate::time::Day;

/// One stored file of a table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredFile {
    pub day: Day,
    pub sensor: String,
    /// `<sensor>-<part>`: the same stem names the part's file in every table.
    pub stem: String,
    pub path: PathBuf,
}

/// The files of `table` for days in `from..=to` and, when `sensors` is not
/// empty, of those sensors only; sorted by day, then name.
pub fn files(store: &Path, table: &str, from: Day, to: Day, sensors: &[String]) -> Result<Vec<StoredFile>, StoreError> {
    let dir = store.join(table);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(io(&dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(day) = name.strip_prefix("day=").and_then(Day::parse) else {
            continue;
        };
        if day < from || day > to {
            continue;
        }
        let day_dir = entry.path();
        for file in std::fs::read_dir(&day_dir).map_err(io(&day_dir))? {
            let file = file.map_err(io(&day_dir))?;
            let name = file.file_name().to_string_lossy().into_owned();
            // Temporary files of a writer start with a dot.
            let Some(stem) = name.strip_suffix(".parquet").filter(|_| !name.starts_with('.')) else {
                continue;
            };
            let Some((sensor, _part)) = stem.rsplit_once('-') else {
                continue;
            };
            if !sensors.is_empty() && !sensors.iter().any(|s| s == sensor) {
                continue;
            }
            found.push(StoredFile { day, sensor: sensor.to_string(), stem: stem.to_string(), path: file.path() });
        }
    }
    found.sort();
    Ok(found)
}

/// Calls `each` with every record batch of `path`, reading only `columns`.
pub fn batches(
    path: &Path,
    columns: &[&str],
    mut each: impl FnMut(&RecordBatch) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let parquet = |source| StoreError::Parquet { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    let reader = builder.with_projection(mask).with_batch_size(64 * 1024).build().map_err(parquet)?;
    for batch in reader {
        let batch = batch.map_err(|e| parquet(e.into()))?;
        each(&batch)?;
    }
    Ok(())
}

/// A column of a batch, typed. A column missing or of another type is a
/// store written by something else: an error naming the column.
pub struct Columns<'a> {
    batch: &'a RecordBatch,
    path: &'a Path,
}

/// A string column, plain or dictionary encoded.
pub enum Strings<'a> {
    Plain(&'a StringArray),
    Dict { keys: &'a arrow_array::PrimitiveArray<Int32Type>, values: &'a StringArray },
}

impl Strings<'_> {
    pub fn get(&self, row: usize) -> Option<&str> {
        match self {
            Strings::Plain(a) => a.is_valid(row).then(|| a.value(row)),
            Strings::Dict { keys, values } => keys.is_valid(row).then(|| values.value(keys.value(row) as usize)),
        }
    }
}

impl<'a> Columns<'a> {
    pub fn new(batch: &'a RecordBatch, path: &'a Path) -> Columns<'a> {
        Columns { batch, path }
    }

    fn column(&self, name: &str) -> Result<&'a ArrayRef, StoreError> {
        self.batch.column_by_name(name).ok_or_else(|| self.bad(name, "is missing"))
    }

    fn bad(&self, name: &str, what: &str) -> StoreError {
        StoreError::Schema { path: self.path.to_path_buf(), column: name.to_string(), problem: what.to_string() }
    }

    pub fn strings(&self, name: &str) -> Result<Strings<'a>, StoreError> {
        let column = self.column(name)?;
        if let Some(a) = column.as_string_opt::<i32>() {
            return Ok(Strings::Plain(a));
        }
        let dict = column.as_dictionary_opt::<Int32Type>().ok_or_else(|| self.bad(name, "is not a string column"))?;
        let values = dict.values().as_string_opt::<i32>().ok_or_else(|| self.bad(name, "is not a string column"))?;
        Ok(Strings::Dict { keys: dict.keys(), values })
    }

    pub fn u64s(&self, name: &str) -> Result<&'a [u64], StoreError> {
        let a = self.column(name)?.as_primitive_opt::<UInt64Type>().ok_or_else(|| self.bad(name, "is not UInt64"))?;
        Ok(a.values())
    }

    pub fn u32s(&self, name: &str) -> Result<&'a [u32], StoreError> {
        let a = self.column(name)?.as_primitive_opt::<UInt32Type>().ok_or_else(|| self.bad(name, "is not UInt32"))?;
        Ok(a.values())
    }

    pub fn u16s(&self, name: &str) -> Result<&'a arrow_array::PrimitiveArray<UInt16Type>, StoreError> {
        self.column(name)?.as_primitive_opt::<UInt16Type>().ok_or_else(|| self.bad(name, "is not UInt16"))
    }

    pub fn f64s(&self, name: &str) -> Result<&'a [f64], StoreError> {
        let a = self.column(name)?.as_primitive_opt::<Float64Type>().ok_or_else(|| self.bad(name, "is not Float64"))?;
        Ok(a.values())
    }

    pub fn timestamps(&self, name: &str) -> Result<&'a [i64], StoreError> {
        let a = self
            .column(name)?
            .as_primitive_opt::<TimestampNanosecondType>()
            .ok_or_else(|| self.bad(name, "is not a nanosecond timestamp"))?;
        Ok(a.values())
    }
}
