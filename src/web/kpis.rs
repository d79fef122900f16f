//! Every KPI of `GET /v1/kpis` with its formula, per quarter for the last eight (one call of the
//! KPI service: each quarter's column is `GET /v1/kpis?period=`), overall or for one rep, team or
//! region, and the last quarter's KPIs of every group.

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use std::fmt::Write;

use super::layout::{esc, money, num_td, page, pct, select, thead};
use super::{html, session, WebError};
use crate::api::AppState;
use crate::domain::Period;
use crate::kpi::{Kpi, KpiReport, Unit};
use crate::service::{kpi_history, ServiceError};

#[derive(Deserialize)]
struct Params {
    /// The last of the eight quarters shown.
    period: Option<String>,
    group_by: Option<String>,
    /// The group whose KPIs are shown per quarter (default the first).
    group: Option<String>,
}

/// A KPI's value in its unit, or a dash when it has none; with the value to sort by.
pub(super) fn shown(k: &Kpi) -> (f64, String) {
    match k.value {
        Some(v) => (v, shown_value(k.unit, v)),
        None => (-1e18, "—".into()),
    }
}

/// A value in its unit: a share as a percentage, an amount in the company's currency.
pub(super) fn shown_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Ratio => pct(v),
        Unit::Count => format!("{v:.0}"),
        Unit::Hours => format!("{v:.1} h"),
        Unit::Days => format!("{v:.1} days"),
        Unit::Currency => money(v),
        Unit::CurrencyPerDay => format!("{} / day", money(v)),
    }
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<Params>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    let current = Period::quarter_of(Utc::now().date_naive());
    let period = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            Period::parse(p).map_err(|e| ServiceError::bad_input("period", e.to_string()))?
        }
        None => current.previous(),
    };
    let group_by = q.group_by.clone().filter(|g| !g.is_empty());
    let grouping = crate::service::parse_param("group_by", group_by.as_deref())?;
    let reports =
        kpi_history::kpis_by_quarter(&state.store, period, kpi_history::MAX_QUARTERS, grouping)
            .await?;
    let Some(last) = reports.last() else {
        return Err(ServiceError::bad_input("period", "no quarter to show").into());
    };
    let keys: Vec<String> = last.groups.iter().map(|g| g.key.clone()).collect();
    let group = q
        .group
        .clone()
        .filter(|g| keys.contains(g))
        .or_else(|| keys.first().cloned());
    let mut body = filters(
        period,
        current,
        group_by.as_deref(),
        &keys,
        group.as_deref(),
    );
    let quarters: Vec<String> = reports
        .iter()
        .map(|r| Period::quarter_of(r.window.from).to_string())
        .collect();
    let title = match (&group_by, &group) {
        (Some(by), Some(g)) => format!("Every KPI of {by} {g}, per quarter"),
        _ => "Every KPI, per quarter".to_string(),
    };
    let _ = write!(body, "<section><h2>{}</h2>", esc(&title));
    body.push_str(&per_quarter(&reports, &quarters, group.as_deref()));
    body.push_str("</section>");
    if !last.groups.is_empty() {
        body.push_str(&groups(last, &quarters[quarters.len() - 1]));
    }
    Ok(html(page(&format!("KPIs to {period}"), "/kpis", &v, &body)))
}

fn filters(
    period: Period,
    current: Period,
    group_by: Option<&str>,
    keys: &[String],
    group: Option<&str>,
) -> String {
    let mut periods = Vec::new();
    let mut p = current;
    for _ in 0..8 {
        periods.push((p.to_string(), p.to_string()));
        p = p.previous();
    }
    let period = Period::quarter_of(period.start()).to_string();
    if !periods.iter().any(|(p, _)| *p == period) {
        periods.push((period.clone(), period.clone()));
    }
    let groupings: Vec<(String, String)> = ["", "rep", "team", "region"]
        .iter()
        .map(|g| {
            let label = if g.is_empty() {
                "none".into()
            } else {
                format!("by {g}")
            };
            (g.to_string(), label)
        })
        .collect();
    let mut s = format!(
        "<form class=\"filters\" method=\"get\" action=\"/kpis\">{}{}",
        select("period", "Last quarter", &periods, &period),
        select("group_by", "Grouping", &groupings, group_by.unwrap_or(""))
    );
    if !keys.is_empty() {
        let opts: Vec<(String, String)> = keys.iter().map(|k| (k.clone(), k.clone())).collect();
        s.push_str(&select("group", "Group", &opts, group.unwrap_or("")));
    }
    s.push_str("<button type=\"submit\">Show</button></form>");
    s
}

/// One row per KPI, one column per quarter (oldest first), then the formula.
fn per_quarter(reports: &[KpiReport], quarters: &[String], group: Option<&str>) -> String {
    let pick = |r: &KpiReport, name: &str| -> Option<Kpi> {
        match group {
            Some(g) => r.group_kpi(g, name).cloned(),
            None => r.get(name).cloned(),
        }
    };
    let mut cols = vec!["KPI"];
    cols.extend(quarters.iter().map(String::as_str));
    cols.push("formula");
    let mut s =
        String::from("<div class=\"scroll\"><table class=\"sortable\" data-table=\"kpis\">");
    s.push_str(&thead(&cols));
    s.push_str("<tbody>");
    let Some(last) = reports.last() else {
        return String::new();
    };
    for k in &last.kpis {
        let _ = write!(
            s,
            "<tr data-kpi=\"{}\"><th scope=\"row\">{}</th>",
            esc(&k.name),
            esc(&k.name.replace('_', " "))
        );
        let mut reason = None;
        for (r, q) in reports.iter().zip(quarters) {
            match pick(r, &k.name) {
                Some(x) => {
                    let (val, text) = shown(&x);
                    let title = x.reason.as_deref().unwrap_or("");
                    let _ = write!(
                        s,
                        "<td class=\"num\" data-quarter=\"{}\" data-sort=\"{val}\" title=\"{}\">{}</td>",
                        esc(q),
                        esc(title),
                        esc(&text)
                    );
                    reason = x.reason.clone();
                }
                None => s.push_str("<td>—</td>"),
            }
        }
        let note = reason
            .map(|r| format!(" <span class=\"note\">(last quarter: {})</span>", esc(&r)))
            .unwrap_or_default();
        let _ = write!(s, "<td class=\"why\">{}{note}</td></tr>", esc(&k.formula));
    }
    s.push_str("</tbody></table></div>");
    s
}

/// The last quarter's KPIs of every group side by side.
fn groups(report: &KpiReport, quarter: &str) -> String {
    let names: Vec<&str> = report
        .kpis
        .iter()
        .filter(|k| k.value.is_some())
        .map(|k| k.name.as_str())
        .take(8)
        .collect();
    let mut cols = vec!["group"];
    cols.extend(names.iter().copied());
    let mut s = format!(
        "<section><h2>Every group in {}</h2><div class=\"scroll\"><table class=\"sortable\" data-table=\"kpi-groups\">",
        esc(quarter)
    );
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
    s.push_str("</tbody></table></div></section>");
    s
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/kpis", web::get().to(show));
}
