//! An open-addressing hash table (linear probing, keys and values in one
//! slot) whose slots can be prefetched before they are needed.
//!
//! A telescope's per-day tables are far larger than the CPU caches and
//! every packet touches a random slot of each: the time goes to cache
//! misses, not to hashing. The aggregator works on batches of packets; it
//! computes every packet's hash first and prefetches its slot, so the
//! misses of a batch overlap instead of following one another (the same
//! trick as the C reference `limit_portcount -S`). `hashbrown` does not
//! expose its slot addresses, hence this small table.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;

/// A key with a reserved "empty" value. A real key equal to `EMPTY` is kept
/// aside, so every value stays usable.
pub trait SlotKey: Copy + Eq + std::hash::Hash {
    const EMPTY: Self;
}

impl SlotKey for u32 {
    const EMPTY: u32 = u32::MAX;
}

impl SlotKey for u64 {
    const EMPTY: u64 = u64::MAX;
}

impl SlotKey for u128 {
    const EMPTY: u128 = u128::MAX;
}

/// The index [`FlatTable::index_with`] gives the key equal to `EMPTY`.
const EMPTY_KEY_SLOT: usize = usize::MAX;

#[derive(Clone, Debug)]
struct Slot<K, V> {
    key: K,
    value: V,
}

/// The table. Load factor at most 1/2.
#[derive(Clone, Debug)]
pub struct FlatTable<K: SlotKey, V> {
    slots: Vec<Slot<K, V>>,
    mask: usize,
    len: usize,
    /// The value of the key equal to `K::EMPTY`, if present.
    empty_key_value: Option<V>,
    hasher: RandomState,
}

impl<K: SlotKey, V: Default> Default for FlatTable<K, V> {
    fn default() -> Self {
        FlatTable::with_capacity(16)
    }
}

impl<K: SlotKey, V: Default> FlatTable<K, V> {
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_hasher(capacity, RandomState::default())
    }

    /// A table hashing with `hasher`, so callers can hash a key once for
    /// several tables of the same kind.
    pub fn with_hasher(capacity: usize, hasher: RandomState) -> Self {
        let slots = (capacity * 2).next_power_of_two().max(16);
        FlatTable {
            slots: (0..slots).map(|_| Slot { key: K::EMPTY, value: V::default() }).collect(),
            mask: slots - 1,
            len: 0,
            empty_key_value: None,
            hasher,
        }
    }

    #[inline]
    pub fn hash(&self, key: K) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Hints the CPU to fetch the slot where `hash` starts probing.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        let slot = &self.slots[hash as usize & self.mask];
        super::prefetch::prefetch(slot);
    }

    pub fn len(&self) -> usize {
        self.len + usize::from(self.empty_key_value.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `additional` inserts without moving any slot, so
    /// slot indices taken meanwhile stay valid.
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        while (self.len + additional) * 2 > self.slots.len() {
            self.grow();
        }
    }

    /// The slot index of `key` (whose hash is `hash`), inserted with
    /// `make` if absent; the flag says whether it was inserted. Indices stay
    /// valid until the table grows (see [`reserve`](Self::reserve)).
    #[inline]
    pub fn index_with(&mut self, key: K, hash: u64, make: impl FnOnce() -> V) -> (usize, bool) {
        if key == K::EMPTY {
            let inserted = self.empty_key_value.is_none();
            self.empty_key_value.get_or_insert_with(make);
            return (EMPTY_KEY_SLOT, inserted);
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mut i = hash as usize & self.mask;
        loop {
            let slot_key = self.slots[i].key;
            if slot_key == key {
                return (i, false);
            }
            if slot_key == K::EMPTY {
                self.len += 1;
                let slot = &mut self.slots[i];
                slot.key = key;
                slot.value = make();
                return (i, true);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The value at a slot index from [`index_with`](Self::index_with).
    #[inline]
    pub fn value_at_mut(&mut self, index: usize) -> &mut V {
        if index == EMPTY_KEY_SLOT {
            // index_with put a value there before handing out this index.
            self.empty_key_value.get_or_insert_with(V::default)
        } else {
            &mut self.slots[index].value
        }
    }

    /// The value for `key` (whose hash is `hash`), inserted with `make` if
    /// absent; the flag says whether it was inserted.
    #[inline]
    pub fn entry_with(&mut self, key: K, hash: u64, make: impl FnOnce() -> V) -> (&mut V, bool) {
        let (index, inserted) = self.index_with(key, hash, make);
        (self.value_at_mut(index), inserted)
    }

    /// The value for `key`, if present.
    pub fn get(&self, key: K) -> Option<&V> {
        if key == K::EMPTY {
            return self.empty_key_value.as_ref();
        }
        let mut i = self.hash(key) as usize & self.mask;
        loop {
            let slot = &self.slots[i];
            if slot.key == key {
                return Some(&slot.value);
            }
            if slot.key == K::EMPTY {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let doubled = self.slots.len() * 2;
        let old = std::mem::replace(
            &mut self.slots,
            (0..doubled).map(|_| Slot { key: K::EMPTY, value: V::default() }).collect(),
        );
        self.mask = doubled - 1;
        for slot in old {
            if slot.key == K::EMPTY {
                continue;
            }
            let mut i = self.hasher.hash_one(slot.key) as usize & self.mask;
            while self.slots[i].key != K::EMPTY {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = slot;
        }
    }

    /// Every (key, value), in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (K, &V)> {
        self.slots
            .iter()
            .filter(|s| s.key != K::EMPTY)
            .map(|s| (s.key, &s.value))
            .chain(self.empty_key_value.as_ref().map(|v| (K::EMPTY, v)))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.iter().map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_finds_and_grows() {
        let mut t: FlatTable<u64, u64> = FlatTable::default();
        for k in 0..10_000u64 {
            let h = t.hash(k * 7);
            let (v, inserted) = t.entry_with(k * 7, h, || 0);
            assert!(inserted);
            *v += k;
        }
        for k in 0..10_000u64 {
            let h = t.hash(k * 7);
            let (v, inserted) = t.entry_with(k * 7, h, || 0);
            assert!(!inserted);
            *v += 1;
        }
        assert_eq!(t.len(), 10_000);
        assert_eq!(t.get(70), Some(&11));
        assert_eq!(t.get(71), None);
        assert_eq!(t.iter().map(|(_, v)| *v).sum::<u64>(), (0..10_000).sum::<u64>() + 10_000);
    }

    #[test]
    fn the_empty_sentinel_is_a_usable_key() {
        let mut t: FlatTable<u128, u32> = FlatTable::default();
        let h = t.hash(u128::MAX);
        *t.entry_with(u128::MAX, h, || 5).0 += 1;
        assert_eq!(t.get(u128::MAX), Some(&6));
        assert_eq!(t.len(), 1);
        assert_eq!(t.keys().collect::<Vec<_>>(), vec![u128::MAX]);
    }
}
