//! Deterministic randomness for the generator: a SplitMix64 seeder, the
//! xoshiro256** generator, Walker/Vose alias tables for O(1) weighted
//! choice, and the Zipf and Pareto weight laws.
//!
//! No external crate is used, so the byte stream is fixed by this file: the
//! same seed gives the same file on every run. The alias tables are built
//! with IEEE-754 `f64` arithmetic in a fixed order; only the Zipf and Pareto
//! weights go through the platform's `powf`, so a different libm could move
//! a threshold by one unit in the last place (same model, other bytes).

/// SplitMix64 (Steele, Lea, Flood 2014): used to expand one `u64` seed into
/// the xoshiro state and to derive independent sub-seeds.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoshiro256** 1.0 (Blackman and Vigna).
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `seed`, salted by `stream` so that sub-models get
    /// independent sequences from one user seed.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut sm = SplitMix64(seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03));
        let s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        Rng { s }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    #[inline]
    pub fn next_u16(&mut self) -> u16 {
        (self.next_u64() >> 48) as u16
    }

    /// A uniform integer in `0..n` (Lemire's multiply-shift; the bias is
    /// below 2^-32 for the sizes used here). `n == 0` gives 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A uniform integer in `lo..=hi`.
    #[inline]
    pub fn range_u16(&mut self, lo: u16, hi: u16) -> u16 {
        lo + self.below(u64::from(hi - lo) + 1) as u16
    }

    /// A uniform `f64` in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `num / den`.
    #[inline]
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// Inverse-CDF Pareto variate: `x_m / u^(1/alpha)` for `u` in `(0, 1]`.
pub fn pareto(u: f64, x_m: f64, alpha: f64) -> f64 {
    x_m / u.max(f64::MIN_POSITIVE).powf(1.0 / alpha)
}

/// Zipf weights `1 / k^s` for ranks `k = 1..=n` (unnormalised).
pub fn zipf_weights(n: usize, s: f64) -> Vec<f64> {
    (1..=n).map(|k| (k as f64).powf(-s)).collect()
}

/// Walker's alias method, built with Vose's stable variant. Sampling costs
/// one random number and two table reads, whatever the number of outcomes.
#[derive(Clone, Debug)]
pub struct Alias {
    /// Probability (scaled to 2^32) of keeping column `i` rather than its alias.
    keep: Vec<u32>,
    alias: Vec<u32>,
}

impl Alias {
    /// A table over `weights` (non-negative, at least one positive).
    /// Returns `None` when the weights are empty or all zero.
    pub fn new(weights: &[f64]) -> Option<Alias> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut small = Vec::new();
        let mut large = Vec::new();
        for (i, &p) in scaled.iter().enumerate() {
            if p < 1.0 { small.push(i) } else { large.push(i) }
        }
        let mut keep = vec![u32::MAX; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s] = (scaled[s] * 4_294_967_296.0).min(4_294_967_295.0) as u32;
            alias[s] = l as u32;
            scaled[l] = (scaled[l] + scaled[s]) - 1.0;
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left has probability 1 up to rounding: keep itself.
        Some(Alias { keep, alias })
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next_u64();
        let i = (((r >> 32) * self.keep.len() as u64) >> 32) as usize;
        if (r as u32) < self.keep[i] || self.keep[i] == u32::MAX { i } else { self.alias[i] as usize }
    }

    /// The probability of each outcome implied by the table (for tests).
    #[cfg(test)]
    pub fn probabilities(&self) -> Vec<f64> {
        let n = self.keep.len() as f64;
        let mut p = vec![0.0; self.keep.len()];
        for i in 0..self.keep.len() {
            let k = if self.keep[i] == u32::MAX { 1.0 } else { self.keep[i] as f64 / 4_294_967_296.0 };
            p[i] += k / n;
            p[self.alias[i] as usize] += (1.0 - k) / n;
        }
        p
    }
}
