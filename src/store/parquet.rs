//! Writing one table file: a record batch to Parquet (snappy, dictionary
//! encoding, the run's provenance in the file's key-value metadata), under
//! a temporary name in its final folder. The caller renames it into place
//! once every file of the part is written.

use std::path::Path;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::StoreError;

/// Rows per row group: big enough for good compression, small enough that
/// readers can skip by statistics.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// Writes `batch` to `temp` (a temporary name: readers skip names that
/// start with a dot), creating its folder.
pub fn write_file(temp: &Path, batch: &RecordBatch, metadata: &[(String, String)]) -> Result<(), StoreError> {
    let dir = temp.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
    let io = |source| StoreError::Io { path: temp.to_path_buf(), source };
    let parquet = |source| StoreError::Parquet { path: temp.to_path_buf(), source };

    let file = std::fs::File::create(temp).map_err(io)?;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(metadata.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect()));
    for column in super::tables::UNIQUE_COLUMNS {
        props = props.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    let props = props.build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(parquet)?;
    writer.write(batch).map_err(parquet)?;
    let file = writer.into_inner().map_err(parquet)?;
    file.sync_all().map_err(io)
}

/// Moves a temporary file over its target (atomic within a file system).
pub fn commit(temp: &Path, target: &Path) -> Result<(), StoreError> {
    std::fs::rename(temp, target).map_err(|source| StoreError::Io { path: target.to_path_buf(), source })
}

/// Writes `bytes` to `target` atomically (temporary file, then rename).
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = target.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let io = |source| StoreError::Io { path: temp.clone(), source };
    std::fs::write(&temp, bytes).map_err(io)?;
    std::fs::File::open(&temp).and_then(|f| f.sync_all()).map_err(io)?;
    commit(&temp, target)
}
