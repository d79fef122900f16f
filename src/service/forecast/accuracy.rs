//! Scoring the accuracy ledger: stored snapshots of periods that are over, against what was won.

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

use super::data::{period_over, Crm};
use crate::domain::Rep;
use crate::forecast::won_in;
use crate::forecast::{score_snapshots, AccuracyReport, ForecastSnapshot, GroupBy};
use crate::service::Result;
use crate::store::Store;

/// The ledger's scores.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccuracyResponse {
    /// The grouping scored: absent for the forecasts' totals.
    pub group_by: Option<String>,
    /// Periods whose last day is on or before this day (the last day with data, or today) are scored.
    pub closed_through: NaiveDate,
    /// Stored snapshots of periods not over yet (not scored).
    pub pending: usize,
    /// `overall` and `by_weeks_before_end`: count, mean_abs_error, mean_abs_pct_error, bias
    /// (P50 - actual, positive means high) and coverage (share with P10 <= actual <= P90).
    pub report: AccuracyReport,
}

/// Scores the stored forecasts of closed periods (the totals, or the groups of `group_by`).
pub async fn accuracy(store: &Store, by: Option<GroupBy>) -> Result<AccuracyResponse> {
    let crm = Crm::load(store).await?;
    let closed_through = crm.data_end.min(Utc::now().date_naive());
    let rows = store
        .snapshots(&by.map(|b| b.to_string()).unwrap_or_default())
        .await?;
    let (closed, pending): (Vec<ForecastSnapshot>, Vec<ForecastSnapshot>) = rows
        .into_iter()
        .map(|r| r.snapshot)
        .partition(|s| period_over(s.period, closed_through));
    let reps: HashMap<&str, &Rep> = crm.reps.iter().map(|r| (r.id.as_str(), r)).collect();
    let actual = |p: &crate::domain::Period, g: &str| won_in(&crm.opps, &reps, *p, by, g);
    Ok(AccuracyResponse {
        group_by: by.map(|b| b.to_string()),
        closed_through,
        pending: pending.len(),
        report: score_snapshots(&closed, &actual),
    })
}
