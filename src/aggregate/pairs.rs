//! Exact (source, value) pair counts of one day, by sorting instead of
//! hashing.
//!
//! A day's (source, port) and (source, darknet address) pairs number in the
//! millions, and nearly every packet brings a new one: a hash table of them
//! is far larger than the CPU caches, so each packet would pay a cache miss
//! (and a TLB miss) per table. Instead a packet appends its 64-bit pair key
//! (source id in the high bits) to a log, a sequential write. Source ids are
//! dense (0, 1, 2, … in order of first appearance), so the logs are split
//! by blocks of [`1 << BUCKET_BITS`](BUCKET_BITS) ids: each bucket's log is
//! sorted (a counting sort by id, then each id's keys) and folded into the
//! bucket's sorted run of distinct (key, packets) pairs whenever it grows
//! as large as that run, or [`MIN_LOG`] keys. A bucket is small enough to
//! be sorted and merged in the CPU cache. A log holds a key as a
//! [`Word`]: the id within the bucket and the value, packed into 32 bits
//! when the values fit in 22 (ports; addresses of a dense darknet), so the
//! log costs half the memory traffic of full keys. Memory grows with the
//! distinct pairs (16 bytes each for counts, 8 for sets) plus the logs
//! (4 or 8 bytes per key, bounded by the runs). The sorting and merging
//! themselves are [`super::sort`]'s.

/// Source ids per bucket (as a power of two).
pub const BUCKET_BITS: u32 = 10;

/// The smallest log worth sorting (a few hundred KiB of keys at most).
pub const MIN_LOG: usize = 1 << 14;

/// A key as its log holds it: the source id within its bucket (the high
/// bits) and the value (the low `value_bits`), so words sort as their keys.
pub trait Word: Copy + Ord + Default + std::fmt::Debug {
    const BITS: u32;
    fn pack(local_id: u64, value: u64, value_bits: u32) -> Self;
    fn local_id(self, value_bits: u32) -> usize;
    fn value(self, value_bits: u32) -> u64;
    fn bits(self) -> u64;
}

macro_rules! word {
    ($t:ty) => {
        impl Word for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline]
            fn pack(local_id: u64, value: u64, value_bits: u32) -> $t {
                ((local_id << value_bits) | value) as $t
            }
            #[inline]
            fn local_id(self, value_bits: u32) -> usize {
                (u64::from(self) >> value_bits) as usize
            }
            #[inline]
            fn value(self, value_bits: u32) -> u64 {
                u64::from(self) & ((1u64 << value_bits) - 1)
            }
            #[inline]
            fn bits(self) -> u64 {
                u64::from(self)
            }
        }
    };
}
word!(u32);
word!(u64);

/// One distinct key of the sorted runs: the key alone (a set) or the key
/// with its packets (counts).
pub trait Run: Copy + std::fmt::Debug {
    /// The run of a key's first packet.
    fn first(key: u64) -> Self;
    fn key(self) -> u64;
    /// Adds the packets of a run of the same key.
    fn absorb(&mut self, other: Self);
}

impl Run for u64 {
    #[inline]
    fn first(key: u64) -> u64 {
        key
    }
    #[inline]
    fn key(self) -> u64 {
        self
    }
    #[inline]
    fn absorb(&mut self, _: u64) {}
}

impl Run for (u64, u64) {
    #[inline]
    fn first(key: u64) -> (u64, u64) {
        (key, 1)
    }
    #[inline]
    fn key(self) -> u64 {
        self.0
    }
    #[inline]
    fn absorb(&mut self, other: (u64, u64)) {
        self.1 += other.1;
    }
}

pub use super::sort::merge_by_key;
use super::sort::sort_bucket;

/// Distinct keys with their packets (logged as 32-bit words).
pub type PairCounts = Pairs<(u64, u64), u32>;
/// Distinct keys only (half the memory traffic of [`PairCounts`]).
pub type PairSet<W> = Pairs<u64, W>;

#[derive(Clone, Debug)]
pub struct Pairs<R, W> {
    /// Bits below the source id in a key.
    id_shift: u32,
    /// Bits of the value (the key's bits below the id) that can be set.
    value_bits: u32,
    buckets: Vec<Bucket<R, W>>,
    /// Working space of the sort.
    scratch: Vec<W>,
}

#[derive(Clone, Debug)]
struct Bucket<R, W> {
    /// Distinct keys, ascending.
    runs: Vec<R>,
    /// Keys counted since the last fold, in arrival order.
    log: Vec<W>,
}

impl<R, W> Default for Bucket<R, W> {
    fn default() -> Self {
        Bucket { runs: Vec::new(), log: Vec::new() }
    }
}

impl<R: Run, W: Word> Pairs<R, W> {
    /// Keys whose source id is `key >> id_shift` and whose value,
    /// `key & (1 << id_shift) - 1`, is below `1 << value_bits`.
    pub fn new(id_shift: u32, value_bits: u32) -> Pairs<R, W> {
        assert!(value_bits <= id_shift && value_bits + BUCKET_BITS <= W::BITS, "values too wide for the log words");
        Pairs { id_shift, value_bits, buckets: Vec::new(), scratch: Vec::new() }
    }

    /// Pairs holding `runs` (distinct keys, ascending, as [`runs`](Self::runs)
    /// gave them): a day's pairs as a live capture stored them. `None` when
    /// the runs are out of order or a value is too wide.
    pub fn from_runs(id_shift: u32, value_bits: u32, runs: impl IntoIterator<Item = R>) -> Option<Pairs<R, W>> {
        let mut pairs = Pairs::new(id_shift, value_bits);
        let mut last = None;
        for run in runs {
            let key = run.key();
            if last.is_some_and(|last| last >= key) || (key & ((1 << id_shift) - 1)) >> value_bits != 0 {
                return None;
            }
            last = Some(key);
            let b = usize::try_from((key >> id_shift) >> BUCKET_BITS).ok()?;
            if b >= pairs.buckets.len() {
                pairs.buckets.resize_with(b + 1, Bucket::default);
            }
            pairs.buckets[b].runs.push(run);
        }
        Some(pairs)
    }

    /// Bits below the source id in a key, and the bits of its value.
    pub fn layout_bits(&self) -> (u32, u32) {
        (self.id_shift, self.value_bits)
    }

    /// Counts one packet of `key`.
    #[inline]
    pub fn push(&mut self, key: u64) {
        let id = key >> self.id_shift;
        let value = key & ((1 << self.id_shift) - 1);
        debug_assert!(value >> self.value_bits == 0, "value of key {key:#x} too wide");
        let b = (id >> BUCKET_BITS) as usize;
        if b >= self.buckets.len() {
            self.buckets.resize_with(b + 1, Bucket::default);
        }
        let layout = self.layout(b);
        let bucket = &mut self.buckets[b];
        bucket.log.push(W::pack(id & ((1 << BUCKET_BITS) - 1), value, self.value_bits));
        if bucket.log.len() >= MIN_LOG.max(bucket.runs.len()) {
            bucket.fold(&mut self.scratch, layout);
        }
    }

    fn layout(&self, bucket: usize) -> Layout {
        Layout { id_shift: self.id_shift, value_bits: self.value_bits, first_id: (bucket as u64) << BUCKET_BITS }
    }

    /// Sorts every log into its runs. Cheap when the logs are empty.
    pub fn fold(&mut self) {
        for b in 0..self.buckets.len() {
            let layout = self.layout(b);
            self.buckets[b].fold(&mut self.scratch, layout);
        }
    }

    /// Distinct keys (with their packets, for [`PairCounts`]), ascending;
    /// call [`fold`](Self::fold) first, or keys still in the logs are missing.
    pub fn runs(&self) -> impl Iterator<Item = R> + '_ {
        debug_assert!(self.buckets.iter().all(|b| b.log.is_empty()), "Pairs read before fold");
        self.buckets.iter().flat_map(|b| b.runs.iter().copied())
    }

    /// Distinct keys; call [`fold`](Self::fold) first.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(|b| b.runs.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.iter().all(|b| b.runs.is_empty() && b.log.is_empty())
    }

    /// Number of distinct keys per source id, as (id, distinct keys)
    /// ascending; call [`fold`](Self::fold) first.
    pub fn distinct_per_source(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let shift = self.id_shift;
        let mut runs = self.runs().peekable();
        std::iter::from_fn(move || {
            let id = runs.next()?.key() >> shift;
            let mut n = 1;
            while runs.next_if(|r| r.key() >> shift == id).is_some() {
                n += 1;
            }
            Some((id, n))
        })
    }
}

/// How a bucket's words map back to keys.
#[derive(Clone, Copy, Debug)]
struct Layout {
    id_shift: u32,
    value_bits: u32,
    /// The bucket's first source id.
    first_id: u64,
}

impl<R: Run, W: Word> Bucket<R, W> {
    /// Sorts the log into the runs.
    fn fold(&mut self, scratch: &mut Vec<W>, layout: Layout) {
        if self.log.is_empty() {
            return;
        }
        sort_bucket(&mut self.log, scratch, layout.value_bits);
        let mut fresh: Vec<R> = Vec::with_capacity(self.log.len());
        let mut last = None;
        for &word in &self.log {
            if last == Some(word) {
                // Another packet of the last key (only its count matters).
                if let Some(run) = fresh.last_mut() {
                    run.absorb(R::first(0));
                }
                continue;
            }
            last = Some(word);
            let id = layout.first_id + word.local_id(layout.value_bits) as u64;
            fresh.push(R::first((id << layout.id_shift) | word.value(layout.value_bits)));
        }
        self.log.clear();
        self.runs = if self.runs.is_empty() { fresh } else { merge(&self.runs, &fresh) };
    }
}

/// Merges two ascending runs of distinct keys, adding up the runs of keys
/// in both.
fn merge<R: Run>(a: &[R], b: &[R]) -> Vec<R> {
    merge_by_key(
        a,
        b,
        |r| r.key(),
        |mut both, other| {
            both.absorb(other);
            both
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed pseudo-random sequence (splitmix64).
    fn keys(n: usize, mask: u64) -> Vec<u64> {
        let mut x = 0x1234_5678u64;
        (0..n)
            .map(|_| {
                x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) & mask
            })
            .collect()
    }

    #[test]
    fn counts_survive_several_folds() {
        let all = keys(300 * MIN_LOG + 17, 0xfff_ffff);
        let mut pairs = PairCounts::new(12, 12);
        let mut want = std::collections::BTreeMap::new();
        for &k in &all {
            pairs.push(k);
            *want.entry(k).or_insert(0u64) += 1;
        }
        pairs.fold();
        let want: Vec<(u64, u64)> = want.into_iter().collect();
        assert_eq!(pairs.runs().collect::<Vec<_>>(), want);
        assert_eq!(pairs.len(), want.len());
    }

    #[test]
    fn a_set_keeps_the_distinct_keys_of_the_counts() {
        let all = keys(40 * MIN_LOG + 3, 0xfff_ffff);
        let mut set = PairSet::<u32>::new(12, 12);
        let mut wide = PairSet::<u64>::new(32, 32);
        let mut counts = PairCounts::new(12, 12);
        for &k in &all {
            set.push(k);
            // The same pairs with the value in the low 32 bits of the key.
            wide.push((k >> 12) << 32 | (k & 0xfff));
            counts.push(k);
        }
        set.fold();
        wide.fold();
        counts.fold();
        assert_eq!(set.runs().collect::<Vec<_>>(), counts.runs().map(|(k, _)| k).collect::<Vec<_>>());
        assert_eq!(set.distinct_per_source().collect::<Vec<_>>(), counts.distinct_per_source().collect::<Vec<_>>());
        assert_eq!(wide.distinct_per_source().collect::<Vec<_>>(), counts.distinct_per_source().collect::<Vec<_>>());
        let narrow_keys: Vec<u64> = set.runs().map(|k| (k >> 12) << 32 | (k & 0xfff)).collect();
        assert_eq!(wide.runs().collect::<Vec<_>>(), narrow_keys);
    }

    #[test]
    fn distinct_per_group_counts_each_source() {
        let mut pairs = PairCounts::new(32, 22);
        for key in [(1u64 << 32) | 5, (1 << 32) | 5, (1 << 32) | 6, (3 << 32) | 1, 7] {
            pairs.push(key);
        }
        pairs.fold();
        assert_eq!(pairs.distinct_per_source().collect::<Vec<_>>(), vec![(0, 1), (1, 2), (3, 1)]);
    }
}
