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
//! be sorted and merged in the CPU cache. Memory grows with the
//! distinct pairs (16 bytes each) plus the logs (8 bytes per key, bounded
//! by the runs).

/// Source ids per bucket (as a power of two).
pub const BUCKET_BITS: u32 = 10;

/// The smallest log worth sorting (128 KiB of keys).
pub const MIN_LOG: usize = 1 << 14;

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

/// Distinct keys with their packets.
pub type PairCounts = Pairs<(u64, u64)>;
/// Distinct keys only (half the memory traffic of [`PairCounts`]).
pub type PairSet = Pairs<u64>;

#[derive(Clone, Debug)]
pub struct Pairs<R> {
    /// Bits below the source id in a key.
    id_shift: u32,
    buckets: Vec<Bucket<R>>,
    /// Working space of the sort.
    scratch: Vec<u64>,
}

#[derive(Clone, Debug)]
struct Bucket<R> {
    /// Distinct keys, ascending.
    runs: Vec<R>,
    /// Keys counted since the last fold, in arrival order.
    log: Vec<u64>,
}

impl<R> Default for Bucket<R> {
    fn default() -> Self {
        Bucket { runs: Vec::new(), log: Vec::new() }
    }
}

impl<R: Run> Pairs<R> {
    /// Keys whose source id is `key >> id_shift`.
    pub fn new(id_shift: u32) -> Pairs<R> {
        Pairs { id_shift, buckets: Vec::new(), scratch: Vec::new() }
    }

    /// Counts one packet of `key`.
    #[inline]
    pub fn push(&mut self, key: u64) {
        let b = (key >> (self.id_shift + BUCKET_BITS)) as usize;
        if b >= self.buckets.len() {
            self.buckets.resize_with(b + 1, Bucket::default);
        }
        let bucket = &mut self.buckets[b];
        bucket.log.push(key);
        if bucket.log.len() >= MIN_LOG.max(bucket.runs.len()) {
            bucket.fold(&mut self.scratch, self.id_shift, (b as u64) << BUCKET_BITS);
        }
    }

    /// Sorts every log into its runs. Cheap when the logs are empty.
    pub fn fold(&mut self) {
        for (b, bucket) in self.buckets.iter_mut().enumerate() {
            bucket.fold(&mut self.scratch, self.id_shift, (b as u64) << BUCKET_BITS);
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

impl<R: Run> Bucket<R> {
    /// Sorts the log (keys of ids `first_id..first_id + 1 << BUCKET_BITS`)
    /// into the runs.
    fn fold(&mut self, scratch: &mut Vec<u64>, shift: u32, first_id: u64) {
        if self.log.is_empty() {
            return;
        }
        sort_bucket(&mut self.log, scratch, shift, first_id);
        let mut fresh: Vec<R> = Vec::with_capacity(self.log.len());
        for &key in &self.log {
            match fresh.last_mut() {
                Some(last) if last.key() == key => last.absorb(R::first(key)),
                _ => fresh.push(R::first(key)),
            }
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

/// Merges two slices sorted by `key` with distinct keys each; an item of a
/// key in both becomes `combine(from a, from b)`.
pub fn merge_by_key<T: Copy, K: Ord>(a: &[T], b: &[T], key: impl Fn(&T) -> K, combine: impl Fn(T, T) -> T) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match key(&a[i]).cmp(&key(&b[j])) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(combine(a[i], b[j]));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Sorts `keys` ascending when `key >> shift` (the source id) takes at
/// most [`1 << BUCKET_BITS`](BUCKET_BITS) values from `first_id` on: a
/// counting sort by id, then each id's few keys sorted on their own, all in
/// the CPU cache. `scratch` is working space.
fn sort_bucket(keys: &mut Vec<u64>, scratch: &mut Vec<u64>, shift: u32, first_id: u64) {
    const IDS: usize = 1 << BUCKET_BITS;
    if keys.len() <= 32 {
        keys.sort_unstable();
        return;
    }
    let slot = |k: u64| ((k >> shift) - first_id) as usize & (IDS - 1);
    let mut next = [0u32; IDS + 1];
    for &k in keys.iter() {
        next[slot(k) + 1] += 1;
    }
    for i in 1..next.len() {
        next[i] += next[i - 1];
    }
    let starts = next;
    scratch.clear();
    scratch.resize(keys.len(), 0);
    for &k in keys.iter() {
        let at = &mut next[slot(k)];
        scratch[*at as usize] = k;
        *at += 1;
    }
    for bounds in starts.windows(2) {
        let group = &mut scratch[bounds[0] as usize..bounds[1] as usize];
        if group.len() > 1 {
            group.sort_unstable();
        }
    }
    std::mem::swap(keys, scratch);
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
    fn sort_bucket_agrees_with_the_standard_sort() {
        for (n, shift) in [(10, 20), (1000, 40), (100_000, 32), (100_000, 50)] {
            let first_id = 3 << BUCKET_BITS;
            let mut got: Vec<u64> =
                keys(n, (1 << (shift + BUCKET_BITS)) - 1).iter().map(|k| k + (first_id << shift)).collect();
            let mut want = got.clone();
            want.sort_unstable();
            sort_bucket(&mut got, &mut Vec::new(), shift, first_id);
            assert_eq!(got, want, "n={n} shift={shift}");
        }
    }

    #[test]
    fn counts_survive_several_folds() {
        let all = keys(300 * MIN_LOG + 17, 0xfff_ffff);
        let mut pairs = PairCounts::new(12);
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
        let (mut set, mut counts) = (PairSet::new(12), PairCounts::new(12));
        for &k in &all {
            set.push(k);
            counts.push(k);
        }
        set.fold();
        counts.fold();
        assert_eq!(set.runs().collect::<Vec<_>>(), counts.runs().map(|(k, _)| k).collect::<Vec<_>>());
        assert_eq!(set.distinct_per_source().collect::<Vec<_>>(), counts.distinct_per_source().collect::<Vec<_>>());
    }

    #[test]
    fn distinct_per_group_counts_each_source() {
        let mut pairs = PairCounts::new(32);
        for key in [(1u64 << 32) | 5, (1 << 32) | 5, (1 << 32) | 6, (3 << 32) | 1, 7] {
            pairs.push(key);
        }
        pairs.fold();
        assert_eq!(pairs.distinct_per_source().collect::<Vec<_>>(), vec![(0, 1), (1, 2), (3, 1)]);
    }
}
