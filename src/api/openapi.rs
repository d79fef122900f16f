//! The OpenAPI document, generated from the handlers' annotations, served at `/openapi.json` with
//! Swagger UI at `/docs`, and checked in as `api-spec/openapi.yaml` (a test fails when they drift).

use actix_web::web;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::routes::{
    bulk, churn, forecast, kpis, models, ops, pipeline, quotas, records, scoring, series,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document, with the three record paths of every entity (see [`crate::with_entities`]).
macro_rules! api_doc {
    ($($module:ident: $T:ty,)*) => {
        #[derive(OpenApi)]
        #[openapi(
            info(
                title = "revcast",
                description = "Revenue intelligence from CRM history: lead scores, win probabilities, forecasts, quotas, churn risk and funnel KPIs. Every endpoint but health, readiness, metrics and the docs needs `Authorization: Bearer KEY` with the right scope (score, ingest, read, admin). Errors share one body: {\"error\": {\"code\", \"message\", \"details\"}}."
            ),
            paths(
                ops::healthz, ops::readyz, ops::metrics,
                $(records::$module::create, records::$module::index, records::$module::read,)*
                scoring::score_leads, scoring::score_opportunities, scoring::lead_score, scoring::win_probability,
                scoring::prioritized_leads, scoring::prioritized_opportunities,
                bulk::score_accounts, bulk::score_leads_ndjson, bulk::score_opportunities_ndjson,
                models::list, models::train, models::promote, models::rollback, models::job, models::drift,
                kpis::report,
                churn::list, churn::account,
                forecast::show, forecast::accuracy, forecast::backtests, series::forecast_series,
                pipeline::history, pipeline::changes,
                quotas::recommendations,
            ),
            modifiers(&BearerAuth),
            tags(
                (name = "ingest", description = "The CRM copy: batch upserts by the CRM's ids, read-back and listing"),
                (name = "scores", description = "Lead scores and win probabilities with their reasons; the prioritized call lists"),
                (name = "models", description = "The model registry: versions and metrics, training jobs, promotion and rollback"),
                (name = "churn", description = "Churn-risk lists for customer success"),
                (name = "kpis", description = "Funnel KPIs from the first lead to the renewal"),
                (name = "forecast", description = "Revenue forecasts with P10/P50/P90 by period and group, and the accuracy ledger of the forecasts served"),
                (name = "quotas", description = "Quota recommendations for a company target, and the judgement of the stored quotas"),
                (name = "operations", description = "Health, readiness and metrics"),
            )
        )]
        pub struct ApiDoc;
    };
}
crate::with_entities!(api_doc);

/// The spec as served and as checked in.
pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The spec as YAML, the form checked in at `api-spec/openapi.yaml`.
pub fn spec_yaml() -> String {
    spec().to_yaml().expect("the OpenAPI document serialises")
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec()));
}
