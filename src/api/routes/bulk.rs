//! Bulk scoring: churn scores of account snapshots inline, and streamed (NDJSON) lead and deal
//! scores for up to a million rows in one request.

use crate::api::params::Query;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{self, Bytes, Json};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::scoring::{batch, CompactScores, ExplainParams, Scores, ScoresAnswer};
use crate::api::auth::{Authed, ScoreScope};
use crate::api::body::JsonBytes;
use crate::api::error::{ApiError, ErrorCode, ErrorResponse};
use crate::api::AppState;
use crate::domain::AccountSnapshot;
use crate::service::bulk_scoring::{self, Explain};
use crate::service::ndjson::{score_stream, StreamKind};

/// Churn scores of 1 to 10,000 account health snapshots as the CRM has them: one score per
/// account, as of its latest snapshot, its earlier ones in the batch giving the usage trends.
/// `expected_value` is the revenue at risk (P(churn) x ARR).
#[utoipa::path(post, path = "/v1/score/accounts", tag = "scores",
    params(ExplainParams),
    request_body(content = Vec<AccountSnapshot>),
    responses(
        (status = 200, description = "One churn score per account, in order of first appearance (with `explain=none`, the compact answer)", body = ScoresAnswer),
        (status = 400, description = "Malformed JSON or batch size", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the score scope", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 415, description = "Not JSON", body = ErrorResponse),
        (status = 422, description = "Invalid rows, named by index and field", body = ErrorResponse),
        (status = 409, description = "No active churn model yet: train one", body = ErrorResponse),
    ),
    security(("bearer" = ["score"])))]
pub async fn score_accounts(
    _auth: Authed<ScoreScope>,
    state: web::Data<AppState>,
    explain: Query<ExplainParams>,
    body: JsonBytes,
) -> Result<Json<ScoresAnswer>, ApiError> {
    let snapshots = batch::<AccountSnapshot>(&body.0)?;
    let explain = explain.explain.unwrap_or_default();
    let data = bulk_scoring::score_account_snapshots(&state.registry, &snapshots, explain)?;
    if explain == Explain::None && !data.is_empty() {
        return Ok(Json(ScoresAnswer::Compact(CompactScores::of(data, None))));
    }
    Ok(Json(ScoresAnswer::Explained(Scores {
        data,
        warnings: None,
    })))
}

fn ndjson_body(req: &HttpRequest) -> Result<(), ApiError> {
    let ok = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/x-ndjson"));
    if ok {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::UnsupportedMediaType,
        "send one JSON object per line with `Content-Type: application/x-ndjson`",
    ))
}

async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    explain: ExplainParams,
    body: web::Payload,
    kind: StreamKind,
) -> Result<HttpResponse, ApiError> {
    ndjson_body(&req)?;
    let explain = explain.explain.unwrap_or_default();
    let out = score_stream(state.registry.clone(), kind, explain, body)?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(out.map(|b| Ok::<_, std::convert::Infallible>(Bytes::from(b)))))
}

/// Streamed lead scores: one lead per line in (`application/x-ndjson`, up to 1,000,000 lines),
/// one score per line out, as they are computed. A bad line ends the stream with one error line
/// (`{"error": ...}`) naming it; the lines before it are scored.
#[utoipa::path(post, path = "/v1/score/leads/ndjson", tag = "scores",
    params(ExplainParams),
    request_body(content = String, content_type = "application/x-ndjson", description = "One lead (JSON object) per line"),
    responses(
        (status = 200, description = "One score per line, in order; an error line ends the stream early", content_type = "application/x-ndjson", body = String),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the score scope", body = ErrorResponse),
        (status = 409, description = "No active lead model yet: train one", body = ErrorResponse),
        (status = 415, description = "Not NDJSON", body = ErrorResponse),
    ),
    security(("bearer" = ["score"])))]
pub async fn score_leads_ndjson(
    _auth: Authed<ScoreScope>,
    req: HttpRequest,
    state: web::Data<AppState>,
    explain: Query<ExplainParams>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    stream(req, state, explain.into_inner(), body, StreamKind::Leads).await
}

/// Streamed win probabilities of open deals, one per line; as `/v1/score/leads/ndjson`.
#[utoipa::path(post, path = "/v1/score/opportunities/ndjson", tag = "scores",
    params(ExplainParams),
    request_body(content = String, content_type = "application/x-ndjson", description = "One open deal (JSON object) per line"),
    responses(
        (status = 200, description = "One score per line, in order; an error line ends the stream early", content_type = "application/x-ndjson", body = String),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the score scope", body = ErrorResponse),
        (status = 409, description = "No active win model yet: train one", body = ErrorResponse),
        (status = 415, description = "Not NDJSON", body = ErrorResponse),
    ),
    security(("bearer" = ["score"])))]
pub async fn score_opportunities_ndjson(
    _auth: Authed<ScoreScope>,
    req: HttpRequest,
    state: web::Data<AppState>,
    explain: Query<ExplainParams>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    stream(
        req,
        state,
        explain.into_inner(),
        body,
        StreamKind::Opportunities,
    )
    .await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/score/accounts", web::post().to(score_accounts))
        .route("/v1/score/leads/ndjson", web::post().to(score_leads_ndjson))
        .route(
            "/v1/score/opportunities/ndjson",
            web::post().to(score_opportunities_ndjson),
        );
}
