//! The sources of one day: an index from address to the source's number
//! (its order of first appearance), and the per-source records, kept
//! densely in that order.
//!
//! The two halves live on different threads: the [`SourceIndex`] with the
//! calendar on the reading side, which numbers every batch's sources before
//! handing it on, and the [`SourceTable`] of records with the day worker,
//! which appends a record when a packet says its source is new. Both see
//! the batches of a day in the same order, so their numbers agree.
//!
//! Almost every telescope source is IPv4, so IPv4 addresses get their own
//! index of 8-byte slots (address, number): a day of 200 k sources then
//! needs a 4 MiB index that mostly stays in the last-level cache, instead
//! of a table of 100-byte slots that never does. IPv6 sources go to a
//! second index.

use super::day::SourceDay;
use super::table::FlatTable;
use crate::decode::Addr;

/// A source's number within its day.
pub type SourceId = u32;

/// Address → number, for one day.
#[derive(Clone, Debug, Default)]
pub struct SourceIndex {
    v4: FlatTable<u32, SourceId>,
    v6: FlatTable<u128, SourceId>,
    len: SourceId,
}

/// Where a source's index slot is: which index and the key's hash there.
#[derive(Clone, Copy, Debug, Default)]
pub struct SourceHash {
    hash: u64,
    v4: bool,
}

impl SourceIndex {
    /// Room for about `sources` sources before the first growth.
    pub fn with_capacity(sources: usize) -> SourceIndex {
        SourceIndex { v4: FlatTable::with_capacity(sources), v6: FlatTable::default(), len: 0 }
    }

    #[inline]
    pub fn hash(&self, addr: Addr) -> SourceHash {
        match addr.as_v4() {
            Some(v4) => SourceHash { hash: self.v4.hash(v4), v4: true },
            None => SourceHash { hash: self.v6.hash(addr.0), v4: false },
        }
    }

    /// Hints the CPU to fetch the index slot of a hashed source.
    #[inline]
    pub fn prefetch(&self, h: SourceHash) {
        if h.v4 { self.v4.prefetch(h.hash) } else { self.v6.prefetch(h.hash) }
    }

    /// The number of `addr` (hashed as `h`) and whether it is new (then it
    /// is the next number).
    #[inline]
    pub fn number(&mut self, addr: Addr, h: SourceHash) -> (SourceId, bool) {
        let next = self.len;
        let id = match addr.as_v4() {
            Some(v4) => *self.v4.entry_with(v4, h.hash, || next).0,
            None => *self.v6.entry_with(addr.0, h.hash, || next).0,
        };
        let new = id == next;
        self.len += SourceId::from(new);
        (id, new)
    }

    /// Sources numbered so far.
    pub fn len(&self) -> usize {
        self.len as usize
    }
}

/// The records of one day's sources, by number.
#[derive(Clone, Debug, Default)]
pub struct SourceTable {
    /// Address of each source, by number.
    addrs: Vec<Addr>,
    records: Vec<SourceDay>,
}

impl SourceTable {
    /// Room for about `sources` sources before the first growth.
    pub fn with_capacity(sources: usize) -> SourceTable {
        SourceTable { addrs: Vec::with_capacity(sources), records: Vec::with_capacity(sources) }
    }

    /// Appends the record of the next source, `addr`; gives its number.
    #[inline]
    pub fn push(&mut self, addr: Addr, record: SourceDay) -> SourceId {
        self.addrs.push(addr);
        self.records.push(record);
        (self.records.len() - 1) as SourceId
    }

    /// Hints the CPU to fetch a source's record.
    #[inline]
    pub fn prefetch_record(&self, id: SourceId) {
        if let Some(record) = self.records.get(id as usize) {
            super::prefetch::prefetch(record);
        }
    }

    #[inline]
    pub fn record_mut(&mut self, id: SourceId) -> &mut SourceDay {
        &mut self.records[id as usize]
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every source with its record, in order of first appearance.
    pub fn iter(&self) -> impl Iterator<Item = (Addr, &SourceDay)> {
        self.addrs.iter().copied().zip(&self.records)
    }

    pub fn records_mut(&mut self) -> &mut [SourceDay] {
        &mut self.records
    }

    pub fn records(&self) -> &[SourceDay] {
        &self.records
    }

    pub fn addrs(&self) -> &[Addr] {
        &self.addrs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_first_appearance_for_both_families() {
        let mut index = SourceIndex::with_capacity(2);
        let mut number = |a: Addr| index.number(a, index.hash(a));
        let addrs = [Addr::v4(7), Addr(0x2001_0db8 << 96), Addr::v4(u32::MAX), Addr::v4(7), Addr(0x2001_0db8 << 96)];
        let ids: Vec<(SourceId, bool)> = addrs.iter().map(|&a| number(a)).collect();
        assert_eq!(ids, vec![(0, true), (1, true), (2, true), (0, false), (1, false)]);
        for i in 0..1000 {
            assert_eq!(number(Addr::v4(i + 100)), (i + 3, true));
        }
        assert_eq!(number(Addr::v4(u32::MAX)), (2, false));
        assert_eq!(index.len(), 1003);
    }

    #[test]
    fn records_keep_their_addresses_in_order() {
        let mut table = SourceTable::with_capacity(1);
        assert_eq!(table.push(Addr::v4(9), SourceDay::default()), 0);
        assert_eq!(table.push(Addr(0x2001_0db8 << 96), SourceDay::default()), 1);
        table.record_mut(1).packets = 5;
        let rows: Vec<(Addr, u64)> = table.iter().map(|(a, r)| (a, r.packets)).collect();
        assert_eq!(rows, vec![(Addr::v4(9), 0), (Addr(0x2001_0db8 << 96), 5)]);
    }
}
