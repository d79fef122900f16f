//! Quota recommendations for a company target, with the judgement of the stored quotas.

use crate::api::params::Query;
use actix_web::web::{self, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::auth::{Authed, ReadScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::AppState;
use crate::service::quotas::{self, QuotaQuery, QuotaResponse};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuotaParams {
    /// A month (2026-11), quarter (2026-Q4) or year (2026).
    pub period: String,
    /// The company target for the period, > 0, in the company's currency.
    pub target: f64,
    /// The day the reps' forecasts are made (YYYY-MM-DD); default the last day with data.
    pub as_of: Option<String>,
}

/// Each active rep's recommended quota for the target, from the rep's forecast distribution,
/// past attainment, open pipeline and tenure (new reps ramp), with P(reaching it), the expected
/// share of reps at quota (healthy: 60% to 80%) and how the plan was built; plus the judgement of
/// the quotas already stored for the period.
#[utoipa::path(get, path = "/v1/quotas/recommendations", tag = "quotas",
    params(QuotaParams),
    responses(
        (status = 200, description = "The plan and the judgement of the stored quotas", body = QuotaResponse),
        (status = 400, description = "Unknown period, bad target or as_of, no reps; named", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 409, description = "No dated opportunities stored yet: load them first", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn recommendations(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<QuotaParams>,
) -> Result<Json<QuotaResponse>, ApiError> {
    let p = params.into_inner();
    let q = QuotaQuery {
        period: p.period,
        target: Some(p.target),
        as_of: p.as_of,
    };
    Ok(Json(
        quotas::recommend(&state.store, &state.registry, &q).await?,
    ))
}

/// Mounted before the record routes, so `recommendations` is not taken for a quota id.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/quotas/recommendations", web::get().to(recommendations));
}
