//! What the forecast page reads besides the forecast itself: the period's days in the accuracy
//! ledger (for the fan chart) and the period's stored quotas; and filling the ledger with a
//! period's earlier days, so that the demo's fan chart is not empty on its first day.

use chrono::{Days, NaiveDate};
use std::collections::BTreeMap;

use super::svg::FanDay;
use crate::domain::{Period, Quota};
use crate::service::forecast::{self, ForecastQuery};
use crate::service::models::ModelRegistry;
use crate::service::Result;
use crate::store::Store;

/// The period's totals stored in the accuracy ledger, one per as-of day (the latest stored for a
/// day wins), oldest first.
pub async fn fan_days(store: &Store, period: Period) -> Result<Vec<FanDay>> {
    let rows = store.snapshots("").await?;
    let mut by_day = BTreeMap::new();
    for r in rows.into_iter().filter(|r| r.snapshot.period == period) {
        let s = r.snapshot;
        let closed = s.parts.get("closed").and_then(|v| v.as_f64());
        by_day.insert(
            s.as_of,
            FanDay {
                date: s.as_of,
                p10: s.p10,
                p50: s.p50,
                p90: s.p90,
                closed,
            },
        );
    }
    Ok(by_day.into_values().collect())
}

/// The sum of the quotas stored for exactly this period, or None when there are none.
pub async fn stored_quota(store: &Store, period: Period) -> Result<Option<f64>> {
    let quotas = store.kept_all::<Quota>().await?;
    let mine: Vec<f64> = quotas
        .iter()
        .filter(|q| q.period == period)
        .map(|q| q.amount.get())
        .collect();
    Ok((!mine.is_empty()).then(|| mine.iter().sum()))
}

/// Serves the forecast of `period` as of every `step_days`-th day from its start up to
/// `through` (exclusive), exactly as `GET /v1/forecast?period=&as_of=` would, which stores each
/// in the ledger. Returns how many were served.
pub async fn fill_ledger(
    store: &Store,
    registry: &ModelRegistry,
    period: Period,
    through: NaiveDate,
    step_days: u64,
) -> Result<usize> {
    let mut day = period.start();
    let mut served = 0;
    while day < through {
        let q = ForecastQuery {
            period: period.to_string(),
            as_of: Some(day.to_string()),
            group_by: None,
            simulations: None,
        };
        forecast::forecast(store, registry, &q).await?;
        served += 1;
        day = day + Days::new(step_days.max(1));
    }
    Ok(served)
}
