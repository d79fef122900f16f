//! Scoring leads and opportunities with the active models: inline (no database needed) and
//! stored records, and the prioritized call lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::registry::{ActiveModel, ModelRegistry};
use crate::domain::{Lead, Opportunity, StageEvent};
use crate::ml::{Factor, ModelKind, Score};
use crate::service::{Result, ServiceError};
use crate::store::{ScoreRow, Store};

/// A reason behind a score, in words a salesperson reads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FactorView {
    pub feature: String,
    pub value: String,
    /// Signed weight in score points.
    pub points: f64,
    /// e.g. "source = webinar: +12 pts".
    pub text: String,
}

/// A scored lead, opportunity or account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoredRecord {
    pub id: String,
    /// The probability in percent, 1..=99.
    pub score: u8,
    /// Calibrated probability of the outcome (conversion, win), 0..=1.
    pub probability: f64,
    /// A (70..=99), B (40..=69), C (20..=39), D (1..=19).
    pub grade: String,
    /// Reasons that raised the score, largest first.
    pub positive_factors: Vec<FactorView>,
    /// Reasons that lowered the score, largest first.
    pub negative_factors: Vec<FactorView>,
    /// For opportunities: probability x amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    pub model_version: String,
    pub scored_at: DateTime<Utc>,
}

fn view(f: &Factor) -> FactorView {
    FactorView {
        feature: f.feature.clone(),
        value: f.value.clone(),
        points: f.points,
        text: f.text.clone(),
    }
}

pub(crate) fn record(
    id: String,
    s: &Score,
    version: &str,
    owner: Option<String>,
    amount: Option<f64>,
) -> ScoredRecord {
    ScoredRecord {
        id,
        score: s.score,
        probability: s.probability,
        grade: format!("{:?}", s.grade),
        positive_factors: s
            .factors
            .iter()
            .filter(|f| f.points > 0.0)
            .map(view)
            .collect(),
        negative_factors: s
            .factors
            .iter()
            .filter(|f| f.points < 0.0)
            .map(view)
            .collect(),
        expected_value: amount.map(|a| a * s.probability),
        owner_id: owner,
        model_version: version.to_string(),
        scored_at: Utc::now(),
    }
}

pub fn active(registry: &ModelRegistry, kind: ModelKind) -> Result<std::sync::Arc<ActiveModel>> {
    registry.active(kind).ok_or_else(|| {
        ServiceError::NoActiveModel(format!(
            "no active {} model yet: train one (`revcast train {0}` or POST /v1/models/{0}/train)",
            kind.as_str()
        ))
    })
}

/// Scores leads as the CRM has them; needs no database.
pub fn score_leads(registry: &ModelRegistry, leads: &[Lead]) -> Result<Vec<ScoredRecord>> {
    let m = active(registry, ModelKind::Lead)?;
    let rows: Vec<_> = leads.iter().map(|l| m.model.lead_row(l)).collect();
    let scores = m.model.score(&rows);
    Ok(leads
        .iter()
        .zip(&scores)
        .map(|(l, s)| {
            record(
                l.id.to_string(),
                s,
                &m.version,
                l.owner_id.as_ref().map(|o| o.to_string()),
                None,
            )
        })
        .collect())
}

/// Scores open deals as of now, with their stage history when given; needs no database.
pub fn score_opportunities(
    registry: &ModelRegistry,
    opps: &[Opportunity],
    events: &[StageEvent],
) -> Result<Vec<ScoredRecord>> {
    let m = active(registry, ModelKind::Win)?;
    let history = registry.owner_history();
    let now = Utc::now();
    // Group the history once: rescoring the whole book must not scan every event per deal.
    let mut by_deal: std::collections::HashMap<&str, Vec<StageEvent>> =
        std::collections::HashMap::new();
    for e in events {
        by_deal
            .entry(e.opportunity_id.as_str())
            .or_default()
            .push(e.clone());
    }
    let rows: Vec<_> = opps
        .iter()
        .map(|o| {
            let own = by_deal.get(o.id.as_str()).map_or(&[][..], Vec::as_slice);
            m.model.opportunity_row(o, own, &history, now)
        })
        .collect();
    let scores = m.model.score(&rows);
    Ok(opps
        .iter()
        .zip(&scores)
        .map(|(o, s)| {
            record(
                o.id.to_string(),
                s,
                &m.version,
                o.owner_id.as_ref().map(|x| x.to_string()),
                o.amount.map(|a| a.get()),
            )
        })
        .collect())
}

pub async fn score_stored_lead(
    store: &Store,
    registry: &ModelRegistry,
    id: &str,
) -> Result<ScoredRecord> {
    let lead = store
        .get::<Lead>(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no lead with id `{id}`")))?;
    Ok(score_leads(registry, &[lead])?.remove(0))
}

pub async fn score_stored_opportunity(
    store: &Store,
    registry: &ModelRegistry,
    id: &str,
) -> Result<ScoredRecord> {
    let opp = store
        .get::<Opportunity>(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no opportunity with id `{id}`")))?;
    let events = store
        .page::<StageEvent>(None, 1000, Some(("opportunity_id", id)))
        .await?;
    let events: Vec<StageEvent> = events.items.into_iter().map(|(_, e)| e).collect();
    Ok(score_opportunities(registry, &[opp], &events)?.remove(0))
}

/// The stored open leads (kind `lead`, by probability) or deals (kind `win`, by expected value)
/// of an owner, best first, from the scores refreshed after every ingestion and promotion.
pub async fn prioritized(
    store: &Store,
    kind: ModelKind,
    owner: Option<&str>,
    limit: u32,
) -> Result<Vec<ScoredRecord>> {
    let rows = store.top_scores(kind.as_str(), owner, limit).await?;
    Ok(rows.into_iter().filter_map(from_row).collect())
}

pub(crate) fn from_row(r: ScoreRow) -> Option<ScoredRecord> {
    let mut rec: ScoredRecord = serde_json::from_value(r.explanation).ok()?;
    rec.scored_at = r.scored_at;
    Some(rec)
}
