//! Turning INPUT arguments into opened byte streams.
//!
//! An INPUT is a file, a directory (its captures, recursively, in order of
//! their first record's timestamp), a glob, or `-` for standard input.
//! Compression (gzip, zstd, xz) is recognised by magic bytes, never by name.
//! A named file that is missing or is no capture is a usage error; inside a
//! directory or glob such a file is skipped with a warning. Each file is
//! read once, whatever paths name it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::walk::{FileId, Found, file_id, once, walk};
use super::{ByteStream, ReadReport, Record, RecordSink, read_capture};
use crate::time::Timestamp;

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    File(PathBuf),
    Stdin,
}

impl InputSpec {
    pub fn display(&self) -> String {
        match self {
            InputSpec::File(p) => p.display().to_string(),
            InputSpec::Stdin => "-".to_string(),
        }
    }
}

/// Why the INPUT arguments cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ExpandError {
    #[error("input '{0}' does not exist: check the path, or quote a glob so darkscope expands it")]
    Missing(String),
    #[error(
        "input '{path}' is not a capture ({reason}): pass pcap or pcapng files, optionally gzip/zstd/xz-compressed"
    )]
    NotACapture { path: String, reason: String },
    #[error("input '{path}' cannot be read: {source}")]
    Unreadable { path: String, source: io::Error },
    #[error("glob '{pattern}' is invalid: {reason}")]
    BadGlob { pattern: String, reason: String },
    #[error("glob '{0}' matches no file: check the pattern")]
    NoMatch(String),
    #[error("standard input ('-') can be named only once")]
    StdinTwice,
}

/// Why an input could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open '{path}': {source}")]
    Io { path: String, source: io::Error },
}

/// Where a compressed input is decompressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decompress {
    /// On the reading thread (one thread in all).
    Inline,
    /// On a helper thread, ahead of the reader (see [`super::readahead`]).
    Ahead,
}

/// An input opened for reading, decompressed as its magic bytes say.
pub struct Opened {
    pub stream: ByteStream,
    pub compression: Option<&'static str>,
    /// Size of the file on disk, when known (for progress).
    pub size: Option<u64>,
}

/// Expands INPUT arguments; returns the inputs in reading order and one
/// warning per file skipped inside a directory or glob, per file named
/// again (each file is read once, whatever paths name it) and per loop of
/// symbolic links (see [`super::walk`]).
pub fn expand_inputs(args: &[String]) -> Result<(Vec<InputSpec>, Vec<String>), ExpandError> {
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    // Every file read so far, by identity: the path it is read by.
    let mut seen: HashMap<FileId, PathBuf> = HashMap::new();
    for arg in args {
        if arg == "-" {
            if inputs.contains(&InputSpec::Stdin) {
                return Err(ExpandError::StdinTwice);
            }
            inputs.push(InputSpec::Stdin);
            continue;
        }
        let path = Path::new(arg);
        let unreadable = |source| ExpandError::Unreadable { path: arg.clone(), source };
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found, &mut skipped).map_err(unreadable)?;
            inputs.extend(order_captures(once(found, &mut seen, &mut skipped), &mut skipped));
        } else if path.exists() {
            probe(path).map_err(|e| match e {
                ProbeError::Io(source) => unreadable(source),
                ProbeError::NotACapture(reason) => ExpandError::NotACapture { path: arg.clone(), reason },
            })?;
            let id = file_id(&std::fs::metadata(path).map_err(unreadable)?);
            let fresh = once(vec![(path.to_path_buf(), id, false)], &mut seen, &mut skipped);
            inputs.extend(fresh.into_iter().map(InputSpec::File));
        } else if arg.contains(['*', '?', '[']) {
            let found = glob_files(arg, &mut skipped)?;
            if found.is_empty() {
                return Err(ExpandError::NoMatch(arg.clone()));
            }
            inputs.extend(order_captures(once(found, &mut seen, &mut skipped), &mut skipped));
        } else {
            return Err(ExpandError::Missing(arg.clone()));
        }
    }
    Ok((inputs, skipped))
}

/// The files a glob matches. A `**` pattern walks the folder its literal
/// part names with [`walk`] (links followed once, loops named) and keeps
/// the files that match; the glob crate would follow a loop of links
/// forever. Other patterns have a fixed depth: the glob crate expands them.
fn glob_files(pattern: &str, warnings: &mut Vec<String>) -> Result<Vec<Found>, ExpandError> {
    let bad = |reason: String| ExpandError::BadGlob { pattern: pattern.to_string(), reason };
    if !pattern.contains("**") {
        let matches = glob::glob(pattern).map_err(|e| bad(e.to_string()))?;
        return Ok(matches
            .filter_map(Result::ok)
            .filter_map(|p| std::fs::metadata(&p).ok().filter(|m| m.is_file()).map(|m| (p, file_id(&m), false)))
            .collect());
    }
    let compiled = glob::Pattern::new(pattern).map_err(|e| bad(e.to_string()))?;
    let literal = |c: &std::path::Component<'_>| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']);
    let base: PathBuf = Path::new(pattern).components().take_while(literal).collect();
    let here = base.as_os_str().is_empty();
    let base = if here { PathBuf::from(".") } else { base };
    let mut files = Vec::new();
    if base.is_dir() {
        walk(&base, &mut files, warnings)
            .map_err(|source| ExpandError::Unreadable { path: base.display().to_string(), source })?;
    }
    let options = glob::MatchOptions { require_literal_separator: true, ..glob::MatchOptions::new() };
    Ok(files
        .into_iter()
        .map(|(path, id, linked)| match path.strip_prefix(".").ok().filter(|_| here) {
            Some(relative) => (relative.to_path_buf(), id, linked),
            None => (path, id, linked),
        })
        .filter(|(path, _, _)| compiled.matches_path_with(path, options))
        .collect())
}

/// Keeps the captures among `paths`, ordered by first timestamp, then name.
fn order_captures(paths: Vec<PathBuf>, skipped: &mut Vec<String>) -> Vec<InputSpec> {
    let mut keyed: Vec<(Option<Timestamp>, PathBuf)> = Vec::new();
    for path in paths {
        match probe(&path) {
            Ok(first) => keyed.push((first, path)),
            Err(ProbeError::NotACapture(reason)) => {
                skipped.push(format!("{}: skipped, not a capture ({reason})", path.display()))
            }
            Err(ProbeError::Io(e)) => skipped.push(format!("{}: skipped, unreadable ({e})", path.display())),
        }
    }
    keyed.sort_by(|a, b| (a.0.unwrap_or(Timestamp(i64::MAX)), &a.1).cmp(&(b.0.unwrap_or(Timestamp(i64::MAX)), &b.1)));
    keyed.into_iter().map(|(_, p)| InputSpec::File(p)).collect()
}

enum ProbeError {
    Io(io::Error),
    NotACapture(String),
}

/// Checks that a file is a capture and returns its first record's timestamp.
fn probe(path: &Path) -> Result<Option<Timestamp>, ProbeError> {
    struct First(Option<Timestamp>);
    impl RecordSink for First {
        fn record(&mut self, record: &Record<'_>) {
            self.0.get_or_insert(record.ts);
        }
    }
    let file = File::open(path).map_err(ProbeError::Io)?;
    let (reader, _) = decompressor(Box::new(file)).map_err(ProbeError::Io)?;
    // The first 64 KiB are enough to see the header and the first record.
    let mut stream = ByteStream::new(Box::new(reader.take(64 * 1024)));
    let mut first = First(None);
    let mut report = ReadReport::default();
    match read_capture(&mut stream, &mut first, &mut report) {
        Ok(()) => Ok(first.0),
        Err(super::ReadError::Io { source, .. }) => Err(ProbeError::Io(source)),
        Err(e) => Err(ProbeError::NotACapture(e.to_string())),
    }
}

/// Called with the number of raw (compressed) bytes each read returned.
pub type ReadProgress = Box<dyn FnMut(u64) + Send>;

/// Counts the raw bytes read, for a progress bar.
struct Counting {
    inner: Box<dyn Read + Send>,
    progress: ReadProgress,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Bytes of a plain file read at a time: small enough that the kernel's
/// copy is still in the core's 1 MiB L2 cache when the records are parsed.
/// Reading 4 MiB at a time cost 7 % more CPU than mapping the file into
/// memory; 128 KiB pieces cost the same as the mapping (README, Performance).
const PLAIN_READ: usize = 128 << 10;

/// Opens an input for reading; `progress` hears of every raw read. A file
/// is read up to the length it had when opened ([`Bounded`]); a compressed
/// input is decompressed where `decompress` says.
pub fn open_input(
    input: &InputSpec,
    progress: Option<ReadProgress>,
    decompress: Decompress,
) -> Result<Opened, OpenError> {
    let (mut raw, size): (Box<dyn Read + Send>, Option<u64>) = match input {
        InputSpec::Stdin => (Box::new(io::stdin()), None),
        InputSpec::File(path) => {
            let err = |source| OpenError::Io { path: path.display().to_string(), source };
            let file = File::open(path).map_err(err)?;
            let metadata = file.metadata().map_err(err)?;
            let size = metadata.len();
            if metadata.is_file() {
                (Box::new(Bounded { file, size, left: size }), Some(size))
            } else {
                (Box::new(file), None)
            }
        }
    };
    if let Some(progress) = progress {
        raw = Box::new(Counting { inner: raw, progress });
    }
    let (mut reader, compression) =
        decompressor(raw).map_err(|source| OpenError::Io { path: input.display(), source })?;
    if compression.is_some() && decompress == Decompress::Ahead {
        reader = Box::new(super::readahead::ReadAhead::new(reader));
    }
    // Plain bytes are read in pieces that stay in the CPU's cache until
    // they are parsed (see [`PLAIN_READ`]).
    let stream = match compression {
        None => ByteStream::reading(reader, PLAIN_READ),
        Some(_) => ByteStream::new(reader),
    };
    Ok(Opened { stream, compression, size })
}

/// Opens a file of text lines (IDS alerts), decompressed as its magic
/// bytes say.
pub fn open_text(path: &Path) -> Result<Box<dyn io::BufRead + Send>, OpenError> {
    let err = |source| OpenError::Io { path: path.display().to_string(), source };
    let file = File::open(path).map_err(err)?;
    let (reader, _) = decompressor(Box::new(file)).map_err(err)?;
    Ok(Box::new(io::BufReader::with_capacity(1 << 16, reader)))
}

/// Wraps `raw` in a decompressor when its first bytes are a known magic.
fn decompressor(raw: Box<dyn Read + Send>) -> io::Result<(Box<dyn Read + Send>, Option<&'static str>)> {
    let mut raw = io::BufReader::with_capacity(1 << 20, raw);
    let head = io::BufRead::fill_buf(&mut raw)?;
    // fill_buf may return fewer than 6 bytes only at the end of the input.
    Ok(match compression_of(head) {
        Some(name @ "gzip") => (Box::new(flate2::read::MultiGzDecoder::new(raw)), Some(name)),
        Some(name @ "zstd") => (Box::new(zstd::stream::read::Decoder::with_buffer(raw)?), Some(name)),
        Some(name) => (Box::new(liblzma::read::XzDecoder::new_multi_decoder(raw)), Some(name)),
        // Plain bytes: the magic's buffer, then straight from `raw` (no
        // second copy through the buffer).
        None => {
            let head = raw.buffer().to_vec();
            (Box::new(io::Cursor::new(head).chain(raw.into_inner())), None)
        }
    })
}

/// The compression whose magic bytes `head` starts with (gzip, zstd, xz).
fn compression_of(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Some("xz")
    } else {
        None
    }
}

/// A regular file read up to the length it had when it was opened: bytes
/// appended since (a capture tool still writing) are left for the next
/// run, and a file that ends sooner was truncated by another process while
/// it was read, which is the error [`Shrank`], not the end of the input.
/// (Files are read, never mapped into memory: touching a mapping whose
/// file was truncated raises SIGBUS, and no check before the access can
/// rule that out.)
struct Bounded {
    file: File,
    size: u64,
    /// Bytes still to read.
    left: u64,
}

/// A file ended before the length it had when it was opened.
#[derive(Debug, thiserror::Error)]
#[error(
    "the file shrank from {size} to {now} bytes while it was read (another process truncated it): the records \
     after byte {now} are missing; replay it again once it is complete"
)]
pub struct Shrank {
    pub size: u64,
    pub now: u64,
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::other(Shrank { size: self.size, now: self.size - self.left }));
        }
        self.left -= n as u64;
        Ok(n)
    }
}
