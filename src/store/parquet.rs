//! Writing one table file: a record batch to Parquet (snappy, dictionary
//! encoding, the run's provenance in the file's key-value metadata), under
//! a temporary name in its final folder. The caller renames it into place
//! once every file of the part is written.

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::StoreError;

/// Rows per row group: big enough for good compression, small enough that
/// readers can skip by statistics.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// One table file being written, batch by batch (so a day of millions of
/// sources never needs its whole table as one batch in memory), under a
/// temporary name: readers skip names that start with a dot.
pub struct TableFile {
    temp: PathBuf,
    metadata: Vec<(String, String)>,
    writer: Option<ArrowWriter<std::fs::File>>,
    rows: u64,
}

impl TableFile {
    pub fn create(temp: PathBuf, metadata: &[(String, String)]) -> TableFile {
        TableFile { temp, metadata: metadata.to_vec(), writer: None, rows: 0 }
    }

    fn parquet(&self) -> impl Fn(::parquet::errors::ParquetError) -> StoreError + '_ {
        |source| StoreError::Parquet { path: self.temp.clone(), source }
    }

    /// Appends a batch; the first one creates the file (and its folder).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        if self.writer.is_none() {
            let dir = self.temp.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
            let file = std::fs::File::create(&self.temp)
                .map_err(|source| StoreError::Io { path: self.temp.clone(), source })?;
            let mut props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                .set_key_value_metadata(Some(
                    self.metadata.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect(),
                ));
            for column in super::tables::ADDRESS_COLUMNS {
                props = props
                    .set_column_dictionary_enabled(ColumnPath::from(column), false)
                    .set_column_statistics_enabled(ColumnPath::from(column), EnabledStatistics::None);
            }
            for column in super::tables::LOW_CARDINALITY_COLUMNS {
                props = props.set_column_statistics_enabled(ColumnPath::from(column), EnabledStatistics::None);
            }
            for column in super::tables::DISTINCT_NUMBER_COLUMNS {
                props = props.set_column_dictionary_enabled(ColumnPath::from(column), false);
            }
            let writer = ArrowWriter::try_new(file, batch.schema(), Some(props.build())).map_err(self.parquet())?;
            self.writer = Some(writer);
        }
        if let Some(writer) = &mut self.writer {
            writer.write(batch).map_err(|source| StoreError::Parquet { path: self.temp.clone(), source })?;
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Closes the file: its path and rows, or `None` when no batch came.
    pub fn finish(mut self) -> Result<Option<(PathBuf, u64)>, StoreError> {
        let Some(writer) = self.writer.take() else {
            return Ok(None);
        };
        let done = writer
            .into_inner()
            .map_err(self.parquet())
            .and_then(|file| file.sync_all().map_err(|source| StoreError::Io { path: self.temp.clone(), source }));
        if let Err(e) = done {
            // Not a file of the store: it goes (a full disk ends here).
            let _ = std::fs::remove_file(&self.temp);
            return Err(e);
        }
        Ok(Some((std::mem::take(&mut self.temp), self.rows)))
    }
}

impl Drop for TableFile {
    /// A file not finished (an error on the way) is removed.
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Moves a temporary file over its target (atomic within a file system).
pub fn commit(temp: &Path, target: &Path) -> Result<(), StoreError> {
    std::fs::rename(temp, target).map_err(|source| StoreError::Io { path: target.to_path_buf(), source })
}

/// Writes `bytes` to `target` atomically (temporary file, then rename).
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = target.with_file_name(super::leftovers::temp_name(&name));
    let written = std::fs::write(&temp, bytes).and_then(|()| std::fs::File::open(&temp)?.sync_all());
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(StoreError::Io { path: temp, source });
    }
    commit(&temp, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named_as_such_and_other_errors_stay() {
        let store = Path::new("/srv/store");
        let enospc = || std::io::Error::from_raw_os_error(28);
        let io = StoreError::Io { path: store.join("a"), source: enospc() };
        assert!(matches!(io.on_full_disk(store), StoreError::DiskFull { .. }));
        let external = ::parquet::errors::ParquetError::External(Box::new(enospc()));
        let parquet = StoreError::Parquet { path: store.join("b"), source: external };
        let full = parquet.on_full_disk(store);
        assert!(full.to_string().starts_with("the disk of the store /srv/store is full (/srv/store/b: "), "{full}");
        let denied = StoreError::Io { path: store.join("c"), source: std::io::Error::from_raw_os_error(13) };
        assert!(matches!(denied.on_full_disk(store), StoreError::Io { .. }));
    }
}
