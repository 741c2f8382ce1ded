//! Committing a write to the store all or nothing, also across a crash.
//!
//! A write (a replay's part, a daemon's flush, a `--replace`) changes
//! several files: its Parquet files, written and fsynced under hidden
//! temporary names in their final folders, are renamed into place, then
//! the manifest entries of its parts (written the same way, see
//! [`super::entries`]); last the files and entries of replaced parts are
//! removed. No file system renames several files at once, so the write is
//! first described in a journal of its own, `.commit-<host>-<pid>-<n>.json`
//! in the store's root: the renames and the removals (store-relative). The
//! journal's own rename is the commit point:
//!
//! * killed before it, the store is as it was: the temporary files are
//!   hidden from readers and removed by the next writer
//!   ([`super::leftovers`]);
//! * killed after it, the next process that opens the store for writing
//!   (or a report that may write) rolls the journal forward with
//!   [`recover`], before anything else: every step is idempotent (a
//!   rename whose temporary file is gone was done), so a crash during
//!   recovery is recovered again.
//!
//! Between such a crash and the next darkscope process, a reader that
//! lists the folders itself (DuckDB's `**/*.parquet`) can see the write
//! half applied; the journal says so (README, "A crash never shows half a
//! write"). Writers take no lock (which of two rivals commits is decided
//! before, see [`super::claim`]): a journal found may be one its writer is
//! still rolling forward, and rolling it forward beside it does each step
//! once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::entries::{entry_json, entry_path};
use super::parquet::write_atomic;
use super::{MANIFEST, Manifest, Part, StoreError};

/// The journals of commits in progress: `.commit-<host>-<pid>-<n>.json`,
/// one per commit, so that writers commit side by side (`.commit.json`: a
/// journal of a darkscope of before, which wrote one at a time).
const JOURNAL: &str = ".commit";
/// The new manifest while its commit was in progress, in a journal of a
/// darkscope of before entry files (rolled forward as it was written).
const NEXT_MANIFEST: &str = ".manifest.json.commit";
/// Test-only fault injection: abort the process after this many steps of
/// its commits (writing the journal, each rename and removal), counted over
/// all of them (a daemon's flushes), as a crash there would.
const FAILPOINT: &str = "DARKSCOPE_FAILPOINT_COMMIT_STEPS";

/// One write to the store: files to rename into place (the data files,
/// then the manifest entries), and files to remove.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Commit {
    /// (temporary, target), relative to the store.
    renames: Vec<(PathBuf, PathBuf)>,
    removes: Vec<PathBuf>,
    /// Set in journals of before entry files only (see [`NEXT_MANIFEST`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    manifest: bool,
    /// Manifest entries to write when the commit is applied: (target, bytes).
    #[serde(skip)]
    entries: Vec<(PathBuf, Vec<u8>)>,
}

impl Commit {
    /// Renames `temp` over `target` (both in the store at `dir`).
    pub fn rename(&mut self, dir: &Path, temp: &Path, target: &Path) {
        self.renames.push((relative(dir, temp), relative(dir, target)));
    }

    /// Removes `path` (in the store at `dir`) if it is there.
    pub fn remove(&mut self, dir: &Path, path: &Path) {
        self.removes.push(relative(dir, path));
    }

    /// Writes the manifest entries of the parts of `manifest` that
    /// `changed` picks, and removes those of the parts `gone` (sensor,
    /// part). A manifest still in one `manifest.json` is converted: every
    /// part's entry is written, and `manifest.json` removed last.
    pub fn entries(&mut self, dir: &Path, manifest: &Manifest, changed: impl Fn(&Part) -> bool, gone: &[(&str, &str)]) {
        for part in manifest.parts.iter().filter(|p| manifest.legacy || changed(p)) {
            self.entries.push((entry_path(dir, &part.sensor, &part.part), entry_json(part)));
        }
        for (sensor, part) in gone {
            self.remove(dir, &entry_path(dir, sensor, part));
        }
        if manifest.legacy {
            self.remove(dir, &dir.join(MANIFEST));
        }
    }

    /// Applies the commit to the store at `dir`. An error before the
    /// journal is written removes the temporary files (the store is as it
    /// was); one after it leaves them for [`recover`] to finish.
    pub fn apply(mut self, dir: &Path) -> Result<(), StoreError> {
        static COMMITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COMMITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (host, pid) = (super::leftovers::host(), std::process::id());
        let journal_path = dir.join(format!("{JOURNAL}-{host}-{pid}-{n}.json"));
        let prepared = (|| {
            for (target, bytes) in std::mem::take(&mut self.entries) {
                let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let temp = target.with_file_name(super::leftovers::temp_name(&name));
                self.rename(dir, &temp, &target);
                write_synced(&temp, &bytes)?;
            }
            // A file renamed into place by this commit is not removed (a
            // part replaced by itself: the same inputs again).
            let targets: std::collections::HashSet<_> = self.renames.iter().map(|(_, t)| t.clone()).collect();
            self.removes.retain(|r| !targets.contains(r));
            let journal = serde_json::to_vec_pretty(&self).expect("a commit serialises");
            failpoint_step();
            write_atomic(&journal_path, &journal)
        })();
        if let Err(e) = prepared {
            for (temp, _) in &self.renames {
                let _ = std::fs::remove_file(dir.join(temp));
            }
            let _ = std::fs::remove_file(dir.join(NEXT_MANIFEST));
            return Err(e);
        }
        self.roll_forward(dir, &journal_path, true)
    }

    /// Does every step not done yet; then removes the journal. `counted`:
    /// a commit's own steps, which the failpoint counts (not a recovery's).
    /// Another process may be rolling the same journal forward: every step
    /// done already is skipped.
    fn roll_forward(&self, dir: &Path, journal: &Path, counted: bool) -> Result<(), StoreError> {
        let step = || {
            if counted {
                failpoint_step();
            }
        };
        for (temp, target) in &self.renames {
            step();
            rename_if_there(&dir.join(temp), &dir.join(target))?;
        }
        for path in &self.removes {
            step();
            let path = dir.join(path);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(StoreError::Io { path, source: e }),
                _ => {}
            }
        }
        if self.manifest {
            rename_if_there(&dir.join(NEXT_MANIFEST), &dir.join(MANIFEST))?;
        }
        match std::fs::remove_file(journal) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(StoreError::Io { path: journal.to_path_buf(), source: e })
            }
            _ => Ok(()),
        }
    }
}

/// The journals in the store at `dir`, by name.
fn journals(dir: &Path) -> Vec<PathBuf> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = listing
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(JOURNAL) && name.ends_with(".json")
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Rolls forward the commits that killed writers left in the store at
/// `dir` (and any that a live writer is finishing itself: every step is
/// done once), if there are any; gives the number of files they name. Call
/// before removing leftovers.
pub fn recover(dir: &Path) -> Result<Option<usize>, StoreError> {
    let found = journals(dir);
    if found.is_empty() {
        // A manifest of before, written for a commit that never reached its journal.
        let _ = std::fs::remove_file(dir.join(NEXT_MANIFEST));
        return Ok(None);
    }
    let mut files = 0;
    for path in found {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            // Finished meanwhile by its writer.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let commit: Commit = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Journal { path: path.clone(), reason: e.to_string() })?;
        let names = commit.renames.iter().flat_map(|(a, b)| [a, b]).chain(&commit.removes);
        if let Some(bad) = names.into_iter().find(|p| !inside(p)) {
            let reason = format!("it names {}, which is outside the store", bad.display());
            return Err(StoreError::Journal { path, reason });
        }
        commit.roll_forward(dir, &path, false)?;
        files += commit.renames.len() + commit.removes.len();
    }
    Ok(Some(files))
}

/// Whether the store at `dir` holds an interrupted commit.
pub fn interrupted(dir: &Path) -> bool {
    !journals(dir).is_empty()
}

/// [`recover`] when there is something to recover: for a process that
/// opens the store (a report).
pub fn finish_interrupted(dir: &Path) -> Result<Option<usize>, StoreError> {
    if !interrupted(dir) {
        return Ok(None);
    }
    recover(dir)
}

/// Writes `bytes` to `path` (its folder created) and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |source| StoreError::Io { path: path.to_path_buf(), source };
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(io)?;
    }
    std::fs::write(path, bytes).and_then(|()| std::fs::File::open(path)?.sync_all()).map_err(io)
}

fn rename_if_there(temp: &Path, target: &Path) -> Result<(), StoreError> {
    match std::fs::rename(temp, target) {
        // Renamed before the crash.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !temp.exists() => Ok(()),
        Err(source) => Err(StoreError::Io { path: target.to_path_buf(), source }),
        Ok(()) => Ok(()),
    }
}

fn relative(dir: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(dir).map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

/// A relative path that stays in its folder.
fn inside(path: &Path) -> bool {
    path.components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// One step of a commit: aborts the process when it is the one
/// [`FAILPOINT`] names (steps counted from 0 over the process's commits).
fn failpoint_step() {
    static STEPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let at = std::env::var(FAILPOINT).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(at) = at
        && STEPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == at
    {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn a_commit_renames_removes_and_writes_the_entries_then_drops_its_journal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        write(&d.join("t/day=2024-01-01/.a.parquet.tmp-1"), "new");
        write(&d.join("t/day=2024-01-01/old.parquet"), "old");
        write(&d.join(MANIFEST), r#"{"schema": "darkscope.manifest/1", "parts": []}"#);
        let mut commit = Commit::default();
        commit.rename(d, &d.join("t/day=2024-01-01/.a.parquet.tmp-1"), &d.join("t/day=2024-01-01/a.parquet"));
        commit.remove(d, &d.join("t/day=2024-01-01/old.parquet"));
        // Removed and written again: written.
        commit.remove(d, &d.join("t/day=2024-01-01/a.parquet"));
        let manifest = Manifest::load(d).expect("the old manifest");
        assert!(manifest.legacy);
        commit.entries(d, &manifest, |_| true, &[("s1", "gone")]);
        commit.apply(d).expect("applied");
        assert_eq!(std::fs::read_to_string(d.join("t/day=2024-01-01/a.parquet")).expect("renamed"), "new");
        assert!(!d.join("t/day=2024-01-01/old.parquet").exists());
        assert!(!d.join(MANIFEST).exists(), "converted");
        assert!(!Manifest::load(d).expect("entries").legacy);
        assert!(!interrupted(d));
        assert_eq!(recover(d).expect("nothing to recover"), None);
    }

    #[test]
    fn an_interrupted_commit_is_rolled_forward_whatever_it_had_done() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        // Renamed already: a.tmp is gone, a is there. Not yet: b.tmp.
        write(&d.join("a"), "a");
        write(&d.join(".b.tmp-1"), "b");
        write(&d.join("gone"), "x");
        write(&d.join(NEXT_MANIFEST), "next");
        let commit = Commit {
            renames: vec![(".a.tmp-1".into(), "a".into()), (".b.tmp-1".into(), "b".into())],
            removes: vec!["gone".into(), "never-there".into()],
            manifest: true,
            entries: Vec::new(),
        };
        // A journal of before: one `.commit.json`.
        write(&d.join(".commit.json"), &serde_json::to_string(&commit).expect("json"));
        assert!(interrupted(d));
        assert_eq!(recover(d).expect("recovered"), Some(4));
        assert_eq!(std::fs::read_to_string(d.join("b")).expect("b"), "b");
        assert_eq!(std::fs::read_to_string(d.join(MANIFEST)).expect("manifest"), "next");
        assert!(!d.join("gone").exists() && !interrupted(d));
        // A damaged journal is an error that names it, not a panic.
        write(&d.join(".commit-1-0.json"), "{\"renames\": [");
        let e = recover(d).expect_err("a damaged journal");
        assert!(e.to_string().contains(".commit-1-0.json"), "{e}");
        write(&d.join(".commit-1-0.json"), r#"{"renames": [], "removes": ["../outside"]}"#);
        let e = recover(d).expect_err("a hostile journal");
        assert!(e.to_string().contains("outside the store"), "{e}");
    }
}
