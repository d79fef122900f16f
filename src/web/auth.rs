//! Sign in with an API key (a form, or the demo's one-time link) and sign out.

use actix_web::http::header;
use actix_web::web::{self, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::layout::{bare, esc};
use super::{html, session, WebError};
use crate::api::AppState;

/// The sign-in page, with an error message when the last try failed.
pub fn form_page(error: Option<&str>) -> String {
    let err = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    bare(
        "Sign in",
        &format!(
            "{err}<form class=\"signin\" method=\"post\" action=\"/signin\">\
             <label>API key<input type=\"password\" name=\"key\" autocomplete=\"off\" required></label>\
             <button type=\"submit\">Sign in</button></form>\
             <p class=\"hint\">Create a key with <code>revcast keys create --name NAME --scopes read</code>; \
             an admin key also shows the model controls. <code>revcast demo</code> prints a one-time link.</p>"
        ),
    )
}

async fn show() -> HttpResponse {
    html(form_page(None))
}

#[derive(Deserialize)]
struct SignInForm {
    key: String,
}

async fn sign_in(
    state: web::Data<AppState>,
    form: Form<SignInForm>,
) -> Result<HttpResponse, WebError> {
    let cookie = session::sign_in(&state, &form.key).await?;
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/"))
        .finish())
}

#[derive(Deserialize)]
struct OnceQuery {
    token: String,
}

async fn sign_in_once(
    state: web::Data<AppState>,
    q: Query<OnceQuery>,
) -> Result<HttpResponse, WebError> {
    let cookie = session::sign_in_once(&state, &q.token).await?;
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/"))
        .finish())
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    pub csrf: Option<String>,
}

async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    v.check_csrf(form.csrf.as_deref())?;
    let cookie = session::sign_out(&state, &v);
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/signin"))
        .finish())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/signin", web::get().to(show))
        .route("/signin", web::post().to(sign_in))
        .route("/signin/once", web::get().to(sign_in_once))
        .route("/signout", web::post().to(sign_out));
}
