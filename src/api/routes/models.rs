//! The model registry over HTTP: list versions with their metrics, train (asynchronously),
//! promote by hand, roll back; and the jobs that training runs as.

use actix_web::web::{self, Json, Path, Query};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::{AdminScope, Authed, ReadScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::params::path_text;
use crate::api::AppState;
use crate::service::jobs::{self, JobView};
use crate::service::models::{self, ModelVersionInfo};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModelsParams {
    /// lead, win or churn; all kinds when absent.
    pub kind: Option<String>,
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
    let data = models::list_versions(&state.store, params.kind.as_deref()).await?;
    Ok(Json(ModelVersions { data }))
}

/// Train a kind on the stored data with its shipped spec, as a background job. The new version
/// goes into service only if it is not worse than the active one on the same validation slice.
#[utoipa::path(post, path = "/v1/models/{kind}/train", tag = "models",
    params(("kind" = String, Path, description = "lead or win")),
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
) -> Result<HttpResponse, ApiError> {
    let kind = models::parse_kind(&kind)?;
    let spec = models::default_spec(kind)?;
    let job = jobs::start_training(
        state.store.clone(),
        state.registry.clone(),
        state.rescorer.clone(),
        spec,
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
    let v = models::promote(&state.store, &state.registry, path_text("id", &id)?).await?;
    if let Ok(kind) = models::parse_kind(&v.kind) {
        state.rescorer.mark(kind);
    }
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
    let v = models::rollback(&state.store, &state.registry, &kind).await?;
    if let Ok(kind) = models::parse_kind(&v.kind) {
        state.rescorer.mark(kind);
    }
    Ok(Json(v))
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
        .route("/v1/jobs/{id}", web::get().to(job));
}
