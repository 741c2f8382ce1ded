//! Classic pcap writing (little-endian, magic `a1b2c3d4`, microseconds,
//! Ethernet, snap length 65535), plain or compressed by the output name:
//! `.gz` → gzip (flate2, fast level 1), `.zst` → zstd (level 3).
//!
//! Records are gathered in one 256 KiB buffer that is handed to the sink in
//! whole chunks. The chunk is kept small on purpose: it stays in the L2 cache
//! with the generator's tables (a 4 MiB buffer halved the packet rate).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::GenerateError;

/// Bytes gathered before each hand-over to the sink.
const CHUNK: usize = 256 << 10;
pub const SNAPLEN: u32 = 65_535;
pub const LINKTYPE_ETHERNET: u32 = 1;

enum Sink {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
    Zstd(zstd::Encoder<'static, BufWriter<File>>),
}

/// A pcap file being written.
pub struct PcapWriter {
    path: PathBuf,
    sink: Sink,
    buf: Vec<u8>,
}

impl PcapWriter {
    /// Creates `path` and writes the global header.
    pub fn create(path: &Path) -> Result<PcapWriter, GenerateError> {
        let io = |source| GenerateError::Io { path: path.to_path_buf(), source };
        let file = BufWriter::with_capacity(CHUNK, File::create(path).map_err(io)?);
        let name = path.to_string_lossy();
        let sink = if name.ends_with(".gz") {
            Sink::Gzip(flate2::write::GzEncoder::new(file, flate2::Compression::fast()))
        } else if name.ends_with(".zst") {
            Sink::Zstd(zstd::Encoder::new(file, 3).map_err(io)?)
        } else {
            Sink::Plain(file)
        };
        let mut w = PcapWriter { path: path.to_path_buf(), sink, buf: Vec::with_capacity(CHUNK + 2048) };
        w.buf.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        w.buf.extend_from_slice(&2u16.to_le_bytes());
        w.buf.extend_from_slice(&4u16.to_le_bytes());
        w.buf.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        w.buf.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        w.buf.extend_from_slice(&SNAPLEN.to_le_bytes());
        w.buf.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        Ok(w)
    }

    /// Appends one record: timestamp in µs since the epoch, captured bytes,
    /// original length.
    #[inline]
    pub fn record(&mut self, ts_us: u64, data: &[u8], orig: usize) -> Result<(), GenerateError> {
        let mut hdr = [0u8; 16];
        hdr[0..4].copy_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        hdr[4..8].copy_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        hdr[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        hdr[12..16].copy_from_slice(&(orig as u32).to_le_bytes());
        self.buf.extend_from_slice(&hdr);
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush_chunk()?;
        }
        Ok(())
    }

    fn flush_chunk(&mut self) -> Result<(), GenerateError> {
        let r = match &mut self.sink {
            Sink::Plain(w) => w.write_all(&self.buf),
            Sink::Gzip(w) => w.write_all(&self.buf),
            Sink::Zstd(w) => w.write_all(&self.buf),
        };
        self.buf.clear();
        r.map_err(|source| GenerateError::Io { path: self.path.clone(), source })
    }

    /// Writes what is left, ends the compressed stream and flushes the file.
    pub fn finish(mut self) -> Result<(), GenerateError> {
        self.flush_chunk()?;
        let path = self.path;
        let io = |source| GenerateError::Io { path: path.clone(), source };
        let mut file = match self.sink {
            Sink::Plain(w) => w,
            Sink::Gzip(w) => w.finish().map_err(io)?,
            Sink::Zstd(w) => w.finish().map_err(io)?,
        };
        file.flush().map_err(io)?;
        Ok(())
    }
}
