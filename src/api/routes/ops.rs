//! Operations: liveness, readiness and metrics (no API key needed).

use actix_web::{web, HttpResponse};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

use crate::api::error::{ApiError, ErrorCode};
use crate::api::AppState;

#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok` when healthy.
    pub status: String,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// Liveness: the process is up and answering.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Status)))]
pub async fn healthz() -> web::Json<Status> {
    web::Json(Status {
        status: "ok".into(),
        database: None,
    })
}

/// How long readiness waits for the database's write before answering 503.
const READY_WITHIN: Duration = Duration::from_secs(2);

/// Readiness: the database takes a write (and, on SQLite, its file is still in place and
/// writable) within 2 seconds.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "The database cannot be read or written", body = crate::api::error::ErrorResponse),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Status>, ApiError> {
    match state.store.check_ready(READY_WITHIN).await {
        Ok(()) => Ok(web::Json(Status {
            status: "ok".into(),
            database: Some(state.store.backend().into()),
        })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::new(
                ErrorCode::DatabaseUnavailable,
                "the database cannot be read or written",
            ))
        }
    }
}

/// Prometheus metrics: requests by route and status, latency histograms.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render() + &crate::api::metrics::render_models(&state.registry))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}
