//! Tests of the Monte Carlo's per-deal draws.

use super::*;
use crate::forecast::rng::FastRng;

/// Per-simulation totals of `sims` simulations with factor 1.
fn totals(s: &SimDeals, sims: usize, seed: u64) -> Vec<Vec<u64>> {
    let mut rng = FastRng::new(seed, 0);
    let keys: Vec<u64> = (0..sims).map(|_| rng.next()).collect();
    let scales = vec![UNIT_SCALE; sims.div_ceil(SCALE_RUN)];
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
        s.draw_block(
            &keys,
            &vec![scale_of(factor); sims.div_ceil(SCALE_RUN)],
            &mut out,
        );
        let mean = out.iter().sum::<u64>() as f64 / sims as f64;
        let truth = 500.0 * (0.3 + 0.01) * factor;
        // sd of one simulation about 10; of the mean 0.16.
        assert!(
            (mean - truth).abs() < 1.0,
            "factor {factor}: {mean} vs {truth}"
        );
    }
}

/// Pearson's chi-square of a histogram of hit counts (`hist[k]`: draws with k hits) against
/// Binomial(m, q), the expected counts pooled from k = 0 up until each bin expects at least 5
/// (the last bin takes the tail); returns the statistic and the degrees of freedom.
fn chi_square_vs_binomial(hist: &[usize], m: usize, q: f64) -> (f64, usize) {
    let n: usize = hist.iter().sum();
    let mut pmf = vec![(1.0 - q).powi(m as i32)];
    for k in 1..=m {
        let prev = pmf[k - 1];
        pmf.push(prev * (m - k + 1) as f64 / k as f64 * q / (1.0 - q));
    }
    let count = |k: usize| hist.get(k).copied().unwrap_or(0) as f64;
    let mut bins: Vec<(f64, f64)> = Vec::new();
    let (mut e, mut o) = (0.0, 0.0);
    for (k, p) in pmf.iter().enumerate() {
        e += p * n as f64;
        o += count(k);
        if e >= 5.0 {
            bins.push((e, o));
            (e, o) = (0.0, 0.0);
        }
    }
    o += hist.iter().skip(m + 1).sum::<usize>() as f64;
    match bins.last_mut() {
        Some(last) => {
            last.0 += e;
            last.1 += o;
        }
        None => bins.push((e, o)),
    }
    let stat = bins.iter().map(|(e, o)| (o - e).powi(2) / e).sum();
    (stat, bins.len().saturating_sub(1))
}

/// The chi-square quantile at 1 - 0.001 for `df` degrees of freedom, by Wilson and Hilferty's
/// cube-root approximation (within 1% of the exact value for df >= 3, slightly above it).
fn critical(df: usize) -> f64 {
    let (k, z) = (df as f64, 3.090_232);
    k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3)
}

fn histogram(values: impl Iterator<Item = u64>) -> Vec<usize> {
    let mut hist = Vec::new();
    for v in values {
        let v = v as usize;
        if v >= hist.len() {
            hist.resize(v + 1, 0);
        }
        hist[v] += 1;
    }
    hist
}

/// Hits of m deals of probability q in one simulation follow Binomial(m, q): the right rate and
/// no dependence between deals, for the directly drawn deals (q > 1/64, including those that
/// walk their misses, q >= 1/2) and the skipped ones. Fixed seed, alpha 0.001 per case.
#[test]
fn hits_of_deals_with_a_known_probability_follow_the_binomial() {
    let sims = 20_000;
    for (q, m) in [
        (0.0157, 300),
        (0.05, 60),
        (0.3, 40),
        (0.5, 40),
        (0.77, 40),
        (0.999, 40),
        (0.0156, 300),
        (0.004, 1000),
        (0.0001, 5000),
    ] {
        let s = SimDeals::new((0..m).map(|_| (0, q, 1)).collect(), 1);
        assert_eq!(s.skip_runs.is_empty(), q > 1.0 / 64.0, "q {q}");
        let draws = totals(&s, sims, 21);
        let (stat, df) = chi_square_vs_binomial(&histogram(draws.iter().map(|d| d[0])), m, q);
        assert!(df >= 1, "q {q}");
        assert!(stat < critical(df), "q {q}: chi-square {stat:.1}, df {df}");
    }
}

/// One deal across the 64 simulations of a word (which share its random words): the hits of a
/// word follow Binomial(64, q), so the lanes are independent of each other.
#[test]
fn one_deals_hits_across_the_lanes_of_a_word_follow_the_binomial() {
    let words = 2000;
    for q in [0.02, 0.3, 0.5, 0.9] {
        let s = SimDeals::new(vec![(0, q, 1)], 1);
        let draws = totals(&s, words * LANES, 17);
        let per_word = draws.chunks(LANES).map(|w| w.iter().map(|d| d[0]).sum());
        let (stat, df) = chi_square_vs_binomial(&histogram(per_word), LANES, q);
        assert!(stat < critical(df), "q {q}: chi-square {stat:.1}, df {df}");
    }
}

#[test]
fn the_chi_square_check_rejects_a_wrong_probability() {
    // The check has power: the same draws against a probability off by a tenth fail it.
    let s = SimDeals::new((0..40).map(|_| (0, 0.3, 1)).collect(), 1);
    let hist = histogram(totals(&s, 20_000, 21).iter().map(|d| d[0]));
    let (stat, df) = chi_square_vs_binomial(&hist, 40, 0.33);
    assert!(stat > critical(df), "chi-square {stat:.1}, df {df}");
}
