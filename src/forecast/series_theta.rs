//! A theta-like method (Assimakopoulos & Nikolopoulos; in the form of Hyndman & Billah, 2003):
//! simple exponential smoothing plus half the slope of a fitted line, on a series adjusted
//! for seasonality by classical decomposition (multiplicative for positive series).

use super::series_path::{Path, Z80};

/// Forecasts `h` steps; `season` adjusts for seasonality when the series has two full seasons.
pub(crate) fn theta(y: &[f64], season: Option<usize>, h: usize) -> Path {
    let n = y.len();
    let seasonal = Seasonal::new(y, season);
    let z: Vec<f64> = y
        .iter()
        .enumerate()
        .map(|(i, &v)| seasonal.remove(i, v))
        .collect();
    let slope = ols_slope(&z);
    let (alpha, level, sd) = best_ses(&z);
    let mut p = Path {
        point: vec![],
        lower: vec![],
        upper: vec![],
    };
    let tail = (1.0 - (1.0 - alpha).powi(n as i32)) / alpha;
    for k in 1..=h {
        let f = level + 0.5 * slope * ((k - 1) as f64 + tail);
        let w = Z80 * sd * (1.0 + (k - 1) as f64 * alpha * alpha).sqrt();
        let i = n + k - 1;
        p.point.push(seasonal.restore(i, f));
        p.lower.push(seasonal.restore(i, f - w));
        p.upper.push(seasonal.restore(i, f + w));
    }
    p
}

/// Seasonal indices to take out of a series and put back on its forecast (none without a season).
struct Seasonal {
    indices: Vec<f64>,
    multiplicative: bool,
}

impl Seasonal {
    fn new(y: &[f64], season: Option<usize>) -> Self {
        let multiplicative = y.iter().all(|&v| v > 0.0);
        let indices = match season.filter(|&s| s >= 2 && y.len() >= 2 * s) {
            Some(s) => seasonal_indices(y, s, multiplicative),
            None => Vec::new(),
        };
        Seasonal {
            indices,
            multiplicative,
        }
    }

    fn remove(&self, i: usize, v: f64) -> f64 {
        match self.indices.get(i % self.indices.len().max(1)) {
            Some(ix) if self.multiplicative => v / ix,
            Some(ix) => v - ix,
            None => v,
        }
    }

    fn restore(&self, i: usize, v: f64) -> f64 {
        match self.indices.get(i % self.indices.len().max(1)) {
            Some(ix) if self.multiplicative => v * ix,
            Some(ix) => v + ix,
            None => v,
        }
    }
}

/// Seasonal indices (ratio or difference to a centred moving average), normalised.
fn seasonal_indices(y: &[f64], s: usize, multiplicative: bool) -> Vec<f64> {
    let n = y.len();
    let (mut sum, mut cnt) = (vec![0.0; s], vec![0usize; s]);
    let half = s / 2;
    for i in half..n.saturating_sub(half) {
        // A 2 x s moving average when s is even, a plain s-term one when it is odd.
        let ma = if s.is_multiple_of(2) {
            let w = &y[i - half..=i + half];
            (w[1..s].iter().sum::<f64>() + 0.5 * (w[0] + w[s])) / s as f64
        } else {
            y[i - half..=i + half].iter().sum::<f64>() / s as f64
        };
        sum[i % s] += if multiplicative { y[i] / ma } else { y[i] - ma };
        cnt[i % s] += 1;
    }
    let raw: Vec<f64> = sum
        .iter()
        .zip(&cnt)
        .map(|(a, &c)| if c > 0 { a / c as f64 } else { 0.0 })
        .collect();
    let mean = raw.iter().sum::<f64>() / s as f64;
    if multiplicative {
        raw.iter()
            .map(|r| {
                if mean > 0.0 && *r > 0.0 {
                    r / mean
                } else {
                    1.0
                }
            })
            .collect()
    } else {
        raw.iter().map(|r| r - mean).collect()
    }
}

fn ols_slope(z: &[f64]) -> f64 {
    let n = z.len() as f64;
    let tm = (n - 1.0) / 2.0;
    let zm = z.iter().sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (t, v) in z.iter().enumerate() {
        num += (t as f64 - tm) * (v - zm);
        den += (t as f64 - tm).powi(2);
    }
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// The smoothing weight (grid 0.05..=1.0) with the least one-step squared error: (alpha, final level, error sd).
fn best_ses(z: &[f64]) -> (f64, f64, f64) {
    let mut best = (1.0, z[z.len() - 1], f64::INFINITY);
    for k in 1..=20 {
        let a = k as f64 * 0.05;
        let mut level = z[0];
        let mut sse = 0.0;
        for v in &z[1..] {
            sse += (v - level).powi(2);
            level += a * (v - level);
        }
        if sse < best.2 {
            best = (a, level, sse);
        }
    }
    let sd = (best.2 / (z.len() - 1).max(1) as f64).sqrt();
    (best.0, best.1, sd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_line_is_extended_with_half_its_slope_added_to_the_level() {
        let y: Vec<f64> = (0..30).map(|i| 10.0 + 2.0 * i as f64).collect();
        let p = theta(&y, None, 3);
        // SES with alpha = 1 sits on the last value; theta adds half the slope per step (plus half at step 1).
        assert!((p.point[0] - (68.0 + 1.0)).abs() < 1e-9, "{:?}", p.point);
        assert!((p.point[2] - (68.0 + 3.0)).abs() < 1e-9, "{:?}", p.point);
    }

    #[test]
    fn multiplicative_seasonality_is_put_back_on_the_forecast() {
        let pattern = [0.8, 1.0, 1.2, 1.0];
        let y: Vec<f64> = (0..40).map(|i| 100.0 * pattern[i % 4]).collect();
        let p = theta(&y, Some(4), 4);
        for (i, v) in p.point.iter().enumerate() {
            assert!((v - 100.0 * pattern[i % 4]).abs() < 1.0, "{:?}", p.point);
        }
    }
}
