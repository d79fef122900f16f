//! The open deals laid out for the Monte Carlo, and one simulated draw of them.
//!
//! A deal counts in a simulation with probability q x f, where q = P(win) x P(in period) and f
//! is the simulation's draw of the model's parameters (a factor near 1, at most [`MAX_FACTOR`]).
//! Deals certain to count (q = 1) are added outright.
//!
//! Every draw depends only on the deal (its place in the caller's order) and the simulation,
//! never on the grouping: the same seed gives the same total whether the forecast is grouped
//! by owner, team or not at all. Deals with q > 1/32 get one Bernoulli each from 32 bits of
//! a hash of the simulation's key and the deal's key (counter-based, so the loop over a group's
//! deals has no dependency from one deal to the next). Smaller ones are bucketed by q in
//! (Q/2, Q], Q = 2^-k, across groups, and sampled by skipping: the gap to the next candidate is
//! geometric with probability 2Q (room for f up to 2), and a candidate is kept with probability
//! q x f / 2Q; a kept deal adds to its own group. The draws then cost about twice the expected
//! number of hits instead of one per deal, which matters when a large pipeline holds many deals
//! unlikely to close inside the period.

use super::rng::{mix64, FastRng};

/// Deals above this probability are drawn one by one.
const DIRECT_ABOVE: f64 = 1.0 / 32.0;
/// Deals drawn across a block of simulations at a time: 1024 x 20 bytes stays in the L1 cache.
const CHUNK: usize = 1024;
/// The smallest bucket bound is 2^-MAX_K; smaller probabilities share it.
const MAX_K: i32 = 40;
/// The largest parameter factor a simulation may draw.
pub(crate) const MAX_FACTOR: f64 = 2.0;
/// The scale of a simulation with factor 1: a deal counts when 32 uniform bits are below
/// `(threshold x scale) >> 31`.
pub(crate) const UNIT_SCALE: u64 = 1 << 31;

/// 0 for deals drawn one by one; else k for q in (2^-(k+1), 2^-k].
fn bucket(q: f64) -> i32 {
    if q > DIRECT_ABOVE {
        0
    } else {
        (-q.log2()).floor().min(MAX_K as f64) as i32
    }
}

/// `p` x 2^32 as a 32-bit threshold (saturating).
fn thr32(p: f64) -> u32 {
    (p.clamp(0.0, 1.0) * 4_294_967_296.0).min(u32::MAX as f64) as u32
}

/// The scale that multiplies every deal's probability by `factor` (clamped to 0..=MAX_FACTOR).
pub(crate) fn scale_of(factor: f64) -> u64 {
    (factor.clamp(0.0, MAX_FACTOR) * UNIT_SCALE as f64) as u64
}

/// 32 uniform bits for one deal in one simulation.
#[inline(always)]
fn bits(sim_key: u64, deal_key: u64) -> u64 {
    let z = sim_key ^ deal_key;
    (z ^ (z >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 32
}

/// A run of one group's deals drawn one by one.
#[derive(Debug, Clone)]
struct Run {
    group: usize,
    lo: usize,
    hi: usize,
}

/// A bucket of small probabilities, across groups, drawn by skipping.
#[derive(Debug, Clone)]
struct SkipRun {
    lo: usize,
    hi: usize,
    /// ln(1 - 2Q).
    ln_miss: f64,
    /// Salt of the bucket's random stream.
    stream: u64,
}

/// Open deals ready to simulate.
#[derive(Debug, Clone, Default)]
pub(crate) struct SimDeals {
    /// One-by-one deals, sorted by group: q x 2^32, cents and key.
    thr: Vec<u32>,
    cents: Vec<u64>,
    keys: Vec<u64>,
    runs: Vec<Run>,
    /// Skipped deals, sorted by bucket: q / 2Q x 2^32, cents and group.
    skip_thr: Vec<u32>,
    skip_cents: Vec<u64>,
    skip_group: Vec<u32>,
    skip_runs: Vec<SkipRun>,
    /// Per group, cents of the deals certain to count.
    sure: Vec<u64>,
    groups: usize,
}

impl SimDeals {
    /// From (group index < `groups`, probability 0..=1, amount in cents), in an order that does
    /// not depend on the grouping (a deal's place gives its random stream).
    pub fn new(deals: Vec<(u32, f64, u64)>, groups: usize) -> Self {
        let mut s = SimDeals {
            groups,
            sure: vec![0u64; groups],
            ..Default::default()
        };
        let mut direct = Vec::new();
        let mut small = Vec::new();
        for (i, &(g, q, c)) in deals.iter().enumerate() {
            if q <= 0.0 || c == 0 || q.is_nan() {
                continue;
            }
            let key = mix64((i as u64).wrapping_add(0x5851_f42d_4c95_7f2d));
            match bucket(q) {
                _ if q >= 1.0 => s.sure[g as usize] += c,
                0 => direct.push((g, i, q, c, key)),
                k => small.push((k, i, g, q, c)),
            }
        }
        direct.sort_by_key(|d| (d.0, d.1));
        for (i, &(g, _, q, c, key)) in direct.iter().enumerate() {
            s.thr.push(thr32(q));
            s.cents.push(c);
            s.keys.push(key);
            match s.runs.last_mut() {
                Some(r) if r.group == g as usize => r.hi = i + 1,
                _ => s.runs.push(Run {
                    group: g as usize,
                    lo: i,
                    hi: i + 1,
                }),
            }
        }
        small.sort_by_key(|d| (d.0, d.1));
        for (i, &(k, _, g, q, c)) in small.iter().enumerate() {
            let bound = MAX_FACTOR * 0.5f64.powi(k);
            s.skip_thr.push(thr32(q / bound));
            s.skip_cents.push(c);
            s.skip_group.push(g);
            match s.skip_runs.last_mut() {
                Some(r) if r.stream == k as u64 => r.hi = i + 1,
                _ => s.skip_runs.push(SkipRun {
                    lo: i,
                    hi: i + 1,
                    ln_miss: (-bound).ln_1p(),
                    stream: k as u64,
                }),
            }
        }
        s
    }

    /// Groups simulated (the length of a draw).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Adds the draws of one block of simulations to `out` (simulation-major:
    /// `out[s * groups + g]`, in cents); simulation `s` has key `sim_keys[s]` and scale
    /// `scales[s]` ([`scale_of`] its parameter factor; consecutive simulations with the same
    /// scale share the scaled thresholds, so draw factors for runs of simulations). Deals are
    /// taken a cache-sized chunk at a time across all the simulations, so a large pipeline is
    /// read from memory once per block.
    pub fn draw_block(&self, sim_keys: &[u64], scales: &[u64], out: &mut [u64]) {
        let g = self.groups.max(1);
        for slots in out.chunks_mut(g).take(sim_keys.len()) {
            for (slot, c) in slots.iter_mut().zip(&self.sure) {
                *slot += c;
            }
        }
        // Thresholds scaled by a run of simulations sharing one parameter factor.
        let mut scaled = vec![0u32; CHUNK];
        for r in &self.runs {
            let mut lo = r.lo;
            while lo < r.hi {
                let hi = (lo + CHUNK).min(r.hi);
                let (cents, keys) = (&self.cents[lo..hi], &self.keys[lo..hi]);
                let mut sim = 0;
                while sim < sim_keys.len() {
                    let scale = scales[sim];
                    let same = scales[sim..].iter().take_while(|s| **s == scale).count();
                    let thr = &mut scaled[..hi - lo];
                    for (t, &x) in thr.iter_mut().zip(&self.thr[lo..hi]) {
                        *t = ((u64::from(x) * scale) >> 31).min(u64::from(u32::MAX)) as u32;
                    }
                    for s in sim..sim + same {
                        out[s * g + r.group] += one_by_one(thr, cents, keys, sim_keys[s]);
                    }
                    sim += same;
                }
                lo = hi;
            }
        }
        for r in &self.skip_runs {
            for (sim, (&key, &scale)) in sim_keys.iter().zip(scales).enumerate() {
                let mut rng = FastRng::new(key, r.stream);
                self.skipping(r, &mut rng, scale, &mut out[sim * g..(sim + 1) * g]);
            }
        }
    }

    fn skipping(&self, r: &SkipRun, rng: &mut FastRng, scale: u64, groups: &mut [u64]) {
        let mut i = r.lo;
        loop {
            // A uniform in (0, 1]; floor(ln u / ln(1 - 2Q)) misses before the next candidate.
            let u = ((rng.next() >> 11) as f64 + 1.0) * (1.0 / 9_007_199_254_740_992.0);
            i = i.saturating_add((u.ln() / r.ln_miss) as usize);
            if i >= r.hi {
                return;
            }
            if rng.next() >> 32 < (u64::from(self.skip_thr[i]) * scale) >> 31 {
                groups[self.skip_group[i] as usize] += self.skip_cents[i];
            }
            i += 1;
        }
    }
}

/// One simulation's draw of a run of deals: the sum of the cents of those that count.
fn one_by_one(thr: &[u32], cents: &[u64], keys: &[u64], sim_key: u64) -> u64 {
    let mut sum = 0u64;
    // Branch-free: a mask is all ones when its deal counts.
    for ((&t, &c), &k) in thr.iter().zip(cents).zip(keys) {
        sum += c & u64::from((bits(sim_key, k) as u32) < t).wrapping_neg();
    }
    sum
}

#[cfg(test)]
#[path = "tests/simdeals.rs"]
mod tests;
