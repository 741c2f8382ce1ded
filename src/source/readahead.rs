//! Decompressing on a thread of its own, ahead of the reader.
//!
//! A compressed capture costs its decompression on top of everything the
//! reading thread already does (read, decode, classify, number sources):
//! zstd alone took 1.3 s of a 10 M-packet capture's 2.5 s replay. With
//! [`ReadAhead`] a helper thread decompresses into blocks of [`BLOCK`]
//! bytes while the reader parses the previous ones; the blocks go back to
//! the helper once read, so no block is allocated (and page-faulted) twice.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per block handed from the helper to the reader.
const BLOCK: usize = 1 << 20;

/// Blocks that may wait for the reader (the helper's lead).
const AHEAD: usize = 4;

/// A reader fed by a helper thread that reads `inner` ahead of it. Errors
/// of `inner` arrive in order, after the bytes read before them. Dropping
/// it stops the helper at its next block.
pub struct ReadAhead {
    full: Receiver<io::Result<Vec<u8>>>,
    empty: SyncSender<Vec<u8>>,
    block: Vec<u8>,
    at: usize,
    done: bool,
}

impl ReadAhead {
    pub fn new(mut inner: Box<dyn Read + Send>) -> ReadAhead {
        let (full_tx, full) = sync_channel::<io::Result<Vec<u8>>>(AHEAD);
        // Room for every block in flight, so returning one never blocks.
        let (empty, empty_rx) = sync_channel::<Vec<u8>>(AHEAD + 2);
        std::thread::spawn(move || {
            loop {
                let mut block = empty_rx.try_recv().unwrap_or_default();
                let (n, error) = fill(&mut inner, &mut block);
                block.truncate(n);
                // Stop once the reader is gone, after an error, at the end.
                if n > 0 && full_tx.send(Ok(block)).is_err() {
                    return;
                }
                if let Some(e) = error {
                    let _ = full_tx.send(Err(e));
                    return;
                }
                if n == 0 {
                    let _ = full_tx.send(Ok(Vec::new()));
                    return;
                }
            }
        });
        ReadAhead { full, empty, block: Vec::new(), at: 0, done: false }
    }
}

/// Reads into the whole of `block` (resized to [`BLOCK`]) unless the input
/// ends or fails first; gives the bytes read (0 at the end) and the error
/// that stopped it, if one did.
fn fill(inner: &mut dyn Read, block: &mut Vec<u8>) -> (usize, Option<io::Error>) {
    block.resize(BLOCK, 0);
    let mut n = 0;
    while n < block.len() {
        match inner.read(&mut block[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.block.len() {
            if self.done {
                return Ok(0);
            }
            let next = match self.full.recv() {
                Ok(next) => next,
                // The helper ended without saying so: only a panic does that.
                Err(_) => Err(io::Error::other("the decompressing thread stopped")),
            };
            match next {
                Ok(block) => {
                    let used = std::mem::replace(&mut self.block, block);
                    if used.capacity() > 0 {
                        let _ = self.empty.try_send(used);
                    }
                    self.at = 0;
                    self.done = self.block.is_empty();
                }
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        let n = out.len().min(self.block.len() - self.at);
        out[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives `data` in reads of at most `step` bytes, then fails once if
    /// `fail` is set.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fail: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() && std::mem::take(&mut self.fail) {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt stream"));
            }
            let n = out.len().min(self.step).min(self.data.len() - self.at);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn gives_every_byte_in_order() {
        for len in [0, 1, BLOCK - 1, BLOCK, 3 * BLOCK + 12_345] {
            let data = pattern(len);
            let inner = Trickle { data: data.clone(), at: 0, step: 70_001, fail: false };
            let mut out = Vec::new();
            ReadAhead::new(Box::new(inner)).read_to_end(&mut out).unwrap();
            assert_eq!(out.len(), len);
            assert!(out == data, "bytes differ for a stream of {len}");
        }
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it() {
        let data = pattern(2 * BLOCK + 5);
        let inner = Trickle { data: data.clone(), at: 0, step: 1 << 16, fail: true };
        let mut ahead = ReadAhead::new(Box::new(inner));
        let mut out = vec![0; data.len()];
        ahead.read_exact(&mut out).unwrap();
        assert!(out == data);
        let e = ahead.read(&mut [0; 16]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(ahead.read(&mut [0; 16]).unwrap(), 0, "nothing after the error");
    }
}
