//! A small, fast, seedable random number generator for the Monte Carlo.
//!
//! The simulation draws one 64-bit number per open deal per simulation (5 * 10^8 draws for
//! 50,000 deals and 10,000 simulations), so the generator must cost about a nanosecond.
//! This is the wyrand construction (a Weyl sequence mixed by one 64x64->128 multiply);
//! it is not cryptographic and need not be. Streams are seeded through SplitMix64 so that
//! nearby seeds and stream numbers give unrelated sequences.

use rand::RngCore;

const WEYL: u64 = 0xa076_1d64_78bd_642f;
const MIX: u64 = 0xe703_7ed1_a0b4_28db;

/// The SplitMix64 increment (2^64 / golden ratio, odd).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// One SplitMix64 step from state `z`: the output for state `z + GAMMA`.
pub(crate) fn splitmix(z: u64) -> u64 {
    mix64(z.wrapping_add(GAMMA))
}

pub(crate) use crate::domain::mix64;

/// Deterministic generator for one stream of one seed.
#[derive(Debug, Clone)]
pub(crate) struct FastRng(u64);

impl FastRng {
    /// The generator of stream `stream` of `seed`; the same pair always gives the same sequence.
    pub fn new(seed: u64, stream: u64) -> Self {
        FastRng(splitmix(seed ^ splitmix(stream.wrapping_add(1))))
    }

    /// The generator whose state is `state`: for counter-based streams keyed by values that are
    /// already well mixed (the Monte Carlo's simulation and deal keys); a stream's first output
    /// is the wyrand mix of `state + WEYL`.
    #[inline(always)]
    pub fn from_state(state: u64) -> Self {
        FastRng(state)
    }

    #[inline(always)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(WEYL);
        let t = u128::from(self.0) * u128::from(self.0 ^ MIX);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// A uniform index in `0..n` (n > 0), by the multiply-shift reduction (bias below 2^-32 for n < 2^32).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

impl RngCore for FastRng {
    fn next_u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.next()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// The threshold `t` such that `next() < t` has probability `p` (0..=1, clamped).
#[cfg(test)]
pub(crate) fn threshold(p: f64) -> u64 {
    if p.is_nan() || p <= 0.0 {
        0
    } else if p >= 1.0 {
        u64::MAX
    } else {
        // 2^64 * p, computed in f64: exact enough (53-bit mantissa) for a probability.
        (p * 18_446_744_073_709_551_616.0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_stream_repeat_and_different_streams_differ() {
        let a: Vec<u64> = (0..5)
            .scan(FastRng::new(7, 0), |r, _| Some(r.next()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(FastRng::new(7, 0), |r, _| Some(r.next()))
            .collect();
        let c: Vec<u64> = (0..5)
            .scan(FastRng::new(7, 1), |r, _| Some(r.next()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn bernoulli_by_threshold_matches_its_probability() {
        let mut r = FastRng::new(42, 3);
        for p in [0.0, 0.03, 0.5, 0.91, 1.0] {
            let t = threshold(p);
            let n = 200_000;
            let hits = (0..n).filter(|_| r.next() < t).count() as f64 / n as f64;
            assert!((hits - p).abs() < 0.005, "p={p} observed {hits}");
        }
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = FastRng::new(1, 1);
        let mut seen = [0usize; 7];
        for _ in 0..7_000 {
            seen[r.below(7)] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
    }
}
