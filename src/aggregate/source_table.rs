//! The sources of one day: an index from address to the source's number
//! (its order of first appearance) and the per-source records, kept densely
//! in that order.
//!
//! Almost every telescope source is IPv4, so IPv4 addresses get their own
//! index of 8-byte slots (address, number): a day of 200 k sources then
//! needs a 4 MiB index that mostly stays in the last-level cache, instead
//! of a table of 100-byte slots that never does. IPv6 sources go to a
//! second index. The records themselves are a plain vector, appended to
//! when a source first shows up.

use super::day::SourceDay;
use super::table::FlatTable;
use crate::decode::Addr;

/// A source's number within its day.
pub type SourceId = u32;

#[derive(Clone, Debug, Default)]
pub struct SourceTable {
    v4: FlatTable<u32, SourceId>,
    v6: FlatTable<u128, SourceId>,
    /// Address of each source, by number.
    addrs: Vec<Addr>,
    records: Vec<SourceDay>,
}

/// Where a source's index slot is: which index and the key's hash there.
#[derive(Clone, Copy, Debug, Default)]
pub struct SourceHash {
    hash: u64,
    v4: bool,
}

impl SourceTable {
    /// Room for about `sources` sources before the first growth.
    pub fn with_capacity(sources: usize) -> SourceTable {
        SourceTable {
            v4: FlatTable::with_capacity(sources),
            v6: FlatTable::default(),
            addrs: Vec::with_capacity(sources),
            records: Vec::with_capacity(sources),
        }
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

    /// Hints the CPU to fetch a source's record.
    #[inline]
    pub fn prefetch_record(&self, id: SourceId) {
        if let Some(record) = self.records.get(id as usize) {
            super::prefetch::prefetch(record);
        }
    }

    /// The number of `addr` (hashed as `h`), appending a record made by
    /// `make` if the source is new.
    #[inline]
    pub fn id_with(&mut self, addr: Addr, h: SourceHash, make: impl FnOnce() -> SourceDay) -> SourceId {
        let next = self.records.len() as SourceId;
        let id = match addr.as_v4() {
            Some(v4) => self.v4.entry_with(v4, h.hash, || next).0,
            None => self.v6.entry_with(addr.0, h.hash, || next).0,
        };
        if *id == next {
            self.addrs.push(addr);
            self.records.push(make());
        }
        *id
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
        let mut t = SourceTable::with_capacity(2);
        let addrs = [Addr::v4(7), Addr(0x2001_0db8 << 96), Addr::v4(u32::MAX), Addr::v4(7), Addr(0x2001_0db8 << 96)];
        let ids: Vec<SourceId> = addrs.iter().map(|&a| t.id_with(a, t.hash(a), SourceDay::default)).collect();
        assert_eq!(ids, vec![0, 1, 2, 0, 1]);
        for _ in 0..1000 {
            let a = Addr::v4(t.len() as u32 + 100);
            t.id_with(a, t.hash(a), SourceDay::default);
        }
        assert_eq!(t.id_with(Addr::v4(u32::MAX), t.hash(Addr::v4(u32::MAX)), SourceDay::default), 2);
        assert_eq!(t.iter().nth(1).map(|(a, _)| a), Some(Addr(0x2001_0db8 << 96)));
        assert_eq!(t.len(), 1003);
    }
}
