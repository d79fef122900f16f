//! The model registry: each version's validation metrics and reliability diagram; for admin keys,
//! train (following the job's progress), promote and roll back (forms with the session's CSRF
//! token).

use actix_web::web::{self, Form, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write;

use super::auth::CsrfForm;
use super::layout::{esc, page, pct};
use super::session::Viewer;
use super::{html, see_other, session, svg, WebError};
use crate::api::AppState;
use crate::service::jobs::{self, JobView};
use crate::service::models::{self, ModelVersionInfo};

const METRICS: [&str; 6] = [
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
    "ece",
    "top_decile_lift",
];

#[derive(Deserialize)]
struct Params {
    /// A training job to follow (the page reloads itself while it runs).
    job: Option<String>,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<Params>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    let versions = models::list_versions(&state.store, &state.registry, None).await?;
    let mut body = String::new();
    if let Some(id) = q.job.as_deref().filter(|j| !j.is_empty()) {
        body.push_str(&job_panel(&jobs::job(&state.store, id).await?));
    }
    for kind in ["lead", "win", "churn"] {
        let mine: Vec<&ModelVersionInfo> = versions.iter().filter(|m| m.kind == kind).collect();
        if mine.is_empty() && !v.is_admin() {
            continue;
        }
        let _ = write!(body, "<section><h2>{kind} models</h2>");
        if v.is_admin() {
            body.push_str(&action(
                &v,
                &format!("/models/{kind}/train"),
                &format!("Train a new {kind} model"),
                "train",
            ));
        }
        if v.is_admin() && mine.iter().filter(|m| m.status != "candidate").count() > 1 {
            body.push_str(&action(
                &v,
                &format!("/models/{kind}/rollback"),
                &format!("Roll back the {kind} model"),
                "rollback",
            ));
        }
        for m in mine {
            body.push_str(&card(&v, m));
        }
        body.push_str("</section>");
    }
    if versions.is_empty() && !v.is_admin() {
        body.push_str(
            "<p class=\"note\">No model trained yet: an admin can train one here, or run \
             <code>revcast train win</code>.</p>",
        );
    }
    Ok(html(page("Models", "/models", &v, &body)))
}

/// A training job: its status, progress bar and current step; `assets/app.js` reloads the page
/// every 1.5 s while it runs.
fn job_panel(j: &JobView) -> String {
    let outcome = match (&j.status[..], &j.error) {
        (_, Some(e)) => format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)),
        ("succeeded", _) => "<p class=\"note\">Done: the version is listed below.</p>".into(),
        _ => String::new(),
    };
    format!(
        "<section class=\"job\" data-job=\"{}\" data-job-status=\"{}\" aria-live=\"polite\"><h2>Training {} ({})</h2>\
         <label>Progress <progress max=\"1\" value=\"{}\" data-progress=\"{}\">{}</progress></label>\
         <p>{} · {}</p>{outcome}</section>",
        esc(&j.id),
        esc(&j.status),
        esc(j.kind.trim_start_matches("train:")),
        esc(&j.id),
        j.progress,
        j.progress,
        pct(j.progress),
        esc(&j.status),
        esc(&j.message),
    )
}

fn action(v: &Viewer, to: &str, label: &str, kind: &str) -> String {
    format!(
        "<form class=\"action\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\" data-action=\"{kind}\">{}</button></form>",
        esc(to),
        esc(&v.csrf),
        esc(label)
    )
}

fn card(v: &Viewer, m: &ModelVersionInfo) -> String {
    let val = &m.metrics["validation"];
    let mut s = format!(
        "<article class=\"model\" data-version=\"{}\" data-status=\"{}\"><h3>{} <span class=\"status {}\">{}</span></h3>\
         <p class=\"note\">{} · trained {}</p><div class=\"grid2\"><table><tbody>",
        esc(&m.id),
        esc(&m.status),
        esc(&m.id),
        esc(&m.status),
        esc(&m.status),
        esc(&m.algorithm),
        m.trained_at.format("%Y-%m-%d %H:%M UTC")
    );
    for k in METRICS {
        let shown = val[k].as_f64().map_or("—".into(), |x| format!("{x:.4}"));
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{k}</th><td class=\"num\" data-metric=\"{k}\">{shown}</td></tr>"
        );
    }
    let rows = val["rows"].as_u64().unwrap_or(0);
    let pos = val["positives"].as_u64().unwrap_or(0);
    let _ = write!(s, "<tr><th scope=\"row\">validation rows</th><td class=\"num\">{rows} ({pos} positive)</td></tr></tbody></table>");
    s.push_str(&svg::reliability(&m.id, &bins(&val["reliability"])));
    s.push_str("</div>");
    s.push_str(&importance(&m.metrics));
    if v.is_admin() && m.status != "active" {
        s.push_str(&action(
            v,
            &format!("/models/{}/promote", m.id),
            &format!("Promote {}", m.id),
            "promote",
        ));
    }
    s.push_str("</article>");
    s
}

fn bins(r: &Value) -> Vec<(f64, f64, u64)> {
    r.as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    (
                        b["mean_predicted"].as_f64().unwrap_or(0.0),
                        b["observed_rate"].as_f64().unwrap_or(0.0),
                        b["count"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The feature importance, when the version's metrics carry one (a list of name and weight).
fn importance(metrics: &Value) -> String {
    let Some(list) = metrics.get("feature_importance").and_then(Value::as_array) else {
        return String::new();
    };
    let mut s = String::from("<details><summary>Feature importance</summary><table><tbody>");
    for f in list.iter().take(15) {
        let name = f["feature"]
            .as_str()
            .or_else(|| f[0].as_str())
            .unwrap_or("?");
        let w = f["importance"]
            .as_f64()
            .or_else(|| f[1].as_f64())
            .unwrap_or(0.0);
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{w:.4}</td></tr>",
            esc(name)
        );
    }
    s.push_str("</tbody></table></details>");
    s
}

async fn admin(req: &HttpRequest, state: &AppState, form: &CsrfForm) -> Result<(), WebError> {
    let v = session::viewer(req, state).await?;
    v.check_csrf(form.csrf.as_deref())?;
    if !v.is_admin() {
        return Err(WebError::Forbidden(
            "training, promoting and rolling back need an admin key".into(),
        ));
    }
    Ok(())
}

async fn promote(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: Path<String>,
    form: Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    admin(&req, &state, &form).await?;
    models::promote(&state.store, &state.registry, &state.rescorer, &id).await?;
    Ok(see_other("/models"))
}

async fn rollback(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: Path<String>,
    form: Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    admin(&req, &state, &form).await?;
    models::rollback(&state.store, &state.registry, &state.rescorer, &kind).await?;
    Ok(see_other("/models"))
}

async fn train(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: Path<String>,
    form: Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    admin(&req, &state, &form).await?;
    let kind = models::parse_kind(&kind)?;
    let spec = models::spec_for(kind, None)?;
    let job = jobs::start_training(
        state.store.clone(),
        state.registry.clone(),
        state.rescorer.clone(),
        spec,
        None,
    )
    .await?;
    Ok(see_other(&format!("/models?job={}", job.id)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/models", web::get().to(show))
        .route("/models/{kind}/train", web::post().to(train))
        .route("/models/{id}/promote", web::post().to(promote))
        .route("/models/{kind}/rollback", web::post().to(rollback));
}
