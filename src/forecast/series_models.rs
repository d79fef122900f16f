//! The candidate methods for one series: AutoETS, MSTL + ETS (on the values or their logs),
//! seasonal naive, and a theta-like method. Each returns the point forecast and an 80% interval.

use augurs::mstl::stlrs::MstlParams;

use super::series_ets::{ets_averaged, fit_ets};
use super::series_path::{Path, Z80};

/// One candidate method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Non-seasonal ETS: the form (error, trend, damping) with the lowest AICc, as AutoETS.
    Ets,
    /// Non-seasonal ETS, every form averaged by its AICc (Akaike weights, [`ets_averaged`]):
    /// the only candidate of a series without a season.
    EtsAveraged,
    /// augurs MSTL with an AutoETS trend, on the values.
    MstlEts(usize),
    /// The same on the logs of a strictly positive series (multiplicative seasonality), mapped back.
    MstlEtsLog(usize),
    /// The value one season earlier.
    SeasonalNaive(usize),
    /// Simple exponential smoothing plus half the linear trend, on a seasonally adjusted series.
    Theta(Option<usize>),
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Ets => "ets",
            Method::EtsAveraged => "ets_averaged",
            Method::MstlEts(_) => "mstl_ets",
            Method::MstlEtsLog(_) => "mstl_ets_log",
            Method::SeasonalNaive(_) => "seasonal_naive",
            Method::Theta(None) => "theta",
            Method::Theta(Some(_)) => "theta_seasonal",
        }
    }

    /// The candidates that suit `n` values with an optional season length.
    ///
    /// Combine rather than bet on one: with a season, the three methods that did best on the
    /// holdouts are averaged (see `forecast_series`); without one, the ETS forms are averaged by
    /// their AICc instead. Theta competes only on seasonal data, where it earns its place
    /// (statsforecast's Theta is the best of its methods on the M3 quarterly series); on a series
    /// without a season its half-slope trends too little (statsforecast's Theta 4.93 sMAPE against
    /// AutoETS's 4.34 on the M3 "other" series; the mean of ETS and Theta gave 4.39 there, the
    /// averaged ETS forms alone 4.338).
    pub fn candidates(y: &[f64], season: Option<usize>) -> Vec<Method> {
        let n = y.len();
        let Some(season) = season.filter(|&s| s >= 2) else {
            return vec![Method::EtsAveraged];
        };
        let mut out = vec![Method::Ets, Method::Theta(None)];
        if let Some(s) = Some(season).filter(|&s| n >= 2 * s + 2) {
            out.push(Method::MstlEts(s));
            if y.iter().all(|&v| v > 0.0) {
                out.push(Method::MstlEtsLog(s));
            }
            out.push(Method::SeasonalNaive(s));
            out.push(Method::Theta(Some(s)));
        }
        out
    }

    pub fn fit_predict(self, y: &[f64], h: usize) -> Result<Path, String> {
        match self {
            Method::Ets => fit_ets(y)?.predict(h),
            Method::EtsAveraged => ets_averaged(y, h),
            Method::MstlEts(s) => mstl(y, s, h),
            Method::MstlEtsLog(s) => {
                let logs: Vec<f64> = y.iter().map(|v| v.ln()).collect();
                let p = mstl(&logs, s, h)?;
                let exp = |v: Vec<f64>| v.into_iter().map(f64::exp).collect();
                Ok(Path {
                    point: exp(p.point),
                    lower: exp(p.lower),
                    upper: exp(p.upper),
                })
            }
            Method::SeasonalNaive(s) => Ok(seasonal_naive(y, s, h)),
            Method::Theta(s) => Ok(super::series_theta::theta(y, s, h)),
        }
    }
}

/// MSTL with one season and an ETS trend, as augurs' `MSTLModel` with an AutoETS trend model
/// does it (the same decomposition in f32, ETS on trend + remainder, the last season of the
/// seasonal component repeated), written out so that the ETS is [`fit_ets`]'s.
fn mstl(y: &[f64], s: usize, h: usize) -> Result<Path, String> {
    let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
    let fit = MstlParams::new()
        .fit(&y32, &[s])
        .map_err(|e| format!("running STL: {e}"))?;
    let deseasonalised: Vec<f64> = fit
        .trend()
        .iter()
        .zip(fit.remainder())
        .map(|(t, r)| (t + r) as f64)
        .collect();
    let fitted = fit_ets(&deseasonalised).map_err(|e| format!("trend model error: {e}"))?;
    let mut path = fitted.predict(h)?;
    for component in fit.seasonal() {
        let last = component.iter().skip(component.len() - s).cycle();
        for (i, &c) in last.take(h).enumerate() {
            path.point[i] += c as f64;
            path.lower[i] += c as f64;
            path.upper[i] += c as f64;
        }
    }
    Ok(path)
}

/// Seasonal naive with intervals from the in-sample seasonal differences, widening with each
/// further season ahead (sqrt(k+1) for the k-th season).
fn seasonal_naive(y: &[f64], s: usize, h: usize) -> Path {
    let n = y.len();
    let diffs: Vec<f64> = (s..n).map(|i| y[i] - y[i - s]).collect();
    let sd = (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len().max(1) as f64).sqrt();
    let mut p = Path {
        point: vec![],
        lower: vec![],
        upper: vec![],
    };
    for i in 0..h {
        let v = y[n - s + i % s];
        let w = Z80 * sd * ((i / s + 1) as f64).sqrt();
        p.point.push(v);
        p.lower.push(v - w);
        p.upper.push(v + w);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonal_naive_repeats_the_last_season() {
        let y: Vec<f64> = (0..24).map(|i| (i % 4) as f64).collect();
        let p = seasonal_naive(&y, 4, 6);
        assert_eq!(p.point, vec![0.0, 1.0, 2.0, 3.0, 0.0, 1.0]);
        // A perfectly periodic series has zero-width intervals.
        assert_eq!(p.lower, p.point);
    }

    #[test]
    fn mstl_written_out_forecasts_what_augurs_mstl_model_does() {
        use augurs::ets::AutoETS;
        use augurs::mstl::MSTLModel;
        use augurs::{Fit, Predict};
        let y: Vec<f64> = (0..72)
            .map(|i| {
                let jitter = ((i * 7919) % 89) as f64 / 89.0;
                200.0
                    + 1.5 * i as f64
                    + 30.0 * (i as f64 * std::f64::consts::TAU / 12.0).sin()
                    + 25.0 * jitter
            })
            .collect();
        let model = MSTLModel::new(vec![12], AutoETS::non_seasonal().into_trend_model());
        let theirs = model.fit(&y).unwrap().predict(12, 0.8).unwrap();
        let ours = mstl(&y, 12, 12).unwrap();
        // The decomposition is augurs'; the trend's ETS is our own fit, equal to augurs' up to
        // rounding (the initial line by formula rather than by SVD), hence not bit for bit.
        let close = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .all(|(a, b)| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()))
        };
        assert!(close(&ours.point, &theirs.point));
        let bounds = theirs.intervals.unwrap();
        assert!(close(&ours.lower, &bounds.lower) && close(&ours.upper, &bounds.upper));
    }

    #[test]
    fn every_candidate_forecasts_a_seasonal_series_with_ordered_bounds() {
        let y: Vec<f64> = (0..60)
            .map(|i| 100.0 + i as f64 + 10.0 * (i as f64 * std::f64::consts::TAU / 12.0).sin())
            .collect();
        for m in Method::candidates(&y, Some(12)) {
            let p = m
                .fit_predict(&y, 12)
                .unwrap_or_else(|e| panic!("{}: {e}", m.name()));
            assert_eq!(p.point.len(), 12, "{}", m.name());
            for i in 0..12 {
                assert!(
                    p.lower[i] <= p.point[i] + 1e-9 && p.point[i] <= p.upper[i] + 1e-9,
                    "{}",
                    m.name()
                );
            }
        }
    }
}
