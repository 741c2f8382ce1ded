//! Claims: how writers that race to commit decide, with no lock, which of
//! two overlapping parts is stored (DESIGN.md "Store": the skip and refuse
//! rules are decided when a part commits).
//!
//! A writer whose data files are written stakes a claim: a small file in
//! `manifest.d/.claims/`, renamed into place whole, naming its sensor and
//! inputs under a key that orders claims (the time it was staked, then its
//! host and process). It then lists the other claims and keeps the rivals:
//! claims of its sensor with an input of the same content or an overlapping
//! span. With no rival it decides against the manifest's entries (as a lone
//! writer does), commits, writes its entry, and only then removes its claim.
//! A rival of a lower key goes first: the writer withdraws its claim, waits
//! until that rival is gone, and stakes a new one. Rivals of higher keys
//! withdraw for it, or are committing already; it waits until they are
//! gone and looks again.
//!
//! Why two rivals never both commit: each lists the claims after its own is
//! in place, so of two rivals staked at once at least one sees the other's
//! claim, and a claim stays until its writer withdrew (and looks again) or
//! wrote its entry (which the other then sees when it decides). The lowest
//! key of a set of rivals never waits for a lower one, so every writer comes
//! to decide. This needs only a filesystem whose renames are atomic and
//! whose listings show every file renamed into place before the listing
//! began (POSIX; NFS mounted without cached listings, README).
//!
//! A writer that finds the store's `manifest.json` of before (its commit
//! may convert it, see [`super::entries`]) rivals every other writer, and
//! decides after the manifest is loaded again: so a conversion never races
//! another commit, and only one writer converts.
//!
//! A writer killed while it holds a claim leaves it behind. A claim of a
//! process of this host that is gone is removed; any claim older than
//! [`STALE`] is taken for one whose writer died on another host and is
//! ignored (a commit takes seconds).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::entries::ENTRIES;
use super::leftovers::host;
use super::parquet::write_atomic;
use super::{InputEntry, MANIFEST, StoreError};

/// The folder of the claims, inside `manifest.d` (hidden from its readers).
const CLAIMS: &str = ".claims";
/// A claim older than this is ignored.
pub const STALE: Duration = Duration::from_secs(600);
/// How often a waiting writer looks again.
const POLL: Duration = Duration::from_millis(20);

#[derive(Serialize, Deserialize)]
struct ClaimFile {
    sensor: String,
    inputs: Vec<InputEntry>,
    host: String,
    pid: u32,
    /// Staked when the store still had its old `manifest.json`, which
    /// this writer's commit may convert: a rival of every claim.
    #[serde(default)]
    converting: bool,
}

/// A staked claim; dropped, it is withdrawn (its file removed).
pub struct Claim {
    path: PathBuf,
    key: String,
}

fn claims_dir(dir: &Path) -> PathBuf {
    dir.join(ENTRIES).join(CLAIMS)
}

/// A claim that rivals this writer's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rival {
    key: String,
    host: String,
    pid: u32,
}

impl Rival {
    /// Whether its writer is a process of this host that is gone.
    fn gone(&self) -> bool {
        self.host == host() && !super::leftovers::may_run(self.pid)
    }
}

/// How long a writer waits before it says so.
const NOTICE_AFTER: Duration = Duration::from_secs(2);

impl Claim {
    /// Stakes a claim for `inputs` of `sensor` in the store at `dir`, then
    /// waits until no rival goes before it (see the module's text).
    /// `waiting` hears, once, of a wait longer than two seconds.
    pub fn settle(
        dir: &Path,
        sensor: &str,
        inputs: &[InputEntry],
        waiting: &dyn Fn(&str),
    ) -> Result<Claim, StoreError> {
        let mut file = ClaimFile {
            sensor: sensor.to_string(),
            inputs: inputs.to_vec(),
            host: host().to_string(),
            pid: std::process::id(),
            converting: false,
        };
        let started = std::time::Instant::now();
        let mut told = false;
        let mut tell = |rival: &Rival| {
            if !told && started.elapsed() >= NOTICE_AFTER {
                told = true;
                waiting(&format!(
                    "waiting for another writer's commit of an input that overlaps this run's (the claim {} of \
                     process {} on host {}); a claim older than {} minutes is taken for a dead writer's",
                    rival.key,
                    rival.pid,
                    rival.host,
                    STALE.as_secs() / 60
                ));
            }
        };
        loop {
            file.converting = dir.join(MANIFEST).is_file();
            let claim = Claim::stake(dir, &file)?;
            let lower = loop {
                let rivals = rivals(dir, &file, &claim.key)?;
                let Some(first) = rivals.iter().min() else {
                    return Ok(claim);
                };
                tell(first);
                if first.key < claim.key {
                    break first.clone();
                }
                // Only later rivals: they withdraw for this one, or commit.
                std::thread::sleep(POLL);
            };
            drop(claim);
            while wait_gone(dir, &lower) {
                tell(&lower);
            }
        }
    }

    fn stake(dir: &Path, file: &ClaimFile) -> Result<Claim, StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let key = format!("{nanos:024}-{}-{}-{n}", file.host, file.pid);
        let folder = claims_dir(dir);
        std::fs::create_dir_all(&folder).map_err(|source| StoreError::Io { path: folder.clone(), source })?;
        let path = folder.join(format!("{key}.json"));
        write_atomic(&path, &serde_json::to_vec(file).expect("a claim serialises"))?;
        Ok(Claim { path, key })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The claims that rival `mine` (key `key`): of its sensor, not stale,
/// with an input of the same content or an overlapping span. Claims of
/// this host's gone processes are removed.
fn rivals(dir: &Path, mine: &ClaimFile, key: &str) -> Result<Vec<Rival>, StoreError> {
    let folder = claims_dir(dir);
    let listing = match std::fs::read_dir(&folder) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(StoreError::Io { path: folder, source }),
    };
    let mut found = Vec::new();
    for entry in listing.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(other) = name.strip_suffix(".json").filter(|k| !k.starts_with('.') && *k != key) else {
            continue;
        };
        let path = entry.path();
        // Gone meanwhile (withdrawn, or committed): no rival.
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let Ok(claim) = serde_json::from_slice::<ClaimFile>(&bytes) else { continue };
        let old = entry.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
        if old.is_some_and(|age| age > STALE) {
            continue;
        }
        let rival = Rival { key: other.to_string(), host: claim.host, pid: claim.pid };
        if rival.gone() {
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let overlaps = mine.converting
            || claim.converting
            || claim.sensor == mine.sensor
                && mine.inputs.iter().any(|a| claim.inputs.iter().any(|b| a.same_content(b) || a.overlaps(b)));
        if overlaps {
            found.push(rival);
        }
    }
    Ok(found)
}

/// Waits a moment for the claim of `rival` to go: gives whether it is
/// still there and not stale. A claim of a gone process of this host is
/// removed.
fn wait_gone(dir: &Path, rival: &Rival) -> bool {
    let path = claims_dir(dir).join(format!("{}.json", rival.key));
    let age = std::fs::metadata(&path).ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
    match age {
        None => return false,
        Some(age) if age > STALE => return false,
        Some(_) => {}
    }
    if rival.gone() {
        let _ = std::fs::remove_file(&path);
        return false;
    }
    std::thread::sleep(POLL);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::InputKind;

    fn input(hash: &str, first: i64, last: i64) -> InputEntry {
        InputEntry {
            path: format!("{hash}.pcap"),
            size: 1,
            blake3: Some(hash.into()),
            sha256: None,
            first_ns: Some(first),
            last_ns: Some(last),
            records: 1,
            kind: InputKind::Capture,
        }
    }

    #[test]
    fn a_claim_waits_for_a_lower_rival_and_not_for_others() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().to_path_buf();
        // Another sensor's claim and a disjoint input's claim are no rivals.
        let other = Claim::settle(&d, "s2", &[input("a", 0, 10)], &|_| ()).expect("another sensor");
        let disjoint = Claim::settle(&d, "s1", &[input("b", 20, 30)], &|_| ()).expect("a disjoint input");
        let first = Claim::settle(&d, "s1", &[input("a", 0, 10)], &|_| ()).expect("the first claim");
        // A rival of the same content waits until the first is withdrawn.
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let second = Claim::settle(&d, "s1", &[input("c", 5, 15)], &|_| ());
            tx.send(()).expect("the test waits");
            second.map(|c| c.key.clone())
        });
        std::thread::sleep(Duration::from_millis(200));
        assert!(rx.try_recv().is_err(), "an overlapping claim went before the first");
        let first_key = first.key.clone();
        drop(first);
        let second = waiter.join().expect("no panic").expect("settled");
        assert!(second > first_key, "staked anew after the first");
        drop((other, disjoint));
    }

    #[test]
    fn claims_of_gone_processes_of_this_host_are_removed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let dead = ClaimFile {
            sensor: "s1".into(),
            inputs: vec![input("a", 0, 10)],
            host: host().to_string(),
            pid: u32::MAX,
            converting: false,
        };
        let folder = claims_dir(d);
        std::fs::create_dir_all(&folder).expect("folder");
        let stale = folder.join("000000000000000000000001-x-1-0.json");
        std::fs::write(&stale, serde_json::to_vec(&dead).expect("json")).expect("a dead claim");
        let claim = Claim::settle(d, "s1", &[input("a", 0, 10)], &|_| ()).expect("not blocked by a dead writer");
        assert!(!stale.exists());
        drop(claim);
        assert_eq!(std::fs::read_dir(&folder).expect("claims").count(), 0, "withdrawn when dropped");
    }

    #[test]
    fn of_rivals_racing_to_decide_and_commit_exactly_one_commits() {
        // Each round eight writers of overlapping inputs settle at once; a
        // settled writer commits (creates its entry) when no entry is there
        // yet, as write_run decides, and then withdraws its claim.
        const WRITERS: usize = 8;
        let dir = tempfile::tempdir().expect("temp dir");
        for round in 0..25 {
            let entries = dir.path().join(format!("round{round}"));
            std::fs::create_dir_all(&entries).expect("entries");
            let start = std::sync::Arc::new(std::sync::Barrier::new(WRITERS));
            let writers: Vec<_> = (0..WRITERS)
                .map(|w| {
                    let (d, entries, start) = (dir.path().to_path_buf(), entries.clone(), start.clone());
                    std::thread::spawn(move || {
                        let mine = input(&format!("w{w}"), w as i64, w as i64 + 100);
                        start.wait();
                        let claim = Claim::settle(&d, "s1", &[mine], &|_| ()).expect("settled");
                        let held = std::fs::read_dir(&entries).expect("entries").count();
                        // The commit's renames take a while.
                        std::thread::sleep(Duration::from_millis(2));
                        if held == 0 {
                            std::fs::write(entries.join(format!("w{w}")), b"").expect("an entry");
                        }
                        drop(claim);
                    })
                })
                .collect();
            writers.into_iter().for_each(|w| w.join().expect("no panic"));
            assert_eq!(std::fs::read_dir(&entries).expect("entries").count(), 1, "round {round}");
        }
    }

    #[test]
    fn a_writer_waits_for_a_live_claim_of_another_host_and_says_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().to_path_buf();
        let folder = claims_dir(&d);
        std::fs::create_dir_all(&folder).expect("folder");
        // Process 1 of another host: nothing here can tell it is gone.
        let other = ClaimFile {
            sensor: "s1".into(),
            inputs: vec![input("a", 0, 10)],
            host: "other-host".into(),
            pid: 1,
            converting: false,
        };
        let foreign = folder.join("000000000000000000000001-other-host-1-0.json");
        std::fs::write(&foreign, serde_json::to_vec(&other).expect("json")).expect("a claim of another host");
        let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let notes = heard.clone();
        let waiter = std::thread::spawn(move || {
            let tell = |note: &str| notes.lock().expect("notes").push(note.to_string());
            Claim::settle(&d, "s1", &[input("b", 5, 15)], &tell).map(|c| c.key.clone())
        });
        std::thread::sleep(NOTICE_AFTER + Duration::from_millis(500));
        assert!(!waiter.is_finished(), "went before a lower claim of another host");
        let said = heard.lock().expect("notes").clone();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("process 1 on host other-host") && said[0].contains("10 minutes"), "{said:?}");
        std::fs::remove_file(&foreign).expect("the other host's writer commits");
        waiter.join().expect("no panic").expect("settled once the claim is gone");
        assert_eq!(heard.lock().expect("notes").len(), 1, "said once");
    }

    #[test]
    fn while_an_old_manifest_waits_to_be_converted_every_writer_is_a_rival() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().to_path_buf();
        std::fs::write(d.join(MANIFEST), r#"{"schema": "darkscope.manifest/1", "parts": []}"#).expect("manifest.json");
        let first = Claim::settle(&d, "s1", &[input("a", 0, 10)], &|_| ()).expect("the first claim");
        let other = d.clone();
        let waiter = std::thread::spawn(move || {
            Claim::settle(&other, "s2", &[input("z", 50, 60)], &|_| ()).map(|c| c.key.clone())
        });
        std::thread::sleep(Duration::from_millis(200));
        assert!(!waiter.is_finished(), "another sensor's disjoint input went beside a converting writer");
        // Converted: the next writers are rivals by their inputs alone.
        std::fs::remove_file(d.join(MANIFEST)).expect("converted");
        drop(first);
        waiter.join().expect("no panic").expect("settled");
        let a = Claim::settle(&d, "s1", &[input("a", 0, 10)], &|_| ()).expect("s1");
        let b = Claim::settle(&d, "s2", &[input("z", 50, 60)], &|_| ()).expect("s2 beside s1");
        drop((a, b));
    }
}
