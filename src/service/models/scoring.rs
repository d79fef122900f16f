//! Scoring leads and opportunities with the active models: inline (no database needed) and
//! stored records, and the prioritized call lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::registry::{ActiveModel, ModelRegistry};
use crate::domain::{Lead, Opportunity, StageEvent};
use crate::ml::{Factor, FeatureRow, ModelKind, RawScore, Score, ScoreWarnings};
use crate::service::{Result, ServiceError};
use crate::store::{ScoreRow, Store};
use std::sync::Arc;

pub use crate::domain::FactorView;

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
    /// For a single record scored on request: fields the model did not recognise and features
    /// that were missing (the score is computed all the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<ScoreWarnings>,
}

/// Scored records and what the model could not use in them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoredBatch {
    pub data: Vec<ScoredRecord>,
    pub warnings: ScoreWarnings,
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
        warnings: None,
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
    let (m, _, scores) = lead_scores(registry, leads)?;
    Ok(lead_records(&m, leads, &scores))
}

/// [`score_leads`] for a scoring request: also says what the model could not use, and counts
/// the batch in the model's monitor (warnings and drift).
pub fn score_leads_checked(registry: &ModelRegistry, leads: &[Lead]) -> Result<ScoredBatch> {
    let (m, rows, scores) = lead_scores(registry, leads)?;
    let attrs = leads.iter().map(|l| &l.attributes);
    let warnings = registry.monitor(&m.version).observe(
        &m,
        attrs,
        &rows,
        scores.iter().map(|s| s.probability),
    );
    Ok(ScoredBatch {
        data: lead_records(&m, leads, &scores),
        warnings,
    })
}

type Scored = (Arc<ActiveModel>, Vec<FeatureRow>, Vec<Score>);

fn lead_scores(registry: &ModelRegistry, leads: &[Lead]) -> Result<Scored> {
    let m = active(registry, ModelKind::Lead)?;
    let rows: Vec<_> = leads.iter().map(|l| m.model.lead_row(l)).collect();
    let scores = m.model.score(&rows);
    Ok((m, rows, scores))
}

fn lead_records(m: &ActiveModel, leads: &[Lead], scores: &[Score]) -> Vec<ScoredRecord> {
    leads
        .iter()
        .zip(scores)
        .map(|(l, s)| {
            record(
                l.id.to_string(),
                s,
                &m.version,
                l.owner_id.as_ref().map(|o| o.to_string()),
                None,
            )
        })
        .collect()
}

/// Scores open deals as of now, with their stage history when given; needs no database.
pub fn score_opportunities(
    registry: &ModelRegistry,
    opps: &[Opportunity],
    events: &[StageEvent],
) -> Result<Vec<ScoredRecord>> {
    let (m, _, scores) = deal_scores(registry, opps, events)?;
    Ok(deal_records(&m, opps, &scores))
}

/// [`score_opportunities`] for a scoring request (see [`score_leads_checked`]).
pub fn score_opportunities_checked(
    registry: &ModelRegistry,
    opps: &[Opportunity],
    events: &[StageEvent],
) -> Result<ScoredBatch> {
    deal_batch(registry, opps, events, true)
}

fn deal_batch(
    registry: &ModelRegistry,
    opps: &[Opportunity],
    events: &[StageEvent],
    explain: bool,
) -> Result<ScoredBatch> {
    let d = observed_deal_scores(registry, opps, events, explain)?;
    let names = d.model.model.spec.feature_names();
    let scores: Vec<Score> = d
        .scores
        .iter()
        .zip(&d.rows)
        .map(|(s, r)| s.in_words(&names, r))
        .collect();
    Ok(ScoredBatch {
        data: deal_records(&d.model, opps, &scores),
        warnings: d.warnings,
    })
}

/// Open deals scored by [`observed_deal_scores`].
pub(crate) struct DealScores {
    pub model: Arc<ActiveModel>,
    pub rows: Vec<FeatureRow>,
    pub scores: Vec<RawScore>,
    pub warnings: ScoreWarnings,
}

/// Scores open deals as of now (with factors when `explain`) and counts the batch in the
/// model's monitor: the model, the feature rows and scores in order, and the batch's warnings.
pub(crate) fn observed_deal_scores(
    registry: &ModelRegistry,
    opps: &[Opportunity],
    events: &[StageEvent],
    explain: bool,
) -> Result<DealScores> {
    let (m, rows) = deal_rows(registry, opps, events)?;
    let scores = if explain {
        m.model.score_raw(&rows)
    } else {
        m.model
            .predict(&rows)
            .into_iter()
            .map(RawScore::unexplained)
            .collect()
    };
    let attrs = opps.iter().map(|o| &o.attributes);
    let warnings = registry.monitor(&m.version).observe(
        &m,
        attrs,
        &rows,
        scores.iter().map(|s| s.probability),
    );
    Ok(DealScores {
        model: m,
        rows,
        scores,
        warnings,
    })
}

fn deal_scores(
    registry: &ModelRegistry,
    opps: &[Opportunity],
    events: &[StageEvent],
) -> Result<Scored> {
    let (m, rows) = deal_rows(registry, opps, events)?;
    let scores = m.model.score(&rows);
    Ok((m, rows, scores))
}

fn deal_rows(
    registry: &ModelRegistry,
    opps: &[Opportunity],
    events: &[StageEvent],
) -> Result<(Arc<ActiveModel>, Vec<FeatureRow>)> {
    let m = active(registry, ModelKind::Win)?;
    let history = registry.owner_history();
    let now = Utc::now();
    // Group the history once: rescoring the whole book must not scan every event per deal.
    let by_deal = StageEvent::by_deal(events, |_| true);
    let rows: Vec<_> = opps
        .iter()
        .map(|o| {
            m.model
                .opportunity_row(o, &own_events(&by_deal, o), &history, now)
        })
        .collect();
    Ok((m, rows))
}

/// A deal's events from [`StageEvent::by_deal`], as the slice a win row reads.
pub(crate) fn own_events(
    by_deal: &crate::domain::EventsByDeal,
    o: &Opportunity,
) -> Vec<StageEvent> {
    by_deal
        .get(o.id.as_str())
        .map(|v| v.iter().map(|e| (*e).clone()).collect())
        .unwrap_or_default()
}

fn deal_records(m: &ActiveModel, opps: &[Opportunity], scores: &[Score]) -> Vec<ScoredRecord> {
    opps.iter()
        .zip(scores)
        .map(|(o, s)| {
            record(
                o.id.to_string(),
                s,
                &m.version,
                o.owner_id.as_ref().map(|x| x.to_string()),
                o.amount.map(|a| a.get()),
            )
        })
        .collect()
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
    Ok(single(score_leads_checked(registry, &[lead])?))
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
    Ok(single(score_opportunities_checked(
        registry,
        &[opp],
        &events,
    )?))
}

/// The one record of a batch of one, with the batch's warnings.
fn single(mut b: ScoredBatch) -> ScoredRecord {
    let mut r = b.data.remove(0);
    r.warnings = Some(b.warnings);
    r
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
