//! The model registry over HTTP: list versions with their metrics, train (asynchronously),
//! promote by hand, roll back; and the jobs that training runs as.

use crate::api::params::Query;
use actix_web::web::{self, Json, Path};
use actix_web::HttpResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::{AdminScope, Authed, ReadScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::params::path_text;
use crate::api::AppState;
use crate::domain::ModelKind;
use crate::service::jobs::{self, JobView};
use crate::service::models::{self, ModelDrift, ModelVersionInfo};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModelsParams {
    /// lead, win or churn; all kinds when absent.
    #[serde(default, deserialize_with = "crate::domain::text::optional_text")]
    #[param(inline)]
    pub kind: Option<ModelKind>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelVersions {
    pub data: Vec<ModelVersionInfo>,
}

/// Model versions, newest first, with their validation metrics (`roc_auc`, `pr_auc`, `log_loss`,
/// `brier`, `ece`, `top_decile_lift`, the reliability curve, row and positive counts, window).
#[utoipa::path(get, path = "/v1/models", tag = "models",
    params(ModelsParams),
    responses(
        (status = 200, description = "Versions", body = ModelVersions),
        (status = 400, description = "Unknown kind", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn list(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<ModelsParams>,
) -> Result<Json<ModelVersions>, ApiError> {
    let data = models::list_versions(&state.store, &state.registry, params.kind).await?;
    Ok(Json(ModelVersions { data }))
}

/// The optional body of a training request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainRequest {
    /// Train on what was known at the end of this day (`YYYY-MM-DD`); default: the data's last
    /// day, not today.
    #[schema(format = Date)]
    pub as_of: Option<String>,
    /// A model spec in TOML (default: the kind's spec shipped in `training/`).
    pub spec: Option<String>,
}

/// An empty body is the default request; anything else must be a valid [`TrainRequest`].
/// Returns the spec text and the day.
fn train_request(body: &[u8]) -> Result<(Option<String>, Option<NaiveDate>), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((None, None));
    }
    let req: TrainRequest =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request("body", e.to_string()))?;
    let day = req
        .as_of
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request("as_of", "must be a day as YYYY-MM-DD, e.g. 2025-06-30")
            })
        })
        .transpose()?;
    Ok((req.spec, day))
}

/// Train a kind on the stored data (with its shipped spec, or the spec sent), as a background
/// job. The new version goes into service only if its log loss is not worse than the active
/// one's on the same target rows, each built with its own spec; both figures are in the job's
/// result (`comparison`) and in the version's metrics (`promotion`).
#[utoipa::path(post, path = "/v1/models/{kind}/train", tag = "models",
    params(("kind" = String, Path, description = "lead, win or churn")),
    request_body(content = TrainRequest, description = "Optional: as_of and spec"),
    responses(
        (status = 202, description = "Started; follow it at /v1/jobs/{id}", body = JobView),
        (status = 400, description = "Unknown kind", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the admin scope", body = ErrorResponse),
        (status = 409, description = "A training is already running", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["admin"])))]
pub async fn train(
    _auth: Authed<AdminScope>,
    state: web::Data<AppState>,
    kind: Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let kind = models::parse_kind(&kind)?;
    let (spec, as_of) = train_request(&body)?;
    let spec = models::spec_for(kind, spec.as_deref())?;
    let job = jobs::start_training(
        state.store.clone(),
        state.registry.clone(),
        state.rescorer.clone(),
        spec,
        as_of,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/v1/jobs/{}", job.id)))
        .json(job))
}

/// Put a version into service by hand, whatever its metrics.
#[utoipa::path(post, path = "/v1/models/{id}/promote", tag = "models",
    params(("id" = String, Path, description = "The version id")),
    responses(
        (status = 200, description = "The version, now active", body = ModelVersionInfo),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the admin scope", body = ErrorResponse),
        (status = 404, description = "No such version", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["admin"])))]
pub async fn promote(
    _auth: Authed<AdminScope>,
    state: web::Data<AppState>,
    id: Path<String>,
) -> Result<Json<ModelVersionInfo>, ApiError> {
    let id = path_text("id", &id)?;
    let v = models::promote(&state.store, &state.registry, &state.rescorer, id).await?;
    Ok(Json(v))
}

/// Re-activate the version of this kind that was active before the current one.
#[utoipa::path(post, path = "/v1/models/{kind}/rollback", tag = "models",
    params(("kind" = String, Path, description = "lead or win")),
    responses(
        (status = 200, description = "The version now active again", body = ModelVersionInfo),
        (status = 400, description = "Unknown kind", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the admin scope", body = ErrorResponse),
        (status = 409, description = "No earlier version to return to", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["admin"])))]
pub async fn rollback(
    _auth: Authed<AdminScope>,
    state: web::Data<AppState>,
    kind: Path<String>,
) -> Result<Json<ModelVersionInfo>, ApiError> {
    let v = models::rollback(&state.store, &state.registry, &state.rescorer, &kind).await?;
    Ok(Json(v))
}

/// Drift of an active version: the population stability index (PSI) of each feature and of the
/// score between its training rows and the last 5,000 records scored on request by this
/// process. Under 0.1 is stable; over 0.2 is listed in `alerts`.
#[utoipa::path(get, path = "/v1/models/{id}/drift", tag = "models",
    params(("id" = String, Path, description = "An active version id")),
    responses(
        (status = 200, description = "The drift report", body = ModelDrift),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 404, description = "Not an active version", body = ErrorResponse),
        (status = 409, description = "Trained before distributions were stored", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn drift(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    id: Path<String>,
) -> Result<Json<ModelDrift>, ApiError> {
    Ok(Json(models::drift(&state.registry, &id)?))
}

/// A background job: progress, then the result or the error.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "models",
    params(("id" = String, Path, description = "The job id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the admin scope", body = ErrorResponse),
        (status = 404, description = "No such job", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["admin"])))]
pub async fn job(
    _auth: Authed<AdminScope>,
    state: web::Data<AppState>,
    id: Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(jobs::job(&state.store, path_text("id", &id)?).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/models", web::get().to(list))
        .route("/v1/models/{kind}/train", web::post().to(train))
        .route("/v1/models/{id}/promote", web::post().to(promote))
        .route("/v1/models/{kind}/rollback", web::post().to(rollback))
        .route("/v1/models/{id}/drift", web::get().to(drift))
        .route("/v1/jobs/{id}", web::get().to(job));
}
