//! The innovations state-space recursion of the non-seasonal ETS forms (Hyndman, Koehler, Ord &
//! Snyder, "Forecasting with Exponential Smoothing", 2008, ch. 2 and 6), their likelihood, and
//! their forecasts with the 80% interval.
//!
//! Level `l`, slope `b`, damping `phi` (1 for an undamped trend), one-step forecast
//! `q = l + phi * b`. With either error type the states move the same way once `y` is seen:
//! `l' = q + alpha (y - q)` and `b' = phi b + (beta / alpha) (l' - l - phi b)` (the `forecast`
//! R package's form; `beta` is the slope's own smoothing, not multiplied by `alpha`). The error
//! is `y - q` (additive) or `(y - q) / q` (multiplicative), and minus twice the log-likelihood
//! is, up to a constant, `n ln(sum e^2)` plus `2 sum ln|q|` for multiplicative errors only.

use super::series_path::{Path, Z80};

/// One non-seasonal form: error type, whether it has a (possibly damped) additive trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Form {
    pub multiplicative: bool,
    pub trend: bool,
    pub damped: bool,
}

/// The smoothing parameters: `alpha` (level), `beta` (slope; 0 without a trend) and `phi`
/// (damping; exactly 1 for an undamped or absent trend).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Smoothing {
    pub alpha: f64,
    pub beta: f64,
    pub phi: f64,
}

/// What a pass over the data leaves: the sum of squared errors, the sum of `ln|q|` (only summed
/// for multiplicative errors) and the last level and slope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pass {
    pub sse: f64,
    pub sum_ln_q: f64,
    pub level: f64,
    pub slope: f64,
}

impl Form {
    /// Level, plus the slope for a trend form.
    pub fn n_states(self) -> usize {
        1 + usize::from(self.trend)
    }

    /// One pass of the recursion over `y` from the initial level `l0` and slope `b0` (ignored
    /// without a trend). Allocates nothing; computes a logarithm per point only for
    /// multiplicative errors, where the likelihood needs it.
    pub fn pass(self, y: &[f64], s: Smoothing, l0: f64, b0: f64) -> Pass {
        super::series_ets_recursion::pass(self, y, s, l0, b0)
    }

    /// Minus twice the log-likelihood (up to a constant) of a pass over `n` values.
    pub fn neg2_loglik(self, p: &Pass, n: usize) -> f64 {
        let sse = if p.sse > 0.0 { p.sse } else { p.sse + 1e-8 };
        let lik = n as f64 * sse.ln();
        if self.multiplicative {
            lik + 2.0 * p.sum_ln_q
        } else {
            lik
        }
    }

    /// The point forecasts 1..=h ahead from the last states. The damped slope's multiplier
    /// for step `k` is `phi + phi + phi^2 + ... + phi^(k-1)`, as in the reference implementation
    /// (augurs 0.10.3) the engine's accuracy figures were measured with; the textbook's is
    /// `phi + phi^2 + ... + phi^k` (the same for an undamped trend, `k`).
    pub fn points(self, s: Smoothing, level: f64, slope: f64, h: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(h);
        let mut multiplier = s.phi;
        let mut power = 1.0;
        for _ in 0..h {
            out.push(if self.trend {
                level + multiplier * slope
            } else {
                level
            });
            power *= s.phi;
            multiplier += power;
        }
        out
    }

    /// The points with their 80% interval, from the one-step error variance `sigma2` (of the
    /// relative errors for a multiplicative form): the analytic variances of classes 1 and 2
    /// (Hyndman et al. 2008, ch. 6), normal quantiles around the points.
    pub fn path(self, s: Smoothing, level: f64, slope: f64, sigma2: f64, h: usize) -> Path {
        let point = self.points(s, level, slope, h);
        let sd = if self.multiplicative {
            class2_sd(&point, &self.c_values(s, h), sigma2)
        } else {
            (1..=h)
                .map(|k| self.class1_var(s, k, sigma2).sqrt())
                .collect()
        };
        Path {
            lower: point.iter().zip(&sd).map(|(p, d)| p - Z80 * d).collect(),
            upper: point.iter().zip(&sd).map(|(p, d)| p + Z80 * d).collect(),
            point,
        }
    }

    /// Variance of the `k`-step error of an additive-error form.
    fn class1_var(self, s: Smoothing, k: usize, sigma2: f64) -> f64 {
        let Smoothing { alpha, beta, phi } = s;
        let k = k as f64;
        let factor = match (self.trend, self.damped) {
            (false, _) => 1.0 + (k - 1.0) * alpha * alpha,
            (true, false) => {
                let c = alpha * alpha + alpha * beta * k + beta * beta * k * (2.0 * k - 1.0) / 6.0;
                1.0 + (k - 1.0) * c
            }
            (true, true) => {
                let phi_k = phi.powi(k as i32);
                let one_m = 1.0 - phi;
                let a = beta * phi * k / (one_m * one_m) * (2.0 * alpha * one_m + beta * phi);
                let b = beta * phi * (1.0 - phi_k) / (one_m * one_m * (1.0 - phi * phi))
                    * (2.0 * alpha * (1.0 - phi * phi) + beta * phi * (1.0 + 2.0 * phi - phi_k));
                1.0 + alpha * alpha * (k - 1.0) + a - b
            }
        };
        factor * sigma2
    }

    /// `c_j = alpha + beta (phi + ... + phi^j)` for j = 1..=h (`beta = 0` without a trend).
    fn c_values(self, s: Smoothing, h: usize) -> Vec<f64> {
        let mut sum = 0.0;
        let mut power = 1.0;
        (0..h)
            .map(|_| {
                power *= s.phi;
                sum += power;
                s.alpha + s.beta * sum
            })
            .collect()
    }
}

/// Class 2 (multiplicative error, additive or no trend): `theta_1 = mu_1^2`,
/// `theta_k = mu_k^2 + sigma2 sum_{j<k} c_j^2 theta_{k-j}`, variance `(1 + sigma2) theta_k - mu_k^2`.
fn class2_sd(mu: &[f64], c: &[f64], sigma2: f64) -> Vec<f64> {
    let mut theta: Vec<f64> = Vec::with_capacity(mu.len());
    for m in mu {
        let past: f64 = theta.iter().rev().zip(c).map(|(t, c)| c * c * t).sum();
        theta.push(m * m + past * sigma2);
    }
    theta
        .iter()
        .zip(mu)
        .map(|(t, m)| ((1.0 + sigma2) * t - m * m).sqrt())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AAN: Form = Form {
        multiplicative: false,
        trend: true,
        damped: false,
    };

    #[test]
    fn with_alpha_one_and_no_trend_the_forecast_is_the_last_value() {
        let y = [3.0, 5.0, 4.0, 8.0];
        let form = Form {
            multiplicative: false,
            trend: false,
            damped: false,
        };
        let s = Smoothing {
            alpha: 1.0,
            beta: 0.0,
            phi: 1.0,
        };
        let p = form.pass(&y, s, 3.0, 0.0);
        assert_eq!(p.level, 8.0);
        // Errors 0, 2, -1, 4.
        assert_eq!(p.sse, 21.0);
        assert_eq!(form.neg2_loglik(&p, 4), 4.0 * 21f64.ln());
    }

    #[test]
    fn a_straight_line_is_followed_exactly_and_forecast_on() {
        let y: Vec<f64> = (1..=20).map(|t| 10.0 + 2.0 * t as f64).collect();
        let s = Smoothing {
            alpha: 0.3,
            beta: 0.1,
            phi: 1.0,
        };
        let p = AAN.pass(&y, s, 10.0, 2.0);
        assert!(p.sse < 1e-20);
        let f = AAN.points(s, p.level, p.slope, 3);
        for (k, v) in f.iter().enumerate() {
            assert!((v - (50.0 + 2.0 * (k + 1) as f64)).abs() < 1e-9);
        }
    }

    #[test]
    fn multiplicative_errors_add_the_log_forecasts_to_the_likelihood() {
        let y = [10.0, 12.0, 11.0, 13.0, 12.5];
        let s = Smoothing {
            alpha: 0.5,
            beta: 0.0,
            phi: 1.0,
        };
        let add = Form {
            multiplicative: false,
            trend: false,
            damped: false,
        };
        let mul = Form {
            multiplicative: true,
            ..add
        };
        let (pa, pm) = (add.pass(&y, s, 10.0, 0.0), mul.pass(&y, s, 10.0, 0.0));
        // The same states; the relative errors and the log forecasts by hand.
        assert_eq!(pa.level, pm.level);
        let (mut l, mut sse, mut logs) = (10.0f64, 0.0, 0.0);
        for v in y {
            sse += ((v - l) / l).powi(2);
            logs += l.ln();
            l += 0.5 * (v - l);
        }
        assert!((pm.sse - sse).abs() < 1e-15);
        let want = 5.0 * sse.ln() + 2.0 * logs;
        assert!((mul.neg2_loglik(&pm, 5) - want).abs() < 1e-12);
    }

    #[test]
    fn intervals_widen_with_the_horizon_and_contain_the_points() {
        for (multiplicative, trend, damped) in [
            (false, false, false),
            (false, true, false),
            (false, true, true),
            (true, false, false),
            (true, true, false),
            (true, true, true),
        ] {
            let form = Form {
                multiplicative,
                trend,
                damped,
            };
            let s = Smoothing {
                alpha: 0.4,
                beta: if trend { 0.05 } else { 0.0 },
                phi: if damped { 0.9 } else { 1.0 },
            };
            let sigma2 = if multiplicative { 0.01 } else { 4.0 };
            let p = form.path(s, 100.0, 1.0, sigma2, 8);
            let widths: Vec<f64> = p.upper.iter().zip(&p.lower).map(|(u, l)| u - l).collect();
            assert!(widths.windows(2).all(|w| w[1] > w[0]), "{form:?}");
            // One step ahead: z * sigma (of the level for a multiplicative form).
            let sd1 = if multiplicative {
                p.point[0] * sigma2.sqrt()
            } else {
                sigma2.sqrt()
            };
            assert!(
                (widths[0] - 2.0 * Z80 * sd1).abs() < 1e-9 * widths[0],
                "{form:?}"
            );
        }
    }
}
