//! The raw archive (`capture --archive DIR`): what was captured, written to
//! rotated capture files for later replays, zstd-compressed as written.
//!
//! One file per interface and period (UTC hours by default, `--rotate
//! SECS`; SIGHUP rotates at once): classic pcap with nanosecond timestamps
//! (magic a1b23c4d), named `<sensor>-<iface>-<first record, UTC>.pcap.zst`.
//! A file being written is hidden (`.<name>.part`: directory replays skip
//! it) and renamed into place when finished. At every flush the zstd frame
//! is ended and a new one begun, so a crash leaves at most the records
//! since the last flush in a frame cut short; the next start trims such a
//! file to its last whole frame (frames end between records) and puts it
//! in place, with a warning.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::log::log;
use crate::source::{Batch, LinkType};
use crate::time::{NANOS_PER_SEC, Timestamp};

/// zstd level: fast enough for a million small packets a second on one
/// core, and a pcap's headers compress well even so.
const LEVEL: i32 = 1;

/// Suffix of a file being written.
const PART: &str = ".part";

/// An archive file being written.
struct Open {
    temp: PathBuf,
    target: PathBuf,
    /// The period's end (ns): a record from then on goes to a new file.
    ends: i64,
    encoder: Option<zstd::Encoder<'static, BufWriter<File>>>,
    link: LinkType,
}

/// The archive of one capture run.
pub struct Archive {
    dir: PathBuf,
    sensor: String,
    ifaces: Vec<String>,
    snaplen: u32,
    rotate_ns: i64,
    files: Vec<Option<Open>>,
    /// Files finished, and their bytes (compressed).
    pub finished: u64,
    pub bytes: u64,
}

impl Archive {
    /// An archive into `dir` (created if need be); first puts in place the
    /// files a crashed run of this sensor left behind.
    pub fn open(dir: &Path, sensor: &str, ifaces: Vec<String>, snaplen: u32, rotate_secs: u64) -> io::Result<Archive> {
        std::fs::create_dir_all(dir)?;
        // Writable now rather than at the first packet.
        let probe = dir.join(format!(".{sensor}.probe"));
        File::create(&probe)?;
        std::fs::remove_file(&probe)?;
        recover(dir, sensor)?;
        let files = ifaces.iter().map(|_| None).collect();
        Ok(Archive {
            dir: dir.to_path_buf(),
            sensor: sensor.to_string(),
            ifaces,
            snaplen,
            rotate_ns: i64::try_from(rotate_secs).unwrap_or(i64::MAX / NANOS_PER_SEC).max(1) * NANOS_PER_SEC,
            files,
            finished: 0,
            bytes: 0,
        })
    }

    /// Appends a batch's records to its interface's file, rotating at the
    /// period's end.
    pub fn write(&mut self, batch: &Batch) -> io::Result<()> {
        for record in batch.records() {
            let ts = record.ts.0;
            let current = self.files.get(batch.iface).and_then(Option::as_ref);
            if current.is_none_or(|f| ts >= f.ends || f.link != batch.link) {
                self.finish_file(batch.iface)?;
                self.start_file(batch.iface, ts, batch.link)?;
            }
            let Some(Some(file)) = self.files.get_mut(batch.iface) else {
                continue;
            };
            let Some(encoder) = &mut file.encoder else {
                continue;
            };
            let (secs, nanos) = (ts.div_euclid(NANOS_PER_SEC), ts.rem_euclid(NANOS_PER_SEC));
            let mut head = [0u8; 16];
            head[0..4].copy_from_slice(&(secs.clamp(0, i64::from(u32::MAX)) as u32).to_le_bytes());
            head[4..8].copy_from_slice(&(nanos as u32).to_le_bytes());
            head[8..12].copy_from_slice(&(record.data.len() as u32).to_le_bytes());
            head[12..16].copy_from_slice(&record.orig_len.to_le_bytes());
            encoder.write_all(&head)?;
            encoder.write_all(record.data)?;
        }
        Ok(())
    }

    /// Ends every open file's zstd frame (see the module docs).
    pub fn sync(&mut self) -> io::Result<()> {
        for file in self.files.iter_mut().flatten() {
            if let Some(encoder) = file.encoder.take() {
                let mut inner = encoder.finish()?;
                inner.flush()?;
                file.encoder = Some(zstd::Encoder::new(inner, LEVEL)?);
            }
        }
        Ok(())
    }

    /// Finishes every open file now (SIGHUP, shutdown); the next record
    /// starts a new one.
    pub fn rotate(&mut self) -> io::Result<()> {
        for i in 0..self.files.len() {
            self.finish_file(i)?;
        }
        Ok(())
    }

    fn start_file(&mut self, iface: usize, ts: i64, link: LinkType) -> io::Result<()> {
        let name = self.ifaces.get(iface).map_or("if", String::as_str);
        let stamp: String = super::log::utc_seconds(ts).chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let mut target = self.dir.join(format!("{}-{name}-{stamp}.pcap.zst", self.sensor));
        let mut n = 1;
        while target.exists() {
            target = self.dir.join(format!("{}-{name}-{stamp}-{n}.pcap.zst", self.sensor));
            n += 1;
        }
        let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = self.dir.join(format!(".{file_name}{PART}"));
        let mut encoder = zstd::Encoder::new(BufWriter::with_capacity(1 << 20, File::create(&temp)?), LEVEL)?;
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&0xa1b2_3c4d_u32.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&4u16.to_le_bytes());
        header.extend_from_slice(&[0; 8]);
        header.extend_from_slice(&self.snaplen.to_le_bytes());
        header.extend_from_slice(&u32::from(link.0).to_le_bytes());
        encoder.write_all(&header)?;
        let period = Timestamp(ts).0.div_euclid(self.rotate_ns);
        let ends = period.saturating_add(1).saturating_mul(self.rotate_ns);
        if let Some(slot) = self.files.get_mut(iface) {
            *slot = Some(Open { temp, target, ends, encoder: Some(encoder), link });
        }
        Ok(())
    }

    fn finish_file(&mut self, iface: usize) -> io::Result<()> {
        let Some(file) = self.files.get_mut(iface).and_then(Option::take) else {
            return Ok(());
        };
        if let Some(encoder) = file.encoder {
            let inner = encoder.finish()?;
            let file_handle = inner.into_inner().map_err(|e| e.into_error())?;
            file_handle.sync_all()?;
        }
        std::fs::rename(&file.temp, &file.target)?;
        self.finished += 1;
        self.bytes += std::fs::metadata(&file.target).map_or(0, |m| m.len());
        log!(Debug, "archive: finished {}", file.target.display());
        Ok(())
    }
}

/// Puts in place the files a crashed run of `sensor` left in `dir`, each
/// trimmed to its last whole zstd frame.
fn recover(dir: &Path, sensor: &str) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(target_name) = name.strip_prefix('.').and_then(|n| n.strip_suffix(PART)) else {
            continue;
        };
        if !target_name.starts_with(&format!("{sensor}-")) {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let whole = whole_frames(&bytes);
        let target = dir.join(target_name);
        if whole == 0 {
            std::fs::remove_file(&path)?;
            log!(Warn, "archive: removed {} (a crashed run's file with no whole frame)", path.display());
            continue;
        }
        if whole < bytes.len() {
            let file = std::fs::OpenOptions::new().write(true).open(&path)?;
            file.set_len(whole as u64)?;
            file.sync_all()?;
        }
        std::fs::rename(&path, &target)?;
        log!(
            Warn,
            "archive: recovered {} from a run that did not finish it ({} of {} bytes kept: whole frames)",
            target.display(),
            whole,
            bytes.len()
        );
    }
    Ok(())
}

/// The length of the whole zstd frames at the start of `bytes`.
fn whole_frames(bytes: &[u8]) -> usize {
    let mut at = 0;
    while at < bytes.len() {
        match zstd::zstd_safe::find_frame_compressed_size(&bytes[at..]) {
            Ok(n) if n > 0 && at + n <= bytes.len() => at += n,
            _ => break,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_trimmed_to_the_last_whole_one() {
        let one = zstd::encode_all(&b"first frame"[..], 1).unwrap();
        let two = zstd::encode_all(&b"second frame"[..], 1).unwrap();
        let mut bytes = [one.clone(), two.clone()].concat();
        assert_eq!(whole_frames(&bytes), bytes.len());
        bytes.truncate(bytes.len() - 3);
        assert_eq!(whole_frames(&bytes), one.len());
        assert_eq!(whole_frames(&two[..2]), 0);
    }
}
