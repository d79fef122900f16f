//! The revenue forecast of a period and the accuracy ledger of the forecasts served.

use crate::api::params::Query;
use actix_web::web::{self, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::auth::{Authed, ReadScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::AppState;
use crate::forecast::{GroupBy, LedgerGrouping};
use crate::service::forecast::{
    self, AccuracyResponse, ForecastQuery, ForecastResponse, RecordedBacktest,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastParams {
    /// A month (2026-11), quarter (2026-Q4) or year (2026), up to the 4th after the one holding as_of.
    pub period: String,
    /// The day the forecast is made (YYYY-MM-DD), not after the data ends nor in the future;
    /// default the last day with data. A past day rebuilds the pipeline as it stood then.
    pub as_of: Option<String>,
    /// owner, team, region or product.
    #[serde(default, deserialize_with = "crate::domain::text::optional_text")]
    pub group_by: Option<GroupBy>,
    /// Monte Carlo draws, 1..=100000, default 10000.
    #[param(minimum = 1, maximum = 100000)]
    pub simulations: Option<usize>,
}

/// Revenue forecast of a period: won so far, the open pipeline (each deal's P(win) x P(closes in
/// the period)), deals not yet created, the CRM categories and a run-rate check, with P10/P50/P90
/// and the mean for the total and each group from one seeded Monte Carlo. Every forecast served
/// is stored in the accuracy ledger.
#[utoipa::path(get, path = "/v1/forecast", tag = "forecast",
    params(ForecastParams),
    responses(
        (status = 200, description = "The forecast, its parts, groups and top deals", body = ForecastResponse),
        (status = 400, description = "Unknown period, as_of after the data or in the future, a grouping with no data, bad simulations; named", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 409, description = "No dated opportunities stored yet: load them first", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn show(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<ForecastParams>,
) -> Result<Json<ForecastResponse>, ApiError> {
    let p = params.into_inner();
    let q = ForecastQuery {
        period: p.period,
        as_of: p.as_of,
        group_by: p.group_by,
        simulations: p.simulations,
    };
    Ok(Json(
        forecast::forecast(&state.store, &state.registry, &q).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccuracyParams {
    /// Score the groups of this grouping (owner, team, region or product); the totals when absent.
    #[serde(default, deserialize_with = "crate::domain::text::optional_text")]
    #[param(value_type = Option<GroupBy>)]
    pub group_by: Option<LedgerGrouping>,
}

/// The accuracy ledger: the stored forecasts of periods that are over, scored against the won
/// amounts (error, bias, P10..P90 coverage), overall and by weeks before the period's end.
#[utoipa::path(get, path = "/v1/forecast/accuracy", tag = "forecast",
    params(AccuracyParams),
    responses(
        (status = 200, description = "Scores of the stored forecasts of closed periods", body = AccuracyResponse),
        (status = 400, description = "Unknown grouping", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 409, description = "No dated opportunities stored yet: load them first", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn accuracy(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<AccuracyParams>,
) -> Result<Json<AccuracyResponse>, ApiError> {
    let by = params.into_inner().group_by.unwrap_or_default().0;
    Ok(Json(forecast::accuracy(&state.store, by).await?))
}

/// The latest recorded backtest of each period kind (`revcast backtest` records every run).
#[utoipa::path(get, path = "/v1/forecast/backtests", tag = "forecast",
    responses(
        (status = 200, description = "The latest recorded backtest of each kind (`month`, `quarter`, `year`), by kind; empty when none was recorded", body = Vec<RecordedBacktest>),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn backtests(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
) -> Result<Json<Vec<RecordedBacktest>>, ApiError> {
    Ok(Json(forecast::recorded_backtests(&state.store).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/forecast", web::get().to(show))
        .route("/v1/forecast/accuracy", web::get().to(accuracy))
        .route("/v1/forecast/backtests", web::get().to(backtests));
}
