//! The flow of new deals by month (how many are created, and their amount), forecast with the
//! series engine, as factors on the not-yet-created part learned from past periods.
//!
//! The not-yet-created part counts the deals won inside past periods of the same kind that were
//! created after the same point of them; alone, it gives every future quarter the same mean.
//! Where the flow of new deals has a season (a heavy last quarter) or a trend, the months of the
//! period forecast differ from those past periods: the factor is the flow that feeds the period
//! (forecast for months ahead, actuals for months over) over the mean flow that fed those past
//! periods. A deal is won months after it is created, so the flow that feeds a period is not its
//! own months' but each earlier month's, weighted by the share of won deals that took that many
//! months from creation to close: with a two-month cycle a quarter is fed by the months from two
//! before its start to two before its end.

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
    let lags = lag_shares(opps, as_of);
    let flow = Flow {
        first,
        last_done,
        lags: &lags,
    };
    let (count, count_method) = flow.factor(&months, |v| v.0, period, past)?;
    let (amount, amount_method) = flow.factor(&months, |v| v.1, period, past)?;
    Some(FlowFactors {
        count,
        amount: (amount / count).clamp(1.0 / LIMIT, LIMIT),
        method: format!("{count_method} (count), {amount_method} (amount)"),
    })
}

/// Longest creation-to-close lag, in months, told apart; longer ones count as this.
const MAX_LAG: usize = 12;

/// Share of the deals won by `as_of` that closed 0, 1, ... [`MAX_LAG`] calendar months after the
/// month they were created in (sums to 1; all in month 0 when nothing is known).
fn lag_shares(opps: &[Opportunity], as_of: chrono::NaiveDate) -> Vec<f64> {
    let mut counts = vec![0.0; MAX_LAG + 1];
    for o in opps.iter().filter(|o| o.won == Some(true)) {
        let (Some(created), Some(closed)) = (o.created_at, o.closed_at) else {
            continue;
        };
        if closed.date() > as_of || closed < created {
            continue;
        }
        let lag = month_gap(
            Period::month_of(created.date()),
            Period::month_of(closed.date()),
        );
        counts[lag.min(MAX_LAG)] += 1.0;
    }
    let total: f64 = counts.iter().sum();
    if total == 0.0 {
        counts[0] = 1.0;
        return counts;
    }
    counts.iter().map(|c| c / total).collect()
}

/// The monthly flow of new deals known on a day, and how long deals take to be won.
struct Flow<'a> {
    first: Period,
    last_done: Period,
    lags: &'a [f64],
}

impl Flow<'_> {
    /// The flow that feeds `period` (actual months, then forecast) over the mean flow that fed
    /// `past`.
    fn factor(
        &self,
        months: &[(f64, f64)],
        pick: impl Fn(&(f64, f64)) -> f64,
        period: Period,
        past: &[Period],
    ) -> Option<(f64, String)> {
        let series: Vec<f64> = months.iter().map(&pick).collect();
        let last = *month_list(period).last()?;
        let (ahead, method) = if last <= self.last_done {
            (Vec::new(), "actual".to_string())
        } else {
            let h = month_gap(self.last_done, last);
            let season = (series.len() >= 2 * SEASON + 2).then_some(SEASON);
            // Always a year ahead at least: the series engine picks its method on a holdout as
            // long as the horizon, so asking for one quarter or for the fourth would pick
            // different methods, and next year's quarters would not come from one forecast.
            let f = forecast_series(&series, h.max(SEASON), season).ok()?;
            (f.point.iter().map(|v| v.max(0.0)).collect(), f.method)
        };
        // The flow of month `m`: actual when over (0 before the data starts), else forecast.
        let at = |m: Period| -> f64 {
            if m <= self.last_done {
                if m >= self.first {
                    series[month_gap(self.first, m)]
                } else {
                    0.0
                }
            } else {
                ahead
                    .get(month_gap(self.last_done, m) - 1)
                    .copied()
                    .unwrap_or(0.0)
            }
        };
        let fed = |p: Period| -> f64 {
            month_list(p)
                .into_iter()
                .map(|m| {
                    let mut source = m;
                    let mut sum = 0.0;
                    for share in self.lags {
                        sum += share * at(source);
                        source = source.previous();
                    }
                    sum
                })
                .sum()
        };
        // Past periods fed by months before the data began would look thin: left out, unless
        // no past period is fed by known months only.
        let oldest_source = |p: Period| {
            let mut m = Period::month_of(p.start());
            for _ in 1..self.lags.len() {
                m = m.previous();
            }
            m
        };
        let complete: Vec<Period> = past
            .iter()
            .copied()
            .filter(|p| oldest_source(*p) >= self.first)
            .collect();
        let base = if complete.is_empty() { past } else { &complete };
        let past_mean = base.iter().map(|p| fed(*p)).sum::<f64>() / base.len() as f64;
        (past_mean > 0.0).then(|| ((fed(period) / past_mean).clamp(1.0 / LIMIT, LIMIT), method))
    }
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

    #[test]
    fn a_two_month_cycle_moves_the_season_to_the_quarter_deals_close_in() {
        // Deals created one a day, three a day in July to September, each won 61 days later:
        // the busy months are Q3's, but the wins they bring land in Q4 (and the end of Q3).
        let as_of = day(2025, 12, 31);
        let mut opps: Vec<Opportunity> = Vec::new();
        let mut d = day(2023, 1, 1);
        while d <= as_of {
            for _ in 0..if (7..=9).contains(&d.month()) { 3 } else { 1 } {
                let id = format!("n{}", opps.len());
                let close = d + Days::new(61);
                let outcome = (close <= as_of).then_some((close, true));
                opps.push(opp(&id, "r", d, outcome, 1000.0));
            }
            d = d + Days::new(1);
        }
        let q =
            |p: &str| NewDeals::learn(&opps, Period::parse(p).unwrap(), as_of, &mut |_| 0).summary;
        let (q2, q3, q4) = (q("2026-Q2"), q("2026-Q3"), q("2026-Q4"));
        assert!(q4.expected > 1.5 * q2.expected, "{q2:?} {q4:?}");
        assert!(q4.expected > q3.expected, "{q3:?} {q4:?}");
    }
}
