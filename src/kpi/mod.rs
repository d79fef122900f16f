//! Funnel KPIs over pre-sales, sales and post-sales data (see the glossary of DESIGN.md).
//!
//! Pure logic: [`compute`] takes the entities in memory and a [`Window`] and returns a
//! [`KpiReport`]; it never fails and never divides by zero (a KPI without a value carries a
//! reason). Conventions, where the glossary leaves a choice:
//!
//! - **Window**: `from` inclusive, `to` exclusive, both dates in UTC. A record is "in the window"
//!   when its date (created, closed, entered, churned) is.
//! - **ARR at a date** `d`: the ARR of the account's latest snapshot with `as_of <= d`. An account
//!   is **active** at `d` when that snapshot exists, its ARR is positive, and no churn event of the
//!   account falls on or after that snapshot's date and before `d`.
//! - **Start cohort**: the accounts active at `from`, with their ARR at `from`. Retention, churn,
//!   expansion and CLV only look at this cohort: accounts that start later are new business.
//! - **Churned**: a cohort account with a churn event in the window. Its churned ARR is its ARR at
//!   `from` (not the event's `arr_lost`, which is reported in the counts), so that churn,
//!   contraction and expansion add up to the cohort's change of ARR.
//! - **Expansion / contraction**: for cohort accounts that did not churn, the ARR at the window's
//!   last day (`to - 1`) minus the ARR at `from`; positive differences sum to expansion, negative
//!   ones to contraction.
//! - **Annual churn for CLV**: the window's account churn rate `c` over `d` days, compounded to a
//!   year: `1 - (1 - c)^(365 / d)`. A quarter with 5% churn gives about 18.6% a year.
//! - **Quotas** (attainment, coverage): the quotas whose period lies entirely inside the window.
//!   When a rep has quotas of several lengths there (months and a quarter), only the longest kind
//!   counts, so a target is never counted twice. Won amount is summed over those quota periods.
//! - **Spend** (CAC): a spend period that overlaps the window counts in proportion of the days
//!   inside it. A **new customer** is an account whose first won deal closes in the window.
//! - **Open pipeline**: coverage uses the deals open at the window's start (created before
//!   `from`, not closed before it) whose current expected close date is inside the window;
//!   velocity uses the deals open at the window's end.
//! - **Stages**: the order is learned from the stage events (see [`learn_stage_order`]);
//!   terminal stages (entered only as the last step of closed deals of one outcome, e.g.
//!   "Closed Won") are not funnel stages. One order, learned from all the events, serves every
//!   group.
//!
//! KPIs (in report order): `leads_by_source`, `lead_conversion_rate`,
//! `median_first_response_hours`, `stage_conversion`, `median_days_in_stage`, `win_rate`,
//! `sales_cycle_days`, `average_deal_size`, `pipeline_coverage`, `quota_attainment`,
//! `pipeline_velocity`, `cac`, `churn_rate` (accounts), `arr_churn_rate` (ARR),
//! `gross_revenue_retention`, `net_revenue_retention`, `expansion_revenue`, `clv`, `clv_to_cac`.
//!
//! **Groups** repeat every KPI; those a grouping cannot define are null with the reason:
//! by rep, team or region, `cac` and `clv_to_cac` (spend is not attributed to reps); by source,
//! all but the three lead KPIs; by product, the lead KPIs, the quota KPIs and the account KPIs
//! (churn, retention, expansion, CLV, CAC). Accounts belong to their owner (`Account::owner_id`).

mod funnel;
mod groups;
mod leads;
mod report;
mod revenue;
mod sales;
mod scope;
mod stages;
mod targets;

#[cfg(test)]
mod tests;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{
    Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, Period, Quota, Rep, Spend, StageEvent,
};

pub use report::{GroupReport, Kpi, KpiPart, KpiReport, Unit};
pub use stages::{learn_stage_order, StageOrder};

/// The group key of records that have none (a lead without a source, a deal without an owner).
pub const UNASSIGNED: &str = "(unassigned)";

/// Why a KPI request was refused; the message names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KpiError {
    #[error("window `from` ({from}) must not be after `to` ({to}); `to` is exclusive")]
    WindowOrder { from: NaiveDate, to: NaiveDate },
    #[error("`{input}` is not a KPI grouping: use rep, team, region, source or product")]
    UnknownGroup { input: String },
}

/// Borrowed inputs: every entity the KPIs read. Missing kinds are empty slices.
#[derive(Debug, Clone, Copy, Default)]
pub struct KpiData<'a> {
    pub leads: &'a [Lead],
    pub opportunities: &'a [Opportunity],
    pub stage_events: &'a [StageEvent],
    pub reps: &'a [Rep],
    pub quotas: &'a [Quota],
    pub accounts: &'a [Account],
    pub snapshots: &'a [AccountSnapshot],
    pub churn_events: &'a [ChurnEvent],
    pub spend: &'a [Spend],
    /// Gross margin for CLV, 0..=1; `None` means 1 (revenue is margin).
    pub gross_margin: Option<f64>,
    /// Lead conversion counts only conversions within this many days of the lead's creation
    /// (leads converted without a `converted_at` then do not count); `None`: converted ever.
    pub conversion_horizon_days: Option<u32>,
}

/// A half-open date range `[from, to)`. An empty or inverted window yields null KPIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Window {
    pub from: NaiveDate,
    /// Exclusive.
    pub to: NaiveDate,
}

impl Window {
    /// Checks `from <= to` (equal is an empty window).
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, KpiError> {
        if from > to {
            return Err(KpiError::WindowOrder { from, to });
        }
        Ok(Window { from, to })
    }

    /// The window of a calendar period (a month, quarter or year).
    pub fn of_period(p: Period) -> Self {
        Window {
            from: p.start(),
            to: p.end(),
        }
    }

    /// Length in days, 0 for an empty or inverted window.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days().max(0)
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        d >= self.from && d < self.to
    }
}

/// How to split a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiGroup {
    /// The owner (rep id) of leads and deals, the owner of accounts.
    Rep,
    /// The owner's `team`, or their `manager` when the team is not set.
    Team,
    /// The owner's region; for accounts their own region first.
    Region,
    /// The lead source: lead KPIs only.
    Source,
    /// The deal's product: deal KPIs only.
    Product,
}

impl KpiGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            KpiGroup::Rep => "rep",
            KpiGroup::Team => "team",
            KpiGroup::Region => "region",
            KpiGroup::Source => "source",
            KpiGroup::Product => "product",
        }
    }
}

impl fmt::Display for KpiGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KpiGroup {
    type Err = KpiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let all = [
            KpiGroup::Rep,
            KpiGroup::Team,
            KpiGroup::Region,
            KpiGroup::Source,
            KpiGroup::Product,
        ];
        let t = s.trim();
        all.into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| KpiError::UnknownGroup {
                input: crate::domain::truncate_for_message(t, 40),
            })
    }
}

/// Every KPI over `window`, and per group when `group_by` is set (see the module docs).
pub fn compute(data: &KpiData, window: Window, group_by: Option<KpiGroup>) -> KpiReport {
    let mut reports = compute_each(data, &[window], group_by);
    reports
        .pop()
        .unwrap_or_else(|| unreachable!("one report per window"))
}

/// [`compute`] for each of `windows`, in their order: the records are scoped, the stage order
/// learned and the groups split once for all of them.
pub fn compute_each(
    data: &KpiData,
    windows: &[Window],
    group_by: Option<KpiGroup>,
) -> Vec<KpiReport> {
    let all = scope::Scope::all(data);
    let split = group_by.map(|g| (g, groups::split(&all, data, g)));
    // What every window of a scope shares is worked out once per scope, not once per window.
    let all_shared = Shared::new(&all);
    let groups_shared: Vec<Shared> = split
        .iter()
        .flat_map(|(_, scopes)| scopes.iter().map(|(_, scope)| Shared::new(scope)))
        .collect();
    windows
        .iter()
        .map(|&window| KpiReport {
            window,
            group_by,
            kpis: all_kpis(&all, &all_shared, &window),
            groups: match &split {
                None => Vec::new(),
                Some((g, scopes)) => scopes
                    .iter()
                    .zip(&groups_shared)
                    .map(|((key, scope), shared)| GroupReport {
                        key: key.clone(),
                        kpis: groups::mark_not_applicable(*g, all_kpis(scope, shared, &window)),
                    })
                    .collect(),
            },
        })
        .collect()
}

/// What the KPIs of every window of one scope share: the deals' paths through the stages and
/// the accounts' snapshot and churn histories.
struct Shared<'a> {
    paths: Vec<stages::Path<'a>>,
    accounts: revenue::History<'a>,
}

impl<'a> Shared<'a> {
    fn new(s: &scope::Scope<'a>) -> Self {
        Shared {
            paths: stages::paths(&s.events, &s.opps),
            accounts: revenue::History::new(s),
        }
    }
}

fn all_kpis(s: &scope::Scope, shared: &Shared, w: &Window) -> Vec<Kpi> {
    let kpis = kpis_of(s, shared, w);
    if w.days() > 0 {
        return kpis;
    }
    let reason = format!(
        "the window is empty: `from` ({}) is not before `to` ({})",
        w.from, w.to
    );
    kpis.into_iter()
        .map(|k| k.not_applicable(&reason))
        .collect()
}

fn kpis_of(s: &scope::Scope, shared: &Shared, w: &Window) -> Vec<Kpi> {
    let mut out = leads::kpis(s, w);
    out.extend(funnel::kpis(s, &shared.paths, w));
    let sales = sales::kpis(s, w);
    let cac = sales.iter().find(|k| k.name == "cac").cloned();
    out.extend(sales);
    let revenue = revenue::kpis(s, &shared.accounts, w);
    let clv = revenue.iter().find(|k| k.name == "clv").cloned();
    out.extend(revenue);
    if let (Some(clv), Some(cac)) = (clv, cac) {
        out.push(revenue::clv_to_cac(&clv, &cac));
    }
    out
}
