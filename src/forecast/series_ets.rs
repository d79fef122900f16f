//! Non-seasonal ETS for the series engine: the form (error, trend, damping) with the lowest
//! AICc among the six that augurs' `AutoETS::non_seasonal()` tries, fitted by revcast itself.
//!
//! Why not augurs' fit: its likelihood (`Ets::etscalc_in`) took 91% of the series engine's
//! instructions. It refills a state vector of `n + 1` entries, writes every residual and takes a
//! logarithm of every one-step forecast for every form, though only multiplicative errors need
//! it, about 200 times per fit. Here each form's recursion is its own loop without allocation
//! (`series_ets_form`) under our own bounded Nelder-Mead (`series_nelder_mead`), with augurs'
//! bounds, starting values, simplex and stopping rule, so that the fits are augurs' (tested
//! against it below; benches/RESULTS.md has the counts and the accuracy).

use super::series_ets_form::{Form, Smoothing};
use super::series_ets_recursion::{passes, Start};
use super::series_nelder_mead::{Bounds, Simplex};
use super::series_path::Path;

/// The forms AutoETS's non-seasonal search tries, in its order (error, then trend, then damped
/// before undamped).
const FORMS: [Form; 6] = {
    const fn form(multiplicative: bool, trend: bool, damped: bool) -> Form {
        Form {
            multiplicative,
            trend,
            damped,
        }
    }
    [
        form(false, false, false),
        form(false, true, true),
        form(false, true, false),
        form(true, false, false),
        form(true, true, true),
        form(true, true, false),
    ]
};

/// Bounds of alpha, beta and phi (augurs' and `forecast`'s usual bounds); beta is further kept
/// at or below alpha's starting value.
const ALPHA: (f64, f64) = (0.0001, 0.9999);
const BETA: (f64, f64) = (0.0001, 0.9999);
const PHI: (f64, f64) = (0.8, 0.98);
/// Nelder-Mead's iteration cap (augurs' default).
const MAX_ITER: usize = 2000;

/// An ETS model fitted on a series: its form, parameters, last states, one-step error variance
/// and AICc.
#[derive(Debug, Clone)]
pub(crate) struct FittedEts {
    form: Form,
    smoothing: Smoothing,
    level: f64,
    slope: f64,
    /// Sum of squared errors over `n - parameters - 2` (relative errors for a multiplicative form).
    sigma2: f64,
    aicc: f64,
}

impl FittedEts {
    /// `h` steps ahead with the 80% interval.
    pub fn predict(&self, h: usize) -> Result<Path, String> {
        Ok(self
            .form
            .path(self.smoothing, self.level, self.slope, self.sigma2, h))
    }

    fn aicc(&self) -> f64 {
        self.aicc
    }
}

/// One form's maximum-likelihood fit in progress: Nelder-Mead over alpha (beta, phi) and the
/// initial states, from the usual starting values.
struct FormFit {
    form: Form,
    /// How many of the optimiser's coordinates are smoothing parameters (the rest are states).
    n_opt: usize,
    simplex: Simplex,
}

impl FormFit {
    fn new(form: Form, y: &[f64]) -> Self {
        let alpha0 = ALPHA.0 + 0.2 * (ALPHA.1 - ALPHA.0);
        let beta_hi = BETA.1.min(alpha0);
        let (l0, b0) = form.initial_states(y);
        let mut x0 = vec![alpha0];
        let (mut lower, mut upper) = (vec![ALPHA.0], vec![ALPHA.1]);
        if form.trend {
            x0.push(BETA.0 + 0.1 * (beta_hi - BETA.0));
            lower.push(BETA.0);
            upper.push(beta_hi);
        }
        if form.damped {
            x0.push(PHI.0 + 0.99 * (PHI.1 - PHI.0));
            lower.push(PHI.0);
            upper.push(PHI.1);
        }
        let n_opt = x0.len();
        x0.push(l0);
        if form.trend {
            x0.push(b0);
        }
        lower.resize(x0.len(), f64::NEG_INFINITY);
        upper.resize(x0.len(), f64::INFINITY);
        FormFit {
            form,
            n_opt,
            simplex: Simplex::new(&x0, Bounds { lower, upper }, MAX_ITER),
        }
    }

    /// The pass the optimiser wants next, if it has not stopped.
    fn ask(&self) -> Option<Start> {
        let x = self.simplex.ask()?;
        let (smoothing, level, slope) = self.form.unpack(x, self.n_opt);
        Some(Start {
            form: self.form,
            smoothing,
            level,
            slope,
        })
    }

    /// The fitted model at the best point; `None` when the AICc is not a number.
    fn finish(self, y: &[f64]) -> Option<FittedEts> {
        let (form, n) = (self.form, y.len());
        let (smoothing, l, b) = form.unpack(&self.simplex.best(), self.n_opt);
        let pass = form.pass(y, smoothing, l, b);
        let n_params = form.n_states() + self.n_opt;
        let aic = form.neg2_loglik(&pass, n) + 2.0 * n_params as f64;
        let k = n_params + 1;
        let aicc = match n.checked_sub(k + 1) {
            Some(0) | None => f64::INFINITY,
            Some(d) => aic + 2.0 * (k * (k + 1)) as f64 / d as f64,
        };
        (!aicc.is_nan()).then_some(FittedEts {
            form,
            smoothing,
            level: pass.level,
            slope: pass.slope,
            sigma2: pass.sse / (n as f64 - n_params as f64 - 2.0),
            aicc,
        })
    }
}

/// Fits each of `forms` to `y` by maximum likelihood, in their order. The fits are independent;
/// they are advanced together, one function evaluation (one pass of the recursion) each per
/// round, so that a round's passes run in one loop ([`passes`]): the same fits as one after
/// another, in less time.
fn fit_together(y: &[f64], forms: &[Form]) -> Vec<Option<FittedEts>> {
    let mut fits: Vec<FormFit> = forms.iter().map(|&f| FormFit::new(f, y)).collect();
    let (mut waiting, mut starts) = (Vec::new(), Vec::new());
    loop {
        waiting.clear();
        starts.clear();
        for (i, fit) in fits.iter().enumerate() {
            if let Some(start) = fit.ask() {
                waiting.push(i);
                starts.push(start);
            }
        }
        if starts.is_empty() {
            break;
        }
        for (&i, pass) in waiting.iter().zip(passes(y, &starts)) {
            let fit = &mut fits[i];
            fit.simplex.tell(fit.form.neg2_loglik(&pass, y.len()));
        }
    }
    fits.into_iter().map(|f| f.finish(y)).collect()
}

impl Form {
    /// The smoothing parameters and initial states in a point of the optimiser's space.
    fn unpack(self, x: &[f64], n_opt: usize) -> (Smoothing, f64, f64) {
        let s = Smoothing {
            alpha: x[0],
            beta: if self.trend { x[1] } else { 0.0 },
            phi: if self.damped { x[2] } else { 1.0 },
        };
        let b = if self.trend { x[n_opt + 1] } else { 0.0 };
        (s, x[n_opt], b)
    }

    /// The starting level (and slope): the mean of the first ten values, or the least-squares
    /// line through them (time 1, 2, ...), level at time 0.
    fn initial_states(self, y: &[f64]) -> (f64, f64) {
        let m = y.len().min(10);
        let first = &y[..m];
        let mean = first.iter().sum::<f64>() / m as f64;
        if !self.trend {
            return (mean, 0.0);
        }
        let t_mean = (m as f64 + 1.0) / 2.0;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (i, v) in first.iter().enumerate() {
            let dt = (i + 1) as f64 - t_mean;
            sxy += dt * (v - mean);
            sxx += dt * dt;
        }
        let b = sxy / sxx;
        let l = mean - b * t_mean;
        if (l + b).abs() < 1e-8 {
            (l * (1.0 + 1e-3), b * (1.0 + 1e-3))
        } else {
            (l, b)
        }
    }
}

/// Fits every form to `y` (multiplicative errors only when every value is above 0) and keeps
/// the lowest AICc, the first of equals.
pub(crate) fn fit_ets(y: &[f64]) -> Result<FittedEts, String> {
    fit_forms(y)?
        .into_iter()
        .min_by(|a, b| a.aicc().total_cmp(&b.aicc()))
        .ok_or_else(|| "no model found".into())
}

/// Every form that fits `y`, in [`FORMS`]' order.
fn fit_forms(y: &[f64]) -> Result<Vec<FittedEts>, String> {
    // AutoETS's rule: more than 4 values beyond alpha and the initial level.
    if y.len() <= 6 {
        return Err("not enough data".into());
    }
    let positive = y.iter().fold(f64::INFINITY, |a, &b| a.min(b)) > 0.0;
    let forms: Vec<Form> = FORMS
        .iter()
        .copied()
        .filter(|f| !f.multiplicative || positive)
        .collect();
    Ok(fit_together(y, &forms).into_iter().flatten().collect())
}

/// `h` steps ahead from every form fitted on `y`, averaged with Akaike weights
/// (`exp(-ΔAICc / 2)`, ΔAICc from the lowest; Burnham & Anderson's model averaging): the
/// points and the bounds of the 80% interval alike. Where one form is clearly best it has
/// nearly all the weight and this is [`fit_ets`]'s forecast; where the data cannot tell a
/// damped trend from a straight one, the forecast does not bet on either.
///
/// Measured on the M3 "other" sheet's official hold-outs (`cargo test --release --lib
/// forecast::series_eval::m3 -- --ignored --nocapture`): 4.338 / 1.773 (sMAPE / MASE) against
/// the AICc-best form's 4.345 / 1.801 (statsforecast AutoETS 4.34 / 1.802).
pub(crate) fn ets_averaged(y: &[f64], h: usize) -> Result<Path, String> {
    let fits = fit_forms(y)?;
    let best = fits
        .iter()
        .map(FittedEts::aicc)
        .fold(f64::INFINITY, f64::min);
    let mut sum = Path {
        point: vec![0.0; h],
        lower: vec![0.0; h],
        upper: vec![0.0; h],
    };
    let mut total = 0.0;
    for model in fits {
        let weight = (-0.5 * (model.aicc() - best)).exp();
        let Ok(p) = model.predict(h) else {
            continue;
        };
        if weight == 0.0
            || !p
                .point
                .iter()
                .chain(&p.lower)
                .chain(&p.upper)
                .all(|v| v.is_finite())
        {
            continue;
        }
        total += weight;
        for (acc, v) in [
            (&mut sum.point, &p.point),
            (&mut sum.lower, &p.lower),
            (&mut sum.upper, &p.upper),
        ] {
            acc.iter_mut().zip(v).for_each(|(a, v)| *a += weight * v);
        }
    }
    if total == 0.0 {
        return Err("no model found".into());
    }
    for v in sum
        .point
        .iter_mut()
        .chain(&mut sum.lower)
        .chain(&mut sum.upper)
    {
        *v /= total;
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use augurs::ets::model::{ErrorComponent, ModelType, SeasonalComponent, TrendComponent, Unfit};
    use augurs::ets::AutoETS;
    use augurs::{Fit, Predict};

    fn series(k: u64, sign: f64) -> Vec<f64> {
        // A trend, a wiggle and a deterministic jitter.
        (0..60)
            .map(|i| {
                let j = ((i * 7919 + k * 104_729) % 97) as f64 / 97.0;
                sign * (100.0 + k as f64 * 0.8 * i as f64)
                    + 15.0 * (i as f64 * 0.7).sin()
                    + 20.0 * j
            })
            .collect()
    }

    /// augurs' fit of the same form: the reference.
    fn reference(form: Form, y: &[f64]) -> augurs::ets::model::Model {
        let model_type = ModelType {
            error: if form.multiplicative {
                ErrorComponent::Multiplicative
            } else {
                ErrorComponent::Additive
            },
            trend: if form.trend {
                TrendComponent::Additive
            } else {
                TrendComponent::None
            },
            season: SeasonalComponent::None,
        };
        Unfit::new(model_type).damped(form.damped).fit(y).unwrap()
    }

    fn fit_alone(form: Form, y: &[f64]) -> Option<FittedEts> {
        fit_together(y, &[form]).pop().flatten()
    }

    fn close(a: &[f64], b: &[f64], rel: f64) -> bool {
        a.iter()
            .zip(b)
            .all(|(a, b)| (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0))
    }

    #[test]
    fn each_form_fits_and_forecasts_as_augurs_does() {
        for (k, sign) in (0..6).flat_map(|k| [(k, 1.0), (k, -1.0)]) {
            let y = series(k, sign);
            for form in FORMS.iter().filter(|f| !f.multiplicative || sign > 0.0) {
                let ours = fit_alone(*form, &y).unwrap();
                let theirs = reference(*form, &y);
                let rel = (ours.aicc - theirs.aicc()).abs() / theirs.aicc().abs();
                assert!(
                    rel < 1e-9,
                    "{k} {sign} {form:?}: {} {}",
                    ours.aicc,
                    theirs.aicc()
                );
                let (p, t) = (ours.predict(8).unwrap(), theirs.predict(8, 0.8).unwrap());
                assert!(close(&p.point, &t.point, 1e-9), "{k} {sign} {form:?}");
                let i = t.intervals.unwrap();
                assert!(close(&p.lower, &i.lower, 1e-9), "{k} {sign} {form:?}");
                assert!(close(&p.upper, &i.upper, 1e-9), "{k} {sign} {form:?}");
            }
        }
    }

    #[test]
    fn forms_fitted_together_are_each_fitted_alone_to_the_last_bit() {
        let bits = |m: &FittedEts| {
            let s = m.smoothing;
            [s.alpha, s.beta, s.phi, m.level, m.slope, m.sigma2, m.aicc].map(f64::to_bits)
        };
        for (k, sign) in (0..6).flat_map(|k| [(k, 1.0), (k, -1.0)]) {
            let y = series(k, sign);
            let forms: Vec<Form> = FORMS
                .iter()
                .copied()
                .filter(|f| !f.multiplicative || sign > 0.0)
                .collect();
            let together = fit_together(&y, &forms);
            assert_eq!(together.len(), forms.len());
            for (form, fit) in forms.iter().zip(together) {
                let (fit, alone) = (fit.unwrap(), fit_alone(*form, &y).unwrap());
                assert_eq!(fit.form, *form);
                assert_eq!(bits(&fit), bits(&alone), "{k} {sign} {form:?}");
            }
        }
    }

    #[test]
    fn the_search_picks_the_form_autoets_picks() {
        // Positive series (all six forms compete) and negative ones (additive errors only).
        for (k, sign) in (0..6).flat_map(|k| [(k, 1.0), (k, -1.0)]) {
            let y = series(k, sign);
            let ours = fit_ets(&y).unwrap();
            let auto = AutoETS::non_seasonal().fit(&y).unwrap();
            let m = auto.model();
            let theirs = (
                m.model_type().error == ErrorComponent::Multiplicative,
                m.model_type().trend == TrendComponent::Additive,
                m.damped(),
            );
            let f = ours.form;
            assert_eq!((f.multiplicative, f.trend, f.damped), theirs, "{k} {sign}");
            let t = auto.predict(8, 0.8).unwrap();
            assert!(close(&ours.predict(8).unwrap().point, &t.point, 1e-9));
        }
    }

    #[test]
    fn the_average_is_the_forms_weighted_by_aicc_and_lies_among_them() {
        for k in 0..6 {
            let y = series(k, 1.0);
            let forms = fit_forms(&y).unwrap();
            let paths: Vec<Path> = forms.iter().map(|m| m.predict(8).unwrap()).collect();
            let avg = ets_averaged(&y, 8).unwrap();
            for i in 0..8 {
                let lo = paths
                    .iter()
                    .map(|p| p.point[i])
                    .fold(f64::INFINITY, f64::min);
                let hi = paths
                    .iter()
                    .map(|p| p.point[i])
                    .fold(f64::NEG_INFINITY, f64::max);
                assert!(
                    lo - 1e-9 <= avg.point[i] && avg.point[i] <= hi + 1e-9,
                    "{k} {i}"
                );
                assert!(
                    avg.lower[i] <= avg.point[i] && avg.point[i] <= avg.upper[i],
                    "{k}"
                );
                // The Akaike-weighted mean of the forms: exp(-dAICc/2) from the lowest.
                let best = forms
                    .iter()
                    .map(FittedEts::aicc)
                    .fold(f64::INFINITY, f64::min);
                let w: Vec<f64> = forms
                    .iter()
                    .map(|m| (-0.5 * (m.aicc() - best)).exp())
                    .collect();
                let mean = paths
                    .iter()
                    .zip(&w)
                    .map(|(p, w)| w * p.point[i])
                    .sum::<f64>()
                    / w.iter().sum::<f64>();
                assert!(
                    (avg.point[i] - mean).abs() < 1e-9 * mean.abs().max(1.0),
                    "{k} {i}"
                );
            }
        }
    }

    #[test]
    fn too_short_a_series_is_refused_as_autoets_refuses_it() {
        let y = series(1, 1.0);
        assert!(fit_ets(&y[..6]).is_err());
        assert!(AutoETS::non_seasonal().fit(&y[..6]).is_err());
        assert!(fit_ets(&y[..7]).is_ok());
    }
}
