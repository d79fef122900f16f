//! Backtest: replay the forecast as of past dates, on the pipeline as it stood, and score it
//! against what closed.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::pipeline::pipeline_as_of;
use super::types::ForecastInput;
use super::{forecast, ForecastError, DEFAULT_SIMULATIONS};
use crate::domain::{Money, Opportunity, Period, Rep, StageEvent};

/// A win model: P(win) 0..=1 for an open deal.
pub type WinModel = Box<dyn Fn(&Opportunity) -> f64>;

/// One replayed forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestRow {
    pub period: Period,
    pub as_of: NaiveDate,
    pub weeks_before_end: u32,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub mean: f64,
    /// Won amount that closed inside the period (from the full data).
    pub actual: f64,
    /// p50 - actual.
    pub error: f64,
    /// |error| / actual; absent when nothing was won.
    pub abs_pct_error: Option<f64>,
    /// p10 <= actual <= p90.
    pub covered: bool,
    /// The CRM's own forecast on that date: closed so far + the CRM-weighted open pipeline.
    pub crm_weighted: f64,
}

/// The rows taken together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BacktestSummary {
    pub rows: usize,
    /// Share of rows with the actual inside P10..P90 (target about 0.8).
    pub coverage: f64,
    /// Mean |p50 - actual|.
    pub mae_p50: f64,
    /// Mean |crm_weighted - actual|, the baseline to beat.
    pub mae_crm_weighted: f64,
    /// Mean (p50 - actual): positive means the forecast ran high.
    pub bias: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BacktestReport {
    pub rows: Vec<BacktestRow>,
    pub summary: BacktestSummary,
    /// (period, weeks before end, why) for replays that could not run, e.g. no history yet.
    pub skipped: Vec<(Period, u32, String)>,
}

/// Replays the forecast of each period at each number of weeks before its end.
/// `p_win_for(as_of)` must return a win model that uses only history before `as_of`.
/// Events and deals are cut to what was known on each as_of (see [`pipeline_as_of`]).
pub fn backtest(
    opps: &[Opportunity],
    events: &[StageEvent],
    reps: &[Rep],
    periods: &[Period],
    weeks_before_end: &[u32],
    p_win_for: &dyn Fn(NaiveDate) -> WinModel,
    seed: u64,
) -> BacktestReport {
    let mut report = BacktestReport::default();
    for period in periods {
        let actual = won_in(opps, *period);
        for &w in weeks_before_end {
            let as_of = period.end() - Days::new(7 * u64::from(w) + 1);
            match replay(opps, events, reps, *period, as_of, p_win_for, seed) {
                Ok((q, crm)) => report.rows.push(row(*period, as_of, w, q, actual, crm)),
                Err(e) => report.skipped.push((*period, w, e.to_string())),
            }
        }
    }
    report.summary = summarise(&report.rows);
    report
}

type Q = crate::forecast::Quantiles;

fn replay(
    opps: &[Opportunity],
    events: &[StageEvent],
    reps: &[Rep],
    period: Period,
    as_of: NaiveDate,
    p_win_for: &dyn Fn(NaiveDate) -> WinModel,
    seed: u64,
) -> Result<(Q, f64), ForecastError> {
    let past = pipeline_as_of(opps, events, as_of);
    let known: Vec<StageEvent> = events
        .iter()
        .filter(|e| e.entered_at.date() <= as_of)
        .cloned()
        .collect();
    let input = ForecastInput {
        period,
        as_of,
        opportunities: &past,
        events: &known,
        reps,
        group_by: None,
        simulations: DEFAULT_SIMULATIONS,
        seed,
    };
    let p_win = p_win_for(as_of);
    let f = forecast(&input, &*p_win)?;
    Ok((f.total, f.parts.closed + f.parts.open_pipeline.crm_weighted))
}

fn row(period: Period, as_of: NaiveDate, w: u32, q: Q, actual: f64, crm: f64) -> BacktestRow {
    BacktestRow {
        period,
        as_of,
        weeks_before_end: w,
        p10: q.p10,
        p50: q.p50,
        p90: q.p90,
        mean: q.mean,
        actual,
        error: q.p50 - actual,
        abs_pct_error: (actual > 0.0).then(|| (q.p50 - actual).abs() / actual),
        covered: q.p10 <= actual && actual <= q.p90,
        crm_weighted: crm,
    }
}

fn won_in(opps: &[Opportunity], period: Period) -> f64 {
    opps.iter()
        .filter(|o| o.won == Some(true) && o.closed_at.is_some_and(|t| period.contains(t.date())))
        .map(|o| o.amount.map_or(0.0, Money::get))
        .sum()
}

fn summarise(rows: &[BacktestRow]) -> BacktestSummary {
    if rows.is_empty() {
        return BacktestSummary::default();
    }
    let n = rows.len() as f64;
    BacktestSummary {
        rows: rows.len(),
        coverage: rows.iter().filter(|r| r.covered).count() as f64 / n,
        mae_p50: rows.iter().map(|r| r.error.abs()).sum::<f64>() / n,
        mae_crm_weighted: rows
            .iter()
            .map(|r| (r.crm_weighted - r.actual).abs())
            .sum::<f64>()
            / n,
        bias: rows.iter().map(|r| r.error).sum::<f64>() / n,
    }
}
