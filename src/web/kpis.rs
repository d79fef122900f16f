//! Every KPI of `GET /v1/kpis` for a period, with its formula, overall and per group.

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use std::fmt::Write;

use super::layout::{esc, money, num_td, page, pct, select, thead};
use super::{html, session, WebError};
use crate::api::AppState;
use crate::domain::Period;
use crate::kpi::{Kpi, Unit};
use crate::service::kpis::{self, KpiQuery};

#[derive(Deserialize)]
struct Params {
    period: Option<String>,
    group_by: Option<String>,
}

/// A KPI's value in its unit, or its reason when it has none.
fn shown(k: &Kpi) -> (f64, String) {
    let Some(v) = k.value else {
        return (-1e18, "—".into());
    };
    let s = match k.unit {
        Unit::Ratio => pct(v),
        Unit::Count => format!("{v:.0}"),
        Unit::Hours => format!("{v:.1} h"),
        Unit::Days => format!("{v:.1} days"),
        Unit::Currency => money(v),
        Unit::CurrencyPerDay => format!("{} / day", money(v)),
    };
    (v, s)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<Params>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    let current = Period::quarter_of(Utc::now().date_naive());
    let period = q
        .period
        .clone()
        .unwrap_or_else(|| current.previous().to_string());
    let group_by = q.group_by.clone().filter(|g| !g.is_empty());
    let report = kpis::kpis(
        &state.store,
        &KpiQuery {
            period: Some(period.clone()),
            group_by: group_by.clone(),
            ..KpiQuery::default()
        },
    )
    .await?;
    let mut periods = Vec::new();
    let mut p = current;
    for _ in 0..8 {
        periods.push((p.to_string(), p.to_string()));
        p = p.previous();
    }
    let groupings: Vec<(String, String)> = ["", "rep", "team", "region", "source", "product"]
        .iter()
        .map(|g| {
            (
                g.to_string(),
                if g.is_empty() {
                    "none".into()
                } else {
                    format!("by {g}")
                },
            )
        })
        .collect();
    let mut body = format!(
        "<form class=\"filters\" method=\"get\" action=\"/kpis\">{}{}<button type=\"submit\">Show</button></form>",
        select("period", "Period", &periods, &period),
        select("group_by", "Grouping", &groupings, group_by.as_deref().unwrap_or(""))
    );
    body.push_str("<div class=\"scroll\"><table class=\"sortable\" data-table=\"kpis\">");
    body.push_str(&thead(&["KPI", "value", "formula"]));
    body.push_str("<tbody>");
    for k in &report.kpis {
        let (val, text) = shown(k);
        let note = k
            .reason
            .as_deref()
            .map(|r| format!(" <span class=\"note\">({})</span>", esc(r)))
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr data-kpi=\"{}\"><th scope=\"row\">{}</th>{}<td>{}{note}</td></tr>",
            esc(&k.name),
            esc(&k.name.replace('_', " ")),
            num_td(val, &text),
            esc(&k.formula)
        );
    }
    body.push_str("</tbody></table></div>");
    if !report.groups.is_empty() {
        body.push_str(&groups(&report));
    }
    Ok(html(page(&format!("KPIs {period}"), "/kpis", &v, &body)))
}

fn groups(report: &crate::kpi::KpiReport) -> String {
    let names: Vec<&str> = report
        .kpis
        .iter()
        .filter(|k| k.value.is_some())
        .map(|k| k.name.as_str())
        .take(8)
        .collect();
    let mut cols = vec!["group"];
    cols.extend(names.iter().copied());
    let mut s = String::from("<h2>By group</h2><div class=\"scroll\"><table class=\"sortable\" data-table=\"kpi-groups\">");
    s.push_str(&thead(&cols));
    s.push_str("<tbody>");
    for g in &report.groups {
        let _ = write!(s, "<tr><th scope=\"row\">{}</th>", esc(&g.key));
        for n in &names {
            match g.kpis.iter().find(|k| k.name == *n) {
                Some(k) => {
                    let (v, t) = shown(k);
                    s.push_str(&num_td(v, &t));
                }
                None => s.push_str("<td>—</td>"),
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/kpis", web::get().to(show));
}
