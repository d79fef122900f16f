//! The funnel KPIs over the stored data.

use super::{Result, ServiceError};
use crate::domain::{
    Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, Period, Quota, Rep, Spend, StageEvent,
};
use crate::kpi::{self, KpiData, KpiGroup, KpiReport, Window};
use crate::store::Store;

/// A KPI request as the caller states it: either `period`, or `from` and `to` (exclusive).
#[derive(Debug, Clone, Default)]
pub struct KpiQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub period: Option<String>,
    pub group_by: Option<KpiGroup>,
}

use super::forecast::parse_day as date;

/// Checks the query: a window from a period or from two dates, and an optional grouping.
pub fn parse_query(q: &KpiQuery) -> Result<(Window, Option<KpiGroup>)> {
    let window = match (&q.period, &q.from, &q.to) {
        (Some(p), None, None) => Window::of_period(
            Period::parse(p).map_err(|e| ServiceError::bad_input("period", e.to_string()))?,
        ),
        (None, Some(f), Some(t)) => Window::new(date("from", f)?, date("to", t)?)
            .map_err(|e| ServiceError::bad_input("to", e.to_string()))?,
        (Some(_), _, _) => {
            return Err(ServiceError::bad_input(
                "period",
                "give either period or from and to, not both",
            ))
        }
        _ => {
            return Err(ServiceError::bad_input(
                "from",
                "give from and to (YYYY-MM-DD, to exclusive), or a period",
            ))
        }
    };
    Ok((window, q.group_by))
}

/// Every KPI over the window, per group when asked.
pub async fn kpis(store: &Store, q: &KpiQuery) -> Result<KpiReport> {
    let (window, group) = parse_query(q)?;
    let stored = KpiRecords::load(store).await?;
    Ok(kpi::compute(&stored.data(), window, group))
}

/// Every record the KPIs read, loaded once (several windows can then share one load).
pub(crate) struct KpiRecords {
    leads: Vec<Lead>,
    opportunities: Vec<Opportunity>,
    stage_events: Vec<StageEvent>,
    reps: Vec<Rep>,
    quotas: Vec<Quota>,
    accounts: Vec<Account>,
    snapshots: Vec<AccountSnapshot>,
    churn_events: Vec<ChurnEvent>,
    spend: Vec<Spend>,
}

impl KpiRecords {
    /// Loaded once per data revision (kept in memory while no CRM record changes).
    pub(crate) async fn load(store: &Store) -> Result<std::sync::Arc<Self>> {
        store.memoized(String::new(), || Self::read(store)).await
    }

    async fn read(store: &Store) -> Result<Self> {
        // The tables are read at once on as many connections.
        let (
            leads,
            opportunities,
            stage_events,
            reps,
            quotas,
            accounts,
            snapshots,
            churn_events,
            spend,
        ) = tokio::try_join!(
            store.all::<Lead>(),
            store.all::<Opportunity>(),
            store.all::<StageEvent>(),
            store.all::<Rep>(),
            store.all::<Quota>(),
            store.all::<Account>(),
            store.all::<AccountSnapshot>(),
            store.all::<ChurnEvent>(),
            store.all::<Spend>(),
        )?;
        Ok(KpiRecords {
            leads,
            opportunities,
            stage_events,
            reps,
            quotas,
            accounts,
            snapshots,
            churn_events,
            spend,
        })
    }

    pub(crate) fn data(&self) -> KpiData<'_> {
        KpiData {
            leads: &self.leads,
            opportunities: &self.opportunities,
            stage_events: &self.stage_events,
            reps: &self.reps,
            quotas: &self.quotas,
            accounts: &self.accounts,
            snapshots: &self.snapshots,
            churn_events: &self.churn_events,
            spend: &self.spend,
            gross_margin: None,
            conversion_horizon_days: None,
        }
    }
}
