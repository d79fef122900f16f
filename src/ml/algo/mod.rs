//! The candidate algorithms behind one pair of traits: a [`Learner`] fits on encoded rows and
//! returns a [`Classifier`] that gives probabilities and explains them. Serving code only sees
//! [`FittedModel`]; the libraries (linfa, smartcore) and our booster stay inside the adapters.

pub mod boosting;
pub mod flat;
pub mod forest;
pub mod logistic;
pub mod tree;

use serde::{Deserialize, Serialize};

use super::encoder::Matrix;
use super::error::Result;
use super::spec::Algorithm;
use boosting::BoostingParams;
use flat::ServedEnsemble;
use forest::ForestParams;
use logistic::{LinearModel, LogisticParams};

/// The unit explanation contributions are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Log-odds of the positive class (logistic regression, boosting).
    LogOdds,
    /// Probability of the positive class, 0..=1 (forest).
    Probability,
}

/// A fitted model on encoded rows.
pub trait Classifier {
    /// P(positive) before calibration, 0..=1.
    fn raw_proba(&self, x: &[f64]) -> f64;
    /// Adds each encoded column's contribution (in [`Classifier::unit`]) to `out` and returns the
    /// bias, so that bias + sum(out) is the model's output (log-odds or probability) for `x`.
    fn contributions(&self, x: &[f64], out: &mut [f64]) -> f64;
    fn unit(&self) -> Unit;

    /// [`Classifier::raw_proba`], adding to `out` what [`Classifier::contributions`] adds (the
    /// bias is not returned): for models that find both in one pass.
    fn raw_proba_explained(&self, x: &[f64], out: &mut [f64]) -> f64 {
        self.contributions(x, out);
        self.raw_proba(x)
    }
}

/// Fits a [`FittedModel`] on encoded rows; deterministic for a seed.
pub trait Learner {
    fn algorithm(&self) -> Algorithm;
    fn fit(&self, x: &Matrix, y: &[bool], seed: u64) -> Result<FittedModel>;
}

/// Hyperparameters of one candidate.
#[derive(Debug, Clone, Copy)]
pub enum Params {
    Logistic(LogisticParams),
    Forest(ForestParams),
    Boosting(BoostingParams),
}

impl Params {
    /// The default size of each algorithm (see each params type).
    pub fn default_for(a: Algorithm) -> Params {
        match a {
            Algorithm::Logistic => Params::Logistic(LogisticParams::default()),
            Algorithm::RandomForest => Params::Forest(ForestParams::default()),
            Algorithm::BoostedTrees => Params::Boosting(BoostingParams::default()),
        }
    }
}

impl Learner for Params {
    fn algorithm(&self) -> Algorithm {
        match self {
            Params::Logistic(_) => Algorithm::Logistic,
            Params::Forest(_) => Algorithm::RandomForest,
            Params::Boosting(_) => Algorithm::BoostedTrees,
        }
    }

    fn fit(&self, x: &Matrix, y: &[bool], seed: u64) -> Result<FittedModel> {
        Ok(match *self {
            Params::Logistic(p) => {
                let center = column_means(x);
                FittedModel::Linear {
                    model: logistic::fit(p, x, y)?,
                    center,
                }
            }
            Params::Forest(p) => FittedModel::Trees {
                ensemble: forest::fit(p, x, y, seed)?.try_into()?,
                unit: Unit::Probability,
            },
            Params::Boosting(p) => FittedModel::Trees {
                ensemble: boosting::fit(p, x, y, seed)?.try_into()?,
                unit: Unit::LogOdds,
            },
        })
    }
}

fn column_means(x: &Matrix) -> Vec<f64> {
    let mut m = vec![0.0; x.cols];
    for r in 0..x.rows {
        for (a, v) in m.iter_mut().zip(x.row(r)) {
            *a += v;
        }
    }
    m.iter().map(|s| s / x.rows.max(1) as f64).collect()
}

/// A fitted candidate, serialisable into the artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FittedModel {
    /// Logistic regression; explanations are measured from `center`, the training mean of each
    /// encoded column (the average record).
    Linear {
        model: LinearModel,
        center: Vec<f64>,
    },
    /// A forest (probability average) or boosting (log-odds sum).
    Trees {
        ensemble: ServedEnsemble,
        unit: Unit,
    },
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Classifier for FittedModel {
    #[inline]
    fn raw_proba(&self, x: &[f64]) -> f64 {
        match self {
            FittedModel::Linear { model, .. } => sigmoid(model.logit(x)),
            FittedModel::Trees { ensemble, unit } => trees_proba(*unit, ensemble.output(x)),
        }
    }

    // The trees' paths are walked once for both (a tenth of `revcast score`'s instructions).
    fn raw_proba_explained(&self, x: &[f64], out: &mut [f64]) -> f64 {
        match self {
            FittedModel::Trees { ensemble, unit } => {
                trees_proba(*unit, ensemble.output_attributed(x, out))
            }
            FittedModel::Linear { .. } => {
                self.contributions(x, out);
                self.raw_proba(x)
            }
        }
    }

    fn contributions(&self, x: &[f64], out: &mut [f64]) -> f64 {
        match self {
            FittedModel::Linear { model, center } => {
                let mut bias = model.intercept;
                for (j, o) in out.iter_mut().enumerate() {
                    *o += model.coef[j] * (x[j] - center[j]);
                    bias += model.coef[j] * center[j];
                }
                bias
            }
            FittedModel::Trees { ensemble, .. } => ensemble.attribute(x, out),
        }
    }

    fn unit(&self) -> Unit {
        match self {
            FittedModel::Linear { .. } => Unit::LogOdds,
            FittedModel::Trees { unit, .. } => *unit,
        }
    }
}

/// An ensemble's output as a probability: log-odds through the sigmoid, a rate clamped.
fn trees_proba(unit: Unit, output: f64) -> f64 {
    match unit {
        Unit::LogOdds => sigmoid(output),
        Unit::Probability => output.clamp(0.0, 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributions_add_up_to_each_models_output() {
        let n = 400;
        let data: Vec<f64> = (0..n * 3)
            .map(|i| ((i * 31) % 97) as f64 / 20.0 - 2.0)
            .collect();
        let x = Matrix {
            rows: n,
            cols: 3,
            data,
        };
        let y: Vec<bool> = (0..n)
            .map(|i| x.row(i)[0] - x.row(i)[2] > 0.0 || i % 9 == 0)
            .collect();
        for alg in [
            Algorithm::Logistic,
            Algorithm::RandomForest,
            Algorithm::BoostedTrees,
        ] {
            let m = Params::default_for(alg).fit(&x, &y, 1).unwrap();
            for i in (0..n).step_by(37) {
                let mut c = vec![0.0; 3];
                let bias = m.contributions(x.row(i), &mut c);
                let mut once = vec![0.0; 3];
                let p = m.raw_proba_explained(x.row(i), &mut once);
                assert_eq!(
                    p.to_bits(),
                    m.raw_proba(x.row(i)).to_bits(),
                    "{alg:?} row {i}"
                );
                assert_eq!(once, c, "{alg:?} row {i}: the one-pass contributions");
                let total = bias + c.iter().sum::<f64>();
                let output = match m.unit() {
                    Unit::LogOdds => {
                        let p = m.raw_proba(x.row(i));
                        (p / (1.0 - p)).ln()
                    }
                    Unit::Probability => m.raw_proba(x.row(i)),
                };
                assert!(
                    (total - output).abs() < 1e-6,
                    "{alg:?} row {i}: {total} vs {output}"
                );
            }
            // The first column drives the label up, the third down.
            let mut c = vec![0.0; 3];
            m.contributions(&[2.0, 0.0, -2.0], &mut c);
            assert!(c[0] > 0.0 && c[2] > 0.0, "{alg:?}: {c:?}");
        }
    }
}
