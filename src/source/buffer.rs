//! A refillable read window over any byte stream.
//!
//! Readers parse records straight out of the window and hand out borrowed
//! slices; only when a record straddles the end of the window is the tail
//! moved to the front and the window refilled. Plain files and decompressors
//! look the same from here.

use std::io::{self, Read};

/// Records larger than this are treated as corrupt: no capture format we
/// read allows a single block anywhere near it.
pub const MAX_BLOCK: usize = 256 << 20;

const CHUNK: usize = 4 << 20;

/// A buffered, refillable window over a reader, tracking the absolute offset.
pub struct ByteStream {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Bytes asked of the reader at a time.
    read_size: usize,
    start: usize,
    end: usize,
    offset: u64,
    eof: bool,
    /// Bytes handed out so far (for progress reporting).
    consumed_total: u64,
}

impl ByteStream {
    pub fn new(reader: Box<dyn Read + Send>) -> ByteStream {
        ByteStream::reading(reader, CHUNK)
    }

    /// A stream that asks `reader` for at most `read_size` bytes at a time
    /// (unless a block needs more).
    pub fn reading(reader: Box<dyn Read + Send>, read_size: usize) -> ByteStream {
        let read_size = read_size.clamp(1, CHUNK);
        ByteStream {
            reader,
            buf: vec![0; CHUNK],
            read_size,
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            consumed_total: 0,
        }
    }

    /// The unread bytes currently buffered.
    #[inline]
    pub fn window(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Absolute offset (in the decompressed stream) of the window's first byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed_total
    }

    /// Marks `n` bytes of the window as read.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.start);
        self.start += n;
        self.offset += n as u64;
        self.consumed_total += n as u64;
    }

    /// Makes at least `n` bytes available if the stream holds them; returns
    /// whether it does (false means the stream ends before `n` bytes).
    #[inline]
    pub fn ensure(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        self.fill(n)
    }

    /// Up to `n` bytes of the window, refilling first if needed.
    pub fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        self.ensure(n)?;
        let have = (self.end - self.start).min(n);
        Ok(&self.buf[self.start..self.start + have])
    }

    #[cold]
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        if n > MAX_BLOCK {
            return Ok(false);
        }
        let buf = &mut self.buf;
        // Move the unread tail to the front, grow if a block is larger than
        // the buffer, then read until `n` bytes are present or the input ends.
        if self.start > 0 {
            buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if buf.len() < n {
            buf.resize(n.next_power_of_two(), 0);
        }
        while self.end < n && !self.eof {
            let stop = buf.len().min(n.max(self.end + self.read_size));
            match self.reader.read(&mut buf[self.end..stop]) {
                Ok(0) => self.eof = true,
                Ok(got) => self.end += got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end >= n)
    }
}

/// A `u32` at `at`, big- or little-endian as the capture says.
#[inline]
pub fn u32_at(b: &[u8], at: usize, be: bool) -> u32 {
    // One bounds check for the four bytes (callers have checked the length).
    let raw: [u8; 4] = b.get(at..at + 4).and_then(|s| s.try_into().ok()).unwrap_or_default();
    if be { u32::from_be_bytes(raw) } else { u32::from_le_bytes(raw) }
}

/// A `u16` at `at`, big- or little-endian as the capture says.
#[inline]
pub fn u16_at(b: &[u8], at: usize, be: bool) -> u16 {
    let raw: [u8; 2] = b.get(at..at + 2).and_then(|s| s.try_into().ok()).unwrap_or_default();
    if be { u16::from_be_bytes(raw) } else { u16::from_le_bytes(raw) }
}

/// A test reader that returns at most `chunk` bytes per call, so reads
/// straddle the end of the window and every refill path runs.
#[cfg(test)]
pub(crate) struct Dribble {
    data: Vec<u8>,
    at: usize,
    chunk: usize,
}

#[cfg(test)]
impl Dribble {
    pub(crate) fn new(data: Vec<u8>, chunk: usize) -> Dribble {
        Dribble { data, at: 0, chunk }
    }
}

#[cfg(test)]
impl Read for Dribble {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = out.len().min(self.chunk).min(self.data.len() - self.at);
        out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refills_across_small_reads_and_tracks_offset() {
        let data: Vec<u8> = (0..100).collect();
        let mut s = ByteStream::new(Box::new(Dribble::new(data, 3)));
        assert!(s.ensure(10).unwrap());
        assert_eq!(&s.window()[..3], &[0, 1, 2]);
        assert!(s.ensure(95).unwrap());
        s.consume(95);
        assert_eq!(s.offset(), 95);
        assert!(s.ensure(5).unwrap());
        assert_eq!(s.window(), &[95, 96, 97, 98, 99]);
        assert!(!s.ensure(6).unwrap());
    }
}
