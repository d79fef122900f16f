//! Scores: inline batches from a CRM, stored records, and the prioritized call lists.

use crate::api::params::Query;
use actix_web::error::JsonPayloadError;
use actix_web::http::header::ContentType;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::{Authed, ReadScope, ScoreScope};
use crate::api::body::{json_error, JsonBytes};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::params::path_text;
use crate::api::AppState;
use crate::domain::{parse_json_batch, BatchError, Lead, Opportunity, Record};
use crate::ml::ModelKind;
use crate::ml::ScoreWarnings;
use crate::service::batch_scores::BatchScores;
use crate::service::bulk_scoring::{self, Explain};
use crate::service::json_leads::JsonLeadBatch;
use crate::service::models::{self, ScoredBatch, ScoredRecord};

/// The most records one scoring request may carry.
pub const MAX_SCORE_BATCH: usize = 10_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct Scores {
    pub data: Vec<ScoredRecord>,
    /// On scoring requests: the fields the model did not recognise and the features that were
    /// missing, counted over the batch (the scores are computed all the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<ScoreWarnings>,
}

/// The answer to `explain=none`: each row's score alone, and what every row shares said once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompactScores {
    /// The model version that scored every row.
    pub model_version: String,
    /// When the rows were scored.
    pub scored_at: DateTime<Utc>,
    pub data: Vec<CompactScore>,
    /// As in the answer with factors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<ScoreWarnings>,
}

/// One row's score without factors.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompactScore {
    pub id: String,
    /// The probability in percent, 1..=99.
    pub score: u8,
    /// Calibrated probability of the outcome, 0..=1.
    pub probability: f64,
    /// A (70..=99), B (40..=69), C (20..=39), D (1..=19).
    pub grade: String,
    /// For opportunities: probability x amount; for accounts: the revenue at risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
}

/// A scoring answer: whole records with their factors (`explain=top3|all`), or the scores
/// alone (`explain=none`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ScoresAnswer {
    Explained(Scores),
    Compact(CompactScores),
}

impl CompactScores {
    /// The scores of whole records (all scored by one model at one time: the first one's model
    /// version and time are said for all), without their factors.
    pub fn of(records: Vec<ScoredRecord>, warnings: Option<ScoreWarnings>) -> Self {
        let (model_version, scored_at) = records.first().map_or((String::new(), Utc::now()), |r| {
            (r.model_version.clone(), r.scored_at)
        });
        let data = records
            .into_iter()
            .map(|r| CompactScore {
                id: r.id,
                score: r.score,
                probability: r.probability,
                grade: r.grade,
                expected_value: r.expected_value,
                owner_id: r.owner_id,
            })
            .collect();
        CompactScores {
            model_version,
            scored_at,
            data,
            warnings,
        }
    }
}

impl From<ScoredBatch> for Scores {
    fn from(b: ScoredBatch) -> Self {
        Scores {
            data: b.data,
            warnings: Some(b.warnings),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PrioritizedParams {
    /// Only this owner's records (the rep's call list); all owners when absent.
    pub owner: Option<String>,
    /// 1..=1000, default 50.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// How much explanation each score carries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExplainParams {
    /// `none` (the scores alone, the fastest; a JSON answer then says the model version and
    /// time once, not on each row, while an NDJSON line stays a whole record), `top3` (the three
    /// factors that move the score most) or `all` (default: up to three raising and three
    /// lowering factors).
    #[param(inline)]
    pub explain: Option<Explain>,
}

/// The rows of a scoring request's JSON array body: 1 to [`MAX_SCORE_BATCH`] of them, all valid,
/// or the error naming every bad row.
pub(crate) fn batch<T: Record>(body: &[u8]) -> Result<Vec<T>, ApiError> {
    parse_json_batch(body, MAX_SCORE_BATCH).map_err(|e| match e {
        BatchError::Body(e) => json_error(JsonPayloadError::Deserialize(e)),
        BatchError::Size(n) => ApiError::bad_request(
            "body",
            format!("send 1 to {MAX_SCORE_BATCH} records, not {n}"),
        ),
        BatchError::Rows(problems) => ApiError::validation(problems),
    })
}

/// A scored batch as the answer's body (the same JSON as [`Scores`]).
pub(crate) fn scores_response(scores: &BatchScores<'_>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(scores.to_json())
}

/// Score 1 to 10,000 leads as the CRM has them. Missing fields and unseen categories are handled;
/// wrong types and non-finite numbers are 422 naming the row and field.
#[utoipa::path(post, path = "/v1/score/leads", tag = "scores",
    params(ExplainParams),
    request_body(content = Vec<Lead>),
    responses(
        (status = 200, description = "One score per lead, in order (with `explain=none`, the compact answer)", body = ScoresAnswer),
        (status = 400, description = "Malformed JSON or batch size", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the score scope", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Not JSON", body = ErrorResponse),
        (status = 422, description = "Invalid rows, named by index and field", body = ErrorResponse),
        (status = 409, description = "No active lead model yet: train one", body = ErrorResponse),
    ),
    security(("bearer" = ["score"])))]
pub async fn score_leads(
    _auth: Authed<ScoreScope>,
    state: web::Data<AppState>,
    explain: Query<ExplainParams>,
    body: JsonBytes,
) -> Result<HttpResponse, ApiError> {
    let explain = explain.explain.unwrap_or_default();
    // Good batches take the road straight into the model's features; any other is read whole.
    if let Some(mut read) = JsonLeadBatch::read(&state.registry, &body.0, MAX_SCORE_BATCH) {
        return Ok(scores_response(&read.scores(&state.registry, explain)));
    }
    let leads = batch::<Lead>(&body.0)?;
    let scores = bulk_scoring::lead_scores(&state.registry, &leads, explain)?;
    Ok(scores_response(&scores))
}

/// Win probability of 1 to 10,000 open deals as the CRM has them, as of now.
#[utoipa::path(post, path = "/v1/score/opportunities", tag = "scores",
    params(ExplainParams),
    request_body(content = Vec<Opportunity>),
    responses(
        (status = 200, description = "One win probability per deal, in order (with `explain=none`, the compact answer)", body = ScoresAnswer),
        (status = 400, description = "Malformed JSON or batch size", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the score scope", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Not JSON", body = ErrorResponse),
        (status = 422, description = "Invalid rows, named by index and field", body = ErrorResponse),
        (status = 409, description = "No active win model yet: train one", body = ErrorResponse),
    ),
    security(("bearer" = ["score"])))]
pub async fn score_opportunities(
    _auth: Authed<ScoreScope>,
    state: web::Data<AppState>,
    explain: Query<ExplainParams>,
    body: JsonBytes,
) -> Result<HttpResponse, ApiError> {
    let opps = batch::<Opportunity>(&body.0)?;
    let explain = explain.explain.unwrap_or_default();
    let scores = bulk_scoring::opportunity_scores(&state.registry, &opps, explain)?;
    Ok(scores_response(&scores))
}

/// The score of a stored lead, computed now.
#[utoipa::path(get, path = "/v1/leads/{id}/score", tag = "scores",
    params(("id" = String, Path, description = "The lead's CRM id")),
    responses(
        (status = 200, description = "The score with its factors", body = ScoredRecord),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the score scope", body = ErrorResponse),
        (status = 404, description = "No such lead", body = ErrorResponse),
        (status = 409, description = "No active model yet: train one", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["score"])))]
pub async fn lead_score(
    _auth: Authed<ScoreScope>,
    state: web::Data<AppState>,
    id: Path<String>,
) -> Result<Json<ScoredRecord>, ApiError> {
    Ok(Json(
        models::score_stored_lead(&state.store, &state.registry, path_text("id", &id)?).await?,
    ))
}

/// The win probability of a stored opportunity, from its stage history, as of now.
#[utoipa::path(get, path = "/v1/opportunities/{id}/win-probability", tag = "scores",
    params(("id" = String, Path, description = "The opportunity's CRM id")),
    responses(
        (status = 200, description = "The win probability with its factors", body = ScoredRecord),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the score scope", body = ErrorResponse),
        (status = 404, description = "No such opportunity", body = ErrorResponse),
        (status = 409, description = "No active model yet: train one", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["score"])))]
pub async fn win_probability(
    _auth: Authed<ScoreScope>,
    state: web::Data<AppState>,
    id: Path<String>,
) -> Result<Json<ScoredRecord>, ApiError> {
    Ok(Json(
        models::score_stored_opportunity(&state.store, &state.registry, path_text("id", &id)?)
            .await?,
    ))
}

fn limit_of(p: &PrioritizedParams) -> Result<u32, ApiError> {
    crate::api::params::page_limit(p.limit, 50)
}

/// An owner's open leads, best score first: the morning call list.
#[utoipa::path(get, path = "/v1/leads/prioritized", tag = "scores",
    params(PrioritizedParams),
    responses(
        (status = 200, description = "Open leads by score", body = Scores),
        (status = 400, description = "Bad parameters", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn prioritized_leads(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<PrioritizedParams>,
) -> Result<Json<Scores>, ApiError> {
    let limit = limit_of(&params)?;
    let data = models::prioritized(
        &state.store,
        ModelKind::Lead,
        params.owner.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(Scores {
        data,
        warnings: None,
    }))
}

/// An owner's open deals by expected value (P(win) x amount).
#[utoipa::path(get, path = "/v1/opportunities/prioritized", tag = "scores",
    params(PrioritizedParams),
    responses(
        (status = 200, description = "Open deals by expected value", body = Scores),
        (status = 400, description = "Bad parameters", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn prioritized_opportunities(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<PrioritizedParams>,
) -> Result<Json<Scores>, ApiError> {
    let limit = limit_of(&params)?;
    let data =
        models::prioritized(&state.store, ModelKind::Win, params.owner.as_deref(), limit).await?;
    Ok(Json(Scores {
        data,
        warnings: None,
    }))
}

/// Mounted before the record routes, so `prioritized` is not taken for an id.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/score/leads", web::post().to(score_leads))
        .route(
            "/v1/score/opportunities",
            web::post().to(score_opportunities),
        )
        .route("/v1/leads/prioritized", web::get().to(prioritized_leads))
        .route(
            "/v1/opportunities/prioritized",
            web::get().to(prioritized_opportunities),
        )
        .route("/v1/leads/{id}/score", web::get().to(lead_score))
        .route(
            "/v1/opportunities/{id}/win-probability",
            web::get().to(win_probability),
        );
}
