//! `replay --store`: which inputs to read (the manifest knows what the store
//! already holds), what each input was, and writing the run's part.

use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;

use super::{Failure, ReplayArgs};
use crate::aggregate::Aggregator;
use crate::classify::ScannerList;
use crate::classify::asn::AsnDb;
use crate::report::RunInfo;
use crate::source::InputSpec;
use crate::store::{
    FileHash, InputEntry, InputKind, PartWriter, Provenance, RunProvenance, Store, StoreError, Written, hash_file,
};

/// How replay coverage is derived (recorded in every part's provenance).
const COVERAGE_RULE: &str = "union of the spans between records consecutive in time over the whole run, cut at \
                             gaps longer than max_gap_secs and at day ends (UTC, or day_offset's); a pcapng \
                             input's interface statistics replace its own records' spans when plausible (from \
                             1970, within 7 days of its records)";

/// A replay that writes into a store.
pub struct StoreRun {
    store: Store,
    sensor: String,
    replace: bool,
    inputs: Vec<InputEntry>,
    provenance: RunProvenance,
    dir: std::path::PathBuf,
    scanners: Arc<ScannerList>,
    asn: Arc<AsnDb>,
    /// The thread that writes each closed day's per-source tables, fed by
    /// the aggregator's day sink (so a day is encoded while the next one is
    /// counted); it gives the writer back, with its first error, at the end.
    writer: JoinHandle<(PartWriter, Option<StoreError>)>,
}

/// An input's identity: its size, and its content hashes (known before
/// it is read, or still being computed beside the reading).
pub struct Identity {
    size: u64,
    hash: Hash,
}

enum Hash {
    None,
    Known(FileHash),
    /// Hashed on another thread while the input is read.
    Hashing(std::thread::JoinHandle<Result<FileHash, StoreError>>),
}

impl StoreRun {
    /// Opens `--store` (if given) for `--sensor`, and gives the aggregator
    /// the sink that writes each closed day.
    pub fn open(args: &ReplayArgs, agg: &mut Aggregator) -> Result<Option<StoreRun>, Failure> {
        let Some(dir) = &args.store else {
            return Ok(None);
        };
        let scanners = match &args.scanners {
            Some(path) => ScannerList::open(path).map_err(|e| Failure::Usage(format!("--scanners: {e}")))?,
            None => ScannerList::bundled().context("loading the bundled scanner list")?,
        };
        let asn = match args.asn_db.as_slice() {
            [] => AsnDb::bundled().context("loading the bundled AS table")?,
            paths => AsnDb::open(paths).map_err(|e| Failure::Usage(format!("--asn-db: {e}")))?,
        };
        let store = Store::open(dir).map_err(|e| Failure::store(e, format!("opening --store {}", dir.display())))?;
        store
            .manifest()
            .check_day_offset(dir, crate::time::day_offset())
            .map_err(|e| Failure::store(e, format!("--store {}", dir.display())))?;
        let sensor = match &args.sensor {
            Some(name) => name.clone(),
            None => default_sensor(),
        };
        let telescope = agg.telescope();
        let provenance = RunProvenance {
            darkscope: env!("CARGO_PKG_VERSION").to_string(),
            geo: agg.geo().description(),
            scanners: Some(scanners.description()),
            darknet: telescope.darknet.prefixes().iter().map(|c| c.to_string()).collect(),
            exclude: telescope.exclude.prefixes().iter().map(|c| c.to_string()).collect(),
            max_gap_secs: args.max_gap,
            coverage_rule: COVERAGE_RULE.to_string(),
            asn: Some(asn.description().to_string()),
            day_offset: RunProvenance::offset_text(crate::time::day_offset()),
        };
        let (scanners, asn) = (Arc::new(scanners), Arc::new(asn));
        let mut part = PartWriter::new(dir, &sensor, scanners.clone(), &provenance).with_asn(asn.clone());
        // One day waits at most while another is written.
        let (send, days) = std::sync::mpsc::sync_channel::<crate::aggregate::DayTables>(0);
        let writer = std::thread::spawn(move || {
            let mut failed = None;
            for day in days {
                if failed.is_none() {
                    failed = part.write_day(&day).err();
                }
            }
            (part, failed)
        });
        agg.set_sink(Box::new(move |day| send.send(day).map_err(|_| "the store's day writer stopped".into())));
        let (dir, replace) = (dir.clone(), args.replace);
        Ok(Some(StoreRun { store, sensor, replace, inputs: Vec::new(), provenance, dir, scanners, asn, writer }))
    }

    /// Says whether the store already holds an input: then the run skips
    /// it (unless `--replace`) and the note says why. Only an input as long
    /// as one this sensor has stored can be one of them: it is hashed here
    /// (with SHA-256 too if the store knows that input by SHA-256 alone);
    /// any other is hashed on another thread while it is read.
    pub fn check(&self, input: &InputSpec) -> Result<(Identity, Option<String>), Failure> {
        let InputSpec::File(path) = input else {
            return Ok((Identity { size: 0, hash: Hash::None }, None));
        };
        let size = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
        if !self.store.manifest().holds_size(&self.sensor, size) {
            let path = path.clone();
            let hashing = std::thread::spawn(move || hash_file(&path, false));
            return Ok((Identity { size, hash: Hash::Hashing(hashing) }, None));
        }
        let (hash, note) = self.hash_and_look_up(path, size, &path.display().to_string())?;
        Ok((Identity { size: hash.size, hash: Hash::Known(hash) }, note))
    }

    /// Hashes a file of `size` bytes (with SHA-256 too when the store knows
    /// a file of that size by SHA-256 alone) and gives the note that skips
    /// it when the store holds it already and there is no `--replace`.
    fn hash_and_look_up(
        &self,
        path: &std::path::Path,
        size: u64,
        name: &str,
    ) -> Result<(FileHash, Option<String>), Failure> {
        let with_sha256 = self.store.manifest().needs_sha256(&self.sensor, size);
        let hash = hash_file(path, with_sha256).with_context(|| format!("hashing {}", path.display()))?;
        let probe = entry(String::new(), Some(hash.clone()), None, 0);
        let note = match self.store.manifest().holding(&self.sensor, &probe) {
            Some(part) if !self.replace => Some(format!(
                "{name} is already in the store (part {} of sensor {}): skipped; pass --replace to read it again",
                part.part, self.sensor
            )),
            _ => None,
        };
        Ok((hash, note))
    }

    /// Hashes a file of IDS alerts and says whether the store holds it
    /// already (then the run skips it, unless `--replace`).
    pub fn check_alerts(&self, path: &std::path::Path) -> Result<(FileHash, Option<String>), Failure> {
        let size = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
        self.hash_and_look_up(path, size, &format!("--alerts {}", path.display()))
    }

    /// Notes a file of IDS alerts that was read: `span` of its alerts' times.
    pub fn read_alerts(&mut self, path: &std::path::Path, hash: FileHash, span: Option<(i64, i64)>, alerts: u64) {
        let entry = entry(path.display().to_string(), Some(hash), span, alerts);
        self.inputs.push(InputEntry { kind: InputKind::Alerts, ..entry });
    }

    /// Notes an input that was read (waiting for its hash if need be).
    pub fn read(
        &mut self,
        input: &InputSpec,
        identity: Identity,
        span: Option<(i64, i64)>,
        records: u64,
    ) -> Result<(), Failure> {
        let hash = match identity.hash {
            Hash::None => None,
            Hash::Known(hash) => Some(hash),
            Hash::Hashing(thread) => {
                let hashed =
                    thread.join().map_err(|_| anyhow::anyhow!("hashing {}: the thread failed", input.display()))?;
                let hash = hashed.with_context(|| format!("hashing {}", input.display()))?;
                if hash.size < identity.size {
                    return Err(Failure::Work(anyhow::anyhow!(
                        "{} shrank from {} to {} bytes while it was read (another process truncated it): \
                         nothing was stored; replay it again once it is complete",
                        input.display(),
                        identity.size,
                        hash.size
                    )));
                }
                Some(hash)
            }
        };
        self.inputs.push(entry(input.display(), hash, span, records));
        Ok(())
    }

    /// Writes the run's part (nothing when every input was skipped).
    /// `agg` must be finished and its sink dropped.
    pub fn write(mut self, agg: &Aggregator, run: &RunInfo) -> Result<Option<(Written, String)>, Failure> {
        if self.inputs.is_empty() {
            return Ok(None);
        }
        let provenance = Provenance {
            run: self.provenance.clone(),
            monitored: run.monitored,
            monitored_basis: run.monitored_basis.name().to_string(),
        };
        let meta = crate::store::RunMeta {
            sensor: self.sensor.clone(),
            inputs: std::mem::take(&mut self.inputs),
            provenance,
            replace: self.replace,
            attacks: run.attacks.clone(),
            dos_profile: run.dos_profile.unwrap_or_default(),
            monitored_ipv4: run.monitored_ipv4,
            scans: run.scans.clone(),
            alerts: run.alerts.as_ref().map(|a| a.book.clone()),
        };
        // The run's own tables are written here while the days' writer
        // may still be writing the last day.
        let mut run_writer = PartWriter::new(&self.dir, &self.sensor, self.scanners.clone(), &self.provenance)
            .with_asn(self.asn.clone());
        let run_tables = Store::write_run_tables(agg, &meta, &mut run_writer);
        let (writer, failed) = match self.writer.join() {
            Ok(done) => done,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let full = |e: StoreError| e.on_full_disk(&self.dir);
        if let Some(e) = failed {
            return Err(Failure::Work(anyhow::Error::new(full(e)).context("writing a closed day into the store")));
        }
        run_tables.map_err(full).context("writing the store")?;
        let waiting = |note: &str| eprintln!("store: {note}");
        match self.store.write_run(agg, &meta, vec![writer, run_writer], &waiting).map_err(full) {
            Ok(written) => Ok(Some((written, self.sensor))),
            // The data is aggregated: say what to do, keep the exit status
            // of bad usage out of it (the work was done).
            Err(e @ (StoreError::Overlap { .. } | StoreError::StoredMeanwhile { .. })) => {
                Err(Failure::Work(anyhow::Error::new(e)))
            }
            Err(e) => Err(Failure::Work(anyhow::Error::new(e).context("writing the store"))),
        }
    }
}

/// The manifest's entry of a capture (`hash`: `None` for standard input).
fn entry(path: String, hash: Option<FileHash>, span: Option<(i64, i64)>, records: u64) -> InputEntry {
    let (size, blake3, sha256) = match hash {
        Some(h) => (h.size, Some(h.blake3), h.sha256),
        None => (0, None, None),
    };
    InputEntry {
        path,
        size,
        blake3,
        sha256,
        first_ns: span.map(|s| s.0),
        last_ns: span.map(|s| s.1),
        records,
        kind: InputKind::Capture,
    }
}

/// This machine's host name, as a valid sensor name ("sensor" if none).
pub fn default_sensor() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name: String = raw
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .take(64)
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() { "sensor".to_string() } else { name.to_string() }
}
