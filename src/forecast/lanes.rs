//! One deal's Bernoulli draws in 64 simulations at once, from bit-sliced uniforms.
//!
//! Simulation j of a word of [`LANES`] simulations (its lane) counts the deal when its 32-bit
//! uniform U_j is below its threshold t_j. The uniforms are bit-sliced: bit j of the k-th random
//! word is bit 31 - k of U_j (the first word holds every lane's top bit). The comparison runs from
//! the top bit down with bitwise operations on all 64 lanes together: a lane is settled at the
//! first bit where U_j and t_j differ (below if t_j has the 1), so each word settles about half of
//! the lanes still open, and the loop stops as soon as none is: about 7 words for 64 lanes (the
//! expected maximum of 64 geometric(1/2) counts) instead of 64 hashes. The outcome is exactly that
//! of the 32-bit comparison `U_j < t_j` on the same bits (tested lane by lane).
//!
//! Thresholds come per half word: lanes 0..32 share one, lanes 32..64 another (the Monte Carlo
//! draws its parameter factor per [`HALF`] simulations). Both are packed into one 64-bit integer,
//! so a bit of the two thresholds spreads to its 32 lanes with one shift, one mask and one multiply.

use super::rng::FastRng;

/// Simulations drawn together (the bits of a word).
pub(crate) const LANES: usize = 64;
/// Simulations sharing one threshold: each half of a word.
pub(crate) const HALF: usize = LANES / 2;

/// The lanes of `live` whose uniform is below its threshold (`lo` for lanes 0..32, `hi` for
/// lanes 32..64); `words` yields the bit-sliced uniforms, top bit first, and is called at most 32
/// times (only as long as some live lane is still open).
#[inline(always)]
pub(crate) fn below(live: u64, lo: u32, hi: u32, mut words: impl FnMut() -> u64) -> u64 {
    // Bit b of `lo` at bit b, of `hi` at bit 32 + b.
    let both = u64::from(lo) | (u64::from(hi) << 32);
    let mut open = live;
    let mut hits = 0u64;
    for bit in (0..32).rev() {
        // (1, 0), (0, 1) or (1, 1) at bits 0 and 32, times 2^32 - 1: the lanes whose threshold
        // has this bit set.
        let t = ((both >> bit) & 0x1_0000_0001).wrapping_mul(0xffff_ffff);
        let u = words();
        hits |= open & t & !u;
        open &= !(t ^ u);
        if open == 0 {
            break;
        }
    }
    // Lanes still open after 32 bits have U_j = t_j: not below.
    hits
}

/// The random words of one deal in one word of simulations: a wyrand stream whose state starts at
/// the word's key xor the deal's key, so every (word, deal) pair has its own stream, found without
/// reading any other deal or word.
#[inline(always)]
pub(crate) fn words(word_key: u64, deal_key: u64) -> FastRng {
    FastRng::from_state(word_key ^ deal_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain comparison: lane by lane, U_j rebuilt from the 32 words, `U_j < t_j`.
    fn per_lane(live: u64, lo: u32, hi: u32, w: &[u64; 32]) -> u64 {
        let mut hits = 0;
        for j in 0..LANES {
            let u = (0..32).fold(0u32, |u, k| u | ((((w[k] >> j) & 1) as u32) << (31 - k)));
            let t = if j < HALF { lo } else { hi };
            if live >> j & 1 == 1 && u < t {
                hits |= 1 << j;
            }
        }
        hits
    }

    fn sliced(live: u64, lo: u32, hi: u32, w: &[u64; 32]) -> (u64, usize) {
        let mut used = 0;
        let hits = below(live, lo, hi, || {
            used += 1;
            w[used - 1]
        });
        (hits, used)
    }

    /// Thresholds to try: the edges, random ones, and pairs differing only in low bits.
    fn thresholds(rng: &mut FastRng) -> Vec<(u32, u32)> {
        let edges = [
            0,
            1,
            2,
            0x7fff_ffff,
            0x8000_0000,
            0x8000_0001,
            u32::MAX - 1,
            u32::MAX,
        ];
        let mut pairs: Vec<(u32, u32)> = edges
            .iter()
            .flat_map(|&a| edges.iter().map(move |&b| (a, b)))
            .collect();
        for _ in 0..4000 {
            let a = (rng.next() >> 32) as u32;
            let b = (rng.next() >> 32) as u32;
            pairs.extend([(a, b), (a, a), (a, a ^ 1), (a ^ 1, a), (a, a ^ 0xff)]);
            // Small probabilities, as the skipped deals' neighbours have.
            pairs.push((a >> 26, b >> 26));
        }
        pairs
    }

    #[test]
    fn sliced_comparison_gives_exactly_the_per_lane_hits() {
        let mut rng = FastRng::new(12, 0);
        let pairs = thresholds(&mut rng);
        assert!(pairs.len() > 20_000);
        for (n, &(lo, hi)) in pairs.iter().enumerate() {
            let mut w = [0u64; 32];
            w.iter_mut().for_each(|x| *x = rng.next());
            // Every few cases, uniforms equal to a threshold in some lanes (the tie: not below),
            // or uniforms sharing a long prefix with it.
            if n % 3 == 0 {
                for j in (0..LANES).step_by(3) {
                    let t = if j < HALF { lo } else { hi };
                    let keep = if n % 2 == 0 { 32 } else { 20 + (j % 12) };
                    for (k, x) in w.iter_mut().enumerate().take(keep) {
                        *x = (*x & !(1 << j)) | (u64::from((t >> (31 - k)) & 1) << j);
                    }
                }
            }
            let live = match n % 4 {
                0 => u64::MAX,
                1 => (1 << (n % 64)) - 1,
                2 => rng.next(),
                _ => u64::MAX << (n % 64),
            };
            let (hits, used) = sliced(live, lo, hi, &w);
            assert_eq!(
                hits,
                per_lane(live, lo, hi, &w),
                "lo {lo:#x} hi {hi:#x} live {live:#x}"
            );
            assert!(used <= 32 && (used > 0 || live == 0));
        }
    }

    #[test]
    fn extreme_thresholds_never_or_always_count() {
        let mut rng = FastRng::new(3, 0);
        for _ in 0..1000 {
            let mut w = [0u64; 32];
            w.iter_mut().for_each(|x| *x = rng.next());
            assert_eq!(sliced(u64::MAX, 0, 0, &w).0, 0);
            // Below u32::MAX unless every bit of U_j is 1.
            let all_ones = w.iter().fold(u64::MAX, |a, x| a & x);
            assert_eq!(sliced(u64::MAX, u32::MAX, u32::MAX, &w).0, !all_ones);
            let half = sliced(u64::MAX, 0, u32::MAX, &w).0;
            assert_eq!(half & 0xffff_ffff, 0);
        }
    }

    #[test]
    fn a_word_of_64_lanes_is_settled_in_about_seven_words() {
        // The cost model above: the number of words read is the maximum over 64 lanes of a
        // geometric(1/2) count, mean about 7.3 (sum over k of 1 - (1 - 2^-k)^64).
        let truth: f64 = (0..64).map(|k| 1.0 - (1.0 - 0.5f64.powi(k)).powi(64)).sum();
        let mut rng = FastRng::new(5, 0);
        let n = 20_000;
        let mut total = 0;
        for _ in 0..n {
            let t = (rng.next() >> 32) as u32;
            let mut w = [0u64; 32];
            w.iter_mut().for_each(|x| *x = rng.next());
            total += sliced(u64::MAX, t, t, &w).1;
        }
        let mean = total as f64 / n as f64;
        // sd of one count about 1.9: standard error 0.013.
        assert!((mean - truth).abs() < 0.07, "{mean} vs {truth}");
    }
}
