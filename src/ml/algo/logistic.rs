//! Logistic regression through linfa-logistic.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::ml::encoder::Matrix;
use crate::ml::error::{MlError, Result};

/// L2 penalty (linfa's `alpha`, on the summed log loss) and iteration cap.
#[derive(Debug, Clone, Copy)]
pub struct LogisticParams {
    pub alpha: f64,
    pub max_iterations: u64,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            alpha: 1.0,
            max_iterations: 200,
        }
    }
}

/// A fitted linear model: log-odds of the POSITIVE class = intercept + coef . x.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub intercept: f64,
    pub coef: Vec<f64>,
}

impl LinearModel {
    #[inline]
    pub fn logit(&self, x: &[f64]) -> f64 {
        self.intercept + self.coef.iter().zip(x).map(|(c, v)| c * v).sum::<f64>()
    }
}

pub fn fit(params: LogisticParams, x: &Matrix, y: &[bool]) -> Result<LinearModel> {
    let err = |reason: String| MlError::Fit {
        algorithm: "logistic".into(),
        reason,
    };
    let records =
        Array2::from_shape_vec((x.rows, x.cols), x.data.clone()).map_err(|e| err(e.to_string()))?;
    let data = Dataset::new(records, Array1::from_vec(y.to_vec()));
    let fitted = LogisticRegression::default()
        .alpha(params.alpha)
        .max_iterations(params.max_iterations)
        .fit(&data)
        .map_err(|e| err(e.to_string()))?;
    // linfa models the log-odds of the class it calls `pos`, which is the class more common in
    // training, not necessarily `true`: flip the signs when `pos` is `false`.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    Ok(LinearModel {
        intercept: sign * fitted.intercept(),
        coef: fitted.params().iter().map(|c| sign * c).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa_logistic::LogisticRegression;

    /// One feature; `true` is rare or common depending on `pos_share` (with 10% of labels flipped);
    /// true rises with x.
    fn data(pos_share: f64) -> (Matrix, Vec<bool>) {
        let n = 400;
        let xs: Vec<f64> = (0..n).map(|i| (i as f64 / n as f64) * 4.0 - 2.0).collect();
        let cut = (n as f64 * (1.0 - pos_share)) as usize;
        // Overlapping classes so the fit is finite.
        let y: Vec<bool> = (0..n)
            .map(|i| if i % 10 == 0 { i < cut } else { i >= cut })
            .collect();
        (
            Matrix {
                rows: n,
                cols: 1,
                data: xs,
            },
            y,
        )
    }

    #[test]
    fn probability_is_of_the_positive_class_whichever_class_is_more_common() {
        for share in [0.2, 0.8] {
            let (x, y) = data(share);
            let m = fit(LogisticParams::default(), &x, &y).unwrap();
            assert!(m.coef[0] > 0.0, "true rises with x (share {share})");
            let p_mean: f64 = (0..x.rows)
                .map(|i| 1.0 / (1.0 + (-m.logit(x.row(i))).exp()))
                .sum::<f64>()
                / x.rows as f64;
            let observed = y.iter().filter(|&&v| v).count() as f64 / y.len() as f64;
            assert!(
                (p_mean - observed).abs() < 0.02,
                "mean P(true) {p_mean} vs observed {observed}"
            );
            // The trap itself: linfa's own probabilities are of its `pos` class.
            let records = Array2::from_shape_vec((x.rows, 1), x.data.clone()).unwrap();
            let raw = LogisticRegression::default()
                .fit(&Dataset::new(records.clone(), Array1::from_vec(y.clone())))
                .unwrap();
            let linfa_p = raw.predict_probabilities(&records)[0];
            let ours = 1.0 / (1.0 + (-m.logit(x.row(0))).exp());
            let expected = if raw.labels().pos.class {
                ours
            } else {
                1.0 - ours
            };
            assert!((linfa_p - expected).abs() < 0.02, "{linfa_p} vs {expected}");
        }
    }
}
