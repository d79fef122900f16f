//! Funnel KPIs from the first lead to the renewal.

use crate::api::params::Query;
use actix_web::web::{self, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::auth::{Authed, ReadScope};
use crate::api::error::{ApiError, ErrorResponse};
use crate::api::AppState;
use crate::kpi::{KpiGroup, KpiReport};
use crate::service::kpis::{self, KpiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KpiParams {
    /// First day of the window (YYYY-MM-DD).
    pub from: Option<String>,
    /// Day after the window (exclusive, YYYY-MM-DD).
    pub to: Option<String>,
    /// Instead of from/to: a month (2026-11), quarter (2026-Q4) or year (2026).
    pub period: Option<String>,
    /// rep, team, region, source or product.
    #[serde(default, deserialize_with = "crate::domain::text::optional_text")]
    pub group_by: Option<KpiGroup>,
}

/// Every KPI over the window (leads by source, conversion, first response, the funnel, win rate,
/// cycle, deal size, coverage, velocity, attainment, CAC, churn, retention, expansion, CLV), each
/// with its formula and counts; null with a reason where the window has no data.
#[utoipa::path(get, path = "/v1/kpis", tag = "kpis",
    params(KpiParams),
    responses(
        (status = 200, description = "The KPIs, and per group when asked", body = KpiReport),
        (status = 400, description = "Bad window or grouping, named", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 403, description = "The key lacks the read scope", body = ErrorResponse),
        (status = 503, description = "Database unavailable", body = ErrorResponse),
    ),
    security(("bearer" = ["read"])))]
pub async fn report(
    _auth: Authed<ReadScope>,
    state: web::Data<AppState>,
    params: Query<KpiParams>,
) -> Result<Json<KpiReport>, ApiError> {
    let p = params.into_inner();
    let q = KpiQuery {
        from: p.from,
        to: p.to,
        period: p.period,
        group_by: p.group_by,
    };
    Ok(Json(kpis::kpis(&state.store, &q).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/kpis", web::get().to(report));
}
