//! The numbers of the web app's default pages, computed ahead of the first visit: when the CRM
//! records or the active win model change and then stay still for a moment, the serving process
//! forecasts the current quarter by team (the forecast page) and the next one by owner (the
//! quota page's plan) and computes the KPIs of the eight quarters the pipeline and KPI pages open
//! on; then the other groupings those pages offer. They are kept per data revision (see
//! [`crate::store::Store::memoized`]), so a manager's first visit is served from memory. The
//! forecasts are recorded in the accuracy ledger as if the pages had been opened.

use chrono::Utc;

use super::forecast::{self, ForecastQuery};
use super::kpi_history::{kpis_by_quarter, MAX_QUARTERS};
use super::models::ModelRegistry;
use super::Result;
use crate::domain::Period;
use crate::forecast::GroupBy;
use crate::kpi::KpiGroup;
use crate::ml::ModelKind;
use crate::store::Store;

/// The grouping the forecast page opens with.
pub const HOME_GROUPING: GroupBy = GroupBy::Team;

/// What the kept numbers depend on: the data revision and the active win model.
pub async fn state(store: &Store, registry: &ModelRegistry) -> Result<(i64, Option<String>)> {
    let model = registry.active(ModelKind::Win).map(|m| m.version.clone());
    Ok((store.data_revision().await?, model))
}

/// Computes (and keeps) the default pages' numbers for today, then the same pages' other
/// groupings (the forecast by owner, region and product; the KPIs by rep, team, region, source
/// and product), so that picking one in a page's filter is served from memory too.
pub async fn warm(store: &Store, registry: &ModelRegistry) -> Result<()> {
    let quarter = Period::quarter_of(Utc::now().date_naive());
    let forecast_of = |period: Period, group_by: GroupBy| ForecastQuery {
        period: period.to_string(),
        group_by: Some(group_by),
        ..ForecastQuery::default()
    };
    forecast::forecast(store, registry, &forecast_of(quarter, HOME_GROUPING)).await?;
    forecast::forecast(
        store,
        registry,
        &forecast_of(quarter.next(), GroupBy::Owner),
    )
    .await?;
    kpis_by_quarter(store, quarter, MAX_QUARTERS, None).await?;
    kpis_by_quarter(store, quarter.previous(), MAX_QUARTERS, None).await?;
    for g in [GroupBy::Owner, GroupBy::Region, GroupBy::Product] {
        forecast::forecast(store, registry, &forecast_of(quarter, g)).await?;
    }
    kpis_by_quarter(store, quarter, MAX_QUARTERS, Some(KpiGroup::Rep)).await?;
    for g in [
        KpiGroup::Rep,
        KpiGroup::Team,
        KpiGroup::Region,
        KpiGroup::Source,
        KpiGroup::Product,
    ] {
        kpis_by_quarter(store, quarter.previous(), MAX_QUARTERS, Some(g)).await?;
    }
    Ok(())
}
