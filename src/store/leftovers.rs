//! Temporary files that a killed writer left in the store. Every writer
//! (replay, the capture daemon) writes under a hidden name ending in
//! `.tmp-<host>-<pid>` (data files, manifest entries; [`temp_name`]) and
//! renames it into place (see [`super::parquet`]); readers skip hidden
//! names, so a writer killed before its rename leaves files that nothing
//! reads. The next writer on the same host removes those whose process is
//! gone, and names them; it first finishes the commits that killed writers
//! left (see [`super::commit`]), so no file a journal names is taken for a
//! leftover.
//!
//! The host in the name keeps the writers of several hosts sharing a store
//! apart: their process ids may be equal (a container's first process is
//! 1 on every host), and a process id says nothing of another host's
//! writers, whose files are left alone. Names of before (`.tmp-<pid>`)
//! are taken for this host's.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{StoreError, TABLES};

/// This host's name as the kernel has it, in the characters a file name
/// keeps (others become `_`): what tells its writers from other hosts'.
pub(super) fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let name: String = name
            .trim()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .collect();
        if name.is_empty() { "localhost".into() } else { name }
    })
}

/// The hidden temporary name of this process for a file named `name`.
pub(super) fn temp_name(name: &str) -> String {
    format!(".{name}.tmp-{}-{}", host(), std::process::id())
}

/// The host (None in a name of before) and process id a temporary name
/// of the store ends with, if it is one.
fn writer(name: &str) -> Option<(Option<&str>, u32)> {
    if !name.starts_with('.') {
        return None;
    }
    let end = name.rsplit_once(".tmp-")?.1;
    match end.rsplit_once('-') {
        Some((host, pid)) => Some((Some(host), pid.parse().ok()?)),
        None => Some((None, end.parse().ok()?)),
    }
}

/// Whether the temporary file `name` is one of a writer of this host
/// that is gone.
fn of_gone_writer(name: &str) -> bool {
    writer(name).is_some_and(|(on, pid)| on.is_none_or(|h| h == host()) && !may_run(pid))
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
            let dead = of_gone_writer(&entry.file_name().to_string_lossy());
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
        assert_eq!(writer(".s1-0.parquet.tmp-sensor-7.example-4242"), Some((Some("sensor-7.example"), 4242)));
        assert_eq!(writer(".s1-0.parquet.tmp-4242"), Some((None, 4242)), "a name of before");
        assert_eq!(writer(".2024-01-01.day.tmp-9"), Some((None, 9)));
        assert_eq!(writer("s1-abc.parquet"), None, "a stored file");
        assert_eq!(writer(".lock"), None);
        assert_eq!(writer(".s1-0.parquet.tmp-h-x"), None);
        assert!(may_run(std::process::id()));
        let mine = temp_name("s1-0.parquet");
        assert_eq!(writer(&mine), Some((Some(host()), std::process::id())));
        // Another host's writer is never taken for a gone one; this host's is.
        assert!(!of_gone_writer(&format!(".a.tmp-{}x-{}", host(), u32::MAX)));
        assert!(of_gone_writer(&format!(".a.tmp-{}-{}", host(), u32::MAX)));
        assert!(of_gone_writer(&format!(".a.tmp-{}", u32::MAX)));
    }
}
