//! The store's typed errors: each names the file, the part or the flag
//! concerned and what to do about it (the CLI adds context at the edge).

use std::path::{Path, PathBuf};

use arrow_schema::ArrowError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} is of schema {found}, which this darkscope ({}) does not know (it reads and writes {known}): \
         use the darkscope that wrote the store, or another --store",
        env!("CARGO_PKG_VERSION")
    )]
    Version { path: PathBuf, found: String, known: &'static str },
    #[error("--store {} is a file, not a folder: give the folder the store is in (created if missing)", path.display())]
    NotAFolder { path: PathBuf },
    #[error("{path} is not a darkscope ingest manifest ({source}); is --store the right folder?")]
    Manifest { path: PathBuf, source: serde_json::Error },
    #[error("writing {path}: {source}")]
    Parquet { path: PathBuf, source: ::parquet::errors::ParquetError },
    #[error(
        "reading {path}: {reason}: the file is damaged or no darkscope table; replay the inputs of part \
         {part} (its entry in manifest.d lists them) again with --replace, or remove that part's files"
    )]
    ParquetRead { path: PathBuf, part: String, reason: ::parquet::errors::ParquetError },
    #[error("building the {table} table: {source}")]
    Arrow { table: &'static str, source: ArrowError },
    #[error("{path}: column {column} {problem}: was this store written by darkscope?")]
    Schema { path: PathBuf, column: String, problem: String },
    #[error(
        "another darkscope capture of sensor {sensor} is running on this store (it holds {}): stop it, or \
         give this one another --sensor",
        lock.display()
    )]
    Running { sensor: String, lock: PathBuf },
    #[error(
        "{path}: {reason}: this journal of an interrupted write cannot be finished; move it aside, then \
         replay the inputs of the newest part again with --replace"
    )]
    Journal { path: PathBuf, reason: String },
    #[error("{path}: {problem}")]
    DayOffset { path: PathBuf, problem: String },
    #[error("{path}: {problem}; move it aside to start that day's live part afresh")]
    State { path: PathBuf, problem: &'static str },
    #[error(
        "{input} overlaps {stored} (already in part {part} of sensor {sensor}): pass --replace to replace \
         that part, or --sensor NAME if this is another sensor"
    )]
    Overlap { input: String, stored: String, part: String, sensor: String },
    #[error(
        "{input} was stored by another writer while this run read it (part {part} of sensor {sensor}): this run \
         wrote nothing and the store holds it once; pass --replace to store this run's reading instead"
    )]
    StoredMeanwhile { input: String, part: String, sensor: String },
    #[error(
        "{path}: part {index} (sensor {sensor:?}, part {part:?}) has {field} {value:?}, which could name a file \
         outside the store: nothing was changed; correct or remove that entry (was the manifest edited by hand?)"
    )]
    ManifestEntry { path: PathBuf, index: usize, sensor: String, part: String, field: &'static str, value: String },
    #[error(
        "the disk of the store {} is full ({path}: {source}): this write stored nothing and what the store \
         held is intact; free space there (df {}) and write again",
        store.display(),
        store.display()
    )]
    DiskFull { store: PathBuf, path: PathBuf, source: std::io::Error },
}

impl StoreError {
    /// Names the table of an Arrow error (for `map_err`).
    pub(crate) fn arrow(table: &'static str) -> impl Fn(ArrowError) -> StoreError {
        move |source| StoreError::Arrow { table, source }
    }

    /// The error as [`StoreError::DiskFull`] of the store at `store` when
    /// it comes from a full disk (or quota), else as it is.
    pub fn on_full_disk(self, store: &Path) -> StoreError {
        let full = |e: &std::io::Error| {
            e.kind() == std::io::ErrorKind::StorageFull
                || e.kind() == std::io::ErrorKind::QuotaExceeded
                || e.raw_os_error() == Some(28)
        };
        let (path, source) = match self {
            StoreError::Io { path, source } if full(&source) => (path, source),
            StoreError::Parquet { path, source: ::parquet::errors::ParquetError::External(inner) }
                if inner.downcast_ref::<std::io::Error>().is_some_and(full) =>
            {
                let kind = inner.downcast_ref::<std::io::Error>().map_or(std::io::ErrorKind::StorageFull, |e| e.kind());
                (path, std::io::Error::new(kind, inner.to_string()))
            }
            other => return other,
        };
        StoreError::DiskFull { store: store.to_path_buf(), path, source }
    }
}
