//! Forecasting many series in one call, in parallel across the cores: each series is forecast
//! exactly as `revcast forecast-series` forecasts it alone.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::forecast_error;
use super::series::Step;
use super::series_long::{LongSeries, Times};
use crate::domain::RowProblem;
use crate::forecast::{
    available_threads, forecast_many, ForecastError, SeriesForecast, SeriesJob, MAX_HORIZON,
};
use crate::service::{Result, ServiceError};

/// One forecast step of one series: its date, or its step number `t` for series without dates.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BatchPoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t: Option<u64>,
    pub point: f64,
    /// P10.
    pub lower: f64,
    /// P90.
    pub upper: f64,
}

/// The forecast of one series of the batch.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeriesResult {
    pub id: String,
    /// Values read.
    pub observations: usize,
    /// The season used, if any.
    pub season: Option<usize>,
    /// The methods combined, best first, joined by `+`.
    pub method: String,
    pub points: Vec<BatchPoint>,
}

/// Every series' forecast, in the order the series came.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeriesBatch {
    pub horizon: usize,
    pub series: Vec<SeriesResult>,
}

/// The season of a series: its own, else the batch's `season` when given (0: none); else inferred from the dates'
/// spacing. Series numbered by steps have no dates to infer it from.
fn season_of(s: &LongSeries, season: Option<usize>) -> std::result::Result<Option<usize>, String> {
    match (s.season.or(season), &s.times) {
        (Some(0), _) => Ok(None),
        (Some(m), _) => Ok(Some(m)),
        (None, Times::Dates(d)) => Ok(Step::infer(d).season()),
        (None, Times::Steps(_)) => Err(format!(
            "series `{}` has step numbers, not dates: give the season (e.g. 4 for quarterly data, 0 for none)",
            s.id
        )),
    }
}

/// Forecasts `horizon` (1..=120) steps after every series, on all cores. All or nothing: any
/// series that cannot be forecast (too short, no season for step numbers, a model failure) is
/// named in the error, by position and id, and no forecast is returned.
pub fn forecast_batch(
    series: &[LongSeries],
    horizon: usize,
    season: Option<usize>,
) -> Result<SeriesBatch> {
    if horizon == 0 || horizon > MAX_HORIZON {
        return Err(forecast_error(ForecastError::Horizon {
            got: horizon,
            max: MAX_HORIZON,
        }));
    }
    let mut problems = Vec::new();
    let mut jobs = Vec::with_capacity(series.len());
    for (index, s) in series.iter().enumerate() {
        match season_of(s, season) {
            Ok(season) => jobs.push(SeriesJob {
                values: &s.values,
                season,
            }),
            Err(reason) => problems.push(problem(index, "season", reason)),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let forecasts = forecast_many(&jobs, horizon, available_threads());
    let mut out = Vec::with_capacity(series.len());
    for (index, ((s, job), f)) in series.iter().zip(&jobs).zip(forecasts).enumerate() {
        match f {
            Ok(f) => out.push(result(s, job.season, f)),
            Err(e) => problems.push(problem(index, "values", format!("series `{}`: {e}", s.id))),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    Ok(SeriesBatch {
        horizon,
        series: out,
    })
}

fn problem(index: usize, field: &str, reason: String) -> RowProblem {
    RowProblem {
        index,
        field: field.to_string(),
        reason,
    }
}

fn result(s: &LongSeries, season: Option<usize>, f: SeriesForecast) -> SeriesResult {
    let time = |i: usize| -> (Option<NaiveDate>, Option<u64>) {
        match &s.times {
            Times::Dates(d) => {
                let last = *d.last().expect("a forecast series has values");
                let step = Step::infer(d);
                (Some(step.after(last, i as u32 + 1).unwrap_or(last)), None)
            }
            Times::Steps(t) => (None, Some(t.last().copied().unwrap_or(0) + i as u64 + 1)),
        }
    };
    let points = (0..f.point.len())
        .map(|i| {
            let (date, t) = time(i);
            BatchPoint {
                date,
                t,
                point: f.point[i],
                lower: f.lower[i],
                upper: f.upper[i],
            }
        })
        .collect();
    SeriesResult {
        id: s.id.clone(),
        observations: s.values.len(),
        season,
        method: f.method,
        points,
    }
}

/// Writes the batch as CSV: `series_id,date` (or `t`)`,point,lower,upper,method`, one row per
/// forecast step, series in input order.
pub fn write_batch_csv(batch: &SeriesBatch, out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let dated = batch
        .series
        .first()
        .and_then(|s| s.points.first())
        .is_some_and(|p| p.date.is_some());
    let time = if dated { "date" } else { "t" };
    w.write_record(["series_id", time, "point", "lower", "upper", "method"])?;
    for s in &batch.series {
        for p in &s.points {
            let when = match (p.date, p.t) {
                (Some(d), _) => d.to_string(),
                (None, Some(t)) => t.to_string(),
                (None, None) => String::new(),
            };
            w.write_record([
                s.id.as_str(),
                &when,
                &p.point.to_string(),
                &p.lower.to_string(),
                &p.upper.to_string(),
                &s.method,
            ])?;
        }
    }
    w.flush()
}

/// Parses a `POST /v1/forecast/series` body and forecasts every series, off the async threads.
pub async fn forecast_series_body(body: String) -> Result<SeriesBatch> {
    tokio::task::spawn_blocking(move || {
        let (horizon, season, series) = super::series_long::parse_request(&body)?;
        forecast_batch(&series, horizon, season)
    })
    .await
    .map_err(|e| {
        ServiceError::Store(anyhow::anyhow!("the series forecast task failed: {e}").into())
    })?
}

#[cfg(test)]
mod tests {
    use super::super::series_long::read_long_csv;
    use super::*;
    use crate::service::forecast::series_from_csv;

    /// Three monthly series of different shapes, as one long table and as three files.
    fn tables() -> (String, Vec<String>) {
        let mut long = String::from("series_id,date,value\n");
        let mut alone = Vec::new();
        for k in 0..3 {
            let mut one = String::from("date,value\n");
            for i in 0..(30 + 7 * k) {
                let date = format!("{}-{:02}-01", 2018 + i / 12, i % 12 + 1);
                let v = 50.0 + (k * i) as f64 + if i % 12 == k { 20.0 } else { 0.0 };
                long.push_str(&format!("s{k},{date},{v}\n"));
                one.push_str(&format!("{date},{v}\n"));
            }
            alone.push(one);
        }
        (long, alone)
    }

    #[test]
    fn a_long_csv_gives_the_same_forecasts_as_one_series_at_a_time() {
        let (long, alone) = tables();
        let batch = forecast_batch(&read_long_csv(long.as_bytes()).unwrap(), 6, None).unwrap();
        assert_eq!(batch.series.len(), 3);
        for (got, file) in batch.series.iter().zip(&alone) {
            let want = series_from_csv(file, 6, None).unwrap();
            assert_eq!(got.method, want.forecast.method);
            assert_eq!(
                (got.observations, got.season),
                (want.observations, want.season)
            );
            let dates: Vec<_> = want.points.iter().map(|p| Some(p.date)).collect();
            assert_eq!(got.points.iter().map(|p| p.date).collect::<Vec<_>>(), dates);
            assert_eq!(
                got.points.iter().map(|p| p.point).collect::<Vec<_>>(),
                want.forecast.point
            );
            assert_eq!(
                got.points.iter().map(|p| p.lower).collect::<Vec<_>>(),
                want.forecast.lower
            );
        }
    }

    #[test]
    fn bad_lines_and_series_are_named_by_line_and_series() {
        let bad =
            read_long_csv("series_id,date,value\na,2020-01-01,1\nb,2020-01-01,x\n".as_bytes());
        assert!(
            matches!(bad, Err(ServiceError::BadInput { ref reason, .. }) if reason.starts_with("line 3, series `b`")),
            "{bad:?}"
        );
        let back = read_long_csv("series_id,t,value\na,2,1\na,1,2\n".as_bytes());
        assert!(
            matches!(back, Err(ServiceError::BadInput { ref reason, .. }) if reason.contains("line 3")),
            "{back:?}"
        );
        let steps = read_long_csv("series_id,t,value\na,1,1\na,2,2\n".as_bytes()).unwrap();
        let no_season = forecast_batch(&steps, 2, None);
        assert!(
            matches!(no_season, Err(ServiceError::Invalid(ref p)) if p[0].field == "season"),
            "{no_season:?}"
        );
        let short = forecast_batch(&steps, 2, Some(0));
        assert!(
            matches!(short, Err(ServiceError::Invalid(ref p)) if p[0].reason.contains("series `a`")),
            "{short:?}"
        );
    }
}
