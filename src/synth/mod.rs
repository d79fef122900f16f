//! The deterministic synthetic CRM world: reps, quotas, leads, opportunities with stage histories,
//! customer accounts with monthly health snapshots and churn, and marketing spend.
//!
//! Outcomes follow a known hidden model (written down in `training/synthetic-truth.md`) with noise,
//! and [`Truth`] keeps the model's own probabilities, so tests can check what a model learns
//! against the truth. The world is a pure function of the settings and `as_of`. [`draws`] holds
//! the smaller single-model draws (leads, deals) the models' unit tests and benches use.

mod accounts;
mod deal_rows;
pub mod draws;
mod health;
mod leads;
mod opportunities;
mod pipeline;
mod reps;
mod settings;
mod spend;
mod truth;
mod util;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

pub use settings::{
    AccountSettings, Category, DealTypeEffect, LeadSettings, OpportunitySettings, Plan, Product,
    RepSettings, Segment, Source, SynthSettings, Team, SHIPPED_SETTINGS,
};
pub use spend::SALES_TEAM_CHANNEL;
pub use truth::Truth;

use crate::domain::{
    Account, AccountSnapshot, ChurnEvent, DealChange, Lead, Opportunity, Quota, Rep, Spend,
    StageEvent,
};

/// Why settings were rejected; the message names the field.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("synthetic settings are not valid TOML or miss a field: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("synthetic setting `{field}` {reason}")]
    Invalid { field: String, reason: String },
}

/// The whole synthetic CRM as it stands at the end of `as_of`, plus the hidden truth.
///
/// Invariants: no timestamp or date of an event lies after `as_of` (expected close and renewal
/// dates are plans, not events); open opportunities have `won` and `closed_at` absent; every row
/// passes the domain's checks; rows are sorted by their keys.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    pub reps: Vec<Rep>,
    pub quotas: Vec<Quota>,
    /// Customers present at the start (`C-....`) and the accounts of converted leads (`A-.....`).
    pub accounts: Vec<Account>,
    pub leads: Vec<Lead>,
    pub opportunities: Vec<Opportunity>,
    pub stage_events: Vec<StageEvent>,
    /// Each deal's history as the CRM recorded it (creation, stage entries, slipped close dates,
    /// revised amounts, handovers, the close), by deal and oldest first, each at its own moment.
    pub deal_changes: Vec<DealChange>,
    pub snapshots: Vec<AccountSnapshot>,
    pub churn_events: Vec<ChurnEvent>,
    pub spend: Vec<Spend>,
    pub truth: Truth,
}

/// The time window of the history.
pub(crate) struct Span {
    /// First day of the history (the first of a month).
    pub start: NaiveDate,
    pub as_of: NaiveDate,
    /// Midnight after `as_of`: events at or after it have not happened yet.
    pub cutoff: DateTime<Utc>,
}

/// Generates the world for `settings` ending on `as_of`.
///
/// # Panics
/// When the settings fail [`SynthSettings::validate`] (the default and any settings built with
/// [`SynthSettings::from_toml`] pass); use [`try_generate`] to get the error instead.
pub fn generate(settings: &SynthSettings, as_of: NaiveDate) -> World {
    match try_generate(settings, as_of) {
        Ok(world) => world,
        Err(e) => panic!("{e}"),
    }
}

/// Generates the world, or says which setting is invalid.
pub fn try_generate(settings: &SynthSettings, as_of: NaiveDate) -> Result<World, SynthError> {
    settings.validate()?;
    let s = settings;
    let span = Span {
        start: util::first_of_month(util::sub_months(as_of, s.history_months)),
        as_of,
        cutoff: util::midnight(as_of) + Duration::days(1),
    };
    let rng = |k| util::stream(s.seed, k);
    let staff = reps::Staff::build(&s.reps, &span, &mut rng(1), &mut rng(9));
    let lead_world = leads::generate(s, &staff, &span, &mut rng(2));
    let new_deals = opportunities::new_deals(s, &staff, &lead_world.conversions, &mut rng(3));
    let (mut accounts, mut seeds) = accounts::initial_customers(s, &staff, &span, &mut rng(4));
    seeds.extend(opportunities::won_customers(s, &new_deals, &span));
    let mut lives = rng(5);
    let customers: Vec<_> = seeds
        .into_iter()
        .map(|c| accounts::live(s, c, &span, &mut lives))
        .collect();
    let mut deals = new_deals;
    let mut deal_rng = rng(6);
    deals.extend(opportunities::customer_deals(
        s,
        &staff,
        &customers,
        &span,
        &mut deal_rng,
    ));
    let deal_rows = deal_rows::observe_all(s, &staff, deals, &span);
    let upsells = won_upsells(&deal_rows.opportunities);
    let customer_rows = accounts::rows(s, &customers, &upsells, &span);
    accounts.extend(lead_world.conversions.into_iter().map(|c| c.account));
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    let truth = Truth {
        lead_conversion: lead_world.truth.into_iter().collect(),
        win_at_creation: BTreeMap::new(),
        stage_pass: deal_rows.pass.into_iter().collect(),
        churn_90d: customer_rows.churn_90d,
        rep_skill: staff.info.iter().map(|r| (r.id.clone(), r.skill)).collect(),
        rep_left: staff
            .info
            .iter()
            .filter_map(|r| Some((r.id.clone(), r.left?)))
            .collect(),
        season: {
            let mean = s.leads.season.iter().sum::<f64>() / 12.0;
            s.leads.season.iter().map(|m| m / mean).collect()
        },
    }
    .with_win_at_creation();
    Ok(World {
        quotas: reps::quotas(&staff, &deal_rows.opportunities, &span, &s.reps),
        spend: spend::spend(s, &staff, &lead_world.leads, &span, &mut rng(8)),
        reps: staff.reps,
        accounts,
        leads: lead_world.leads,
        opportunities: deal_rows.opportunities,
        stage_events: deal_rows.stage_events,
        deal_changes: deal_rows.changes,
        snapshots: customer_rows.snapshots,
        churn_events: customer_rows.churn_events,
        truth,
    })
}

/// Per account, the won upsells as (close date, amount): they raise the account's ARR.
fn won_upsells(opps: &[Opportunity]) -> BTreeMap<String, Vec<(NaiveDate, f64)>> {
    let mut out: BTreeMap<String, Vec<(NaiveDate, f64)>> = BTreeMap::new();
    for o in opps
        .iter()
        .filter(|o| o.won == Some(true) && o.deal_type == Some(crate::domain::DealType::Upsell))
    {
        if let (Some(a), Some(c), Some(m)) = (&o.account_id, o.closed_at, o.amount) {
            out.entry(a.to_string())
                .or_default()
                .push((c.date(), m.get()));
        }
    }
    out
}
