//! Small random and calendar helpers shared by the generator's parts.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The independent random stream `k` of a seed, so that changing one part (say the lead count)
/// leaves the other parts' draws unchanged.
pub(crate) fn stream(seed: u64, k: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(k);
    rng
}

pub(crate) fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

/// LogNormal with the given median and log-scale sigma.
pub(crate) fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// Poisson draw by inversion (means here are small to moderate); large means use a normal.
pub(crate) fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> i64 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 60.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0) as i64;
    }
    let (mut k, mut p, mut cdf) = (0i64, (-mean).exp(), 0.0);
    let u: f64 = rng.gen();
    loop {
        cdf += p;
        if u <= cdf || k > 400 {
            return k;
        }
        k += 1;
        p *= mean / k as f64;
    }
}

/// Index of an entry drawn with probability proportional to its weight (weights > 0).
pub(crate) fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// The weights of a list's entries, for [`pick_weighted`].
pub(crate) fn weights<T>(items: &[T], w: impl Fn(&T) -> f64) -> Vec<f64> {
    items.iter().map(w).collect()
}

/// Midnight UTC of a date.
pub(crate) fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// A moment `days` (fractional) after `t`, to the second.
pub(crate) fn plus_days(t: DateTime<Utc>, days: f64) -> DateTime<Utc> {
    t + Duration::seconds((days * 86_400.0).round() as i64)
}

/// A working-hours moment (08:00 to 18:00 UTC) on date `d`.
pub(crate) fn working_time(rng: &mut ChaCha8Rng, d: NaiveDate) -> DateTime<Utc> {
    midnight(d) + Duration::seconds(rng.gen_range(8 * 3600..18 * 3600))
}

pub(crate) fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists")
}

pub(crate) fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).expect("date in range")
}

pub(crate) fn sub_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(n)).expect("date in range")
}

/// First day of the quarter containing `d`.
pub(crate) fn quarter_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), (d.month() - 1) / 3 * 3 + 1, 1).expect("valid quarter start")
}

/// True when `d` falls in the last month of its quarter.
pub(crate) fn in_last_month_of_quarter(d: NaiveDate) -> bool {
    d.month().is_multiple_of(3)
}
