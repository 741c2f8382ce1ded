//! Exact distinct counts of (key, source) pairs, with and without the
//! sources tagged as research scanners: each pair is one 64-bit word
//! (key, source number, scanner bit), sorted by an LSD radix sort (linear in
//! the number of words; tens of millions sort in well under a second) and
//! counted in one pass. Words hold the source itself, not a number handed
//! out in a hash map: with tens of millions of sources a map lookup per row
//! (a cache miss each) costs more than the sort.

use hashbrown::HashMap;

/// Bits of the source in a pair word (see [`super::sources`]: an IPv4
/// address, or bit 32 and an IPv6 address's number).
pub const SOURCE_BITS: u32 = 33;

/// The pair word of `key` (at most 30 bits) and `source`; `scanner` marks
/// a row of a tagged source.
pub fn flagged(key: u32, source: u64, scanner: bool) -> u64 {
    (u64::from(key) << (SOURCE_BITS + 1)) | (source << 1) | u64::from(scanner)
}

/// The number of distinct words.
pub fn distinct(mut words: Vec<u64>) -> u64 {
    radix_sort(&mut words);
    let mut n = 0;
    let mut previous = None;
    for w in words {
        if previous != Some(w) {
            n += 1;
            previous = Some(w);
        }
    }
    n
}

/// Distinct sources per key: (all, untagged).
pub struct Distinct {
    per_key: HashMap<u32, (u64, u64), foldhash::fast::FixedState>,
}

impl Distinct {
    pub fn count(mut words: Vec<u64>) -> Distinct {
        radix_sort(&mut words);
        let mut per_key: HashMap<u32, (u64, u64), foldhash::fast::FixedState> = HashMap::default();
        let mut previous: Option<u64> = None;
        for &w in &words {
            let pair = w >> 1;
            if previous == Some(pair) {
                continue;
            }
            previous = Some(pair);
            // The untagged word of a pair sorts first: the pair counts as
            // untagged when its first word is.
            let entry = per_key.entry((pair >> SOURCE_BITS) as u32).or_default();
            entry.0 += 1;
            if w & 1 == 0 {
                entry.1 += 1;
            }
        }
        Distinct { per_key }
    }

    /// (distinct sources, distinct untagged sources) of `key`.
    pub fn get(&self, key: u32) -> (u64, u64) {
        self.per_key.get(&key).copied().unwrap_or((0, 0))
    }
}

/// Sorts `words` ascending: 11-bit digits, least significant first, only
/// as many passes as the largest word needs.
pub fn radix_sort(words: &mut Vec<u64>) {
    const DIGIT: u32 = 11;
    const BUCKETS: usize = 1 << DIGIT;
    let Some(&max) = words.iter().max() else {
        return;
    };
    if words.len() < 256 {
        words.sort_unstable();
        return;
    }
    let passes = (64 - max.leading_zeros()).div_ceil(DIGIT);
    let mut other = vec![0u64; words.len()];
    for pass in 0..passes {
        let shift = pass * DIGIT;
        let mut counts = vec![0usize; BUCKETS];
        for &w in words.iter() {
            counts[((w >> shift) as usize) & (BUCKETS - 1)] += 1;
        }
        if counts.contains(&words.len()) {
            // Every word has the same digit: nothing moves.
            continue;
        }
        let mut start = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = start;
            start += n;
        }
        for &w in words.iter() {
            let d = ((w >> shift) as usize) & (BUCKETS - 1);
            other[counts[d]] = w;
            counts[d] += 1;
        }
        std::mem::swap(words, &mut other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_sorts_like_the_standard_sort() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut words: Vec<u64> = (0..100_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state >> (state % 40)
            })
            .collect();
        let mut expected = words.clone();
        expected.sort_unstable();
        radix_sort(&mut words);
        assert_eq!(words, expected);
    }

    #[test]
    fn counts_sources_with_and_without_scanners() {
        // Key 7: sources 1 (twice), 2 (tagged on one day, not on another),
        // 3 (tagged) and an IPv6 number: 4 distinct, 3 untagged. Key 9: source 3 only.
        let words = vec![
            flagged(7, 1, false),
            flagged(7, 2, true),
            flagged(9, 3, true),
            flagged(7, 1, false),
            flagged(7, 3, true),
            flagged(7, 2, false),
            flagged(7, 1 << 32, false),
        ];
        let d = Distinct::count(words);
        assert_eq!(d.get(7), (4, 3));
        assert_eq!(d.get(9), (1, 0));
        assert_eq!(d.get(8), (0, 0));
    }
}
