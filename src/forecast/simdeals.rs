//! The open deals laid out for the Monte Carlo, and one simulated draw of them.
//!
//! A deal counts in a simulation with probability q x f, where q = P(win) x P(in period) and f
//! is the simulation's draw of the model's parameters (a factor near 1, at most [`MAX_FACTOR`],
//! shared by each run of [`SCALE_RUN`] simulations). Deals certain to count (q = 1) are added
//! outright.
//!
//! Every draw depends only on the deal (its place in the caller's order) and the simulation,
//! never on the grouping: the same seed gives the same total whether the forecast is grouped
//! by owner, team or not at all. Deals with q > 1/64 are drawn directly, 64 simulations at a
//! time: each gets a 32-bit uniform, bit-sliced across the simulations of a word, from a
//! counter-based stream keyed by the word and the deal (see [`super::lanes`]), so a deal costs
//! about seven hash words per 64 simulations and the loop over a group's deals has no dependency
//! from one deal to the next. Smaller ones are bucketed by q in (Q/2, Q], Q = 2^-k, across
//! groups, and sampled by skipping: in a simulation of factor f the gap to the next candidate is
//! geometric with probability Q x f, and a candidate is kept with probability q / Q; a kept deal
//! adds to its own group. The draws then cost about two candidates per expected hit instead of
//! one draw per deal, which matters when a large pipeline holds many deals unlikely to close
//! inside the period.

use super::fastln::FastLn;
use super::lanes::{self, HALF, LANES};
use super::rng::{mix64, FastRng};

/// Deals above this probability are drawn directly: below it, skipping costs less per deal than
/// the seven words of a bit-sliced draw (about 2Q candidates per deal and simulation at ~60
/// instructions each, against ~200 instructions per deal and 64 simulations).
const DIRECT_ABOVE: f64 = 1.0 / 64.0;
/// Deals drawn across a block of simulations at a time: 1024 x 20 bytes stays in the L1 cache.
const CHUNK: usize = 1024;
/// The smallest bucket bound is 2^-MAX_K; smaller probabilities share it.
const MAX_K: i32 = 40;
/// The largest parameter factor a simulation may draw.
pub(crate) const MAX_FACTOR: f64 = 2.0;
/// The scale of a simulation with factor 1: a deal counts when 32 uniform bits are below
/// `(threshold x scale) >> 31`.
pub(crate) const UNIT_SCALE: u64 = 1 << 31;
/// Consecutive simulations sharing one scale (one parameter factor): half a word of lanes.
pub(crate) const SCALE_RUN: usize = HALF;
/// Salt of the words' keys (kept apart from the other streams drawn from a simulation's key).
const WORD_SALT: u64 = 0x6a09_e667_f3bc_c909;

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

/// The 32-bit threshold `thr` scaled by `scale` (saturating).
#[inline(always)]
fn scaled(thr: u32, scale: u64) -> u32 {
    ((u64::from(thr) * scale) >> 31).min(u64::from(u32::MAX)) as u32
}

/// A run of one group's deals drawn directly.
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
    /// The bucket's bound Q.
    bound: f64,
    /// Salt of the bucket's random stream.
    stream: u64,
}

/// Open deals ready to simulate.
#[derive(Debug, Clone, Default)]
pub(crate) struct SimDeals {
    /// Directly drawn deals, sorted by group: q x 2^32, cents and key.
    thr: Vec<u32>,
    cents: Vec<u64>,
    keys: Vec<u64>,
    runs: Vec<Run>,
    /// Skipped deals, sorted by bucket: q / Q x 2^32, cents and group.
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
            let bound = 0.5f64.powi(k);
            s.skip_thr.push(thr32(q / bound));
            s.skip_cents.push(c);
            s.skip_group.push(g);
            match s.skip_runs.last_mut() {
                Some(r) if r.stream == k as u64 => r.hi = i + 1,
                _ => s.skip_runs.push(SkipRun {
                    lo: i,
                    hi: i + 1,
                    bound,
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
    /// `scales[s / SCALE_RUN]` ([`scale_of`] its parameter factor). The simulations are drawn a
    /// word of [`LANES`] at a time, from simulation 0 of the block: a word's draws depend on its
    /// first simulation's key, so blocks must start at the same simulations whatever the number
    /// of threads (they do: blocks have a fixed size, a multiple of [`LANES`]).
    pub fn draw_block(&self, sim_keys: &[u64], scales: &[u64], out: &mut [u64]) {
        let n = sim_keys.len();
        assert_eq!(scales.len(), n.div_ceil(SCALE_RUN), "one scale per run");
        let g = self.groups.max(1);
        for slots in out.chunks_mut(g).take(n) {
            for (slot, c) in slots.iter_mut().zip(&self.sure) {
                *slot += c;
            }
        }
        let word_keys: Vec<u64> = sim_keys
            .iter()
            .step_by(LANES)
            .map(|k| mix64(k ^ WORD_SALT))
            .collect();
        // One run's sums per simulation, a word at a time.
        let mut sums = vec![[0u64; LANES]; word_keys.len()];
        for r in &self.runs {
            sums.iter_mut().for_each(|w| *w = [0; LANES]);
            for lo in (r.lo..r.hi).step_by(CHUNK) {
                let hi = (lo + CHUNK).min(r.hi);
                for (w, (sum, &key)) in sums.iter_mut().zip(&word_keys).enumerate() {
                    let lanes = (n - w * LANES).min(LANES);
                    let s_lo = scales[2 * w];
                    let s_hi = scales.get(2 * w + 1).copied().unwrap_or(s_lo);
                    self.direct_word(lo..hi, key, lanes, (s_lo, s_hi), sum);
                }
            }
            for (s, v) in sums.iter().flatten().take(n).enumerate() {
                out[s * g + r.group] += v;
            }
        }
        let ln = FastLn::get();
        for r in &self.skip_runs {
            for (run, &scale) in scales.iter().enumerate() {
                if scale == 0 {
                    continue;
                }
                // 1 / ln(1 - Q f): the candidates' rate is scaled, not the deals' thresholds.
                let p = r.bound * scale as f64 / UNIT_SCALE as f64;
                let inv_ln_miss = 1.0 / (-p).ln_1p();
                let sims = run * SCALE_RUN..((run + 1) * SCALE_RUN).min(n);
                for sim in sims {
                    let mut rng = FastRng::new(sim_keys[sim], r.stream);
                    let groups = &mut out[sim * g..(sim + 1) * g];
                    self.skipping(r, &mut rng, ln, inv_ln_miss, groups);
                }
            }
        }
    }

    /// Adds to `sum` (one word of simulations, `lanes` of them, scales `(lo, hi)` for its two
    /// halves) the draws of the directly drawn deals `deals`. Not inlined: called once per run,
    /// chunk and word, and a profile then shows it apart from the skipping.
    #[inline(never)]
    fn direct_word(
        &self,
        deals: std::ops::Range<usize>,
        word_key: u64,
        lanes: usize,
        (s_lo, s_hi): (u64, u64),
        sum: &mut [u64; LANES],
    ) {
        let live = u64::MAX >> (LANES - lanes);
        // Cents added to every lane: deals likely to count add to all and subtract their misses,
        // so the lanes walked are the fewer of hits and misses. Sums wrap, the total is exact.
        let mut all = 0u64;
        for d in deals {
            let (x, c) = (self.thr[d], self.cents[d]);
            let mut rng = lanes::words(word_key, self.keys[d]);
            let hits = lanes::below(live, scaled(x, s_lo), scaled(x, s_hi), || rng.next());
            if x >= 1 << 31 {
                all = all.wrapping_add(c);
                for_each_lane(live & !hits, |j| sum[j] = sum[j].wrapping_sub(c));
            } else {
                for_each_lane(hits, |j| sum[j] = sum[j].wrapping_add(c));
            }
        }
        for v in &mut sum[..lanes] {
            *v = v.wrapping_add(all);
        }
    }

    #[inline(never)]
    fn skipping(
        &self,
        r: &SkipRun,
        rng: &mut FastRng,
        ln: &FastLn,
        inv_ln_miss: f64,
        groups: &mut [u64],
    ) {
        let mut i = r.lo;
        loop {
            // A uniform in (0, 1]; floor(ln u / ln(1 - Q f)) misses before the next candidate.
            let u = ((rng.next() >> 11) as f64 + 1.0) * (1.0 / 9_007_199_254_740_992.0);
            // Not negative; through i64, whose conversion is cheaper than usize's (it saturates
            // too: a gap beyond i64 is past the end of every bucket).
            i = i.saturating_add((ln.ln(u) * inv_ln_miss) as i64 as usize);
            if i >= r.hi {
                return;
            }
            if rng.next() >> 32 < u64::from(self.skip_thr[i]) {
                groups[self.skip_group[i] as usize] += self.skip_cents[i];
            }
            i += 1;
        }
    }
}

/// Calls `f` with the index of every set bit of `mask` (0..64).
#[inline(always)]
fn for_each_lane(mut mask: u64, mut f: impl FnMut(usize)) {
    while mask != 0 {
        // Below 64: the mask makes that plain to the compiler (no bounds check).
        f(mask.trailing_zeros() as usize & (LANES - 1));
        mask &= mask - 1;
    }
}

#[cfg(test)]
#[path = "tests/simdeals.rs"]
mod tests;
