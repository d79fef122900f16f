//! The numbers of the web app's default pages, computed ahead of the first visit: when the CRM
//! records or the active win model change and then stay still for a moment, the serving process
//! forecasts the current quarter by team (the forecast page) and the next one by owner (the
//! quota page's plan) and computes the KPIs of the eight quarters the pipeline and KPI pages open
//! on. They are kept per data revision (see
//! [`crate::store::Store::memoized`]), so a manager's first visit is served from memory. The
//! forecasts are recorded in the accuracy ledger as if the pages had been opened.

use chrono::Utc;

use super::forecast::{self, ForecastQuery};
use super::kpi_history::{kpis_by_quarter, MAX_QUARTERS};
use super::models::ModelRegistry;
use super::Result;
use crate::domain::Period;
use crate::forecast::GroupBy;
use crate::ml::ModelKind;
use crate::store::Store;

/// The grouping the forecast page opens with.
pub const HOME_GROUPING: GroupBy = GroupBy::Team;

/// What the kept numbers depend on: the data revision and the active win model.
pub async fn state(store: &Store, registry: &ModelRegistry) -> Result<(i64, Option<String>)> {
    let model = registry.active(ModelKind::Win).map(|m| m.version.clone());
    Ok((store.data_revision().await?, model))
}

/// Computes (and keeps) the default pages' numbers for today.
pub async fn warm(store: &Store, registry: &ModelRegistry) -> Result<()> {
    let quarter = Period::quarter_of(Utc::now().date_naive());
    let query = ForecastQuery {
        period: quarter.to_string(),
        group_by: Some(HOME_GROUPING),
        ..ForecastQuery::default()
    };
    forecast::forecast(store, registry, &query).await?;
    let plan = ForecastQuery {
        period: quarter.next().to_string(),
        group_by: Some(GroupBy::Owner),
        ..ForecastQuery::default()
    };
    forecast::forecast(store, registry, &plan).await?;
    kpis_by_quarter(store, quarter, MAX_QUARTERS, None).await?;
    kpis_by_quarter(store, quarter.previous(), MAX_QUARTERS, None).await?;
    Ok(())
}
