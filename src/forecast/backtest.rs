//! Backtest: replay the forecast as of past dates, on the pipeline as it stood, and score it
//! against what closed.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::calibrate::Replays;
use super::groups::won_in;
use super::pipeline::pipeline_as_of;
use super::types::ForecastInput;
use super::{calibrate, forecast, ForecastError, PWinFor, DEFAULT_SIMULATIONS};
use crate::domain::{DealChange, Opportunity, Period, Rep, StageEvent};

/// A win model: P(win) 0..=1 for an open deal.
pub type WinModel = Box<dyn Fn(&Opportunity) -> f64>;

/// One replayed forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BacktestRow {
    #[schema(value_type = String, example = "2026-Q3")]
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
    /// Whether the simulated range, before calibration, held the actual.
    pub simulated_covered: bool,
    /// Past forecasts the range was calibrated on (0: left as simulated).
    pub calibrated_on: usize,
    /// The CRM's own forecast on that date: closed so far + the CRM-weighted open pipeline.
    pub crm_weighted: f64,
}

/// The rows taken together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct BacktestSummary {
    pub rows: usize,
    /// Share of rows with the actual inside P10..P90 (target about 0.8).
    pub coverage: f64,
    /// The same share for the simulated ranges, before calibration.
    pub simulated_coverage: f64,
    /// Mean |p50 - actual|.
    pub mae_p50: f64,
    /// Mean |crm_weighted - actual|, the baseline to beat.
    pub mae_crm_weighted: f64,
    /// Mean (p50 - actual): positive means the forecast ran high.
    pub bias: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct BacktestReport {
    pub rows: Vec<BacktestRow>,
    pub summary: BacktestSummary,
    /// [period, weeks before end, why] for replays that could not run, e.g. no history yet.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub skipped: Vec<(Period, u32, String)>,
}

/// Replays the forecast of each period at each number of weeks before its end, its range
/// calibrated on the periods before it as a forecast made that day would be (see [`calibrate`]).
/// `p_win_for(as_of)` must return a win model that uses only history before `as_of`.
/// Events and deals are cut to what was known on each as_of (see [`pipeline_as_of`]). The
/// calibrations of the rows share their past forecasts where they are the same (see [`Replays`]).
#[allow(clippy::too_many_arguments)]
pub fn backtest(
    opps: &[Opportunity],
    events: &[StageEvent],
    changes: &[DealChange],
    reps: &[Rep],
    periods: &[Period],
    weeks_before_end: &[u32],
    p_win_for: &PWinFor<'_>,
    seed: u64,
) -> BacktestReport {
    let mut report = BacktestReport::default();
    let replays = Replays::default();
    for period in periods {
        let actual = won_in(opps, &Default::default(), *period, None, "");
        for &w in weeks_before_end {
            let as_of = period.end() - Days::new(7 * u64::from(w) + 1);
            let data = (opps, events, changes, reps);
            match replay(data, *period, as_of, p_win_for, seed, &replays) {
                Ok(r) => report.rows.push(row(*period, as_of, w, &r, actual)),
                Err(e) => report.skipped.push((*period, w, e.to_string())),
            }
        }
    }
    report.summary = summarise(&report.rows);
    report
}

type Q = crate::forecast::Quantiles;

/// One replay: the calibrated and the simulated total, the past forecasts it was calibrated
/// on, and the CRM-weighted forecast.
struct Replay {
    total: Q,
    simulated: Q,
    calibrated_on: usize,
    crm_weighted: f64,
}

/// The data a backtest replays: deals, stage events, deal history, reps.
type Data<'a> = (
    &'a [Opportunity],
    &'a [StageEvent],
    &'a [DealChange],
    &'a [Rep],
);

fn replay(
    (opps, events, changes, reps): Data<'_>,
    period: Period,
    as_of: NaiveDate,
    p_win_for: &PWinFor<'_>,
    seed: u64,
    replays: &Replays,
) -> Result<Replay, ForecastError> {
    let past = pipeline_as_of(opps, events, changes, as_of);
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
        changes,
        reps,
        group_by: None,
        simulations: DEFAULT_SIMULATIONS,
        seed,
    };
    let p_win = p_win_for(as_of);
    let mut f = forecast(&input, &*p_win)?;
    let simulated = f.total;
    calibrate(&mut f, &input, p_win_for, Some(replays))?;
    Ok(Replay {
        total: f.total,
        simulated,
        calibrated_on: f.calibration.map_or(0, |c| c.past_forecasts),
        crm_weighted: f.parts.closed + f.parts.open_pipeline.crm_weighted,
    })
}

fn row(period: Period, as_of: NaiveDate, w: u32, r: &Replay, actual: f64) -> BacktestRow {
    let (q, sim) = (r.total, r.simulated);
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
        simulated_covered: sim.p10 <= actual && actual <= sim.p90,
        calibrated_on: r.calibrated_on,
        crm_weighted: r.crm_weighted,
    }
}

fn summarise(rows: &[BacktestRow]) -> BacktestSummary {
    if rows.is_empty() {
        return BacktestSummary::default();
    }
    let n = rows.len() as f64;
    BacktestSummary {
        rows: rows.len(),
        coverage: rows.iter().filter(|r| r.covered).count() as f64 / n,
        simulated_coverage: rows.iter().filter(|r| r.simulated_covered).count() as f64 / n,
        mae_p50: rows.iter().map(|r| r.error.abs()).sum::<f64>() / n,
        mae_crm_weighted: rows
            .iter()
            .map(|r| (r.crm_weighted - r.actual).abs())
            .sum::<f64>()
            / n,
        bias: rows.iter().map(|r| r.error).sum::<f64>() / n,
    }
}
