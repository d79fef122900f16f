//! Forecasting one series read from CSV text: first column a date, second a value.

use chrono::{Days, Months, NaiveDate};
use serde::Serialize;

use super::forecast_error;
use crate::forecast::{forecast_series, SeriesForecast};
use crate::service::{Result, ServiceError};

/// One forecast step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    pub date: NaiveDate,
    pub point: f64,
    /// P10.
    pub lower: f64,
    /// P90.
    pub upper: f64,
}

/// A series forecast with the dates it applies to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesOutcome {
    /// Values read.
    pub observations: usize,
    /// The season used (12 for monthly data, 4 quarterly, 7 daily, 52 weekly), if any.
    pub season: Option<usize>,
    pub points: Vec<SeriesPoint>,
    pub forecast: SeriesForecast,
}

/// The spacing of the dates: whole months (1, 3 or 12) or a number of days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Step {
    Months(u32),
    Days(u64),
}

impl Step {
    pub(super) fn infer(dates: &[NaiveDate]) -> Step {
        let mut gaps: Vec<i64> = dates.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
        gaps.sort_unstable();
        let median = gaps.get(gaps.len() / 2).copied().unwrap_or(1).max(1);
        match median {
            28..=31 => Step::Months(1),
            89..=92 => Step::Months(3),
            365..=366 => Step::Months(12),
            d => Step::Days(d as u64),
        }
    }

    pub(super) fn season(self) -> Option<usize> {
        match self {
            Step::Months(1) => Some(12),
            Step::Months(3) => Some(4),
            Step::Days(1) => Some(7),
            Step::Days(7) => Some(52),
            _ => None,
        }
    }

    pub(super) fn after(self, d: NaiveDate, k: u32) -> Option<NaiveDate> {
        match self {
            Step::Months(m) => d.checked_add_months(Months::new(m * k)),
            Step::Days(n) => d.checked_add_days(Days::new(n * u64::from(k))),
        }
    }
}

/// A date as series files write it: `2026-11-23` (a time after it is ignored), `2026-11`,
/// `2026/11/23`, `Nov-1-2026` or `2026 Nov`; months stand for their first day.
pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    let day = |t: &str, f: &str| NaiveDate::parse_from_str(t, f).ok();
    day(s.get(..10).unwrap_or(s), "%Y-%m-%d")
        .or_else(|| day(s, "%Y/%m/%d"))
        .or_else(|| day(&format!("{s}-01"), "%Y-%m-%d"))
        .or_else(|| day(s, "%b-%d-%Y"))
        .or_else(|| day(&format!("{s} 01"), "%Y %b %d"))
}

/// Reads `date,value` rows (a header row is skipped); the dates must increase.
fn read(text: &str) -> Result<(Vec<NaiveDate>, Vec<f64>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let (mut dates, mut values) = (Vec::new(), Vec::new());
    for (i, rec) in reader.records().enumerate() {
        let rec =
            rec.map_err(|e| ServiceError::bad_input("file", format!("row {}: {e}", i + 1)))?;
        let (d, v) = (
            rec.get(0).unwrap_or("").trim(),
            rec.get(1).unwrap_or("").trim(),
        );
        match (parse_date(d), v.parse::<f64>()) {
            (Some(date), Ok(value)) => {
                if dates.last().is_some_and(|l| *l >= date) {
                    return Err(ServiceError::bad_input(
                        "file",
                        format!(
                            "row {}: date {date} does not come after the previous one",
                            i + 1
                        ),
                    ));
                }
                dates.push(date);
                values.push(value);
            }
            _ if i == 0 => continue,
            _ => {
                return Err(ServiceError::bad_input(
                    "file",
                    format!(
                        "row {}: expected a date (YYYY-MM-DD) and a number, got `{d}`, `{v}`",
                        i + 1
                    ),
                ))
            }
        }
    }
    Ok((dates, values))
}

/// Forecasts `horizon` steps after the series in `text`; `season` overrides the one inferred
/// from the dates' spacing (0: none).
pub fn series_from_csv(text: &str, horizon: usize, season: Option<usize>) -> Result<SeriesOutcome> {
    let (dates, values) = read(text)?;
    let step = Step::infer(&dates);
    let season = match season {
        Some(0) => None,
        Some(s) => Some(s),
        None => step.season(),
    };
    let forecast = forecast_series(&values, horizon, season).map_err(forecast_error)?;
    let last = *dates
        .last()
        .expect("forecast_series rejects an empty series");
    let points = (0..forecast.point.len())
        .map(|i| SeriesPoint {
            date: step.after(last, i as u32 + 1).unwrap_or(last),
            point: forecast.point[i],
            lower: forecast.lower[i],
            upper: forecast.upper[i],
        })
        .collect();
    Ok(SeriesOutcome {
        observations: values.len(),
        season,
        points,
        forecast,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monthly(n: usize) -> String {
        let mut s = String::from("month,value\n");
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        for i in 0..n {
            let d = start + Months::new(i as u32);
            let v = 100.0 + i as f64 + if i % 12 == 11 { 30.0 } else { 0.0 };
            s.push_str(&format!("{d},{v}\n"));
        }
        s
    }

    #[test]
    fn monthly_csv_is_forecast_on_the_following_months() {
        let out = series_from_csv(&monthly(36), 3, None).unwrap();
        assert_eq!((out.observations, out.season), (36, Some(12)));
        let dates: Vec<String> = out.points.iter().map(|p| p.date.to_string()).collect();
        assert_eq!(dates, ["2023-01-01", "2023-02-01", "2023-03-01"]);
        assert!(out
            .points
            .iter()
            .all(|p| p.lower <= p.point && p.point <= p.upper));
    }

    #[test]
    fn the_usual_date_forms_are_read() {
        let want = NaiveDate::from_ymd_opt(1995, 1, 1);
        for s in [
            "1995-01-01",
            "1995-01-01T00:00:00",
            "1995-01",
            "1995/01/01",
            "Jan-1-1995",
            "1995 Jan",
        ] {
            assert_eq!(parse_date(s), want, "{s}");
        }
        assert_eq!(parse_date("01.01.1995"), None);
    }

    #[test]
    fn bad_rows_and_short_series_are_named() {
        let bad = series_from_csv("d,v\n2020-01-01,1\n2020-02-01,abc\n", 1, None);
        assert!(matches!(bad, Err(ServiceError::BadInput { ref field, .. }) if field == "file"));
        let back = series_from_csv("2020-02-01,1\n2020-01-01,2\n", 1, None);
        assert!(
            matches!(back, Err(ServiceError::BadInput { ref reason, .. }) if reason.contains("row 2"))
        );
        let short = series_from_csv(&monthly(3), 1, None);
        assert!(
            matches!(short, Err(ServiceError::BadInput { ref field, .. }) if field == "series")
        );
        let horizon = series_from_csv(&monthly(24), 0, None);
        assert!(
            matches!(horizon, Err(ServiceError::BadInput { ref field, .. }) if field == "horizon")
        );
    }
}
