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
use parquet::errors::ParquetError;

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

/// The part a table file belongs to, as its name `<sensor>-<part>.parquet` says.
fn part_of(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((sensor, part)) => format!("{part} of sensor {sensor}"),
        None => stem,
    }
}

/// Calls `each` with every record batch of `path`, reading only `columns`.
pub fn batches(
    path: &Path,
    columns: &[&str],
    mut each: impl FnMut(&RecordBatch) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let part = part_of(path);
    let parquet = |reason| StoreError::ParquetRead { path: path.to_path_buf(), part: part.clone(), reason };
    let file = File::open(path).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
    let size = file.metadata().map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?.len();
    let builder = guarded(|| ParquetRecordBatchReaderBuilder::try_new(file)).and_then(|b| b).map_err(parquet)?;
    chunks_inside(builder.metadata(), size).map_err(parquet)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    let build = || builder.with_projection(mask).with_batch_size(64 * 1024).build();
    let mut reader = guarded(build).and_then(|r| r).map_err(parquet)?;
    while let Some(batch) = guarded(|| reader.next()).map_err(parquet)? {
        let batch = batch.map_err(|e| parquet(e.into()))?;
        each(&batch)?;
    }
    Ok(())
}

/// Runs a step of the parquet crate's reader, its panic (a damaged page
/// can trip an assertion deep in its decoders: found by the `part` fuzz
/// target) as an error instead, the panic message not printed. Only the
/// crate's own steps run here, not darkscope's code.
fn guarded<T>(step: impl FnOnce() -> T) -> Result<T, ParquetError> {
    thread_local! {
        static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step));
    QUIET.with(|q| q.set(false));
    result.map_err(|panic| {
        let message =
            panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
        ParquetError::General(format!("the Parquet reader failed on it ({})", message.unwrap_or_default()))
    })
}

/// Checks that every column chunk lies inside the file (`size` bytes):
/// the parquet crate panics on a negative offset or length, which a damaged
/// or hostile file can hold (found by the `part` fuzz target).
fn chunks_inside(metadata: &parquet::file::metadata::ParquetMetaData, size: u64) -> Result<(), ParquetError> {
    for (group, row_group) in metadata.row_groups().iter().enumerate() {
        for column in row_group.columns() {
            let start = column.dictionary_page_offset().unwrap_or(column.data_page_offset());
            let len = column.compressed_size();
            if start < 0 || len < 0 || u64::try_from(start.saturating_add(len)).map_or(true, |end| end > size) {
                return Err(ParquetError::General(format!(
                    "column {} of row group {group} claims bytes {start}..+{len}, outside the file's {size}",
                    column.column_path()
                )));
            }
        }
    }
    Ok(())
}

/// A column of a batch, typed. A column missing or of another type is a
/// store written by something else: an error naming the column.
pub struct Columns<'a> {
    batch: &'a RecordBatch,
    path: &'a Path,
}

/// The largest count a stored row may hold: 2^48, about 280 trillion,
/// 165,000 times the packets NICTER's telescope sees in a day. Sums of
/// 65,536 such rows still fit a u64; larger sums saturate (the report's
/// `Tally`).
pub const MAX_COUNT: u64 = 1 << 48;

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

    /// A UInt64 column of counts (packets, bytes, drops): each at most
    /// [`MAX_COUNT`], so that a damaged file is named here rather than
    /// making the report's sums pass 2^64.
    pub fn counts(&self, name: &str) -> Result<&'a [u64], StoreError> {
        let values = self.u64s(name)?;
        match values.iter().find(|&&n| n > MAX_COUNT) {
            Some(n) => Err(StoreError::ParquetRead {
                path: self.path.to_path_buf(),
                part: part_of(self.path),
                reason: ParquetError::General(format!(
                    "column {name} holds the count {n}, more than 2^48 (no telescope counts that many in a day)"
                )),
            }),
            None => Ok(values),
        }
    }

    pub fn u32s(&self, name: &str) -> Result<&'a [u32], StoreError> {
        let a = self.column(name)?.as_primitive_opt::<UInt32Type>().ok_or_else(|| self.bad(name, "is not UInt32"))?;
        Ok(a.values())
    }

    pub fn u16s(&self, name: &str) -> Result<&'a arrow_array::PrimitiveArray<UInt16Type>, StoreError> {
        self.column(name)?.as_primitive_opt::<UInt16Type>().ok_or_else(|| self.bad(name, "is not UInt16"))
    }

    /// A UInt32 column that files written before it existed lack (`None`).
    pub fn u32s_if_any(&self, name: &str) -> Result<Option<&'a arrow_array::PrimitiveArray<UInt32Type>>, StoreError> {
        match self.batch.column_by_name(name) {
            None => Ok(None),
            Some(c) => c.as_primitive_opt::<UInt32Type>().map(Some).ok_or_else(|| self.bad(name, "is not UInt32")),
        }
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

/// An address column's text as an address: dotted-quad IPv4 without a
/// detour through the standard parser (the report reads millions of them),
/// anything else by `std::net::IpAddr`'s parser.
pub fn parse_addr(text: &str) -> Option<crate::decode::Addr> {
    parse_v4(text.as_bytes())
        .map(crate::decode::Addr::v4)
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(crate::decode::Addr::from))
}

/// Strict dotted quad: four decimal octets of 1-3 digits, no leading zeros.
fn parse_v4(text: &[u8]) -> Option<u32> {
    let mut addr: u32 = 0;
    let mut parts = 0;
    for part in text.split(|&b| b == b'.') {
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut octet: u32 = 0;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            octet = octet * 10 + u32::from(b - b'0');
        }
        if octet > 255 || parts == 4 {
            return None;
        }
        addr = addr << 8 | octet;
        parts += 1;
    }
    (parts == 4).then_some(addr)
}

/// Runs `decode` on every item on all cores and hands each result to
/// `consume` on the calling thread in the items' order (so a consumer can
/// rely on, say, a day's files coming one after another). Stops at the
/// first error. At most a few decoded items wait at any time.
pub fn decode_in_order<T: Sync, R: Send, E: Send>(
    items: &[T],
    decode: impl Fn(&T) -> Result<R, E> + Sync,
    mut consume: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len()).max(1);
    if workers == 1 {
        for item in items {
            consume(decode(item)?)?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<(usize, Result<R, E>)>(workers);
        for _ in 0..workers {
            let send = send.clone();
            let (next, stop, decode) = (&next, &stop, &decode);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    if send.send((i, decode(&items[i]))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(send);
        let mut waiting: std::collections::BTreeMap<usize, Result<R, E>> = std::collections::BTreeMap::new();
        let mut expected = 0;
        let result = (|| {
            for (i, result) in receive.iter() {
                waiting.insert(i, result);
                while let Some(result) = waiting.remove(&expected) {
                    consume(result?)?;
                    expected += 1;
                }
            }
            Ok(())
        })();
        // Workers blocked on a full channel see it closed and end.
        stop.store(true, Ordering::Relaxed);
        drop(receive);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_the_parquet_crate_panics_on_are_errors_not_panics() {
        // The `part` fuzz target's crashes: a column chunk at a negative
        // offset; a page whose RLE levels hold an over-long VLQ integer.
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        for (file, says) in [
            ("fuzz-part-negative-offset.parquet", "outside the file"),
            ("fuzz-part-bad-rle.parquet", "the Parquet reader failed on it (Num of bytes exceed"),
        ] {
            let got = batches(&data.join(file), &["source", "proto", "port", "packets"], |_| Ok(()));
            let e = got.expect_err("a damaged file");
            assert!(matches!(e, StoreError::ParquetRead { .. }), "{file}: {e}");
            assert!(e.to_string().contains(says), "{file}: {e}");
        }
    }

    #[test]
    fn dotted_quads_parse_like_the_standard_parser() {
        for text in ["0.0.0.0", "1.2.3.4", "255.255.255.255", "198.18.7.10", "10.0.0.255"] {
            let std: std::net::Ipv4Addr = text.parse().unwrap();
            assert_eq!(parse_v4(text.as_bytes()), Some(u32::from(std)), "{text}");
        }
        for text in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..3.4", "1.2.3.a", "1.2.3.4 ", "::1"] {
            assert_eq!(parse_v4(text.as_bytes()), None, "{text:?}");
            assert_eq!(text.parse::<std::net::Ipv4Addr>().ok(), None, "{text:?}");
        }
        assert_eq!(parse_addr("2001:db8::1").map(|a| a.to_ip().to_string()).as_deref(), Some("2001:db8::1"));
        assert_eq!(parse_addr("::ffff:1.2.3.4").map(|a| a.to_ip().to_string()).as_deref(), Some("::ffff:1.2.3.4"));
    }

    #[test]
    fn results_come_in_order_and_errors_stop() {
        let items: Vec<u32> = (0..200).collect();
        let mut seen = Vec::new();
        let r: Result<(), String> = decode_in_order(
            &items,
            |&i| Ok(i * 2),
            |v| {
                seen.push(v);
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let r: Result<(), String> =
            decode_in_order(&items, |&i| if i == 57 { Err(format!("bad {i}")) } else { Ok(i) }, |_| Ok(()));
        assert_eq!(r, Err("bad 57".to_string()));
    }
}
