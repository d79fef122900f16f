//! One seeded Monte Carlo over the open deals and the deals not yet created.
//!
//! Each simulation first draws the model's parameters, as a factor on every open deal's
//! probability (lognormal, mean 1, spread [`Spread::pipeline`] from how uncertain the stage win
//! rates and the close timing are; one draw per run of [`FACTOR_RUN`] simulations) and a factor
//! on the rate of new deals; then, for every open
//! deal, one Bernoulli with probability P(win) x P(closes in the period) x the factor (the two
//! are modelled as independent), and a count of new deals resampled from history. Sums are kept
//! per group in integer cents, so the total of a simulation is exactly the sum of its groups, and
//! the groups' means add up to the total's. Every draw depends on the seed, the simulation and
//! the deal only, so the total is the same whatever the grouping.
//!
//! Speed: deals are laid out in flat arrays sorted by group (see [`SimDeals`] for how each is
//! drawn), and blocks of simulations run on up to two threads. Each block has its own random
//! stream derived from (seed, block index), so the result does not depend on how many threads
//! ran it.

use rand_distr::{Distribution, StandardNormal};
use std::thread;

use super::newdeals::NewDeals;
use super::rng::FastRng;
pub(crate) use super::simdeals::SimDeals;
use super::simdeals::{scale_of, SCALE_RUN};
use super::types::Quantiles;

/// Simulations per random stream: a multiple of the bit-sliced words, so that words start at the
/// same simulations however the blocks are spread over threads.
const BLOCK: usize = 256;
const _: () = assert!(BLOCK.is_multiple_of(super::lanes::LANES));
/// Consecutive simulations sharing one draw of the pipeline factor: half a word of the
/// bit-sliced draws, which share one scaled threshold per deal (see [`super::lanes`]); 313 draws
/// of it in 10,000 simulations.
const FACTOR_RUN: usize = SCALE_RUN;
/// The stream of a simulation's new deals (the open deals' buckets use streams 1..=40).
const NEW_DEALS_STREAM: u64 = 1_000;

/// Log-scale spreads of the parameter factors, >= 0 (0: the parameters are taken as known).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Spread {
    /// Of the factor on every open deal's probability.
    pub pipeline: f64,
    /// Of the factor on the rate of new deals.
    pub new_deals: f64,
}

/// Simulated amounts in cents: `groups[g][s]` for group g in simulation s.
#[derive(Debug, Clone)]
pub(crate) struct SimOutput {
    pub groups: Vec<Vec<u64>>,
}

impl SimOutput {
    pub fn totals(&self) -> Vec<u64> {
        let sims = self.groups.first().map_or(0, Vec::len);
        (0..sims)
            .map(|s| self.groups.iter().map(|g| g[s]).sum())
            .collect()
    }
}

/// Runs `sims` simulations (>= 1) deterministically for `seed`.
pub(crate) fn simulate(
    deals: &SimDeals,
    new: &NewDeals,
    spread: Spread,
    sims: usize,
    seed: u64,
) -> SimOutput {
    let n_groups = deals.groups();
    let blocks = sims.div_ceil(BLOCK);
    let threads = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 2);
    let mut done: Vec<(usize, Vec<u64>)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..blocks)
                        .step_by(threads)
                        .map(|b| (b, run_block(deals, new, spread, b, sims, seed)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("simulation thread panicked"))
            .collect()
    });
    done.sort_by_key(|d| d.0);
    let mut groups = vec![Vec::with_capacity(sims); n_groups];
    for (_, block) in done {
        for sim in block.chunks(n_groups.max(1)) {
            for (g, v) in sim.iter().enumerate() {
                groups[g].push(*v);
            }
        }
    }
    SimOutput { groups }
}

/// A lognormal factor of mean 1 and log-scale spread `sigma`.
fn factor(sigma: f64, rng: &mut FastRng) -> f64 {
    if sigma <= 0.0 {
        return 1.0;
    }
    let z: f64 = StandardNormal.sample(rng);
    (sigma * z - 0.5 * sigma * sigma).exp()
}

/// Simulations `b*BLOCK .. min((b+1)*BLOCK, sims)`, simulation-major, one value per group.
fn run_block(
    deals: &SimDeals,
    new: &NewDeals,
    spread: Spread,
    b: usize,
    sims: usize,
    seed: u64,
) -> Vec<u64> {
    let n = BLOCK.min(sims - b * BLOCK);
    let g = deals.groups();
    let mut out = vec![0u64; n * g];
    let mut rng = FastRng::new(seed, b as u64);
    let (mut keys, mut scales, mut rates) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        keys.push(rng.next());
        if i % FACTOR_RUN == 0 {
            scales.push(scale_of(factor(spread.pipeline, &mut rng)));
        }
        rates.push(factor(spread.new_deals, &mut rng));
    }
    deals.draw_block(&keys, &scales, &mut out);
    let sampler = new.sampler();
    for ((sim, key), rate) in out.chunks_mut(g.max(1)).zip(keys).zip(rates) {
        let mut rng = FastRng::new(key, NEW_DEALS_STREAM);
        new.add_draw(&sampler, rate, &mut rng, sim);
    }
    out
}

/// P10, P50, P90 (nearest rank) and mean of simulated cents, in currency units, plus `offset`.
pub(crate) fn quantiles(cents: &[u64], offset: f64) -> Quantiles {
    if cents.is_empty() {
        return Quantiles {
            p10: offset,
            p50: offset,
            p90: offset,
            mean: offset,
        };
    }
    let mut v = cents.to_vec();
    let n = v.len();
    let mut at = |q: f64| {
        let i = ((n - 1) as f64 * q).round() as usize;
        *v.select_nth_unstable(i).1 as f64 / 100.0 + offset
    };
    let (p10, p50, p90) = (at(0.1), at(0.5), at(0.9));
    let mean = cents.iter().map(|&c| c as f64).sum::<f64>() / n as f64 / 100.0 + offset;
    Quantiles {
        p10,
        p50,
        p90,
        mean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deals() -> SimDeals {
        // Group 0: 100 deals of 10.00 at p=0.3; group 1: 50 deals of 4.00 at p=0.8; one sure deal.
        let mut d: Vec<(u32, f64, u64)> = (0..100).map(|_| (0, 0.3, 1000)).collect();
        d.extend((0..50).map(|_| (1, 0.8, 400)));
        d.push((1, 1.0, 700));
        d.push((0, 0.0, 99_999)); // never counts
        SimDeals::new(d, 2)
    }

    fn run(d: &SimDeals, sims: usize, seed: u64) -> SimOutput {
        simulate(d, &NewDeals::default(), Spread::default(), sims, seed)
    }

    #[test]
    fn same_seed_same_draws_and_groups_add_up_to_the_total() {
        let a = run(&deals(), 1000, 9);
        let b = run(&deals(), 1000, 9);
        let c = run(&deals(), 1000, 10);
        assert_eq!(a.groups, b.groups);
        assert_ne!(a.groups, c.groups);
        let t = a.totals();
        assert_eq!(t.len(), 1000);
        assert_eq!(t[17], a.groups[0][17] + a.groups[1][17]);
    }

    #[test]
    fn a_longer_run_repeats_a_shorter_ones_simulations() {
        // A simulation's draws depend on the seed and its index only, not on how many run (the
        // shorter run ends inside a block and inside a word of 64).
        let mut d: Vec<(u32, f64, u64)> = (0..300).map(|i| (i % 3, 0.2, 100 + i as u64)).collect();
        d.extend((0..3000).map(|i| (i % 3, 0.01, 7)));
        let d = SimDeals::new(d, 3);
        let spread = Spread {
            pipeline: 0.3,
            new_deals: 0.0,
        };
        let short = simulate(&d, &NewDeals::default(), spread, 700, 4);
        let long = simulate(&d, &NewDeals::default(), spread, 1500, 4);
        for (a, b) in short.groups.iter().zip(&long.groups) {
            assert_eq!(a[..], b[..700]);
        }
    }

    #[test]
    fn simulated_distribution_matches_the_binomial_truth() {
        let out = run(&deals(), 20_000, 1);
        let g0 = quantiles(&out.groups[0], 0.0);
        // Binomial(100, 0.3) x 10: mean 300, sd 45.8; P10 ~ 300 - 1.28 sd, P90 ~ 300 + 1.28 sd.
        assert!((g0.mean - 300.0).abs() < 2.0, "{g0:?}");
        assert!(
            (g0.p10 - 241.3).abs() <= 10.0 && (g0.p90 - 358.7).abs() <= 10.0,
            "{g0:?}"
        );
        let g1 = quantiles(&out.groups[1], 0.0);
        assert!((g1.mean - (50.0 * 0.8 * 4.0 + 7.0)).abs() < 0.5, "{g1:?}");
        assert!(out.groups[1].iter().all(|&c| c >= 700));
    }

    #[test]
    fn drawing_the_parameters_widens_the_range_and_keeps_the_mean() {
        // 2000 deals of 1.00 at p = 0.2: Binomial sd 17.9; a factor of spread 0.2 adds about
        // 400 x 0.2 = 80 of sd.
        let d = SimDeals::new((0..2000).map(|_| (0, 0.2, 100)).collect(), 1);
        let fixed = quantiles(&run(&d, 20_000, 3).groups[0], 0.0);
        let spread = Spread {
            pipeline: 0.2,
            new_deals: 0.0,
        };
        let drawn = quantiles(
            &simulate(&d, &NewDeals::default(), spread, 20_000, 3).groups[0],
            0.0,
        );
        // The factor is drawn once per 32 simulations: 625 draws of spread 0.2 give the mean a
        // standard error of 400 x 0.2 / 25 = 3.2; four of them.
        assert!(
            (fixed.mean - 400.0).abs() < 1.0 && (drawn.mean - 400.0).abs() < 13.0,
            "{drawn:?}"
        );
        let (w0, w1) = (fixed.p90 - fixed.p10, drawn.p90 - drawn.p10);
        assert!((w0 - 2.56 * 17.9).abs() < 4.0, "{fixed:?}");
        assert!(w1 > 3.0 * w0, "{fixed:?} {drawn:?}");
    }

    #[test]
    fn quantiles_are_ordered_and_shifted_by_the_offset() {
        let q = quantiles(&[500, 100, 300, 200, 400], 1.0);
        assert_eq!((q.p10, q.p50, q.p90), (2.0, 4.0, 6.0));
        assert!((q.mean - 4.0).abs() < 1e-12);
    }
}
