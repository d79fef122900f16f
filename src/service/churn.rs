//! Churn risk for customer success: every live account scored from its latest health snapshot,
//! ranked by revenue at risk (P(churn) x ARR) or by probability, with its drivers in words.

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

use super::models::{scoring::FactorView, ModelRegistry};
use super::{Result, ServiceError};
use crate::domain::{Account, AccountSnapshot, ChurnEvent};
use crate::ml::{Factor, ModelKind};
use crate::store::{ChurnScoreFilter, ScoreRow, Store};

/// One account on the churn-risk list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChurnRisk {
    pub account_id: String,
    pub name: String,
    pub owner_id: Option<String>,
    pub segment: Option<String>,
    /// P(the account churns within `horizon_days` after its latest snapshot), 0..=1.
    pub probability: f64,
    /// The probability in percent, 1..=99.
    pub score: u8,
    pub arr: f64,
    /// probability x ARR.
    pub revenue_at_risk: f64,
    pub renewal_date: Option<NaiveDate>,
    /// What raises the risk, largest first ("active users down 38% over 90 days: +12 pts").
    pub drivers: Vec<FactorView>,
    /// What lowers it.
    pub protective: Vec<FactorView>,
    /// The probability of the account's previous score, and the change since (absent the first time).
    pub previous_probability: Option<f64>,
    pub change: Option<f64>,
    pub snapshot_as_of: NaiveDate,
    pub horizon_days: u32,
    pub model_version: String,
    pub scored_at: chrono::DateTime<Utc>,
}

/// Usage trends are log ratios; say them as a salesperson would.
fn words(f: &Factor) -> FactorView {
    let text = match (f.feature.as_str(), f.value.parse::<f64>()) {
        (
            name
            @ ("usage trend 30d" | "usage trend 90d" | "logins trend 30d" | "logins trend 90d"),
            Ok(v),
        ) => {
            let pct = (v.exp() - 1.0) * 100.0;
            let days = if name.ends_with("30d") { 30 } else { 90 };
            let dir = if pct < 0.0 { "down" } else { "up" };
            let what = if name.starts_with("usage") {
                "active users"
            } else {
                "logins"
            };
            format!(
                "{what} {dir} {:.0}% over {days} days: {} pts",
                pct.abs(),
                crate::ml::explain::signed_points(f.points)
            )
        }
        _ => f.text.clone(),
    };
    FactorView {
        feature: f.feature.clone(),
        value: f.value.clone(),
        points: f.points,
        text,
    }
}

/// Scores every live account (with a snapshot, not churned since it) of `accounts`.
/// `snapshots` need only reach [`crate::ml::churn::HISTORY_DAYS`] back from each account's
/// latest; `first_snapshot` gives each account's first snapshot date ever (for tenure when it has
/// no `customer_since`), when `snapshots` do not go back that far.
pub fn score_accounts(
    registry: &ModelRegistry,
    accounts: &[Account],
    snapshots: &[AccountSnapshot],
    churn_events: &[ChurnEvent],
    first_snapshot: &HashMap<String, NaiveDate>,
) -> Result<Vec<ChurnRisk>> {
    let m = super::models::scoring::active(registry, ModelKind::Churn)?;
    let mut by_account: HashMap<&str, Vec<&AccountSnapshot>> = HashMap::new();
    for s in snapshots {
        by_account.entry(s.account_id.as_str()).or_default().push(s);
    }
    let mut last_churn: HashMap<&str, NaiveDate> = HashMap::new();
    for e in churn_events {
        let d = last_churn
            .entry(e.account_id.as_str())
            .or_insert(e.churned_at);
        *d = (*d).max(e.churned_at);
    }
    // The live accounts and their feature rows, then one scoring call for the whole book.
    let mut live = Vec::new();
    let mut rows = Vec::new();
    for a in accounts {
        let Some(own) = by_account.remove(a.id.as_str()) else {
            continue;
        };
        let Some(latest) = own.iter().copied().max_by_key(|s| s.as_of) else {
            continue;
        };
        if last_churn
            .get(a.id.as_str())
            .is_some_and(|d| *d >= latest.as_of)
        {
            continue;
        }
        let first = first_snapshot.get(a.id.as_str()).copied();
        if let Some(row) = crate::ml::churn::history_row(&m.model.spec, a, own, first) {
            live.push((a, latest));
            rows.push(row);
        }
    }
    let scores = m.model.score(&rows);
    let scored_at = Utc::now();
    let out = live
        .into_iter()
        .zip(scores)
        .map(|((a, latest), s)| {
            let arr = latest.arr.get();
            ChurnRisk {
                account_id: a.id.to_string(),
                name: a.name.clone(),
                owner_id: a.owner_id.as_ref().map(|o| o.to_string()),
                segment: a.segment.clone(),
                probability: s.probability,
                score: s.score,
                arr,
                revenue_at_risk: s.probability * arr,
                renewal_date: latest.renewal_date,
                drivers: s
                    .factors
                    .iter()
                    .filter(|f| f.points > 0.0)
                    .map(words)
                    .collect(),
                protective: s
                    .factors
                    .iter()
                    .filter(|f| f.points < 0.0)
                    .map(words)
                    .collect(),
                previous_probability: None,
                change: None,
                snapshot_as_of: latest.as_of,
                horizon_days: m.model.spec.horizon_days,
                model_version: m.version.clone(),
                scored_at,
            }
        })
        .collect();
    Ok(out)
}

/// Rescores the whole book and stores it (with each account's previous probability); returns how many.
pub async fn refresh_churn_scores(store: &Store, registry: &ModelRegistry) -> Result<usize> {
    if registry.active(ModelKind::Churn).is_none() {
        return Ok(0);
    }
    let accounts = store.all::<Account>().await?;
    let snapshots = store
        .recent_snapshots(crate::ml::churn::HISTORY_DAYS)
        .await?;
    let first = store.first_snapshot_dates().await?;
    let events = store.all::<ChurnEvent>().await?;
    let previous = store.score_probabilities("churn").await?;
    let now = Utc::now();
    let rows: Vec<ScoreRow> = score_accounts(registry, &accounts, &snapshots, &events, &first)?
        .into_iter()
        .map(|mut r| {
            r.previous_probability = previous.get(&r.account_id).copied();
            r.change = r.previous_probability.map(|p| r.probability - p);
            ScoreRow {
                kind: "churn".into(),
                entity_id: r.account_id.clone(),
                owner_id: r.owner_id.clone(),
                probability: r.probability,
                previous_probability: r.previous_probability,
                value: r.revenue_at_risk,
                model_version: r.model_version.clone(),
                explanation: serde_json::to_value(&r).unwrap_or_default(),
                scored_at: now,
            }
        })
        .collect();
    store.replace_scores("churn", &rows).await?;
    Ok(rows.len())
}

/// Filters and order of the churn-risk list.
#[derive(Debug, Clone, Default)]
pub struct ChurnQuery {
    pub limit: u32,
    /// The account id the previous page ended with.
    pub after: Option<String>,
    pub owner: Option<String>,
    pub segment: Option<String>,
    pub min_arr: Option<f64>,
    pub renewal_within_days: Option<i64>,
    /// `revenue_at_risk` (default) or `probability`.
    pub order: Option<String>,
}

/// A page of the list and the cursor to the next.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChurnRiskPage {
    pub data: Vec<ChurnRisk>,
    pub next_after: Option<String>,
}

pub async fn churn_risk_list(store: &Store, q: &ChurnQuery) -> Result<ChurnRiskPage> {
    let by_probability = match q.order.as_deref() {
        None | Some("revenue_at_risk") => false,
        Some("probability") => true,
        Some(other) => {
            return Err(ServiceError::bad_input(
                "order",
                format!(
                    "`{}` is not an order: use revenue_at_risk or probability",
                    crate::domain::truncate_for_message(other, 40)
                ),
            ))
        }
    };
    if q.min_arr.is_some_and(|v| !v.is_finite() || v < 0.0) {
        return Err(ServiceError::bad_input(
            "min_arr",
            "must be a number, 0 or more",
        ));
    }
    if q.renewal_within_days
        .is_some_and(|d| !(0..=3660).contains(&d))
    {
        return Err(ServiceError::bad_input(
            "renewal_within_days",
            "must be between 0 and 3660",
        ));
    }
    let today = Utc::now().date_naive();
    let filter = ChurnScoreFilter {
        owner: q.owner.as_deref(),
        segment: q.segment.as_deref(),
        min_arr: q.min_arr,
        renewal_between: q
            .renewal_within_days
            .map(|d| (today, today + chrono::Days::new(d as u64))),
        by_probability,
        after: q.after.as_deref(),
        // One more than the page: whether a next page exists.
        limit: q.limit.saturating_add(1),
    };
    let mut data: Vec<ChurnRisk> = store
        .churn_score_page(&filter)
        .await?
        .into_iter()
        .filter_map(|r| serde_json::from_value(r.explanation).ok())
        .collect();
    let more = data.len() > q.limit as usize;
    data.truncate(q.limit as usize);
    let next_after = more
        .then(|| data.last().map(|r| r.account_id.clone()))
        .flatten();
    Ok(ChurnRiskPage { data, next_after })
}

/// One account's risk, computed now from its stored snapshots.
pub async fn account_churn_risk(
    store: &Store,
    registry: &ModelRegistry,
    id: &str,
) -> Result<ChurnRisk> {
    let account = store
        .get::<Account>(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no account with id `{id}`")))?;
    let (snapshots, first) = store
        .recent_snapshots_of(id, crate::ml::churn::HISTORY_DAYS)
        .await?;
    let first: HashMap<String, NaiveDate> = first.map(|d| (id.to_string(), d)).into_iter().collect();
    let events: Vec<ChurnEvent> = store.children("account_id", id).await?;
    let mut risk = score_accounts(registry, &[account], &snapshots, &events, &first)?
        .pop()
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "account `{id}` has no health snapshot, or has churned"
            ))
        })?;
    risk.previous_probability = store.score_probabilities("churn").await?.get(id).copied();
    risk.change = risk.previous_probability.map(|p| risk.probability - p);
    Ok(risk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trend(points: f64) -> String {
        let f = Factor {
            feature: "usage trend 30d".into(),
            value: "-0.2".into(),
            points,
            text: String::new(),
        };
        words(&f).text
    }

    #[test]
    fn driver_points_that_round_to_zero_print_without_a_sign() {
        assert_eq!(trend(0.3), "active users down 18% over 30 days: 0 pts");
        assert_eq!(trend(-0.4), "active users down 18% over 30 days: 0 pts");
        assert_eq!(trend(-2.6), "active users down 18% over 30 days: -3 pts");
        assert_eq!(trend(12.0), "active users down 18% over 30 days: +12 pts");
    }
}
