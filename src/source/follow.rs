//! Following a text file that another program appends to, as `tail -F`
//! does (the capture daemon's `--alerts`: Suricata's `eve.json`).
//!
//! Each [`Follower::poll`] hands over the complete lines written since the
//! last one (a line still being written waits for its newline) and the
//! [`Position`] after them, which a restarted daemon continues from.
//! Rotation is followed both ways logrotate does it:
//!
//! * **rename** (Suricata reopens its file on SIGHUP): while the path is
//!   missing or still the same file, the open file is read on; once the
//!   path names another file (the writer has reopened, so the old file is
//!   complete), the old file is read to its end, a last line without a
//!   newline included, and the new file is read from its start;
//! * **copytruncate**: the file became shorter than what was read, so it
//!   was truncated: it is read again from its start. Lines the writer
//!   added between logrotate's copy and its truncation are lost, for every
//!   reader (logrotate's documented caveat); the sooner the polls, the
//!   fewer lines a truncation can hide by growing the file past the old
//!   length before the next poll.
//!
//! A follower started again at a [`Position`] whose file is no longer at
//! the path (rotated while nobody read it) looks for that file, by device
//! and inode, in the path's folder (`eve.json.1`, renamed, not yet
//! compressed): found, it reads the rest of it first, then the file at the
//! path from its start; not found, only the file at the path.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Most bytes one poll reads (the rest waits for the next poll), so a long
/// backlog never holds up the caller for long.
pub const POLL_BYTES: usize = 8 << 20;

/// Where a follower stands: the file (device and inode) and the offset
/// after the last complete line handed over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub dev: u64,
    pub ino: u64,
    pub offset: u64,
}

/// The file of `at`'s device and inode in `path`'s folder, if one is
/// there, with its path (big enough to hold `at`'s offset).
fn find_file(path: &Path, at: Position) -> io::Result<Option<(PathBuf, File)>> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_file() && identity(&meta) == (at.dev, at.ino) && meta.len() >= at.offset {
            return Ok(Some((entry.path(), File::open(entry.path())?)));
        }
    }
    Ok(None)
}

/// What a poll noticed besides lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Polled {
    /// The path was renamed away and a new file took its place.
    pub rotated: bool,
    /// The file was truncated (copytruncate) and is read from its start.
    pub truncated: bool,
    /// More than [`POLL_BYTES`] were waiting: poll again soon.
    pub more: bool,
}

/// A file followed by its path.
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    at: Position,
    /// Bytes after the last newline (a line still being written).
    partial: Vec<u8>,
    /// The rotated file being read first (see the module's docs).
    rotated: Option<PathBuf>,
}

fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

impl Follower {
    /// Follows `path` from `from`: the same file at that offset; when the
    /// path names another file now (rotated while nobody read it), the rest
    /// of the old file if it is still in the folder, then the file at the
    /// path from its start; `None` starts at the file's current end. A path
    /// that does not exist yet is followed from the start of the file that
    /// appears there.
    pub fn open(path: &Path, from: Option<Position>) -> io::Result<Follower> {
        let mut follower = Follower {
            path: path.to_path_buf(),
            file: None,
            at: Position::default(),
            partial: Vec::new(),
            rotated: None,
        };
        let current = follower.open_path()?;
        if let Some(p) = from {
            let moved = match &current {
                Some(f) => identity(&f.metadata()?) != (p.dev, p.ino),
                None => true,
            };
            if moved && let Some((old, mut file)) = find_file(path, p)? {
                file.seek(SeekFrom::Start(p.offset))?;
                (follower.file, follower.at, follower.rotated) = (Some(file), p, Some(old));
                return Ok(follower);
            }
        }
        let Some(mut file) = current else {
            return Ok(follower);
        };
        let meta = file.metadata()?;
        let (dev, ino) = identity(&meta);
        let offset = match from {
            Some(p) if (p.dev, p.ino) == (dev, ino) && p.offset <= meta.len() => p.offset,
            Some(_) => 0,
            None => meta.len(),
        };
        file.seek(SeekFrom::Start(offset))?;
        follower.file = Some(file);
        follower.at = Position { dev, ino, offset };
        Ok(follower)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The rotated file a restart reads the rest of first, if it found one.
    pub fn rotated(&self) -> Option<&Path> {
        self.rotated.as_deref()
    }

    /// The position after the last complete line handed over.
    pub fn position(&self) -> Position {
        self.at
    }

    fn open_path(&self) -> io::Result<Option<File>> {
        match File::open(&self.path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Appends the complete lines written since the last poll to `out`.
    pub fn poll(&mut self, out: &mut Vec<u8>) -> io::Result<Polled> {
        let mut polled = Polled::default();
        let start = out.len();
        if self.file.is_none() {
            let Some(file) = self.open_path()? else {
                return Ok(polled);
            };
            let (dev, ino) = identity(&file.metadata()?);
            self.file = Some(file);
            self.at = Position { dev, ino, offset: 0 };
        }
        polled.more = self.read_on(out, start)?;
        if polled.more {
            return Ok(polled);
        }
        let now = match std::fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(polled),
            Err(e) => return Err(e),
        };
        if identity(&now) != (self.at.dev, self.at.ino) {
            // The old file is complete: its last bytes are a line too.
            if !self.partial.is_empty() {
                out.append(&mut self.partial);
                out.push(b'\n');
            }
            self.file = None;
            self.rotated = None;
            polled.rotated = true;
            let Some(file) = self.open_path()? else {
                return Ok(polled);
            };
            let (dev, ino) = identity(&file.metadata()?);
            self.file = Some(file);
            self.at = Position { dev, ino, offset: 0 };
            polled.more = self.read_on(out, out.len())?;
        } else if now.len() < self.at.offset + self.partial.len() as u64 {
            self.partial.clear();
            if let Some(file) = &mut self.file {
                file.seek(SeekFrom::Start(0))?;
            }
            self.at.offset = 0;
            polled.truncated = true;
            polled.more = self.read_on(out, out.len())?;
        }
        Ok(polled)
    }

    /// Reads the open file on (at most [`POLL_BYTES`] since `start`), moving
    /// complete lines to `out`; says whether bytes were left unread.
    fn read_on(&mut self, out: &mut Vec<u8>, start: usize) -> io::Result<bool> {
        let Some(file) = &mut self.file else {
            return Ok(false);
        };
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            if out.len() - start + self.partial.len() >= POLL_BYTES {
                return Ok(true);
            }
            let n = match file.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let read = &chunk[..n];
            match read.iter().rposition(|&b| b == b'\n') {
                Some(last) => {
                    let complete = self.partial.len() + last + 1;
                    out.append(&mut self.partial);
                    out.extend_from_slice(&read[..=last]);
                    self.partial.extend_from_slice(&read[last + 1..]);
                    self.at.offset += complete as u64;
                }
                None => self.partial.extend_from_slice(read),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("append");
        f.write_all(text.as_bytes()).expect("write");
    }

    fn poll(f: &mut Follower) -> (String, Polled) {
        let mut out = Vec::new();
        let polled = f.poll(&mut out).expect("poll");
        (String::from_utf8(out).expect("UTF-8"), polled)
    }

    #[test]
    fn lines_are_handed_over_once_whole_across_renames_and_truncations() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("eve.json");
        append(&path, "old\n");
        let mut f = Follower::open(&path, None).expect("open");
        assert_eq!(poll(&mut f).0, "", "starts at the end");
        append(&path, "a\nb");
        assert_eq!(poll(&mut f).0, "a\n", "a line still being written waits");
        append(&path, "\nc\n");
        assert_eq!(poll(&mut f).0, "b\nc\n");
        let kept = f.position();
        assert_eq!(kept.offset, 10);

        // Renamed away: the old file is read on until a new one appears.
        std::fs::rename(&path, dir.path().join("eve.json.1")).expect("rename");
        append(&dir.path().join("eve.json.1"), "d\ne");
        let (lines, polled) = poll(&mut f);
        assert_eq!((lines.as_str(), polled.rotated), ("d\n", false));
        append(&path, "f\n");
        let (lines, polled) = poll(&mut f);
        assert_eq!((lines.as_str(), polled.rotated), ("e\nf\n", true), "the old file's last line, then the new file");

        // Copied and truncated: read again from the start.
        append(&path, "g\n");
        assert_eq!(poll(&mut f).0, "g\n");
        std::fs::write(&path, "").expect("truncate");
        append(&path, "h\n");
        let (lines, polled) = poll(&mut f);
        assert_eq!((lines.as_str(), polled.truncated), ("h\n", true));

        // A restart continues at a position of the same file, or at the
        // start of the file now at the path.
        append(&path, "i\n");
        let mut again = Follower::open(&path, Some(f.position())).expect("reopen");
        assert_eq!(poll(&mut again).0, "i\n");
        // `kept` is in eve.json.1 now: its rest first, its last line whole.
        let mut rotated = Follower::open(&path, Some(kept)).expect("reopen");
        assert_eq!(poll(&mut rotated).0, "d\ne\nh\ni\n");
    }

    #[test]
    fn a_restart_reads_the_rest_of_a_file_rotated_meanwhile_first() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("eve.json");
        append(&path, "a\n");
        let mut f = Follower::open(&path, None).expect("open");
        append(&path, "b\n");
        assert_eq!(poll(&mut f).0, "b\n");
        let stopped = f.position();
        // While no follower runs: more lines, a rename, a new file.
        append(&path, "c\n");
        std::fs::rename(&path, dir.path().join("eve.json.1")).expect("rename");
        append(&path, "d\n");
        let mut again = Follower::open(&path, Some(stopped)).expect("reopen");
        assert_eq!(again.rotated(), Some(dir.path().join("eve.json.1").as_path()));
        let (lines, polled) = poll(&mut again);
        assert_eq!((lines.as_str(), polled.rotated), ("c\nd\n", true));
        assert_eq!(again.rotated(), None);
        // The rotated copy gone (compressed, removed): the file at the path.
        std::fs::remove_file(dir.path().join("eve.json.1")).expect("remove");
        let mut gone = Follower::open(&path, Some(stopped)).expect("reopen");
        assert_eq!(gone.rotated(), None);
        assert_eq!(poll(&mut gone).0, "d\n");
    }

    #[test]
    fn a_file_that_appears_later_is_read_from_its_start() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("eve.json");
        let mut f = Follower::open(&path, None).expect("open");
        assert_eq!(poll(&mut f).0, "");
        append(&path, "a\n");
        assert_eq!(poll(&mut f).0, "a\n");
    }
}
