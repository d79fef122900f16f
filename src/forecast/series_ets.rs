//! Non-seasonal ETS for the series engine: the form (error, trend, damping) with the lowest
//! AICc among the six that augurs' `AutoETS::non_seasonal()` tries.
//!
//! Why not `AutoETS` itself: it asks every evaluation of the likelihood for the forecasts of
//! the next three steps at every time point (`nmse = 3`, for an error criterion that a
//! likelihood fit never reads), and the extra steps take a power of the damping per point.
//! Fitting each form through `Unfit` with `nmse(1)` gives the same likelihood, parameters and
//! forecasts with 29% fewer instructions over a whole series forecast (callgrind, 5 monthly
//! series of 120 points: 1,617 M before, 1,149 M after), about 9% less CPU time (the removed
//! instructions were cheap; benches/RESULTS.md). The forms' order and the AICc tie-break are
//! AutoETS's, so the chosen model is the same (tested below).

use augurs::ets::model::{ErrorComponent, Model, ModelType, SeasonalComponent, TrendComponent};
use augurs::Predict;

use super::series_path::Path;

/// One form of a non-seasonal ETS model.
#[derive(Debug, Clone, Copy)]
struct EtsForm {
    error: ErrorComponent,
    trend: TrendComponent,
    damped: bool,
}

impl EtsForm {
    const fn new(error: ErrorComponent, trend: TrendComponent, damped: bool) -> Self {
        EtsForm {
            error,
            trend,
            damped,
        }
    }

    fn fit(self, y: &[f64]) -> Option<Model> {
        let model_type = ModelType {
            error: self.error,
            trend: self.trend,
            season: SeasonalComponent::None,
        };
        augurs::ets::model::Unfit::new(model_type)
            .damped(self.damped)
            .nmse(1)
            .fit(y)
            .ok()
            .filter(|m| !m.aicc().is_nan())
    }
}

/// The forms AutoETS's non-seasonal search tries, in its order (error, then trend, then damped
/// before undamped).
const FORMS: [EtsForm; 6] = {
    use ErrorComponent::{Additive as EA, Multiplicative as EM};
    use TrendComponent::{Additive as TA, None as TN};
    [
        EtsForm::new(EA, TN, false),
        EtsForm::new(EA, TA, true),
        EtsForm::new(EA, TA, false),
        EtsForm::new(EM, TN, false),
        EtsForm::new(EM, TA, true),
        EtsForm::new(EM, TA, false),
    ]
};

/// An ETS model fitted on a series.
pub(crate) struct FittedEts(Model);

impl FittedEts {
    /// `h` steps ahead with the 80% interval.
    pub fn predict(&self, h: usize) -> Result<Path, String> {
        let f = self.0.predict(h, 0.8).map_err(|e| e.to_string())?;
        let i = f.intervals.ok_or("the model returned no intervals")?;
        Ok(Path {
            point: f.point,
            lower: i.lower,
            upper: i.upper,
        })
    }
}

/// Fits every form to `y` (multiplicative errors only when every value is above 0) and keeps
/// the lowest AICc, the first of equals.
pub(crate) fn fit_ets(y: &[f64]) -> Result<FittedEts, String> {
    fit_forms(y)?
        .into_iter()
        .min_by(|a, b| a.aicc().total_cmp(&b.aicc()))
        .map(FittedEts)
        .ok_or_else(|| "no model found".into())
}

/// Every form that fits `y`, in [`FORMS`]' order.
fn fit_forms(y: &[f64]) -> Result<Vec<Model>, String> {
    // AutoETS's rule: more than 4 values beyond alpha and the initial level.
    if y.len() <= 6 {
        return Err("not enough data".into());
    }
    let positive = y.iter().fold(f64::INFINITY, |a, &b| a.min(b)) > 0.0;
    Ok(FORMS
        .iter()
        .filter(|f| f.error == ErrorComponent::Additive || positive)
        .filter_map(|f| f.fit(y))
        .collect())
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
    let best = fits.iter().map(Model::aicc).fold(f64::INFINITY, f64::min);
    let mut sum = Path {
        point: vec![0.0; h],
        lower: vec![0.0; h],
        upper: vec![0.0; h],
    };
    let mut total = 0.0;
    for model in fits {
        let weight = (-0.5 * (model.aicc() - best)).exp();
        let Ok(p) = FittedEts(model).predict(h) else {
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
    use augurs::ets::AutoETS;
    use augurs::Fit;

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

    #[test]
    fn the_search_picks_and_forecasts_what_autoets_does() {
        // Positive series (all six forms compete) and negative ones (additive errors only).
        for (k, sign) in (0..6).flat_map(|k| [(k, 1.0), (k, -1.0)]) {
            let y = series(k, sign);
            let ours = fit_ets(&y).unwrap();
            let auto = AutoETS::non_seasonal().fit(&y).unwrap();
            let kind = |m: &Model| (m.model_type().to_string(), m.damped());
            assert_eq!(kind(&ours.0), kind(auto.model()), "{k} {sign}");
            let theirs = auto.predict(8, 0.8).unwrap();
            let p = ours.predict(8).unwrap();
            assert_eq!(p.point, theirs.point, "{k} {sign}");
            let bounds = theirs.intervals.unwrap();
            assert_eq!((p.lower, p.upper), (bounds.lower, bounds.upper), "{k}");
        }
    }

    #[test]
    fn the_average_is_the_forms_weighted_by_aicc_and_lies_among_them() {
        for k in 0..6 {
            let y = series(k, 1.0);
            let forms = fit_forms(&y).unwrap();
            let paths: Vec<Path> = forms
                .iter()
                .map(|m| FittedEts(m.clone()).predict(8).unwrap())
                .collect();
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
                let best = forms.iter().map(Model::aicc).fold(f64::INFINITY, f64::min);
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
