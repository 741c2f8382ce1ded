//! Per-darknet-address packet counts.
//!
//! A telescope's darknet is usually a few IPv4 prefixes, so each address
//! gets a slot in a dense array (one add, no hashing); very large or IPv6
//! darknets, and runs without `--darknet`, fall back to a hash table.

use super::table::FlatTable;
use crate::classify::CidrSet;
use crate::decode::Addr;

/// Darknets up to `1 << DENSE_BITS` addresses are counted in a dense array
/// (4 bytes per address per day).
pub const DENSE_BITS: u32 = 22;
const DENSE_LIMIT: u128 = 1 << DENSE_BITS;

/// Maps a darknet address to its dense slot.
#[derive(Clone, Debug, Default)]
pub struct DenseIndex {
    /// (first key, last key, slot of the first key).
    ranges: Vec<(u128, u128, u32)>,
    size: u32,
}

impl DenseIndex {
    /// An index over `darknet`, or `None` when it is empty, has IPv6 or is
    /// too large for a dense array.
    pub fn new(darknet: &CidrSet) -> Option<DenseIndex> {
        if darknet.is_empty() || darknet.has_ipv6() {
            return None;
        }
        let total: u128 = darknet.ranges().iter().map(|(s, e)| e - s + 1).sum();
        if total > DENSE_LIMIT {
            return None;
        }
        let mut next = 0u32;
        let ranges = darknet
            .ranges()
            .iter()
            .map(|&(s, e)| {
                let slot = next;
                next += (e - s + 1) as u32;
                (s, e, slot)
            })
            .collect();
        Some(DenseIndex { ranges, size: next })
    }

    #[inline]
    fn slot(&self, addr: Addr) -> Option<usize> {
        let a = addr.0;
        let (s, e, slot) = match self.ranges.as_slice() {
            // The usual telescope: one prefix.
            [only] => *only,
            ranges => *ranges.get(ranges.partition_point(|&(s, _, _)| s <= a).checked_sub(1)?)?,
        };
        (s <= a && a <= e).then(|| (slot as u128 + (a - s)) as usize)
    }

    fn addr(&self, slot: usize) -> Addr {
        let i = self.ranges.partition_point(|&(_, _, first)| first as usize <= slot) - 1;
        let (s, _, first) = self.ranges[i];
        Addr(s + (slot - first as usize) as u128)
    }
}

/// A day's darknet addresses by their numbers (see [`DarknetCounts::add`]).
pub enum Numbered<'a> {
    Dense(&'a DenseIndex),
    /// Sparse numbers are 0, 1, 2, … in order of first appearance.
    Sparse(Vec<Addr>),
}

impl Numbered<'_> {
    pub fn addr(&self, number: u32) -> Addr {
        match self {
            Numbered::Dense(index) => index.addr(number as usize),
            Numbered::Sparse(addrs) => addrs.get(number as usize).copied().unwrap_or_default(),
        }
    }
}

/// Packets per darknet address for one day. Each address also gets a
/// number within the day (its dense slot, or its order of first
/// appearance), so (source, address) pairs fit in 64 bits.
#[derive(Clone, Debug)]
pub enum DarknetCounts {
    Dense {
        index: std::sync::Arc<DenseIndex>,
        counts: Vec<u32>,
    },
    /// Each address's number (its order of first appearance) and packets
    /// share its table slot, so a packet costs one cache miss, not two;
    /// IPv4 addresses have a table of 12-byte slots (a /16 in 1.5 MiB),
    /// IPv6 ones one of 32-byte slots.
    Sparse {
        v4: FlatTable<u32, SparseSlot>,
        v6: FlatTable<u128, SparseSlot>,
    },
}

/// An address of a sparse darknet: its number and its packets (saturating,
/// as the dense counters do, at 4 G packets to one address in one day).
#[derive(Clone, Copy, Debug, Default)]
pub struct SparseSlot {
    number: u32,
    packets: u32,
}

impl DarknetCounts {
    pub fn new(index: Option<&std::sync::Arc<DenseIndex>>) -> DarknetCounts {
        match index {
            Some(index) => DarknetCounts::Dense { index: index.clone(), counts: vec![0; index.size as usize] },
            None => DarknetCounts::Sparse { v4: FlatTable::default(), v6: FlatTable::default() },
        }
    }

    /// Hints the CPU to fetch the counter of `addr`.
    #[inline]
    pub fn prefetch(&self, addr: Addr) {
        match self {
            DarknetCounts::Dense { index, counts } => {
                if let Some(slot) = index.slot(addr) {
                    super::prefetch::prefetch(&counts[slot]);
                }
            }
            DarknetCounts::Sparse { v4, v6, .. } => match addr.as_v4() {
                Some(a) => v4.prefetch(v4.hash(a)),
                None => v6.prefetch(v6.hash(addr.0)),
            },
        }
    }

    /// Counts one packet to `addr` and gives the address's number.
    #[inline]
    pub fn add(&mut self, addr: Addr) -> u32 {
        match self {
            DarknetCounts::Dense { index, counts } => match index.slot(addr) {
                Some(slot) => {
                    counts[slot] = counts[slot].saturating_add(1);
                    slot as u32
                }
                // Only darknet addresses are counted, and the index covers the darknet.
                None => u32::MAX,
            },
            DarknetCounts::Sparse { v4, v6 } => {
                let next = (v4.len() + v6.len()) as u32;
                let make = || SparseSlot { number: next, packets: 0 };
                let slot = match addr.as_v4() {
                    Some(a) => v4.entry_with(a, v4.hash(a), make).0,
                    None => v6.entry_with(addr.0, v6.hash(addr.0), make).0,
                };
                slot.packets = slot.packets.saturating_add(1);
                slot.number
            }
        }
    }

    /// Every address seen with its number and packets, by number.
    pub fn numbered(&self) -> Vec<(u32, Addr, u64)> {
        match self {
            DarknetCounts::Dense { index, counts } => counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| (i as u32, index.addr(i), u64::from(*n)))
                .collect(),
            DarknetCounts::Sparse { v4, v6 } => {
                let mut all: Vec<(u32, Addr, u64)> = v4
                    .iter()
                    .map(|(a, slot)| (Addr::v4(a), slot))
                    .chain(v6.iter().map(|(a, slot)| (Addr(a), slot)))
                    .map(|(a, slot)| (slot.number, a, u64::from(slot.packets)))
                    .collect();
                all.sort_unstable_by_key(|&(number, _, _)| number);
                all
            }
        }
    }

    /// The addresses by their numbers (a sparse darknet's listed once).
    pub fn by_number(&self) -> Numbered<'_> {
        match self {
            DarknetCounts::Dense { index, .. } => Numbered::Dense(index),
            DarknetCounts::Sparse { .. } => Numbered::Sparse(self.numbered().into_iter().map(|(_, a, _)| a).collect()),
        }
    }

    /// Puts back an address as [`numbered`](Self::numbered) gave it (a
    /// sparse darknet's in order of number); false when the address would
    /// get another number here (the darknet is not the same).
    pub fn restore(&mut self, number: u32, addr: Addr, packets: u64) -> bool {
        let packets = u32::try_from(packets).unwrap_or(u32::MAX);
        match self {
            DarknetCounts::Dense { index, counts } => match index.slot(addr) {
                Some(slot) if slot as u32 == number => {
                    counts[slot] = packets;
                    true
                }
                _ => false,
            },
            DarknetCounts::Sparse { v4, v6 } => {
                if number as usize != v4.len() + v6.len() {
                    return false;
                }
                let make = || SparseSlot { number, packets };
                match addr.as_v4() {
                    Some(a) => v4.entry_with(a, v4.hash(a), make).1,
                    None => v6.entry_with(addr.0, v6.hash(addr.0), make).1,
                }
            }
        }
    }

    /// Every address seen, with its packets (a dense darknet's in address
    /// order, a sparse one's in no particular order).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (Addr, u64)> + '_> {
        match self {
            DarknetCounts::Dense { index, counts } => Box::new(
                counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (index.addr(i), u64::from(*n))),
            ),
            DarknetCounts::Sparse { v4, v6 } => Box::new(
                v4.iter()
                    .map(|(a, slot)| (Addr::v4(a), slot))
                    .chain(v6.iter().map(|(a, slot)| (Addr(a), slot)))
                    .map(|(a, slot)| (a, u64::from(slot.packets))),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Cidr;

    #[test]
    fn dense_slots_cover_merged_prefixes_in_order() {
        let cidrs: Vec<Cidr> = ["198.18.0.0/31", "10.0.0.0/30"].iter().map(|s| s.parse().unwrap()).collect();
        let index = std::sync::Arc::new(DenseIndex::new(&CidrSet::new(&cidrs)).unwrap());
        let mut counts = DarknetCounts::new(Some(&index));
        for a in [0x0a00_0000u32, 0x0a00_0003, 0xc612_0001, 0xc612_0001, 0xc612_0002] {
            counts.add(Addr::v4(a));
        }
        let seen: Vec<(String, u64)> = counts.iter().map(|(a, n)| (a.to_string(), n)).collect();
        assert_eq!(seen, vec![("10.0.0.0".into(), 1), ("10.0.0.3".into(), 1), ("198.18.0.1".into(), 2)]);
    }

    #[test]
    fn sparse_numbers_follow_first_appearance_and_count_packets() {
        let mut counts = DarknetCounts::new(None);
        let numbers: Vec<u32> = [5u32, 9, 5, 1, 9].iter().map(|&a| counts.add(Addr::v4(a))).collect();
        assert_eq!(numbers, vec![0, 1, 0, 2, 1]);
        let mut seen: Vec<(Addr, u64)> = counts.iter().collect();
        seen.sort_unstable();
        assert_eq!(seen, vec![(Addr::v4(1), 1), (Addr::v4(5), 2), (Addr::v4(9), 2)]);
    }

    #[test]
    fn sparse_numbers_span_both_families() {
        let mut counts = DarknetCounts::new(None);
        let v6 = Addr("2001:db8::7".parse::<std::net::Ipv6Addr>().unwrap().to_bits());
        // 255.255.255.255 is the IPv4 table's reserved key, kept aside.
        let broadcast = Addr::v4(u32::MAX);
        let order = [Addr::v4(5), v6, broadcast, Addr::v4(5), v6, v6, Addr::v4(7)];
        let numbers: Vec<u32> = order.into_iter().map(|a| counts.add(a)).collect();
        assert_eq!(numbers, vec![0, 1, 2, 0, 1, 1, 3]);
        let mut seen: Vec<(Addr, u64)> = counts.iter().collect();
        seen.sort_unstable();
        assert_eq!(seen, vec![(Addr::v4(5), 2), (Addr::v4(7), 1), (broadcast, 1), (v6, 3)]);
    }
}
