//! Tests of the Monte Carlo's per-deal draws.

use super::*;
use crate::forecast::rng::FastRng;

/// Per-simulation totals of `sims` simulations with factor 1.
fn totals(s: &SimDeals, sims: usize, seed: u64) -> Vec<Vec<u64>> {
    let mut rng = FastRng::new(seed, 0);
    let keys: Vec<u64> = (0..sims).map(|_| rng.next()).collect();
    let scales = vec![UNIT_SCALE; sims];
    let g = s.groups().max(1);
    let mut out = vec![0u64; sims * g];
    s.draw_block(&keys, &scales, &mut out);
    out.chunks(g).map(<[u64]>::to_vec).collect()
}

#[test]
fn skipped_small_probabilities_keep_their_mean_and_variance() {
    // 2000 deals of 1 cent with q from 0.001 to 0.1 (skipping below 1/32) and 100 at 0.5.
    let mut d: Vec<(u32, f64, u64)> = (0..2000)
        .map(|i| (0, 0.001 + 0.099 * (i as f64 / 1999.0), 1))
        .collect();
    d.extend((0..100).map(|_| (1, 0.5, 1)));
    let s = SimDeals::new(d.clone(), 2);
    assert!(s.skip_runs.len() > 3);
    let n = 20_000;
    let draws = totals(&s, n, 3);
    let (mut sum, mut sq) = (0.0, 0.0);
    for sim in &draws {
        sum += sim[0] as f64;
        sq += (sim[0] as f64).powi(2);
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

/// The defect of the grouping: the same deals, grouped two ways, must give the same total in
/// every simulation (the ledger keeps one total per day).
#[test]
fn the_total_of_each_simulation_does_not_depend_on_the_grouping() {
    let deals: Vec<(u32, f64, u64)> = (0..3000)
        .map(|i| (0, [0.002, 0.01, 0.2, 0.6, 0.95, 1.0][i % 6], 100 + i as u64))
        .collect();
    let ungrouped = SimDeals::new(deals.clone(), 1);
    let by_seven = SimDeals::new(
        deals
            .iter()
            .enumerate()
            .map(|(i, d)| ((i * 7 % 13 % 7) as u32, d.1, d.2))
            .collect(),
        7,
    );
    let a = totals(&ungrouped, 300, 5);
    let b = totals(&by_seven, 300, 5);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x[0], y.iter().sum::<u64>());
    }
    assert!(a.windows(2).any(|w| w[0] != w[1]), "the draws vary");
}

#[test]
fn two_deals_drawn_in_one_simulation_are_independent() {
    let s = SimDeals::new(vec![(0, 0.5, 1), (1, 0.5, 1)], 2);
    let draws = totals(&s, 40_000, 8);
    let both = draws.iter().filter(|d| d[0] == 1 && d[1] == 1).count() as f64 / 40_000.0;
    // P(both) = 0.25; standard error 0.0022.
    assert!((both - 0.25).abs() < 0.01, "{both}");
}

#[test]
fn a_simulations_factor_scales_every_probability() {
    let s = SimDeals::new(
        (0..1000)
            .map(|i| (0, if i % 2 == 0 { 0.3 } else { 0.01 }, 1))
            .collect(),
        1,
    );
    let mut rng = FastRng::new(1, 0);
    let sims = 4000;
    let keys: Vec<u64> = (0..sims).map(|_| rng.next()).collect();
    for factor in [0.5, 1.5] {
        let mut out = vec![0u64; sims];
        s.draw_block(&keys, &vec![scale_of(factor); sims], &mut out);
        let mean = out.iter().sum::<u64>() as f64 / sims as f64;
        let truth = 500.0 * (0.3 + 0.01) * factor;
        // sd of one simulation about 10; of the mean 0.16.
        assert!(
            (mean - truth).abs() < 1.0,
            "factor {factor}: {mean} vs {truth}"
        );
    }
}
