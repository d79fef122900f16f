//! A rep's forecast distribution: Monte Carlo samples, or P10/P50/P90.

use serde::{Deserialize, Serialize};

/// z of the 90th percentile of a standard normal.
const Z90: f64 = 1.281_551_565_545;

/// What a rep is forecast to book, in the company's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepDistribution {
    /// Simulated amounts (e.g. the rep's column of the forecast's Monte Carlo), not empty.
    Samples(Vec<f64>),
    /// Quantiles, p10 <= p50 <= p90, read as a two-piece normal with median p50 and the sides'
    /// spreads set by p10 and p90 (cut at 0: amounts are never negative).
    Quantiles { p10: f64, p50: f64, p90: f64 },
}

impl RepDistribution {
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            RepDistribution::Samples(s) if s.is_empty() => Err("forecast samples are empty".into()),
            RepDistribution::Samples(s) if s.iter().any(|v| !v.is_finite() || *v < 0.0) => {
                Err("forecast samples must be finite amounts, 0 or more".into())
            }
            RepDistribution::Quantiles { p10, p50, p90 }
                if !(p10.is_finite() && p90.is_finite() && 0.0 <= *p10 && p10 <= p50 && p50 <= p90) =>
            {
                Err(format!("forecast quantiles must satisfy 0 <= p10 <= p50 <= p90, got {p10}, {p50}, {p90}"))
            }
            _ => Ok(()),
        }
    }

    /// P(booking >= q), 0..=1.
    pub fn p_at_least(&self, q: f64) -> f64 {
        if q <= 0.0 {
            return 1.0;
        }
        match self {
            RepDistribution::Samples(s) => {
                s.iter().filter(|&&v| v >= q).count() as f64 / s.len() as f64
            }
            RepDistribution::Quantiles { p10, p50, p90 } => {
                let sd = if q >= *p50 {
                    (p90 - p50) / Z90
                } else {
                    (p50 - p10) / Z90
                };
                if sd <= 0.0 {
                    return if q <= *p50 { 1.0 } else { 0.0 };
                }
                1.0 - normal_cdf((q - p50) / sd)
            }
        }
    }

    /// The mean, in the company's currency (for quantiles: of the two-piece normal, ignoring the cut at 0).
    pub fn mean(&self) -> f64 {
        match self {
            RepDistribution::Samples(s) => s.iter().sum::<f64>() / s.len() as f64,
            RepDistribution::Quantiles { p10, p50, p90 } => {
                // Each half-normal side contributes sd * sqrt(2/pi) / 2 around the median.
                let (lo, hi) = ((p50 - p10) / Z90, (p90 - p50) / Z90);
                p50 + (hi - lo) * (2.0 / std::f64::consts::PI).sqrt() / 2.0
            }
        }
    }
}

impl From<crate::forecast::Quantiles> for RepDistribution {
    /// A group's forecast quantiles (e.g. a rep's, from a forecast grouped by owner).
    fn from(q: crate::forecast::Quantiles) -> Self {
        RepDistribution::Quantiles {
            p10: q.p10,
            p50: q.p50,
            p90: q.p90,
        }
    }
}

/// Standard normal CDF, via the complementary error function (Abramowitz & Stegun 7.1.26,
/// absolute error below 1.5e-7).
pub(crate) fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    if z >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(Z90) - 0.9).abs() < 1e-6);
        assert!((normal_cdf(-1.959_964) - 0.025).abs() < 1e-6);
    }

    #[test]
    fn quantiles_reproduce_their_own_p10_p50_p90() {
        let d = RepDistribution::Quantiles {
            p10: 60.0,
            p50: 100.0,
            p90: 180.0,
        };
        assert!((d.p_at_least(60.0) - 0.9).abs() < 1e-6);
        assert!((d.p_at_least(100.0) - 0.5).abs() < 1e-6);
        assert!((d.p_at_least(180.0) - 0.1).abs() < 1e-6);
        assert!(d.mean() > 100.0, "right-skewed: mean above median");
    }

    #[test]
    fn samples_count_the_share_at_or_above() {
        let d = RepDistribution::Samples(vec![0.0, 10.0, 20.0, 30.0]);
        assert_eq!(d.p_at_least(10.0), 0.75);
        assert_eq!(d.p_at_least(0.0), 1.0);
        assert_eq!(d.mean(), 15.0);
        assert!(RepDistribution::Samples(vec![]).check().is_err());
        assert!(RepDistribution::Quantiles {
            p10: 5.0,
            p50: 4.0,
            p90: 9.0
        }
        .check()
        .is_err());
    }
}
