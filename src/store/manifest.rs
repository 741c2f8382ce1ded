//! The ingest manifest: every part with the inputs that produced it (path,
//! size, content hash, time span) and its provenance, one entry file per part
//! (see [`super::entries`]). It decides which inputs a new run skips, which
//! parts it replaces, and which files belong to a part.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::StoreError;
use crate::time::DayOffset;

/// The one manifest of a store written before entry files (read, and
/// converted on the next write).
pub const MANIFEST: &str = "manifest.json";
pub(super) const SCHEMA: &str = "darkscope.manifest/1";

#[derive(Clone, Debug, Default)]
pub struct Manifest {
    pub schema: String,
    /// Sorted by sensor, then part.
    pub parts: Vec<Part>,
    /// Whether the store still has a `manifest.json` (the next write
    /// converts it into entries).
    pub legacy: bool,
}

/// What one run of one sensor wrote.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Part {
    pub sensor: String,
    /// The part's name in file names: a digest of the sensor and its inputs.
    pub part: String,
    pub inputs: Vec<InputEntry>,
    /// The days (YYYY-MM-DD) the part has files for.
    pub days: Vec<String>,
    pub provenance: Provenance,
    /// Set for a capture daemon's live part (see [`super::live`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveInfo>,
}

/// What a live part says beyond a replayed one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveInfo {
    /// Days the daemon still rewrites at every flush (their files are the
    /// last flush); every other day of the part is final.
    pub open_days: Vec<String>,
}

/// One input of a part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputEntry {
    pub path: String,
    pub size: u64,
    /// BLAKE3 of the file's bytes as stored (compressed or not), hex (what
    /// `b3sum` prints); `None` for standard input and in stores written
    /// before BLAKE3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// SHA-256 of the same bytes: the identity of inputs stored before
    /// BLAKE3, and of a new input of the same size compared with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// First and last record timestamps, ns since the epoch (UTC); `None`
    /// when the input held no records.
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    /// Records read (alerts, for a file of IDS alerts).
    pub records: u64,
    /// A capture, or a file of IDS alerts (`replay --alerts`).
    #[serde(default, skip_serializing_if = "InputKind::is_capture")]
    pub kind: InputKind,
}

/// What an input of a part is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    #[default]
    Capture,
    Alerts,
}

impl InputKind {
    pub fn is_capture(&self) -> bool {
        *self == InputKind::Capture
    }
}

impl InputEntry {
    /// Whether the two hold the same bytes, by a hash both have.
    pub fn same_content(&self, other: &InputEntry) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        same(&self.blake3, &other.blake3) || same(&self.sha256, &other.sha256)
    }

    /// Two captures of overlapping spans (alerts of the same time as a
    /// capture are what they are for).
    pub(super) fn overlaps(&self, other: &InputEntry) -> bool {
        if !(self.kind.is_capture() && other.kind.is_capture()) {
            return false;
        }
        match (self.first_ns, self.last_ns, other.first_ns, other.last_ns) {
            (Some(a0), Some(a1), Some(b0), Some(b1)) => a0 <= b1 && b0 <= a1,
            _ => false,
        }
    }
}

/// How a part's numbers were made.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Provenance {
    #[serde(flatten)]
    pub run: RunProvenance,
    pub monitored: u64,
    pub monitored_basis: String,
}

/// What is known of a part's provenance when its run starts (every Parquet
/// file's key-value metadata carries it; the monitored addresses, which a
/// run may only know at its end, are in the manifest and in `coverage`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunProvenance {
    pub darkscope: String,
    pub geo: String,
    /// The research-scanner list: origin, source and size.
    pub scanners: Option<String>,
    pub darknet: Vec<String>,
    pub exclude: Vec<String>,
    pub max_gap_secs: f64,
    pub coverage_rule: String,
    /// The origin-AS table of the `asn` columns (parts written before
    /// them have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<String>,
    /// The offset from UTC its days begin at (`+09:00`); none: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_offset: Option<String>,
}

impl RunProvenance {
    /// `offset` as recorded: nothing for UTC (as parts written before
    /// offsets existed), else `+09:00`.
    pub fn offset_text(offset: DayOffset) -> Option<String> {
        (offset != DayOffset::UTC).then(|| offset.to_string())
    }
}

impl Manifest {
    /// The manifest of the store at `dir` (empty when it has none yet).
    pub fn load(dir: &Path) -> Result<Manifest, StoreError> {
        super::entries::load(dir)
    }

    /// The day offset every part was written with (UTC for a store
    /// without parts). Parts of different offsets, which darkscope never
    /// writes, are an error naming both.
    pub fn day_offset(&self, path: &Path) -> Result<DayOffset, StoreError> {
        let mut offsets = self.parts.iter().map(|p| p.provenance.run.day_offset.as_deref().unwrap_or("+00:00"));
        let Some(first) = offsets.next() else {
            return Ok(DayOffset::UTC);
        };
        if let Some(other) = offsets.find(|o| *o != first) {
            let problem = format!("its parts count days at both UTC{first} and UTC{other}");
            return Err(StoreError::DayOffset { path: path.to_path_buf(), problem });
        }
        DayOffset::parse(first).map_err(|problem| StoreError::DayOffset { path: path.to_path_buf(), problem })
    }

    /// Refuses a run whose days begin at another offset than the stored
    /// parts' days.
    pub fn check_day_offset(&self, path: &Path, offset: DayOffset) -> Result<(), StoreError> {
        let stored = self.day_offset(path)?;
        if self.parts.is_empty() || stored == offset {
            return Ok(());
        }
        let problem = format!(
            "this store counts days at UTC{stored} (set when it was first written) and this run at UTC{offset}: \
             pass --day-offset {stored}, or write into another store"
        );
        Err(StoreError::DayOffset { path: path.to_path_buf(), problem })
    }

    /// The part of `sensor` that already holds a file with these digests.
    pub fn holding(&self, sensor: &str, file: &InputEntry) -> Option<&Part> {
        self.parts.iter().find(|p| p.sensor == sensor && p.inputs.iter().any(|i| i.same_content(file)))
    }

    /// Whether a part of `sensor` identifies an input of `size` bytes by
    /// SHA-256 alone (stored before BLAKE3): a new input of that size is
    /// then hashed with both.
    pub fn needs_sha256(&self, sensor: &str, size: u64) -> bool {
        self.parts.iter().any(|p| {
            p.sensor == sensor && p.inputs.iter().any(|i| i.size == size && i.blake3.is_none() && i.sha256.is_some())
        })
    }

    /// Whether a part of `sensor` holds an input of `size` bytes (only then
    /// can a new input of that size be one it holds).
    pub fn holds_size(&self, sensor: &str, size: u64) -> bool {
        self.parts.iter().any(|p| p.sensor == sensor && p.inputs.iter().any(|i| i.size == size))
    }

    /// Parts of `sensor` with an input that is one of `inputs` (same
    /// content) or overlaps one in time, each with the first such pair
    /// (new input, stored input).
    pub fn conflicts<'a>(
        &'a self,
        sensor: &str,
        inputs: &'a [InputEntry],
    ) -> Vec<(&'a Part, &'a InputEntry, &'a InputEntry)> {
        let mut found = Vec::new();
        for part in self.parts.iter().filter(|p| p.sensor == sensor) {
            let pair = inputs.iter().find_map(|new| {
                part.inputs.iter().find(|old| new.same_content(old) || new.overlaps(old)).map(|old| (new, old))
            });
            if let Some((new, old)) = pair {
                found.push((part, new, old));
            }
        }
        found
    }
}

/// A file's size and content hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileHash {
    pub size: u64,
    pub blake3: String,
    /// Only when asked for (see [`Manifest::needs_sha256`]).
    pub sha256: Option<String>,
}

/// The size and BLAKE3 (and, `with_sha256`, SHA-256) of a file, read
/// (never mapped: a mapping of a file that another process truncates
/// raises SIGBUS).
pub fn hash_file(path: &Path, with_sha256: bool) -> Result<FileHash, StoreError> {
    let io = |source| StoreError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut blake3 = blake3::Hasher::new();
    let mut sha256 = with_sha256.then(Sha256::new);
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        blake3.update(&buffer[..n]);
        if let Some(hasher) = &mut sha256 {
            hasher.update(&buffer[..n]);
        }
        size += n as u64;
    }
    let sha256 = sha256.map(|h| hex(&h.finalize()));
    Ok(FileHash { size, blake3: blake3.finalize().to_hex().to_string(), sha256 })
}

/// The part name for a sensor's run over `inputs`.
pub fn part_name(sensor: &str, inputs: &[InputEntry]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(sensor.as_bytes());
    let mut ids: Vec<String> = inputs
        .iter()
        .map(|i| match (&i.blake3, &i.sha256) {
            (Some(hash), _) | (None, Some(hash)) => hash.clone(),
            (None, None) => format!("stdin:{:?}:{:?}:{}", i.first_ns, i.last_ns, i.records),
        })
        .collect();
    ids.sort_unstable();
    for id in ids {
        hasher.update([0]);
        hasher.update(id.as_bytes());
    }
    hex(&hasher.finalize()[..8])
}

/// Every sensor, part and day of `part` (the `index`th of the file at
/// `path`) is a plain name, so no path made of them
/// (`<table>/day=<day>/<sensor>-<part>.parquet`) leaves the store: a sensor
/// as `--sensor` allows, a part of letters and digits, a day a real
/// `YYYY-MM-DD`.
pub(super) fn check_part(part: &Part, index: usize, path: &Path) -> Result<(), StoreError> {
    let sensor_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && !s.starts_with('.')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let part_ok = |p: &str| !p.is_empty() && p.len() <= 64 && p.bytes().all(|b| b.is_ascii_alphanumeric());
    let day_ok = |d: &str| crate::time::Day::parse(d).is_some_and(|day| day.to_string() == d);
    let bad = |field: &'static str, value: &str| StoreError::ManifestEntry {
        path: path.to_path_buf(),
        index,
        sensor: part.sensor.clone(),
        part: part.part.clone(),
        field,
        value: value.to_string(),
    };
    if !sensor_ok(&part.sensor) {
        return Err(bad("sensor", &part.sensor));
    }
    if !part_ok(&part.part) {
        return Err(bad("part", &part.part));
    }
    if let Some(day) = part.days.iter().find(|d| !day_ok(d)) {
        return Err(bad("day", day));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
