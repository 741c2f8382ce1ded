//! Sorting and merging the pair logs of [`super::pairs`]: a bucket's log
//! words are radix sorted in the CPU cache; sorted runs of distinct keys
//! are merged, the counts of a key in both added.

use super::pairs::BUCKET_BITS;
use super::pairs::Word;

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

/// Bits of one digit of [`sort_bucket`]'s radix sort: a digit's counters
/// (8 KiB) stay in the L1 cache.
const DIGIT_BITS: u32 = 11;
const RADIX: usize = 1 << DIGIT_BITS;
/// Digits of the widest word: a 10-bit id and a 32-bit value.
const MAX_DIGITS: usize = (BUCKET_BITS + 32).div_ceil(DIGIT_BITS) as usize;

/// Logs longer than this are radix sorted; shorter ones (a bucket's last
/// keys of a day) sorted by id, then each id's few words.
const RADIX_FROM: usize = 4096;

/// Sorts a bucket's words ascending, all in the CPU cache: a long log by a
/// least-significant-digit radix sort of the id within the bucket and the
/// value (`value_bits`), its digits counted in one pass, a digit all words
/// share skipped; a short one by [`sort_by_id`]. `scratch` is working
/// space.
pub fn sort_bucket<W: Word>(words: &mut Vec<W>, scratch: &mut Vec<W>, value_bits: u32) {
    if words.len() < RADIX_FROM {
        sort_by_id(words, scratch, value_bits);
        return;
    }
    let digits = (value_bits + BUCKET_BITS).div_ceil(DIGIT_BITS) as usize;
    debug_assert!(digits <= MAX_DIGITS, "a word of {value_bits} value bits");
    let digit = |w: W, d: usize| (w.bits() >> (d as u32 * DIGIT_BITS)) as usize & (RADIX - 1);
    let mut counts = [[0u32; RADIX]; MAX_DIGITS];
    for &w in words.iter() {
        for (d, count) in counts.iter_mut().enumerate().take(digits) {
            count[digit(w, d)] += 1;
        }
    }
    scratch.clear();
    scratch.resize(words.len(), W::default());
    for (d, count) in counts.iter_mut().enumerate().take(digits) {
        if count.iter().any(|&n| n as usize == words.len()) {
            continue;
        }
        let mut at = 0;
        for n in count.iter_mut() {
            (*n, at) = (at, at + *n);
        }
        for &w in words.iter() {
            let slot = &mut count[digit(w, d)];
            scratch[*slot as usize] = w;
            *slot += 1;
        }
        std::mem::swap(words, scratch);
    }
}

/// A counting sort by the id within the bucket, then each id's few words
/// sorted on their own.
fn sort_by_id<W: Word>(words: &mut Vec<W>, scratch: &mut Vec<W>, value_bits: u32) {
    const IDS: usize = 1 << BUCKET_BITS;
    if words.len() <= 32 {
        words.sort_unstable();
        return;
    }
    let slot = |w: W| w.local_id(value_bits) & (IDS - 1);
    let mut next = [0u32; IDS + 1];
    for &w in words.iter() {
        next[slot(w) + 1] += 1;
    }
    for i in 1..next.len() {
        next[i] += next[i - 1];
    }
    let starts = next;
    scratch.clear();
    scratch.resize(words.len(), W::default());
    for &w in words.iter() {
        let at = &mut next[slot(w)];
        scratch[*at as usize] = w;
        *at += 1;
    }
    for bounds in starts.windows(2) {
        let group = &mut scratch[bounds[0] as usize..bounds[1] as usize];
        if group.len() > 1 {
            group.sort_unstable();
        }
    }
    std::mem::swap(words, scratch);
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
        for (n, value_bits) in [(10, 20), (1000, 17), (5000, 20), (100_000, 22), (100_000, 12)] {
            let words = |mask: u64| -> Vec<u64> {
                keys(n, mask)
                    .iter()
                    .map(|k| u64::pack(k >> 40 & 1023, k & ((1 << value_bits) - 1), value_bits))
                    .collect()
            };
            let mut wide = words(u64::MAX);
            let mut narrow: Vec<u32> = wide.iter().map(|&w| w as u32).collect();
            let mut want = wide.clone();
            want.sort_unstable();
            sort_bucket(&mut wide, &mut Vec::new(), value_bits);
            sort_bucket(&mut narrow, &mut Vec::new(), value_bits);
            assert_eq!(wide, want, "n={n} value_bits={value_bits}");
            assert_eq!(narrow.iter().map(|&w| u64::from(w)).collect::<Vec<_>>(), want);
        }
    }
}
