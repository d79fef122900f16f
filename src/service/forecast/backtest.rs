//! Backtesting: replay the forecast of past periods as of dates inside them, with the pipeline
//! rebuilt from the stage history and P(win) from the stage win rates known on each date.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::data::{period_over, Crm};
use super::FORECAST_SEED;
use crate::domain::{Opportunity, Period};
use crate::forecast::{self, BacktestReport, StageWinRates, WinModel};
use crate::service::{Result, ServiceError};
use crate::store::Store;

/// What to replay.
#[derive(Debug, Clone)]
pub struct BacktestQuery {
    /// How many past periods, the latest ones over by the last day with data; 1..=60.
    pub periods: usize,
    /// Weeks between replays inside a period: as of `step`, `2 x step`, ... weeks before its end.
    pub step_weeks: u32,
    /// `month`, `quarter` (default) or `year`.
    pub kind: String,
}

impl Default for BacktestQuery {
    fn default() -> Self {
        BacktestQuery {
            periods: 8,
            step_weeks: 4,
            kind: "quarter".into(),
        }
    }
}

/// A backtest and what it covered.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BacktestOutcome {
    /// The last day with data when it was made.
    pub data_end: NaiveDate,
    #[schema(value_type = Vec<String>)]
    pub periods: Vec<Period>,
    pub weeks_before_end: Vec<u32>,
    pub report: BacktestReport,
}

/// The `n` latest periods of a kind that are over by `end`, oldest first.
fn past_periods(kind: &str, n: usize, end: NaiveDate) -> Result<Vec<Period>> {
    let current = match kind.trim() {
        "month" => Period::month_of(end),
        "quarter" => Period::quarter_of(end),
        "year" => Period::Year {
            year: chrono::Datelike::year(&end),
        },
        other => {
            return Err(ServiceError::bad_input(
                "kind",
                format!("unknown period kind `{other}`; use month, quarter or year"),
            ))
        }
    };
    if !(1..=60).contains(&n) {
        return Err(ServiceError::bad_input(
            "periods",
            format!("must be between 1 and 60, got {n}"),
        ));
    }
    let mut p = if period_over(current, end) {
        current
    } else {
        current.previous()
    };
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(p);
        p = p.previous();
    }
    out.reverse();
    Ok(out)
}

/// `step`, `2 x step`, ... weeks, all less than the shortest period's length.
fn replay_weeks(periods: &[Period], step: u32) -> Result<Vec<u32>> {
    let days = periods
        .iter()
        .map(|p| (p.end() - p.start()).num_days())
        .min()
        .unwrap_or(0);
    let weeks: Vec<u32> = (1..)
        .map(|k| k * step)
        .take_while(|w| step > 0 && i64::from(*w) * 7 < days)
        .collect();
    if weeks.is_empty() {
        return Err(ServiceError::bad_input(
            "step",
            format!("must be at least 1 week and shorter than a period ({days} days), got {step}"),
        ));
    }
    Ok(weeks)
}

/// Replays the forecast; P(win) comes from the stage win rates of deals closed by each as-of day
/// (the win model is trained on all history, so it would see the future).
pub async fn backtest(store: &Store, q: &BacktestQuery) -> Result<BacktestOutcome> {
    let crm = Crm::load(store).await?;
    let periods = past_periods(&q.kind, q.periods, crm.data_end)?;
    let weeks = replay_weeks(&periods, q.step_weeks)?;
    let (ps, ws) = (periods.clone(), weeks.clone());
    let data_end = crm.data_end;
    let report = tokio::task::spawn_blocking(move || {
        let p_win_for = |as_of: NaiveDate| -> WinModel {
            let rates = StageWinRates::learn(&crm.opps, &crm.events, as_of);
            Box::new(move |o: &Opportunity| rates.rate(&o.stage))
        };
        forecast::backtest(
            &crm.opps,
            &crm.events,
            &crm.changes,
            &crm.reps,
            &ps,
            &ws,
            &p_win_for,
            FORECAST_SEED,
        )
    })
    .await
    .map_err(|e| ServiceError::internal(format!("the backtest did not finish: {e}")))?;
    Ok(BacktestOutcome {
        data_end,
        periods,
        weeks_before_end: weeks,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_periods_are_the_latest_ones_over() {
        let end = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let got = past_periods("quarter", 3, end).unwrap();
        let names: Vec<String> = got.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2026-Q1", "2026-Q2", "2026-Q3"]);
        let q_end = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        assert_eq!(
            past_periods("quarter", 1, q_end).unwrap()[0].to_string(),
            "2026-Q3"
        );
        assert!(past_periods("week", 1, end).is_err());
        assert!(past_periods("month", 0, end).is_err());
    }

    #[test]
    fn replay_weeks_stay_inside_the_period() {
        let q = past_periods("quarter", 2, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()).unwrap();
        assert_eq!(replay_weeks(&q, 4).unwrap(), vec![4, 8, 12]);
        let m = past_periods("month", 1, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).unwrap();
        assert_eq!(replay_weeks(&m, 2).unwrap(), vec![2]);
        assert!(replay_weeks(&m, 0).is_err());
        assert!(replay_weeks(&m, 5).is_err());
    }
}

/// A recorded backtest: its kind (`month`, `quarter`, `year`), when it was made, its outcome.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedBacktest {
    pub kind: String,
    pub made_at: chrono::DateTime<chrono::Utc>,
    pub outcome: BacktestOutcome,
}

/// Runs a backtest and records it (the accuracy page shows the latest of each kind).
pub async fn backtest_and_record(store: &Store, q: &BacktestQuery) -> Result<BacktestOutcome> {
    let outcome = backtest(store, q).await?;
    let json = serde_json::to_string(&outcome)
        .map_err(|e| ServiceError::internal(format!("writing the backtest: {e}")))?;
    store
        .save_backtest(&crate::store::BacktestRecord {
            kind: q.kind.trim().to_string(),
            made_at: chrono::Utc::now(),
            outcome: json,
        })
        .await?;
    Ok(outcome)
}

/// The latest recorded backtest of each kind.
pub async fn recorded_backtests(store: &Store) -> Result<Vec<RecordedBacktest>> {
    store
        .latest_backtests()
        .await?
        .into_iter()
        .map(|r| {
            let outcome = serde_json::from_str(&r.outcome).map_err(|e| {
                ServiceError::internal(format!("a recorded {} backtest does not read: {e}", r.kind))
            })?;
            Ok(RecordedBacktest {
                kind: r.kind,
                made_at: r.made_at,
                outcome,
            })
        })
        .collect()
}
