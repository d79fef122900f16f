//! What happened to the pipeline: a deal's history and the waterfall between two days.

use crate::api::params::Query;
use actix_web::web::{self, Json, Path};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::auth::{Authed, ReadScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::params::path_text;
use crate::api::AppState;
use crate::forecast::GroupBy;
use crate::service::forecast::{self, ChangesQuery, DealHistory, PipelineChanges};

/// A deal as stored now and its recorded history: its amount, expected close date, stage,
/// forecast category and owner after each write (API or import) that changed one of them.
#[utoipa::path(get, path = "/v1/opportunities/{id}/history", tag = "forecast",
    params(("id" = String, Path, description = "The opportunity's CRM id")),
    responses(
        (status = 200, description = "The deal and its changes, oldest first", body = DealHistory),
        (status = 400, description = "Bad id, named", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 404, description = "No such opportunity", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn history(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    id: Path<String>,
) -> Result<Json<DealHistory>, ApiError> {
    Ok(Json(
        forecast::deal_history(&state.store, path_text("id", &id)?).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// The first day (YYYY-MM-DD): the pipeline at its end is the start of the waterfall.
    pub from: String,
    /// The last day (YYYY-MM-DD), after `from`; default the last day with data.
    pub to: Option<String>,
    /// Follow only the deals expected to close in this period (2026-11, 2026-Q4, 2026); then
    /// close dates moved into or out of it are `pulled_in` or `pushed_out`.
    pub period: Option<String>,
    /// owner, team, region or product.
    #[serde(default, deserialize_with = "crate::domain::text::optional_text")]
    pub group_by: Option<GroupBy>,
}

/// The pipeline waterfall between two days: open at the start, + created, + pulled into the
/// period, - won, - lost, - pushed out, +/- amount changes, = open at the end; each step with its
/// deals, for the total and each group. Each day is rebuilt as it stood then.
#[utoipa::path(get, path = "/v1/pipeline/changes", tag = "forecast",
    params(ChangesParams),
    responses(
        (status = 200, description = "The waterfall and its deals", body = PipelineChanges),
        (status = 400, description = "Bad day, period or grouping; to not after from or after the data; named", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 409, description = "No dated opportunities stored yet: load them first", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn changes(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<ChangesParams>,
) -> Result<Json<PipelineChanges>, ApiError> {
    let p = params.into_inner();
    let q = ChangesQuery {
        from: p.from,
        to: p.to,
        period: p.period,
        group_by: p.group_by,
    };
    Ok(Json(forecast::pipeline_changes(&state.store, &q).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/opportunities/{id}/history", web::get().to(history))
        .route("/v1/pipeline/changes", web::get().to(changes));
}
