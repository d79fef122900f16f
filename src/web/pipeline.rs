//! A rep's or the whole team's prioritized open deals (by expected value) and leads (by score),
//! each with its factors: the same lists as `GET /v1/{opportunities,leads}/prioritized`.

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use std::fmt::Write;

use super::layout::{esc, input, money, num_td, page, pct, thead};
use super::{html, session, WebError};
use crate::api::AppState;
use crate::ml::ModelKind;
use crate::service::models::{self, ScoredRecord};

/// Rows of each list.
const LIMIT: u32 = 50;

#[derive(Deserialize)]
struct Params {
    owner: Option<String>,
}

fn factors(r: &ScoredRecord) -> String {
    let pos = r.positive_factors.iter().take(2).map(|f| esc(&f.text));
    let neg = r.negative_factors.iter().take(2).map(|f| esc(&f.text));
    pos.chain(neg).collect::<Vec<_>>().join("; ")
}

fn table(name: &str, rows: &[ScoredRecord], with_value: bool) -> String {
    let mut cols = vec!["id", "owner", "score", "grade", "P(win)"];
    if with_value {
        cols.push("expected value");
    }
    cols.push("factors");
    let mut s = format!("<div class=\"scroll\"><table class=\"sortable\" data-table=\"{name}\">");
    s.push_str(&thead(&cols));
    s.push_str("<tbody>");
    for r in rows {
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td>{}<td>{}</td>{}",
            esc(&r.id),
            esc(r.owner_id.as_deref().unwrap_or("")),
            num_td(f64::from(r.score), &r.score.to_string()),
            esc(&r.grade),
            num_td(r.probability, &pct(r.probability)),
        );
        if with_value {
            let ev = r.expected_value.unwrap_or(0.0);
            s.push_str(&num_td(ev, &money(ev)));
        }
        let _ = write!(s, "<td class=\"why\">{}</td></tr>", factors(r));
    }
    s.push_str("</tbody></table></div>");
    s
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<Params>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    let owner = q.owner.as_deref().map(str::trim).filter(|o| !o.is_empty());
    let deals = models::prioritized(&state.store, ModelKind::Win, owner, LIMIT).await?;
    let leads = models::prioritized(&state.store, ModelKind::Lead, owner, LIMIT).await?;
    let mut body = format!(
        "<form class=\"filters\" method=\"get\" action=\"/pipeline\">{}<button type=\"submit\">Show</button></form>",
        input("owner", "Owner (rep id; empty: everyone)", owner.unwrap_or(""), "text")
    );
    let _ = write!(
        body,
        "<section><h2>Open deals by expected value</h2>{}</section>",
        table("deals", &deals, true)
    );
    let _ = write!(
        body,
        "<section><h2>Open leads by score</h2>{}</section>",
        table("leads", &leads, false)
    );
    Ok(html(page("Pipeline", "/pipeline", &v, &body)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/pipeline", web::get().to(show));
}
