//! Forecasting one series alone (monthly bookings, or any series) with augurs and simple rivals,
//! choosing the method by a holdout inside the data.

use serde::{Deserialize, Serialize};

use super::series_models::{Method, Path};
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
    /// The method used: `ets`, `mstl_ets`, `mstl_ets_log`, `seasonal_naive`, `theta` or `theta_seasonal`.
    pub method: String,
    /// Mean absolute error of each candidate on the inner holdout (the last values of the
    /// series, forecast from the ones before), lowest chosen; empty when only one candidate ran.
    pub holdout_mae: Vec<(String, f64)>,
    /// True when the series is never negative and some forecast or bound below 0 was raised to 0.
    pub clamped: bool,
}

/// Forecasts `horizon` (1..=120) steps after `values` (at least 6 finite values).
///
/// Candidates: AutoETS; with a `season` (e.g. 12 for monthly data) and at least two seasons plus
/// two values, also MSTL + AutoETS (on the values, and on their logs when all are positive),
/// seasonal naive and a seasonally adjusted theta method. When there is more than one, each is
/// fitted on the series without its last `min(horizon, n/4)` values and scored on them; the best
/// is refitted on the whole series. A method that fails to fit is skipped.
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
    let mut last_error = String::from("no candidate method");
    for m in ranked {
        match m.fit_predict(values, horizon) {
            Ok(path) if is_finite(&path) => return Ok(finish(values, path, m, holdout_mae)),
            Ok(_) => last_error = format!("{} gave non-finite values", m.name()),
            Err(e) => last_error = format!("{}: {e}", m.name()),
        }
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

/// Holdout MAE per candidate; a candidate that cannot be fitted on the shorter series is left out.
fn score_on_holdout(y: &[f64], horizon: usize, candidates: &[Method]) -> Vec<(String, f64)> {
    let v = horizon.min(y.len() / 4).max(1);
    let (train, test) = y.split_at(y.len() - v);
    let shorter = Method::candidates(train, candidates.iter().find_map(season_of));
    candidates
        .iter()
        .filter(|m| shorter.contains(m))
        .filter_map(|m| {
            let p = m.fit_predict(train, v).ok().filter(is_finite)?;
            let mae = p
                .point
                .iter()
                .zip(test)
                .map(|(f, a)| (f - a).abs())
                .sum::<f64>()
                / v as f64;
            Some((m.name().to_string(), mae))
        })
        .collect()
}

fn season_of(m: &Method) -> Option<usize> {
    match *m {
        Method::MstlEts(s) | Method::MstlEtsLog(s) | Method::SeasonalNaive(s) => Some(s),
        Method::Theta(s) => s,
        Method::Ets => None,
    }
}

fn mae_of(scores: &[(String, f64)], m: Method) -> f64 {
    scores
        .iter()
        .find(|(n, _)| n == m.name())
        .map_or(f64::INFINITY, |s| s.1)
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
    m: Method,
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
        method: m.name().into(),
        holdout_mae,
        clamped,
    }
}
