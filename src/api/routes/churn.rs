//! Churn-risk lists for customer success.

use crate::api::params::Query;
use actix_web::web::{self, Json, Path};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::auth::{Authed, ReadScope, ScoreScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::params::path_text;
use crate::api::AppState;
use crate::churn::ChurnOrder;
use crate::service::churn::{self, ChurnQuery, ChurnRisk, ChurnRiskPage};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChurnParams {
    /// 1..=1000, default 50.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// The account id the previous page ended with (its `next_after`).
    pub after: Option<String>,
    /// Only accounts owned by this customer-success manager.
    pub owner: Option<String>,
    pub segment: Option<String>,
    /// Only accounts with at least this ARR.
    pub min_arr: Option<f64>,
    /// Only accounts renewing within this many days from today.
    pub renewal_within_days: Option<i64>,
    /// `revenue_at_risk` (default: P(churn) x ARR) or `probability`.
    #[serde(default, deserialize_with = "crate::domain::text::optional_text")]
    #[param(inline)]
    pub order: Option<ChurnOrder>,
}

/// Accounts most likely to churn within the horizon, ranked by revenue at risk or by probability,
/// each with its drivers in words and the change since its previous score.
#[utoipa::path(get, path = "/v1/churn-risk", tag = "churn",
    params(ChurnParams),
    responses(
        (status = 200, description = "A page of the list", body = ChurnRiskPage),
        (status = 400, description = "Bad filter, named", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn list(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<ChurnParams>,
) -> Result<Json<ChurnRiskPage>, ApiError> {
    let p = params.into_inner();
    let limit = crate::api::params::page_limit(p.limit, 50)?;
    let q = ChurnQuery {
        limit,
        after: p.after,
        owner: p.owner,
        segment: p.segment,
        min_arr: p.min_arr,
        renewal_within_days: p.renewal_within_days,
        order: p.order.unwrap_or_default(),
    };
    Ok(Json(churn::churn_risk_list(&state.store, &q).await?))
}

/// One account's churn risk, computed now from its stored snapshots.
#[utoipa::path(get, path = "/v1/accounts/{id}/churn-risk", tag = "churn",
    params(("id" = String, Path, description = "The account's CRM id")),
    responses(
        (status = 200, description = "The account's risk and drivers", body = ChurnRisk),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the score scope", body = ErrorResponse),
        (status = 404, description = "No such account, or no snapshot for it", body = ErrorResponse),
        (status = 409, description = "No active churn model yet: train one", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["score"])))]
pub async fn account(
    _auth: Authed<ScoreScope>,
    state: web::Data<AppState>,
    id: Path<String>,
) -> Result<Json<ChurnRisk>, ApiError> {
    Ok(Json(
        churn::account_churn_risk(&state.store, &state.registry, path_text("id", &id)?).await?,
    ))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/churn-risk", web::get().to(list))
        .route("/v1/accounts/{id}/churn-risk", web::get().to(account));
}
