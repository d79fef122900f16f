//! Customer success: the churn-risk list by revenue at risk, with drivers in words and the change
//! since the last score; filters; revenue at risk by segment.

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;

use super::layout::{esc, figure, input, money, num_td, page, pct, select, thead};
use super::{html, session, svg, WebError};
use crate::api::AppState;
use crate::service::churn::{self, ChurnQuery, ChurnRisk};

/// Rows per page of the list.
const PAGE: u32 = 50;
/// The renewals section's horizon, in days from today.
const RENEWALS_WITHIN: i64 = 90;
/// The most renewals listed (one call of the list).
const MAX_RENEWALS: u32 = 1000;

#[derive(Deserialize, Default, Clone)]
struct Params {
    owner: Option<String>,
    segment: Option<String>,
    renewal_within_days: Option<String>,
    after: Option<String>,
}

fn blank_none(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn query(p: &Params, limit: u32, after: Option<String>) -> Result<ChurnQuery, WebError> {
    let days = match blank_none(&p.renewal_within_days) {
        None => None,
        Some(d) => Some(d.parse::<i64>().map_err(|_| {
            crate::service::ServiceError::bad_input(
                "renewal_within_days",
                format!("`{d}` is not a whole number of days"),
            )
        })?),
    };
    Ok(ChurnQuery {
        limit,
        after,
        owner: blank_none(&p.owner),
        segment: blank_none(&p.segment),
        min_arr: None,
        renewal_within_days: days,
        order: Default::default(),
    })
}

/// Every account the filters keep, page by page through the same call as the list (for the totals
/// by segment), at most 20 pages of 1,000.
async fn everyone(state: &AppState, p: &Params) -> Result<Vec<ChurnRisk>, WebError> {
    let mut out = Vec::new();
    let mut after = None;
    for _ in 0..20 {
        let page = churn::churn_risk_list(&state.store, &query(p, 1000, after)?).await?;
        out.extend(page.data);
        match page.next_after {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(out)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<Params>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    let p = q.into_inner();
    let list =
        churn::churn_risk_list(&state.store, &query(&p, PAGE, blank_none(&p.after))?).await?;
    let all = everyone(
        &state,
        &Params {
            after: None,
            ..p.clone()
        },
    )
    .await?;
    let mut by_segment: BTreeMap<String, f64> = BTreeMap::new();
    for a in &all {
        *by_segment
            .entry(a.segment.clone().unwrap_or_else(|| "(none)".into()))
            .or_default() += a.revenue_at_risk;
    }
    let total: f64 = all.iter().map(|a| a.revenue_at_risk).sum();
    let mut body = filters(&p);
    let _ = write!(
        body,
        "<p class=\"cards\"><span class=\"card\"><span class=\"label\">Accounts</span><span class=\"big\">{}</span></span>\
         <span class=\"card\"><span class=\"label\">Revenue at risk</span><span class=\"big\">{}</span></span></p>",
        all.len(),
        figure("revenue_at_risk", total, &money(total))
    );
    let rows: Vec<(String, f64)> = by_segment.into_iter().collect();
    body.push_str("<section><h2>Revenue at risk by segment</h2>");
    body.push_str(&svg::hbars(
        "segments",
        "Revenue at risk by segment",
        &rows,
        "P(churn) × ARR, summed",
    ));
    body.push_str("</section>");
    body.push_str(&table(&list.data));
    body.push_str(&renewals(&state, &p).await?);
    if let Some(next) = list.next_after {
        let mut link = format!("/churn?after={}", esc(&next));
        for (k, val) in [
            ("owner", &p.owner),
            ("segment", &p.segment),
            ("renewal_within_days", &p.renewal_within_days),
        ] {
            if let Some(x) = blank_none(val) {
                let _ = write!(link, "&amp;{k}={}", esc(&x));
            }
        }
        let _ = write!(
            body,
            "<p><a class=\"next\" href=\"{link}\">Next {PAGE} accounts</a></p>"
        );
    }
    Ok(html(page("Churn risk", "/churn", &v, &body)))
}

fn filters(p: &Params) -> String {
    let windows: Vec<(String, String)> = [
        ("", "any"),
        ("30", "30 days"),
        ("90", "90 days"),
        ("180", "180 days"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/churn\">{}{}{}<button type=\"submit\">Filter</button></form>",
        input("owner", "Owner", p.owner.as_deref().unwrap_or(""), "text"),
        input("segment", "Segment", p.segment.as_deref().unwrap_or(""), "text"),
        select("renewal_within_days", "Renewal within", &windows, p.renewal_within_days.as_deref().unwrap_or(""))
    )
}

fn table(rows: &[ChurnRisk]) -> String {
    // Paged by the server (`after`), PAGE rows at a time: one page in the browser.
    let mut s = format!("<section><h2>Accounts by revenue at risk</h2><div class=\"scroll\"><table class=\"sortable\" data-table=\"churn\" data-page-size=\"{PAGE}\">");
    s.push_str(&thead(&[
        "account",
        "owner",
        "segment",
        "P(churn)",
        "change",
        "ARR",
        "revenue at risk",
        "renewal",
        "drivers",
    ]));
    s.push_str("<tbody>");
    for a in rows {
        let change = a.change.map_or(("—".to_string(), 0.0), |c| {
            (format!("{:+.1} pts", c * 100.0), c)
        });
        let drivers: Vec<String> = a.drivers.iter().take(3).map(|d| esc(&d.text)).collect();
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{} <span class=\"id\">{}</span></th><td>{}</td><td>{}</td>{}{}{}{}<td>{}</td><td class=\"why\">{}</td></tr>",
            esc(&a.name),
            esc(&a.account_id),
            esc(a.owner_id.as_deref().unwrap_or("")),
            esc(a.segment.as_deref().unwrap_or("")),
            num_td(a.probability, &pct(a.probability)),
            num_td(change.1, &change.0),
            num_td(a.arr, &money(a.arr)),
            num_td(a.revenue_at_risk, &money(a.revenue_at_risk)),
            a.renewal_date.map(|d| d.to_string()).unwrap_or_default(),
            drivers.join("; ")
        );
    }
    s.push_str("</tbody></table></div></section>");
    s
}

/// The accounts that renew in the next 90 days under the same owner and segment filters, the
/// soonest first: `GET /v1/churn-risk?renewal_within_days=90`.
async fn renewals(state: &AppState, p: &Params) -> Result<String, WebError> {
    let within = Params {
        renewal_within_days: Some(RENEWALS_WITHIN.to_string()),
        after: None,
        ..p.clone()
    };
    let mut rows = churn::churn_risk_list(&state.store, &query(&within, MAX_RENEWALS, None)?)
        .await?
        .data;
    rows.sort_by(|a, b| {
        a.renewal_date
            .cmp(&b.renewal_date)
            .then(b.revenue_at_risk.total_cmp(&a.revenue_at_risk))
    });
    let arr: f64 = rows.iter().map(|a| a.arr).sum();
    let at_risk: f64 = rows.iter().map(|a| a.revenue_at_risk).sum();
    let mut s = format!(
        "<section><h2>Renewals of the next {RENEWALS_WITHIN} days</h2><p class=\"note\">{} account(s) renew, \
         {} of ARR, {} of it at risk; the soonest first.</p>",
        figure("renewals", rows.len() as f64, &rows.len().to_string()),
        money(arr),
        figure("renewals_at_risk", at_risk, &money(at_risk)),
    );
    s.push_str("<div class=\"scroll\"><table class=\"sortable\" data-table=\"renewals\">");
    s.push_str(&thead(&[
        "renewal",
        "account",
        "owner",
        "ARR",
        "P(churn)",
        "revenue at risk",
    ]));
    s.push_str("<tbody>");
    for a in &rows {
        let day = a.renewal_date.map(|d| d.to_string()).unwrap_or_default();
        let _ = write!(
            s,
            "<tr data-account=\"{}\"><td>{}</td><th scope=\"row\">{}</th><td>{}</td>{}{}{}</tr>",
            esc(&a.account_id),
            esc(&day),
            esc(&a.name),
            esc(a.owner_id.as_deref().unwrap_or("")),
            num_td(a.arr, &money(a.arr)),
            num_td(a.probability, &pct(a.probability)),
            num_td(a.revenue_at_risk, &money(a.revenue_at_risk)),
        );
    }
    s.push_str("</tbody></table></div></section>");
    Ok(s)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/churn", web::get().to(show));
}
