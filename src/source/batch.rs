//! Records copied out of a live capture's ring, a batch at a time: the
//! capture threads fill them and hand them to the aggregating thread (and
//! the archive), so no packet crosses threads on its own. A batch owns its
//! bytes; its records borrow them as a file reader's records borrow its
//! buffer.

use super::{LinkType, Record, RecordSink};
use crate::time::Timestamp;

/// One record's place in a batch.
#[derive(Clone, Copy, Debug)]
struct Head {
    ts: i64,
    start: u32,
    caplen: u32,
    orig_len: u32,
}

/// A capture interface's packet counters (libpcap's `pcap_stats`), since
/// it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets the kernel handed to the capture (on Linux, dropped ones included).
    pub received: u64,
    /// Dropped because the capture's buffer was full (`ps_drop`).
    pub dropped: u64,
    /// Dropped by the interface or its driver (`ps_ifdrop`).
    pub if_dropped: u64,
}

/// Records of one interface, in capture order.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The interface's position among the capture's interfaces.
    pub iface: usize,
    pub link: LinkType,
    data: Vec<u8>,
    heads: Vec<Head>,
    /// The interface's counters when the batch was sent.
    pub stats: Option<CaptureStats>,
}

impl Batch {
    pub fn new(iface: usize, link: LinkType) -> Batch {
        Batch { iface, link, data: Vec::new(), heads: Vec::new(), stats: None }
    }

    /// Appends a record: its timestamp (ns), captured bytes and length on
    /// the wire.
    #[inline]
    pub fn push(&mut self, ts: i64, bytes: &[u8], orig_len: u32) {
        let start = self.data.len() as u32;
        self.data.extend_from_slice(bytes);
        self.heads.push(Head { ts, start, caplen: bytes.len() as u32, orig_len });
    }

    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// Captured bytes held.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// Empties the batch, keeping its memory.
    pub fn clear(&mut self) {
        self.data.clear();
        self.heads.clear();
        self.stats = None;
    }

    /// The records, in order.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        self.heads.iter().map(|h| Record {
            ts: Timestamp(h.ts),
            link: Some(self.link),
            data: &self.data[h.start as usize..(h.start + h.caplen) as usize],
            orig_len: h.orig_len,
        })
    }

    /// Gives every record to `sink`.
    pub fn feed<S: RecordSink + ?Sized>(&self, sink: &mut S) {
        for record in self.records() {
            sink.record(&record);
        }
    }

    /// The first and last record timestamps (ns).
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((self.heads.first()?.ts, self.heads.last()?.ts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_as_pushed() {
        let mut batch = Batch::new(0, LinkType::RAW);
        batch.push(5, &[1, 2, 3], 60);
        batch.push(7, &[], 40);
        batch.push(9, &[4], 1);
        let got: Vec<(i64, Vec<u8>, u32)> = batch.records().map(|r| (r.ts.0, r.data.to_vec(), r.orig_len)).collect();
        assert_eq!(got, vec![(5, vec![1, 2, 3], 60), (7, vec![], 40), (9, vec![4], 1)]);
        assert_eq!((batch.len(), batch.bytes(), batch.span()), (3, 4, Some((5, 9))));
        batch.clear();
        assert!(batch.is_empty() && batch.span().is_none());
    }
}
