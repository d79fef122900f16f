//! Forecasting one series alone (monthly bookings, or any series) with augurs and simple rivals,
//! choosing the method by a holdout inside the data.

use serde::{Deserialize, Serialize};

use super::series_models::Method;
use super::series_path::Path;
use super::ForecastError;

/// Fewest values accepted.
pub const MIN_SERIES_LEN: usize = 6;
/// Longest horizon accepted, in steps.
pub const MAX_HORIZON: usize = 120;

/// A forecast of the next `horizon` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesForecast {
    pub point: Vec<f64>,
    /// P10 (lower end of the 80% interval).
    pub lower: Vec<f64>,
    /// P90.
    pub upper: Vec<f64>,
    /// The methods combined, best first, joined by `+`: `ets`, `mstl_ets`, `mstl_ets_log`,
    /// `seasonal_naive`, `theta`, `theta_seasonal`; or `ets_averaged` alone (a series without a
    /// season: AutoETS's forms averaged by their AICc).
    pub method: String,
    /// Mean absolute error of each candidate on the inner holdout (the last values of the
    /// series, forecast from the ones before), lowest chosen; empty when only one candidate ran.
    pub holdout_mae: Vec<(String, f64)>,
    /// True when the series is never negative and some forecast or bound below 0 was raised to 0.
    pub clamped: bool,
}

/// Forecasts `horizon` (1..=120) steps after `values` (at least 6 finite values).
///
/// Without a `season`: AutoETS's forms averaged by their AICc. With one (e.g. 12 for monthly
/// data), the candidates are AutoETS and the theta method, and with at least two seasons plus two
/// values also MSTL + AutoETS (on the values, and on their logs when all are positive),
/// seasonal naive and a seasonally adjusted theta method. When there is more than one, each is
/// fitted on the series without its last `min(horizon, n/4)` values and scored on them, and
/// likewise at the two earlier windows of that length (rolling origins); the three with the
/// lowest mean error (candidates that could not be scored rank last) are refitted on the whole
/// series and their points and bounds averaged: combining beats picking one on small series. A method that fails to fit is skipped.
pub fn forecast_series(
    values: &[f64],
    horizon: usize,
    season: Option<usize>,
) -> Result<SeriesForecast, ForecastError> {
    check(values, horizon)?;
    let candidates = Method::candidates(values, season);
    let holdout_mae = if candidates.len() > 1 {
        score_on_holdout(values, horizon, &candidates)
    } else {
        vec![]
    };
    let mut ranked: Vec<Method> = candidates.clone();
    ranked.sort_by(|a, b| mae_of(&holdout_mae, *a).total_cmp(&mae_of(&holdout_mae, *b)));
    let mut chosen: Vec<(Method, Path)> = Vec::new();
    let mut last_error = String::from("no candidate method");
    for m in ranked {
        match m.fit_predict(values, horizon) {
            Ok(path) if is_finite(&path) => chosen.push((m, path)),
            Ok(_) => last_error = format!("{} gave non-finite values", m.name()),
            Err(e) => last_error = format!("{}: {e}", m.name()),
        }
        if chosen.len() == COMBINE {
            break;
        }
    }
    if !chosen.is_empty() {
        let (name, path) = combine(chosen);
        return Ok(finish(values, path, name, holdout_mae));
    }
    Err(ForecastError::Model(last_error))
}

fn check(values: &[f64], horizon: usize) -> Result<(), ForecastError> {
    if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(ForecastError::NonFinite { index, value });
    }
    if values.len() < MIN_SERIES_LEN {
        return Err(ForecastError::SeriesTooShort {
            got: values.len(),
            need: MIN_SERIES_LEN,
        });
    }
    if horizon == 0 || horizon > MAX_HORIZON {
        return Err(ForecastError::Horizon {
            got: horizon,
            max: MAX_HORIZON,
        });
    }
    Ok(())
}

/// Rolling-origin holdouts: the last `ORIGINS` windows of `min(horizon, n/4)` values.
const ORIGINS: usize = 3;

/// Mean holdout MAE per candidate over the rolling origins whose training part still suits it;
/// a candidate that fits at no origin is left out.
fn score_on_holdout(y: &[f64], horizon: usize, candidates: &[Method]) -> Vec<(String, f64)> {
    let v = horizon.min(y.len() / 4).max(1);
    let season = candidates.iter().find_map(season_of);
    let cuts: Vec<usize> = (1..=ORIGINS)
        .map_while(|k| {
            y.len()
                .checked_sub(k * v)
                .filter(|&c| c >= super::MIN_SERIES_LEN)
        })
        .collect();
    // Score every candidate on the same origins: those where all of them can be fitted, when
    // there is one. A seasonal method needs two seasons before the cut, so on a short series
    // the earlier origins suit only the others; scoring those alone there and then comparing
    // only the methods scored at the most origins would leave the seasonal ones out unscored.
    let all_fit: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|&c| {
            let here = Method::candidates(&y[..c], season);
            candidates.iter().all(|m| here.contains(m))
        })
        .collect();
    let cuts = if all_fit.is_empty() { cuts } else { all_fit };
    let mut sums = vec![(0.0, 0usize); candidates.len()];
    for cut in cuts {
        let (train, test) = (&y[..cut], &y[cut..cut + v]);
        let fits_here = Method::candidates(train, season);
        for (m, sum) in candidates.iter().zip(sums.iter_mut()) {
            if !fits_here.contains(m) {
                continue;
            }
            if let Some(p) = m.fit_predict(train, v).ok().filter(is_finite) {
                sum.0 += p
                    .point
                    .iter()
                    .zip(test)
                    .map(|(f, a)| (f - a).abs())
                    .sum::<f64>()
                    / v as f64;
                sum.1 += 1;
            }
        }
    }
    let best_count = sums.iter().map(|s| s.1).max().unwrap_or(0);
    candidates
        .iter()
        .zip(sums)
        // Compare like with like: only candidates scored at every origin any of them was.
        .filter(|(_, s)| s.1 > 0 && s.1 == best_count)
        .map(|(m, s)| (m.name().to_string(), s.0 / s.1 as f64))
        .collect()
}

fn season_of(m: &Method) -> Option<usize> {
    match *m {
        Method::MstlEts(s) | Method::MstlEtsLog(s) | Method::SeasonalNaive(s) => Some(s),
        Method::Theta(s) => s,
        Method::Ets | Method::EtsAveraged => None,
    }
}

fn mae_of(scores: &[(String, f64)], m: Method) -> f64 {
    scores
        .iter()
        .find(|(n, _)| n == m.name())
        .map_or(f64::INFINITY, |s| s.1)
}

/// How many of the best-ranked methods are combined.
const COMBINE: usize = 3;

/// The mean of the methods' points and of their bounds (quantile averaging), named `a+b+c`.
fn combine(chosen: Vec<(Method, Path)>) -> (String, Path) {
    let k = chosen.len() as f64;
    let name = chosen
        .iter()
        .map(|(m, _)| m.name())
        .collect::<Vec<_>>()
        .join("+");
    let h = chosen[0].1.point.len();
    let mean = |f: fn(&Path) -> &Vec<f64>| -> Vec<f64> {
        (0..h)
            .map(|i| chosen.iter().map(|(_, p)| f(p)[i]).sum::<f64>() / k)
            .collect()
    };
    let path = Path {
        point: mean(|p| &p.point),
        lower: mean(|p| &p.lower),
        upper: mean(|p| &p.upper),
    };
    (name, path)
}

fn is_finite(p: &Path) -> bool {
    p.point
        .iter()
        .chain(&p.lower)
        .chain(&p.upper)
        .all(|v| v.is_finite())
}

fn finish(
    values: &[f64],
    mut p: Path,
    method: String,
    holdout_mae: Vec<(String, f64)>,
) -> SeriesForecast {
    let mut clamped = false;
    if values.iter().all(|&v| v >= 0.0) {
        for v in p
            .point
            .iter_mut()
            .chain(p.lower.iter_mut())
            .chain(p.upper.iter_mut())
        {
            if *v < 0.0 {
                *v = 0.0;
                clamped = true;
            }
        }
    }
    SeriesForecast {
        point: p.point,
        lower: p.lower,
        upper: p.upper,
        method,
        holdout_mae,
        clamped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_series_and_horizons_are_rejected() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert!(matches!(
            forecast_series(&y[..5], 3, None),
            Err(ForecastError::SeriesTooShort { got: 5, need: 6 })
        ));
        assert!(matches!(
            forecast_series(&y, 0, None),
            Err(ForecastError::Horizon { got: 0, .. })
        ));
        let mut bad = y.to_vec();
        bad[2] = f64::NAN;
        assert!(matches!(
            forecast_series(&bad, 3, None),
            Err(ForecastError::NonFinite { index: 2, .. })
        ));
    }

    #[test]
    fn a_falling_non_negative_series_is_clamped_at_zero_and_says_so() {
        let y: Vec<f64> = (0..30)
            .map(|i| (60.0 - 2.0 * i as f64).max(0.0) + (i % 3) as f64)
            .collect();
        let f = forecast_series(&y, 24, None).unwrap();
        assert!(f.clamped, "{f:?}");
        assert!(f.point.iter().chain(&f.lower).all(|&v| v >= 0.0));
    }

    #[test]
    fn recovers_a_seasonal_pattern_and_bounds_bracket_the_point() {
        let y: Vec<f64> = (0..72)
            .map(|i| 50.0 + 10.0 * ((i % 12) as f64 - 5.5).abs())
            .collect();
        let f = forecast_series(&y, 12, Some(12)).unwrap();
        for (i, p) in f.point.iter().enumerate() {
            assert!(
                (p - y[60 + i]).abs() < 3.0,
                "{i}: {p} vs {} ({})",
                y[60 + i],
                f.method
            );
            assert!(f.lower[i] <= *p + 1e-9 && *p <= f.upper[i] + 1e-9);
        }
        assert_eq!(f, forecast_series(&y, 12, Some(12)).unwrap());
    }
}
