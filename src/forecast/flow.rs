//! The flow of new deals by month (how many are created, and their amount), forecast with the
//! series engine, as factors on the not-yet-created part learned from past periods.
//!
//! The not-yet-created part counts the deals won inside past periods of the same kind that were
//! created after the same point of them; alone, it gives every future quarter the same mean.
//! Where the flow of new deals has a season (a heavy last quarter) or a trend, the months of the
//! period forecast differ from those past periods: the factor is the flow forecast for the
//! period's months (actuals for months already over) over the mean flow of those past periods.

use chrono::Days;
use std::collections::BTreeMap;

use super::runrate::{month_gap, month_list, SEASON};
use super::series::forecast_series;
use crate::domain::{Money, Opportunity, Period};

/// Fewest whole months of history before the flow is used (a year, to see one season).
const MIN_MONTHS: usize = 12;
/// The factors are kept within 1/LIMIT..=LIMIT: a series forecast can run away on a short history.
const LIMIT: f64 = 4.0;

/// Factors on the count of new deals and on their amounts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlowFactors {
    pub count: f64,
    pub amount: f64,
    /// The series methods used (count, amount).
    pub method: String,
}

/// The factors for `period` as of `as_of`, against the past periods `past` (all over by as_of);
/// None when the history is too short, the past flow was nil, or the series could not be fitted.
pub(crate) fn flow_factors(
    opps: &[Opportunity],
    period: Period,
    as_of: chrono::NaiveDate,
    past: &[Period],
) -> Option<FlowFactors> {
    let last_done = Period::month_of(as_of + Days::new(1)).previous();
    let mut counts: BTreeMap<Period, (f64, f64)> = BTreeMap::new();
    for o in opps {
        let Some(c) = o.created_at.map(|t| t.date()) else {
            continue;
        };
        let m = Period::month_of(c);
        if m <= last_done {
            let e = counts.entry(m).or_default();
            e.0 += 1.0;
            e.1 += o.amount.map_or(0.0, Money::get);
        }
    }
    let first = *counts.keys().next()?;
    let mut months = Vec::new();
    let mut m = first;
    while m <= last_done {
        months.push(counts.get(&m).copied().unwrap_or_default());
        m = m.next();
    }
    if months.len() < MIN_MONTHS || past.is_empty() {
        return None;
    }
    let (count, count_method) = factor(&months, |v| v.0, first, last_done, period, past)?;
    let (amount, amount_method) = factor(&months, |v| v.1, first, last_done, period, past)?;
    Some(FlowFactors {
        count,
        amount: (amount / count).clamp(1.0 / LIMIT, LIMIT),
        method: format!("{count_method} (count), {amount_method} (amount)"),
    })
}

/// The flow of `period` (actual months, then forecast) over the mean flow of `past`.
fn factor(
    months: &[(f64, f64)],
    pick: impl Fn(&(f64, f64)) -> f64,
    first: Period,
    last_done: Period,
    period: Period,
    past: &[Period],
) -> Option<(f64, String)> {
    let series: Vec<f64> = months.iter().map(&pick).collect();
    let at = |m: Period| -> f64 {
        if m >= first && m <= last_done {
            series[month_gap(first, m)]
        } else {
            0.0
        }
    };
    let past_mean = past
        .iter()
        .map(|p| month_list(*p).into_iter().map(at).sum::<f64>())
        .sum::<f64>()
        / past.len() as f64;
    let todo: Vec<Period> = month_list(period)
        .into_iter()
        .filter(|m| *m > last_done)
        .collect();
    let done: f64 = month_list(period)
        .into_iter()
        .filter(|m| *m <= last_done)
        .map(at)
        .sum();
    let (ahead, method) = match todo.iter().map(|m| month_gap(last_done, *m)).max() {
        None => (0.0, "actual".to_string()),
        Some(h) => {
            let season = (series.len() >= 2 * SEASON + 2).then_some(SEASON);
            // Always a year ahead at least: the series engine picks its method on a holdout as long
            // as the horizon, so asking for one quarter or for the fourth would pick different
            // methods, and next year's quarters would not come from one forecast.
            let f = forecast_series(&series, h.max(SEASON), season).ok()?;
            let sum: f64 = todo
                .iter()
                .map(|m| f.point[month_gap(last_done, *m) - 1].max(0.0))
                .sum();
            (sum, f.method)
        }
    };
    (past_mean > 0.0).then(|| {
        (
            ((done + ahead) / past_mean).clamp(1.0 / LIMIT, LIMIT),
            method,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::newdeals::NewDeals;
    use crate::domain::{Opportunity, Period};
    use crate::forecast::testworld::{day, opp};
    use chrono::{Datelike, Days};

    #[test]
    fn a_seasonal_history_gives_seasonal_quarters() {
        // Three years of deals, each won 5 days after its creation: one a day, three a day in Q4.
        let mut opps: Vec<Opportunity> = Vec::new();
        let mut d = day(2023, 1, 1);
        while d <= day(2025, 12, 26) {
            for _ in 0..if d.month() >= 10 { 3 } else { 1 } {
                let id = format!("n{}", opps.len());
                opps.push(opp(&id, "r", d, Some((d + Days::new(5), true)), 1000.0));
            }
            d = d + Days::new(1);
        }
        let as_of = day(2025, 12, 31);
        let q =
            |p: &str| NewDeals::learn(&opps, Period::parse(p).unwrap(), as_of, &mut |_| 0).summary;
        let (q1, q2, q3, q4) = (q("2026-Q1"), q("2026-Q2"), q("2026-Q3"), q("2026-Q4"));
        // Without the flow all four had the mean of the last eight quarters, about 135 deals.
        assert!(q1.flow_method.is_some(), "{q1:?}");
        assert!(q4.expected > 2.4 * q1.expected, "{q1:?} {q4:?}");
        for other in [&q2, &q3] {
            assert!(
                (other.expected / q1.expected - 1.0).abs() < 0.2,
                "{q1:?} {other:?}"
            );
        }
        // About 90 deals of 1,000 in a quiet quarter.
        assert!((q1.expected / 90_000.0 - 1.0).abs() < 0.2, "{q1:?}");
    }
}
