//! Walking a directory INPUT: the regular files below it, in name order,
//! hidden ones (names starting with a dot) left out.
//!
//! Symbolic links are followed, to files and to directories, but a file or
//! directory is known by its identity (device and inode), not its path: a
//! directory already walked is not walked again, a directory the walk is
//! inside of (a link to itself or to an ancestor: a loop) is named in a
//! warning and not entered, and a file reached by several paths is read
//! once (see [`once`]): by a path without links if it has one, else by its
//! real path.

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A file's or a directory's identity: (device, inode).
pub type FileId = (u64, u64);

pub fn file_id(meta: &std::fs::Metadata) -> FileId {
    (meta.dev(), meta.ino())
}

/// A file found: its path, identity, and whether the path goes through a
/// symbolic link below the INPUT named.
pub type Found = (PathBuf, FileId, bool);

/// Appends every regular file below `root` to `files`, and a warning per
/// loop or broken link to `warnings`.
pub fn walk(root: &Path, files: &mut Vec<Found>, warnings: &mut Vec<String>) -> io::Result<()> {
    let id = file_id(&std::fs::metadata(root)?);
    let mut walker = Walker { walked: HashSet::new(), inside: Vec::new(), files, warnings };
    walker.dir(root, id, false)
}

struct Walker<'a> {
    /// Directories walked (or being walked).
    walked: HashSet<FileId>,
    /// The directories the walk is inside of, outermost first.
    inside: Vec<(FileId, PathBuf)>,
    files: &'a mut Vec<Found>,
    warnings: &'a mut Vec<String>,
}

impl Walker<'_> {
    /// Walks `dir` (`linked`: reached through a symbolic link).
    fn dir(&mut self, dir: &Path, id: FileId, linked: bool) -> io::Result<()> {
        self.walked.insert(id);
        self.inside.push((id, dir.to_path_buf()));
        let mut entries = std::fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            // Hidden entries are skipped: files still being written (a
            // capture daemon's archive `.<name>.part`, a writer's temporary).
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let link = entry.file_type()?.is_symlink();
            let meta = if link {
                match std::fs::metadata(&path) {
                    Ok(meta) => meta,
                    Err(e) => {
                        self.warnings
                            .push(format!("{}: skipped, a symbolic link to nothing readable ({e})", path.display()));
                        continue;
                    }
                }
            } else {
                entry.metadata()?
            };
            let id = file_id(&meta);
            if meta.is_dir() {
                if let Some((_, outer)) = self.inside.iter().find(|(d, _)| *d == id) {
                    self.warnings.push(format!(
                        "{}: not followed, it is {} again (a loop through a symbolic link)",
                        path.display(),
                        outer.display()
                    ));
                } else if !self.walked.contains(&id) {
                    self.dir(&path, id, linked || link)?;
                }
            } else if meta.is_file() {
                self.files.push((path, id, linked || link));
            }
        }
        self.inside.pop();
        Ok(())
    }
}

/// The files of `found` not read yet: each identity once (`seen` holds the
/// path each file read so far is read by), by its first path without a
/// link, else by its real path; a warning names every other path.
pub fn once(found: Vec<Found>, seen: &mut HashMap<FileId, PathBuf>, warnings: &mut Vec<String>) -> Vec<PathBuf> {
    // The path each new identity is read by.
    let mut chosen: HashMap<FileId, (usize, PathBuf)> = HashMap::new();
    for (i, (path, id, linked)) in found.iter().enumerate() {
        if seen.contains_key(id) {
            continue;
        }
        match chosen.get(id) {
            Some(_) if *linked => {}
            Some((first, _)) if !found[*first].2 => {}
            _ => {
                let shown =
                    if *linked { std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()) } else { path.clone() };
                chosen.insert(*id, (i, shown));
            }
        }
    }
    let mut fresh = Vec::with_capacity(chosen.len());
    for (i, (path, id, _)) in found.into_iter().enumerate() {
        match chosen.get(&id) {
            Some((pick, shown)) if *pick == i => {
                seen.insert(id, shown.clone());
                fresh.push(shown.clone());
            }
            _ => {
                let first = seen.get(&id).or_else(|| chosen.get(&id).map(|(_, shown)| shown));
                let first = first.map(|p| p.display().to_string()).unwrap_or_default();
                warnings
                    .push(format!("{}: skipped, the same file as {first} (each file is read once)", path.display()));
            }
        }
    }
    fresh
}
