//! The run-rate check: monthly bookings forecast as a time series, summed over the period.

use chrono::{Days, NaiveDate};
use std::collections::BTreeMap;

use super::series::{forecast_series, MIN_SERIES_LEN};
use super::stages::closed_by;
use super::types::{MonthForecast, RunRate};
use crate::domain::{Money, Opportunity, Period};

/// Season length of monthly bookings; seasonal methods need two years of history.
pub(crate) const SEASON: usize = 12;

/// Forecasts monthly bookings (won amount by close month, deals closed on or before `as_of`)
/// over the months of `period`; months of the period already over are reported as actuals.
/// Returns a note instead when the history is too short.
pub(crate) fn run_rate(
    opps: &[Opportunity],
    period: Period,
    as_of: NaiveDate,
) -> Result<RunRate, String> {
    let by_month = monthly_bookings(opps, as_of);
    // The month containing as_of is over only on its last day.
    let last_done = Period::month_of(as_of + Days::new(1)).previous();
    let actual = |m: &Period| by_month.get(m).copied().unwrap_or(0.0);
    let (done, todo): (Vec<Period>, Vec<Period>) = month_list(period)
        .into_iter()
        .partition(|m| *m <= last_done);
    let mut out = RunRate {
        method: "actual".into(),
        months: Vec::new(),
        period_total: 0.0,
    };
    for m in done {
        let a = actual(&m);
        out.months.push(MonthForecast {
            month: m,
            actual: Some(a),
            point: a,
            lower: a,
            upper: a,
        });
    }
    if !todo.is_empty() {
        forecast_months(&by_month, last_done, &todo, &mut out)?;
    }
    out.period_total = out.months.iter().map(|m| m.point).sum();
    Ok(out)
}

/// Appends the point forecasts of the months `todo` (after `last_done`) to `out`.
fn forecast_months(
    by_month: &BTreeMap<Period, f64>,
    last_done: Period,
    todo: &[Period],
    out: &mut RunRate,
) -> Result<(), String> {
    let history = history(by_month, last_done)?;
    let horizon = todo
        .iter()
        .map(|m| month_gap(last_done, *m))
        .max()
        .unwrap_or(1);
    let season = (history.len() >= 2 * SEASON + 2).then_some(SEASON);
    let f = forecast_series(&history, horizon, season).map_err(|e| e.to_string())?;
    out.method = f.method.clone();
    for &month in todo {
        let i = month_gap(last_done, month) - 1;
        let (point, lower, upper) = (f.point[i], f.lower[i], f.upper[i]);
        out.months.push(MonthForecast {
            month,
            actual: None,
            point,
            lower,
            upper,
        });
    }
    Ok(())
}

fn monthly_bookings(opps: &[Opportunity], as_of: NaiveDate) -> BTreeMap<Period, f64> {
    let mut by_month: BTreeMap<Period, f64> = BTreeMap::new();
    for o in opps.iter().filter(|o| o.won == Some(true)) {
        if let Some(d) = closed_by(o, as_of) {
            *by_month.entry(Period::month_of(d)).or_default() += o.amount.map_or(0.0, Money::get);
        }
    }
    by_month
}

/// Bookings of every month from the first booking to `last_done` (months without any count 0).
fn history(by_month: &BTreeMap<Period, f64>, last_done: Period) -> Result<Vec<f64>, String> {
    let mut months = Vec::new();
    let mut m = by_month
        .keys()
        .next()
        .copied()
        .ok_or("no won deals yet: no bookings history for a run rate")?;
    while m <= last_done {
        months.push(by_month.get(&m).copied().unwrap_or(0.0));
        m = m.next();
    }
    if months.len() < MIN_SERIES_LEN {
        return Err(format!(
            "{} months of bookings history; the run rate needs {MIN_SERIES_LEN}",
            months.len()
        ));
    }
    Ok(months)
}

pub(crate) fn month_list(period: Period) -> Vec<Period> {
    let mut m = Period::month_of(period.start());
    (0..period.months())
        .map(|_| {
            let c = m;
            m = m.next();
            c
        })
        .collect()
}

/// Months from `a` to `b` (b after a): 1 for the next month.
pub(crate) fn month_gap(a: Period, b: Period) -> usize {
    let (sa, sb) = (a.start(), b.start());
    use chrono::Datelike;
    ((sb.year() - sa.year()) * 12 + sb.month() as i32 - sa.month() as i32).max(0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::testworld::{day, opp};

    #[test]
    fn steady_bookings_forecast_a_steady_quarter_and_count_finished_months_as_actuals() {
        // 1000 booked on the 10th of every month of 2024 and 2025.
        let opps: Vec<Opportunity> = (0..24)
            .map(|i| {
                let d = day(2024 + i / 12, (i % 12) as u32 + 1, 10);
                opp(
                    &format!("m{i}"),
                    "r",
                    d - Days::new(20),
                    Some((d, true)),
                    1000.0,
                )
            })
            .collect();
        let r = run_rate(&opps, Period::parse("2025-Q4").unwrap(), day(2025, 10, 31)).unwrap();
        assert_eq!(r.months.len(), 3);
        assert_eq!(r.months[0].actual, Some(1000.0));
        assert!(r.months[1].actual.is_none());
        assert!((r.period_total - 3000.0).abs() < 30.0, "{r:?}");
    }

    #[test]
    fn too_short_a_history_is_explained() {
        let o = opp(
            "a",
            "r",
            day(2025, 1, 1),
            Some((day(2025, 1, 5), true)),
            10.0,
        );
        let e = run_rate(&[o], Period::parse("2025-Q2").unwrap(), day(2025, 3, 15)).unwrap_err();
        assert!(e.contains("months of bookings history"), "{e}");
    }
}
