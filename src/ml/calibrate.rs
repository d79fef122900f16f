//! Calibration: a monotone map from raw model probabilities to honest ones, fitted on the
//! calibration slice (rows the model did not train on).

use serde::{Deserialize, Serialize};

use super::algo::sigmoid;
use super::spec::CalibrationMethod;

/// Calibrated probabilities are kept inside [EPS, 1 - EPS], so that log loss stays finite.
pub const EPS: f64 = 1e-3;

/// A fitted calibration map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Calibrator {
    /// p = sigmoid(a * logit(raw) + b).
    Platt { a: f64, b: f64 },
    /// Piecewise linear through the pooled blocks: `x` (mean raw probability of each block,
    /// increasing) and `y` (its positive rate, non-decreasing); flat outside.
    Isotonic { x: Vec<f64>, y: Vec<f64> },
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

impl Calibrator {
    /// Fits the method on raw probabilities and outcomes. Needs at least one row.
    pub fn fit(method: CalibrationMethod, raw: &[f64], y: &[bool]) -> Calibrator {
        match method {
            CalibrationMethod::Platt => fit_platt(raw, y),
            CalibrationMethod::Isotonic => fit_isotonic(raw, y),
        }
    }

    /// The calibrated probability, in [EPS, 1 - EPS].
    #[inline]
    pub fn apply(&self, raw: f64) -> f64 {
        let p = match self {
            Calibrator::Platt { a, b } => sigmoid(a * logit(raw) + b),
            Calibrator::Isotonic { x, y } => interpolate(x, y, raw),
        };
        p.clamp(EPS, 1.0 - EPS)
    }

    pub fn method(&self) -> CalibrationMethod {
        match self {
            Calibrator::Platt { .. } => CalibrationMethod::Platt,
            Calibrator::Isotonic { .. } => CalibrationMethod::Isotonic,
        }
    }
}

/// Newton's method with step halving on the log loss of sigmoid(a * logit(raw) + b), with
/// Platt's smoothed targets so that separable data gives finite parameters.
fn fit_platt(raw: &[f64], y: &[bool]) -> Calibrator {
    let z: Vec<f64> = raw.iter().map(|&p| logit(p)).collect();
    let pos = y.iter().filter(|&&v| v).count() as f64;
    let neg = y.len() as f64 - pos;
    let (hi, lo) = ((pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0));
    let t: Vec<f64> = y.iter().map(|&v| if v { hi } else { lo }).collect();
    let (mut a, mut b) = (1.0, 0.0);
    let mut loss = platt_loss(&z, &t, a, b);
    for _ in 0..100 {
        let (da, db) = newton_step(&z, &t, a, b);
        let mut step = 1.0;
        while step > 1e-6 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = platt_loss(&z, &t, na, nb);
            if l <= loss {
                (a, b, loss) = (na, nb, l);
                break;
            }
            step /= 2.0;
        }
        if step <= 1e-6 || (da.abs() + db.abs()) * step < 1e-10 {
            break;
        }
    }
    Calibrator::Platt { a, b }
}

fn platt_loss(z: &[f64], t: &[f64], a: f64, b: f64) -> f64 {
    z.iter()
        .zip(t)
        .map(|(zi, ti)| {
            let p = sigmoid(a * zi + b).clamp(1e-15, 1.0 - 1e-15);
            -(ti * p.ln() + (1.0 - ti) * (1.0 - p).ln())
        })
        .sum()
}

/// The Newton direction (H^-1 g) for (a, b).
fn newton_step(z: &[f64], t: &[f64], a: f64, b: f64) -> (f64, f64) {
    let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
    for (zi, ti) in z.iter().zip(t) {
        let p = sigmoid(a * zi + b);
        let (d, w) = (p - ti, p * (1.0 - p));
        ga += d * zi;
        gb += d;
        haa += w * zi * zi;
        hab += w * zi;
        hbb += w;
    }
    let det = haa * hbb - hab * hab;
    if det.abs() < 1e-12 {
        return (0.0, 0.0);
    }
    ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det)
}

/// Pool adjacent violators over the rows sorted by raw probability.
fn fit_isotonic(raw: &[f64], y: &[bool]) -> Calibrator {
    let mut idx: Vec<usize> = (0..raw.len()).collect();
    idx.sort_by(|&i, &j| raw[i].total_cmp(&raw[j]));
    // Blocks of (sum raw, sum y, count), merged while a block's rate is below the one before.
    let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
    for i in idx {
        blocks.push((raw[i], f64::from(u8::from(y[i])), 1.0));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.1 / a.2 < b.1 / b.2 {
                break;
            }
            blocks.pop();
            let last = blocks.last_mut().expect("two blocks");
            *last = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    Calibrator::Isotonic {
        x: blocks.iter().map(|b| b.0 / b.2).collect(),
        y: blocks.iter().map(|b| b.1 / b.2).collect(),
    }
}

fn interpolate(x: &[f64], y: &[f64], v: f64) -> f64 {
    if x.is_empty() {
        return v;
    }
    let k = x.partition_point(|&a| a < v);
    if k == 0 {
        return y[0];
    }
    if k == x.len() {
        return y[x.len() - 1];
    }
    let (x0, x1, y0, y1) = (x[k - 1], x[k], y[k - 1], y[k]);
    if x1 - x0 < 1e-15 {
        y1
    } else {
        y0 + (y1 - y0) * (v - x0) / (x1 - x0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::metrics::log_loss;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Outcomes drawn from true probabilities; the raw scores are overconfident distortions.
    fn miscalibrated(n: usize, seed: u64) -> (Vec<f64>, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut raw = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let z: f64 = rng.gen_range(-2.0..2.0);
            y.push(rng.gen::<f64>() < sigmoid(z));
            raw.push(sigmoid(3.0 * z + 1.0));
        }
        (raw, y)
    }

    #[test]
    fn both_methods_improve_log_loss_on_fresh_rows() {
        let (raw, y) = miscalibrated(3000, 1);
        let (raw_v, y_v) = miscalibrated(3000, 2);
        let before = log_loss(
            &raw_v
                .iter()
                .map(|p| p.clamp(EPS, 1.0 - EPS))
                .collect::<Vec<_>>(),
            &y_v,
        );
        for m in [CalibrationMethod::Platt, CalibrationMethod::Isotonic] {
            let c = Calibrator::fit(m, &raw, &y);
            let after = log_loss(&raw_v.iter().map(|&p| c.apply(p)).collect::<Vec<_>>(), &y_v);
            assert!(after < before - 0.02, "{m:?}: {after} vs {before}");
        }
        // Platt recovers the distortion: a = 1/3, b = -1/3.
        let Calibrator::Platt { a, b } = Calibrator::fit(CalibrationMethod::Platt, &raw, &y) else {
            unreachable!()
        };
        assert!(
            (a - 1.0 / 3.0).abs() < 0.05 && (b + 1.0 / 3.0).abs() < 0.1,
            "a {a} b {b}"
        );
    }

    #[test]
    fn isotonic_is_monotone_and_pools_violators() {
        let (raw, y) = miscalibrated(2000, 3);
        let c = Calibrator::fit(CalibrationMethod::Isotonic, &raw, &y);
        let mut last = 0.0;
        for i in 0..=1000 {
            let p = c.apply(i as f64 / 1000.0);
            assert!(p >= last - 1e-12, "not monotone at {i}");
            last = p;
        }
        let c = fit_isotonic(&[0.1, 0.2, 0.3, 0.4], &[false, true, false, true]);
        assert_eq!(
            c,
            Calibrator::Isotonic {
                x: vec![0.1, 0.25, 0.4],
                y: vec![0.0, 0.5, 1.0]
            }
        );
    }
}
