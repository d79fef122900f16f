//! Quota recommendations for a company target, and the judgement of the quotas already stored,
//! from the reps' forecast distributions (the forecast grouped by owner).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

use super::forecast::{self as fc, won_in, ForecastQuery, PWinSource};
use super::models::ModelRegistry;
use super::{Result, ServiceError};
use crate::domain::{Period, Quota, Rep};
use crate::forecast::{Forecast, GroupBy, GroupForecast};
use crate::quota::{self, QuotaError, QuotaInput, QuotaJudgement, QuotaPlan, RepInput};
use crate::store::Store;

/// Months of tenure assumed for a rep without a hire date (fully ramped).
const UNKNOWN_TENURE_MONTHS: f64 = 24.0;
/// A rep counts as active when hired, or owning a deal created, this many days before as_of.
const ACTIVE_DAYS: u64 = 365;

/// A quota request as the caller states it.
#[derive(Debug, Clone, Default)]
pub struct QuotaQuery {
    /// `2026-11`, `2026-Q4` or `2026`.
    pub period: String,
    /// The company target for the period, > 0.
    pub target: Option<f64>,
    /// YYYY-MM-DD; default the last day with data.
    pub as_of: Option<String>,
}

/// The plan for the target and the judgement of the stored quotas of the period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaResponse {
    #[schema(value_type = String, example = "2026-Q4")]
    pub period: Period,
    pub as_of: NaiveDate,
    /// Where the forecast's P(win) came from.
    pub p_win_source: PWinSource,
    /// Each active rep's recommended quota (adding up to the target), P(reaching it), the
    /// expected share of reps at quota, the verdict, the healthy range of targets and the explanation.
    pub plan: QuotaPlan,
    /// The stored quotas of the period judged the same way; absent when none are stored.
    pub judgement: Option<QuotaJudgement>,
    /// Why there is no judgement, when there is none.
    pub judgement_note: Option<String>,
}

fn quota_error(e: QuotaError) -> ServiceError {
    match e {
        QuotaError::BadTarget(_) => ServiceError::bad_input("target", e.to_string()),
        QuotaError::NoReps => ServiceError::bad_input(
            "period",
            format!("{e}; load the reps (and their deals) before asking for quotas"),
        ),
        other => ServiceError::bad_input("quotas", other.to_string()),
    }
}

fn check_target(t: Option<f64>) -> Result<f64> {
    match t {
        Some(t) if t.is_finite() && t > 0.0 => Ok(t),
        Some(t) => Err(quota_error(QuotaError::BadTarget(t))),
        None => Err(ServiceError::bad_input(
            "target",
            "give the company target, > 0",
        )),
    }
}

/// Recommends quotas for `target` and judges the stored quotas of the period.
pub async fn recommend(
    store: &Store,
    registry: &ModelRegistry,
    q: &QuotaQuery,
) -> Result<QuotaResponse> {
    let target = check_target(q.target)?;
    let served = fc::forecast(
        store,
        registry,
        &ForecastQuery {
            period: q.period.clone(),
            as_of: q.as_of.clone(),
            group_by: Some(GroupBy::Owner),
            simulations: None,
        },
    )
    .await?;
    let f = &served.forecast;
    let crm = fc::Crm::load(store).await?;
    let quotas = fc::Crm::quotas(store).await?;
    let stored: Vec<(String, f64)> = quotas
        .iter()
        .filter(|x| x.period == f.period)
        .map(|x| (x.rep_id.to_string(), x.amount.get()))
        .collect();
    let inputs = rep_inputs(&crm, &quotas, f, &stored);
    let active: Vec<RepInput> = inputs
        .iter()
        .filter(|r| is_active(&crm, &r.rep_id, f.as_of, f.period))
        .cloned()
        .collect();
    let plan = quota::recommend(&QuotaInput {
        period: f.period,
        target,
        reps: active,
    })
    .map_err(quota_error)?;
    let (judgement, judgement_note) = judge_stored(f.period, &stored, &inputs)?;
    Ok(QuotaResponse {
        period: f.period,
        as_of: f.as_of,
        p_win_source: served.p_win_source,
        plan,
        judgement,
        judgement_note,
    })
}

/// The stored quotas of the period judged, or why there is no judgement.
fn judge_stored(
    period: Period,
    stored: &[(String, f64)],
    inputs: &[RepInput],
) -> Result<(Option<QuotaJudgement>, Option<String>)> {
    if stored.is_empty() {
        return Ok((None, Some(format!("no quotas are stored for {period}"))));
    }
    let j = quota::judge(stored, inputs).map_err(quota_error)?;
    Ok((Some(j), None))
}

/// Every rep in the table or with a stored quota of the period, as the quota logic sees it.
fn rep_inputs(
    crm: &fc::Crm,
    quotas: &[Quota],
    f: &Forecast,
    stored: &[(String, f64)],
) -> Vec<RepInput> {
    let groups: HashMap<&str, &GroupForecast> =
        f.groups.iter().map(|g| (g.key.as_str(), g)).collect();
    let reps: HashMap<&str, &Rep> = crm.reps.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut ids: Vec<&str> = crm.reps.iter().map(|r| r.id.as_str()).collect();
    ids.extend(stored.iter().map(|(id, _)| id.as_str()));
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|id| {
            let g = groups.get(id);
            RepInput {
                rep_id: id.to_string(),
                forecast: g.map(|g| g.quantiles).unwrap_or_default().into(),
                past_attainment: attainment(crm, &reps, quotas, id, f.as_of),
                open_pipeline: g.map_or(0.0, |g| g.parts.open_pipeline.amount),
                tenure_months: reps
                    .get(id)
                    .and_then(|r| r.hired_at)
                    .map_or(UNKNOWN_TENURE_MONTHS, |h| {
                        ((f.period.start() - h).num_days().max(0) as f64) / 30.44
                    }),
            }
        })
        .collect()
}

/// Mean share of quota won over the rep's stored quotas of periods over by as_of.
fn attainment(
    crm: &fc::Crm,
    reps: &HashMap<&str, &Rep>,
    quotas: &[Quota],
    id: &str,
    as_of: NaiveDate,
) -> Option<f64> {
    let shares: Vec<f64> = quotas
        .iter()
        .filter(|q| q.rep_id.as_str() == id && q.amount.get() > 0.0)
        .filter(|q| q.period.end() <= as_of + Days::new(1))
        .map(|q| won_in(&crm.opps, reps, q.period, Some(GroupBy::Owner), id) / q.amount.get())
        .collect();
    (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64)
}

/// Hired (or owning a deal created) within the last year before as_of, and not hired after the period.
fn is_active(crm: &fc::Crm, id: &str, as_of: NaiveDate, period: Period) -> bool {
    let since = as_of - Days::new(ACTIVE_DAYS);
    let rep = crm.reps.iter().find(|r| r.id.as_str() == id);
    if rep
        .and_then(|r| r.hired_at)
        .is_some_and(|h| h >= period.end())
    {
        return false;
    }
    let recent_hire = rep.and_then(|r| r.hired_at).is_some_and(|h| h >= since);
    recent_hire
        || crm.opps.iter().any(|o| {
            o.owner_id.as_ref().is_some_and(|x| x.as_str() == id)
                && o.created_at
                    .is_some_and(|t| t.date() >= since && t.date() <= as_of)
        })
}
