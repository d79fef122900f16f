//! The open deals laid out for the Monte Carlo, and one simulated draw of them.
//!
//! A deal counts in a simulation with probability q = P(win) x P(in period). Deals certain to
//! count (q = 1) are added outright. Deals with q > 1/32 get one Bernoulli each, from a 32-bit
//! uniform, two to each output of a SplitMix64 stream started at a per-simulation key from the
//! seeded generator. SplitMix64's state only adds a constant, so consecutive outputs do not
//! wait on each other and the loop runs several deals at once; q is resolved to 2^-32. Smaller ones are bucketed by q in (Q/2, Q],
//! Q = 2^-k, and sampled by skipping: the gap to the next candidate is geometric with
//! probability Q, and a candidate is kept with probability q/Q (at least 1/2). The draws then
//! cost about twice the expected number of hits instead of one per deal, which matters when a
//! large pipeline holds many deals unlikely to close inside the period.

use super::rng::{mix64, threshold, FastRng, GAMMA};

/// Deals above this probability are drawn one by one.
const DIRECT_ABOVE: f64 = 1.0 / 32.0;
/// Deals drawn across a block of simulations at a time: 2048 x 12 bytes stays in the L1 cache.
const CHUNK: usize = 2048;
/// The smallest bucket bound is 2^-MAX_K; smaller probabilities share it.
const MAX_K: i32 = 40;

/// 0 for deals drawn one by one; else k for q in (2^-(k+1), 2^-k].
fn bucket(q: f64) -> i32 {
    if q > DIRECT_ABOVE {
        0
    } else {
        (-q.log2()).floor().min(MAX_K as f64) as i32
    }
}

/// A run of deals of one group drawn the same way.
#[derive(Debug, Clone)]
struct Run {
    group: usize,
    lo: usize,
    hi: usize,
    /// ln(1 - Q) for a skipping run; None for one-by-one.
    ln_miss: Option<f64>,
}

/// Open deals ready to simulate.
#[derive(Debug, Clone, Default)]
pub(crate) struct SimDeals {
    /// Bernoulli thresholds: for the fraction f of q x 2^16 (one-by-one runs), or for q/Q
    /// (skipping runs).
    thr: Vec<u64>,
    /// q x 2^32 for one-by-one runs.
    thr32: Vec<u32>,
    /// Per group, cents of the deals certain to count.
    sure: Vec<u64>,
    cents: Vec<u64>,
    runs: Vec<Run>,
    groups: usize,
}

impl SimDeals {
    /// From (group index < `groups`, probability 0..=1, amount in cents).
    pub fn new(mut deals: Vec<(u32, f64, u64)>, groups: usize) -> Self {
        deals.retain(|d| threshold(d.1) > 0 && d.2 > 0);
        let mut sure = vec![0u64; groups];
        for d in deals.iter().filter(|d| d.1 >= 1.0) {
            sure[d.0 as usize] += d.2;
        }
        deals.retain(|d| d.1 < 1.0);
        deals.sort_by_key(|d| (d.0, bucket(d.1)));
        let mut s = SimDeals {
            groups,
            sure,
            ..Default::default()
        };
        for (i, &(g, q, c)) in deals.iter().enumerate() {
            let k = bucket(q);
            let bound = 0.5f64.powi(k);
            let direct = k == 0;
            s.thr32.push(if direct {
                (threshold(q) >> 32) as u32
            } else {
                0
            });
            s.thr.push(threshold(if direct { q } else { q / bound }));
            s.cents.push(c);
            let continues = i > 0 && deals[i - 1].0 == g && bucket(deals[i - 1].1) == k;
            s.extend_runs(
                continues,
                g as usize,
                i,
                (!direct).then(|| (-bound).ln_1p()),
            );
        }
        s
    }

    /// Deal `i` joins the last run, or starts a new one.
    fn extend_runs(&mut self, continues: bool, group: usize, i: usize, ln_miss: Option<f64>) {
        match self.runs.last_mut() {
            Some(r) if continues => r.hi = i + 1,
            _ => self.runs.push(Run {
                group,
                lo: i,
                hi: i + 1,
                ln_miss,
            }),
        }
    }

    /// Groups simulated (the length of a draw).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Adds the draws of `sims` simulations to `out` (simulation-major: `out[s * groups + g]`,
    /// in cents). Deals are taken a cache-sized chunk at a time across all the simulations, so
    /// a large pipeline is read from memory once per block of simulations, not once per simulation.
    pub fn draw_block(&self, rng: &mut FastRng, out: &mut [u64], sims: usize) {
        let g = self.groups;
        for slots in out.chunks_mut(g.max(1)).take(sims) {
            for (slot, c) in slots.iter_mut().zip(&self.sure) {
                *slot += c;
            }
        }
        for r in &self.runs {
            let mut lo = r.lo;
            while lo < r.hi {
                let hi = (lo + CHUNK).min(r.hi);
                for sim in 0..sims {
                    out[sim * g + r.group] += match r.ln_miss {
                        None => self.one_by_one(lo, hi, rng),
                        Some(ln_miss) => self.skipping(lo, hi, ln_miss, rng),
                    };
                }
                lo = hi;
            }
        }
    }

    /// One simulation's draw added to each group's slot of `out` (for tests).
    #[cfg(test)]
    pub fn draw(&self, rng: &mut FastRng, out: &mut [u64]) {
        self.draw_block(rng, out, 1);
    }

    fn one_by_one(&self, lo: usize, hi: usize, rng: &mut FastRng) -> u64 {
        let (thr, cents) = (&self.thr32[lo..hi], &self.cents[lo..hi]);
        // Branch-free: a mask is all ones when its deal counts.
        let mask = |u: u64, t: u32| u64::from((u as u32) < t).wrapping_neg();
        let mut state = rng.next();
        let mut sum = 0u64;
        for (t2, c2) in thr.chunks_exact(2).zip(cents.chunks_exact(2)) {
            state = state.wrapping_add(GAMMA);
            let bits = mix64(state);
            sum += (c2[0] & mask(bits, t2[0])) + (c2[1] & mask(bits >> 32, t2[1]));
        }
        if thr.len() % 2 == 1 {
            let last = thr.len() - 1;
            sum += cents[last] & mask(mix64(state.wrapping_add(GAMMA)), thr[last]);
        }
        sum
    }

    fn skipping(&self, lo: usize, hi: usize, ln_miss: f64, rng: &mut FastRng) -> u64 {
        let mut sum = 0u64;
        let mut i = lo;
        loop {
            // A uniform in (0, 1]; floor(ln u / ln(1 - Q)) misses before the next candidate.
            let u = ((rng.next() >> 11) as f64 + 1.0) * (1.0 / 9_007_199_254_740_992.0);
            i = i.saturating_add((u.ln() / ln_miss) as usize);
            if i >= hi {
                return sum;
            }
            if rng.next() < self.thr[i] {
                sum += self.cents[i];
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_small_probabilities_keep_their_mean_and_variance() {
        // 2000 deals of 1 cent with q from 0.001 to 0.1 (skipping) and 100 at 0.5 (one by one).
        let mut d: Vec<(u32, f64, u64)> = (0..2000)
            .map(|i| (0, 0.001 + 0.099 * (i as f64 / 1999.0), 1))
            .collect();
        d.extend((0..100).map(|_| (1, 0.5, 1)));
        let s = SimDeals::new(d.clone(), 2);
        assert!(s.runs.len() > 3);
        let mut rng = FastRng::new(3, 0);
        let n = 20_000;
        let (mut sum, mut sq) = (0.0, 0.0);
        for _ in 0..n {
            let mut out = [0u64; 2];
            s.draw(&mut rng, &mut out);
            sum += out[0] as f64;
            sq += (out[0] as f64).powi(2);
        }
        let mean = sum / n as f64;
        let var = sq / n as f64 - mean * mean;
        let true_mean: f64 = d.iter().filter(|x| x.0 == 0).map(|x| x.1).sum();
        let true_var: f64 = d
            .iter()
            .filter(|x| x.0 == 0)
            .map(|x| x.1 * (1.0 - x.1))
            .sum();
        // Standard error of the mean: sqrt(var / n) ~ 0.07.
        assert!((mean - true_mean).abs() < 0.3, "{mean} vs {true_mean}");
        assert!((var / true_var - 1.0).abs() < 0.05, "{var} vs {true_var}");
    }
}
