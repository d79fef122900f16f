//! Churn risk for customer success: the service loads the book, scores it with the active
//! churn model ([`crate::churn`]) and stores the ranked list; the list is read back a page at a
//! time.

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

use super::models::ModelRegistry;
use super::{Result, ServiceError};
pub use crate::churn::ChurnRisk;
use crate::churn::{Book, ChurnOrder};
use crate::domain::{Account, AccountSnapshot, ChurnEvent};
use crate::ml::ModelKind;
use crate::store::{ChurnScoreFilter, ScoreRow, Store};

/// Scores every live account (with a snapshot, not churned since it) of `accounts` with the
/// active churn model (see [`crate::churn::score_book`]).
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
    let book = Book {
        accounts,
        snapshots,
        churn_events,
        first_snapshot,
    };
    Ok(crate::churn::score_book(
        &m.model,
        &m.version,
        &book,
        Utc::now(),
    ))
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
            r.set_previous(previous.get(&r.account_id).copied());
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
    pub order: ChurnOrder,
}

/// A page of the list and the cursor to the next.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChurnRiskPage {
    pub data: Vec<ChurnRisk>,
    pub next_after: Option<String>,
}

pub async fn churn_risk_list(store: &Store, q: &ChurnQuery) -> Result<ChurnRiskPage> {
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
        by_probability: q.order == ChurnOrder::Probability,
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
    let first: HashMap<String, NaiveDate> =
        first.map(|d| (id.to_string(), d)).into_iter().collect();
    let events: Vec<ChurnEvent> = store.children("account_id", id).await?;
    let mut risk = score_accounts(registry, &[account], &snapshots, &events, &first)?
        .pop()
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "account `{id}` has no health snapshot, or has churned"
            ))
        })?;
    risk.set_previous(store.score_probabilities("churn").await?.get(id).copied());
    Ok(risk)
}
