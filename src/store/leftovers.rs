//! Temporary files that a killed writer left in the store. Every writer
//! (replay, the capture daemon) writes under a hidden name ending in
//! `.tmp-<pid>` (data files, manifest entries) and renames it into place (see [`super::parquet`]); readers
//! skip hidden names, so a writer killed before its rename leaves files
//! that nothing reads. The next writer on the host removes those whose
//! process is gone, and names them; it first finishes the commits that
//! killed writers left (see [`super::commit`]), so no file a journal
//! names is taken for a leftover.
//!
//! A process id says nothing of another host's writers: a store shared by
//! several hosts must not be cleaned by one of them while another writes
//! (README, "Several writers at once").

use std::path::{Path, PathBuf};

use super::{StoreError, TABLES};

/// The process id a temporary name of the store ends with, if it is one.
fn writer_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    name.rsplit_once(".tmp-")?.1.parse().ok()
}

/// Whether process `pid` of this host is running (or may be: when there
/// is no /proc to ask, every process may be).
pub(super) fn may_run(pid: u32) -> bool {
    pid == std::process::id() || !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
}

/// The folders of `dir` that hold files (not the hidden ones).
fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()).collect()
}

/// Finishes interrupted commits in the store at `dir`, then removes the
/// temporary files of writers that are gone (its root, every table's day
/// folders, the manifest's entries, the live states); gives their paths (a
/// file that cannot be removed stays, hidden, for the next run).
pub fn remove_leftovers(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    super::commit::recover(dir)?;
    let mut folders = vec![dir.to_path_buf(), dir.join(".live"), dir.join(super::ENTRIES)];
    for table in TABLES {
        folders.extend(subfolders(&dir.join(table)));
    }
    folders.extend(subfolders(&dir.join(".live")));
    let mut gone = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let dead = writer_pid(&entry.file_name().to_string_lossy()).is_some_and(|pid| !may_run(pid));
            if dead && entry.file_type().is_ok_and(|t| t.is_file()) {
                gone.push(entry.path());
            }
        }
    }
    // A writer that died after its journal was listed above: its commit
    // is finished now, and its files are in place, not removed.
    super::commit::recover(dir)?;
    let mut removed: Vec<PathBuf> = gone.into_iter().filter(|path| std::fs::remove_file(path).is_ok()).collect();
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_give_their_writer() {
        assert_eq!(writer_pid(".s1-0.parquet.tmp-4242"), Some(4242));
        assert_eq!(writer_pid(".manifest.json.tmp-17"), Some(17));
        assert_eq!(writer_pid(".2024-01-01.day.tmp-9"), Some(9));
        assert_eq!(writer_pid("s1-abc.parquet"), None, "a stored file");
        assert_eq!(writer_pid(".lock"), None);
        assert_eq!(writer_pid(".s1-0.parquet.tmp-x"), None);
        assert!(may_run(std::process::id()));
    }
}
