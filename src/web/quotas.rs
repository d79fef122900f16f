//! Quota planning: enter a target, see each rep's quota and P(reaching it), and the expected share
//! of reps at quota against the healthy 60-80% band.

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use std::fmt::Write;

use super::layout::{esc, figure, input, money, num_td, page, pct, thead};
use super::{html, ledger, session, WebError};
use crate::api::AppState;
use crate::domain::Period;
use crate::quota::QuotaPlan;
use crate::service::quotas::{self, QuotaQuery};
use crate::service::ServiceError;

#[derive(Deserialize)]
struct Params {
    period: Option<String>,
    target: Option<String>,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<Params>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    let default_period = Period::quarter_of(Utc::now().date_naive()).next();
    let period = q
        .period
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| default_period.to_string());
    let parsed =
        Period::parse(&period).map_err(|e| ServiceError::bad_input("period", e.to_string()))?;
    let target = match q.target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(
            t.parse::<f64>()
                .map_err(|_| ServiceError::bad_input("target", format!("`{t}` is not a number")))?,
        ),
        None => ledger::stored_quota(&state.store, parsed.previous()).await?,
    };
    let target_text = target.map(|t| format!("{t:.0}")).unwrap_or_default();
    let mut body = format!(
        "<form class=\"filters\" method=\"get\" action=\"/quotas\">{}{}<button type=\"submit\">Plan</button></form>",
        input("period", "Period", &period, "text"),
        input("target", "Company target (company currency)", &target_text, "number"),
    );
    let Some(target) = target else {
        body.push_str("<p class=\"note\">Enter the company target for the period.</p>");
        return Ok(html(page("Quotas", "/quotas", &v, &body)));
    };
    let r = quotas::recommend(
        &state.store,
        &state.registry,
        &QuotaQuery {
            period,
            target: Some(target),
            as_of: None,
        },
    )
    .await?;
    body.push_str(&plan(&r.plan));
    if let Some(j) = &r.judgement {
        let _ = write!(
            body,
            "<p class=\"note\">The stored quotas of {}: {} of reps expected at quota. {}</p>",
            r.period,
            pct(j.expected_share_at_quota),
            esc(&j.flag)
        );
    }
    Ok(html(page(
        &format!("Quotas {}", r.period),
        "/quotas",
        &v,
        &body,
    )))
}

fn plan(p: &QuotaPlan) -> String {
    let verdict = serde_json::to_value(p.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let healthy = (0.6..=0.8).contains(&p.expected_share_at_quota);
    let mut s = format!(
        "<p class=\"cards\"><span class=\"card\"><span class=\"label\">Expected share at quota (healthy 60-80%)</span>\
         <span class=\"big {}\">{}</span></span><span class=\"card\"><span class=\"label\">Verdict</span><span class=\"big\">{}</span></span>\
         <span class=\"card\"><span class=\"label\">Healthy targets</span><span class=\"big\">{} to {}</span></span></p>",
        if healthy { "ok" } else { "warn" },
        figure("share_at_quota", p.expected_share_at_quota, &pct(p.expected_share_at_quota)),
        esc(&verdict.replace('_', " ")),
        money(p.healthy_targets.0.min(p.healthy_targets.1)),
        money(p.healthy_targets.0.max(p.healthy_targets.1)),
    );
    s.push_str("<ul class=\"explain\">");
    for e in &p.explanation {
        let _ = write!(s, "<li>{}</li>", esc(e));
    }
    s.push_str("</ul><div class=\"scroll\"><table class=\"sortable\" data-table=\"quotas\">");
    s.push_str(&thead(&[
        "rep",
        "quota",
        "P(reaching it)",
        "ramp",
        "capacity",
        "why",
    ]));
    s.push_str("<tbody>");
    for r in &p.reps {
        let _ = write!(
            s,
            "<tr><th scope=\"row\" class=\"nowrap\">{}</th>{}{}{}{}<td class=\"why\">{}</td></tr>",
            esc(&r.rep_id),
            num_td(r.quota, &money(r.quota)),
            num_td(r.p_reach, &pct(r.p_reach)),
            num_td(r.ramp, &pct(r.ramp)),
            num_td(r.capacity, &money(r.capacity)),
            esc(&r.rationale)
        );
    }
    s.push_str("</tbody></table></div>");
    s
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/quotas", web::get().to(show));
}
