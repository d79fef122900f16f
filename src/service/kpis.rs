//! The funnel KPIs over the stored data.

use super::{Result, ServiceError};
use crate::domain::{
    Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, Period, Quota, Record, Rep, Spend,
    StageEvent,
};
use crate::kpi::{self, KpiData, KpiGroup, KpiReport, Window};
use crate::store::Store;
use std::sync::Arc;

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

/// Every record the KPIs read, loaded once (several windows can then share one load). Each
/// table is the one kept in memory ([`Store::kept_all`]), shared, not copied.
pub(crate) struct KpiRecords {
    leads: Arc<Vec<Lead>>,
    opportunities: Arc<Vec<Opportunity>>,
    stage_events: Arc<Vec<StageEvent>>,
    reps: Arc<Vec<Rep>>,
    quotas: Arc<Vec<Quota>>,
    accounts: Arc<Vec<Account>>,
    snapshots: Arc<Vec<AccountSnapshot>>,
    churn_events: Arc<Vec<ChurnEvent>>,
    spend: Arc<Vec<Spend>>,
}

impl KpiRecords {
    /// The tables the KPIs are computed from.
    pub(crate) const TABLES: &'static [&'static str] = &[
        Lead::TABLE,
        Opportunity::TABLE,
        StageEvent::TABLE,
        Rep::TABLE,
        Quota::TABLE,
        Account::TABLE,
        AccountSnapshot::TABLE,
        ChurnEvent::TABLE,
        Spend::TABLE,
    ];

    /// Each table read again only when it changed.
    pub(crate) async fn load(store: &Store) -> Result<Self> {
        // The tables not kept in memory are read at once on as many connections.
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
            store.kept_all::<Lead>(),
            store.kept_all::<Opportunity>(),
            store.kept_all::<StageEvent>(),
            store.kept_all::<Rep>(),
            store.kept_all::<Quota>(),
            store.kept_all::<Account>(),
            store.kept_all::<AccountSnapshot>(),
            store.kept_all::<ChurnEvent>(),
            store.kept_all::<Spend>(),
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
