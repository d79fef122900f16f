//! Scores: inline batches from a CRM, stored records, and the prioritized call lists.

use crate::api::params::Query;
use actix_web::web::{self, Json, Path};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::{Authed, ReadScope, ScoreScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::params::path_text;
use crate::api::AppState;
use crate::domain::{parse_raw_batch, Lead, Opportunity};
use crate::ml::ModelKind;
use crate::ml::ScoreWarnings;
use crate::service::bulk_scoring::{self, Explain};
use crate::service::models::{self, ScoredBatch, ScoredRecord};
use serde_json::value::RawValue;

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
    /// `none` (probabilities only, the fastest), `top3` (the three factors that move the score
    /// most) or `all` (default: up to three raising and three lowering factors).
    #[param(inline)]
    pub explain: Option<Explain>,
}

pub(crate) fn batch(rows: &[Box<RawValue>]) -> Result<(), ApiError> {
    if rows.is_empty() || rows.len() > MAX_SCORE_BATCH {
        return Err(ApiError::bad_request(
            "body",
            format!("send 1 to {MAX_SCORE_BATCH} records, not {}", rows.len()),
        ));
    }
    Ok(())
}

/// Score 1 to 10,000 leads as the CRM has them. Missing fields and unseen categories are handled;
/// wrong types and non-finite numbers are 422 naming the row and field.
#[utoipa::path(post, path = "/v1/score/leads", tag = "scores",
    params(ExplainParams),
    request_body(content = Vec<Lead>),
    responses(
        (status = 200, description = "One score per lead, in order", body = Scores),
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
    body: Json<Vec<Box<RawValue>>>,
) -> Result<Json<Scores>, ApiError> {
    let rows = body.into_inner();
    batch(&rows)?;
    let leads = parse_raw_batch::<Lead>(&rows).map_err(ApiError::validation)?;
    let explain = explain.explain.unwrap_or_default();
    let data = bulk_scoring::score_leads(&state.registry, &leads, explain)?;
    Ok(Json(data.into()))
}

/// Win probability of 1 to 10,000 open deals as the CRM has them, as of now.
#[utoipa::path(post, path = "/v1/score/opportunities", tag = "scores",
    params(ExplainParams),
    request_body(content = Vec<Opportunity>),
    responses(
        (status = 200, description = "One win probability per deal, in order", body = Scores),
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
    body: Json<Vec<Box<RawValue>>>,
) -> Result<Json<Scores>, ApiError> {
    let rows = body.into_inner();
    batch(&rows)?;
    let opps = parse_raw_batch::<Opportunity>(&rows).map_err(ApiError::validation)?;
    let explain = explain.explain.unwrap_or_default();
    let data = bulk_scoring::score_opportunities(&state.registry, &opps, explain)?;
    Ok(Json(data.into()))
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
