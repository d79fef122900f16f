//! The web app for sales managers and customer success: server-rendered HTML pages over the same
//! service calls as the API, charts as inline SVG, one embedded stylesheet and a few lines of
//! script for sorting tables. Nothing is fetched from elsewhere; every asset is in the binary.

mod accuracy;
mod auth;
mod churn;
mod forecast;
mod kpis;
pub mod layout;
pub mod ledger;
mod models;
mod pipeline;
mod quotas;
pub mod session;
pub mod svg;
mod trend;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse, ResponseError};

pub use session::Sessions;

use crate::api::error::ApiError;
use crate::service::ServiceError;

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No live session: go to the sign-in form.
    #[error("sign in first")]
    SignIn,
    /// An unknown or revoked API key at sign-in.
    #[error("unknown or revoked API key")]
    BadKey,
    /// A one-time link that is unknown, spent or expired.
    #[error("this sign-in link is unknown, already used or expired; sign in with an API key")]
    BadLink,
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn => StatusCode::SEE_OTHER,
            WebError::BadKey | WebError::BadLink => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Service(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (status, message) = match self {
            WebError::SignIn => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/signin"))
                    .finish()
            }
            WebError::Service(e) => {
                // The API's error table decides status and wording, and hides internals.
                let api = ApiError::from(clone_service_error(e));
                (api.code.status(), api.message)
            }
            other => (other.status_code(), other.to_string()),
        };
        let body = match self {
            WebError::BadKey | WebError::BadLink => auth::form_page(Some(&message)),
            _ => layout::error_page(status, &message),
        };
        html_with(status, body)
    }
}

/// ServiceError is not Clone (it wraps a store error); rebuild what the error table needs.
fn clone_service_error(e: &ServiceError) -> ServiceError {
    match e {
        ServiceError::Invalid(p) => ServiceError::Invalid(p.clone()),
        ServiceError::NotFound(s) => ServiceError::NotFound(s.clone()),
        ServiceError::BadInput { field, reason } => ServiceError::bad_input(field, reason.clone()),
        ServiceError::Conflict(s) => ServiceError::Conflict(s.clone()),
        ServiceError::NoActiveModel(s) => ServiceError::NoActiveModel(s.clone()),
        ServiceError::Store(crate::store::StoreError::Unavailable(s)) => {
            ServiceError::Store(crate::store::StoreError::Unavailable(s.clone()))
        }
        ServiceError::Store(s) => {
            tracing::error!(error = %s, "page failed on the store");
            ServiceError::Store(anyhow::anyhow!("a page failed on the store").into())
        }
        ServiceError::Internal(e) => {
            tracing::error!(error = ?e, "page failed");
            ServiceError::internal("a page failed")
        }
    }
}

/// Content Security Policy of every page: only this site's stylesheet and script, no inline
/// script, no framing.
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn html_with(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(body)
}

pub(crate) fn html(body: String) -> HttpResponse {
    html_with(StatusCode::OK, body)
}

/// A 303 to `to` after a form, so that reloading does not post again.
pub(crate) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", include_str!("assets/style.css"))
}

async fn script() -> HttpResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    )
}

/// Mounts the pages and their assets (the API's routes are untouched).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/style.css", web::get().to(style))
        .route("/assets/app.js", web::get().to(script));
    auth::configure(cfg);
    forecast::configure(cfg);
    churn::configure(cfg);
    models::configure(cfg);
    pipeline::configure(cfg);
    kpis::configure(cfg);
    accuracy::configure(cfg);
    quotas::configure(cfg);
}
