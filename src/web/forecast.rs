//! The home page: the period's forecast beside its quota, its parts, its groups, the ledger's
//! days and the deals that move the number most.

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write;

use super::layout::{esc, figure, input, money, num_td, page, pct, select, thead};
use super::{html, ledger, session, svg, WebError};
use crate::api::AppState;
use crate::domain::Period;
use crate::forecast::Forecast;
use crate::ml::ModelKind;
use crate::service::attainment::{self, Attainment, GroupAttainment};
use crate::service::forecast::ForecastQuery;
use crate::service::models::{self, scoring::FactorView};
use crate::service::ServiceError;

#[derive(Deserialize)]
struct Params {
    period: Option<String>,
    group_by: Option<String>,
    target: Option<String>,
}

const GROUPINGS: [&str; 4] = ["team", "owner", "region", "product"];

/// The current quarter and the three around it, for the picker.
fn period_options(current: Period) -> Vec<(String, String)> {
    let p = [
        current.previous(),
        current,
        current.next(),
        current.next().next(),
    ];
    p.iter().map(|p| (p.to_string(), p.to_string())).collect()
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<Params>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    let this_quarter = Period::quarter_of(Utc::now().date_naive());
    let period = q.period.clone().unwrap_or_else(|| this_quarter.to_string());
    let group_by = q
        .group_by
        .clone()
        .unwrap_or_else(|| crate::service::warm::HOME_GROUPING.to_string());
    let query = ForecastQuery {
        period: period.clone(),
        as_of: None,
        group_by: crate::service::parse_param("group_by", Some(&group_by))?,
        simulations: None,
    };
    let target = parse_target(q.target.as_deref())?;
    let a = attainment::forecast_attainment(&state.store, &state.registry, &query, target).await?;
    let fc = &a.served.forecast;
    let quota = a.quota;
    let days = ledger::fan_days(&state.store, fc.period).await?;
    let reasons = deal_reasons(&state).await?;
    let mut body = picker(&period, &group_by, target, this_quarter);
    body.push_str(&headline(&a));
    body.push_str("<div class=\"grid2\"><section><h2>Parts</h2>");
    body.push_str(&svg::waterfall(
        &[
            ("closed", fc.parts.closed),
            ("open pipeline", fc.parts.open_pipeline.expected),
            ("not yet created", fc.parts.not_yet_created.expected),
        ],
        ("mean", fc.total.mean),
    ));
    body.push_str("</section><section><h2>Over the period</h2>");
    body.push_str(&fan_section(&days, fc, quota));
    body.push_str("</section></div>");
    body.push_str(&groups(&a.groups, &group_by));
    body.push_str(&deals(fc, &reasons));
    Ok(html(page(
        &format!("Forecast {}", fc.period),
        "/",
        &v,
        &body,
    )))
}

/// The company target typed in the picker: empty is none; otherwise a number (the service checks
/// that it is above 0).
fn parse_target(t: Option<&str>) -> Result<Option<f64>, WebError> {
    match t.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t.parse::<f64>().map(Some).map_err(|_| {
            ServiceError::bad_input("target", format!("`{t}` is not a number")).into()
        }),
    }
}

fn picker(period: &str, group_by: &str, target: Option<f64>, current: Period) -> String {
    let groupings: Vec<(String, String)> = GROUPINGS
        .iter()
        .map(|g| (g.to_string(), format!("by {g}")))
        .collect();
    let mut opts = period_options(current);
    if !opts.iter().any(|(p, _)| p == period) {
        opts.push((period.to_string(), period.to_string()));
    }
    let target = target.map(|t| format!("{t:.0}")).unwrap_or_default();
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/\">{}{}{}<button type=\"submit\">Show</button></form>",
        select("period", "Period", &opts, period),
        select("group_by", "Grouping", &groupings, group_by),
        input("target", "Company target (optional)", &target, "number")
    )
}

fn card(label: &str, inner: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"big\">{inner}</div></div>",
        esc(label)
    )
}

fn headline(a: &Attainment) -> String {
    let r = &a.served;
    let fc = &r.forecast;
    let t = &fc.total;
    let mut s = String::from("<section class=\"cards\" aria-label=\"Headline\">");
    s.push_str(&card("P10", &figure("p10", t.p10, &money(t.p10))));
    s.push_str(&card("P50", &figure("p50", t.p50, &money(t.p50))));
    s.push_str(&card("P90", &figure("p90", t.p90, &money(t.p90))));
    s.push_str(&card(
        "Closed so far",
        &figure("closed", fc.parts.closed, &money(fc.parts.closed)),
    ));
    s.push_str(&measure(
        "quota",
        "Quota (stored)",
        a.quota,
        a.p_reach_quota,
        fc.parts.closed,
    ));
    if a.target.is_some() {
        s.push_str(&measure(
            "target",
            "Target",
            a.target,
            a.p_reach_target,
            fc.parts.closed,
        ));
    }
    s.push_str("</section>");
    let source = match &r.win_model_version {
        Some(v) => format!("P(win) from the win model {}", esc(v)),
        None => "P(win) from the stages' historical win rates".into(),
    };
    let _ = write!(
        s,
        "<p class=\"note\">As of {} (data through {}), {} simulations; {source}.{}</p>",
        fc.as_of,
        r.data_end,
        fc.simulations,
        r.p_win_note
            .as_deref()
            .map(|n| format!(" {}", esc(n)))
            .unwrap_or_default()
    );
    s
}

/// A quota or target card: the amount, the gap still to close and P(reaching it).
fn measure(name: &str, label: &str, amount: Option<f64>, p: Option<f64>, closed: f64) -> String {
    let (Some(x), Some(p)) = (amount, p) else {
        return card(label, "none stored");
    };
    let gap = x - closed;
    card(
        label,
        &format!(
            "{}<span class=\"sub\">{} {} · P(reaching) {}</span>",
            figure(name, x, &money(x)),
            if gap > 0.0 { "to go" } else { "passed by" },
            figure(&format!("{name}_gap"), gap, &money(gap.abs())),
            figure(&format!("p_reach_{name}"), p, &pct(p)),
        ),
    )
}

fn fan_section(days: &[svg::FanDay], fc: &Forecast, quota: Option<f64>) -> String {
    if days.len() < 2 {
        return format!(
            "<p class=\"note\">The accuracy ledger has {} day(s) for {}; the chart appears from two.</p>",
            days.len(),
            fc.period
        );
    }
    svg::fan(days, fc.period.start(), fc.period.end(), quota)
}

fn groups(rows: &[GroupAttainment], group_by: &str) -> String {
    let ranges: Vec<(String, f64, f64, f64)> = rows
        .iter()
        .map(|g| {
            let q = &g.quantiles;
            (g.key.clone(), q.p10, q.p50, q.p90)
        })
        .collect();
    let mut s = format!("<section><h2>By {}</h2>", esc(group_by));
    s.push_str(&svg::ranges(&ranges));
    s.push_str("<div class=\"scroll\"><table class=\"sortable\" data-table=\"groups\">");
    s.push_str(&thead(&[
        "group",
        "P10..P90",
        "P50",
        "closed",
        "quota",
        "P(reaching quota)",
    ]));
    s.push_str("<tbody>");
    for g in rows {
        let q = &g.quantiles;
        let (quota, p) = match (g.quota, g.p_reach_quota) {
            (Some(x), Some(p)) => (num_td(x, &money(x)), num_td(p, &pct(p))),
            _ => ("<td>—</td>".to_string(), "<td>—</td>".to_string()),
        };
        let _ = write!(
            s,
            "<tr data-group=\"{}\"><th scope=\"row\">{}</th>{}{}{}{quota}{p}</tr>",
            esc(&g.key),
            esc(&g.key),
            num_td(q.p10, &format!("{} – {}", money(q.p10), money(q.p90))),
            num_td(q.p50, &money(q.p50)),
            num_td(g.closed, &money(g.closed)),
        );
    }
    s.push_str("</tbody></table></div></section>");
    s
}

/// The open deals' reasons, from the stored win scores (the prioritized list's).
async fn deal_reasons(state: &AppState) -> Result<HashMap<String, Vec<FactorView>>, WebError> {
    let scored = models::prioritized(&state.store, ModelKind::Win, None, 1000).await?;
    Ok(scored
        .into_iter()
        .map(|r| {
            let mut f = r.positive_factors;
            f.extend(r.negative_factors);
            (r.id, f)
        })
        .collect())
}

fn deals(fc: &Forecast, reasons: &HashMap<String, Vec<FactorView>>) -> String {
    let mut s = String::from("<section><h2>The deals that move the number most</h2><div class=\"scroll\"><table class=\"sortable\" data-table=\"deals\">");
    s.push_str(&thead(&[
        "deal",
        "owner",
        "stage",
        "amount",
        "P(win)",
        "P(closes in period)",
        "expected",
        "reasons",
    ]));
    s.push_str("<tbody>");
    for d in &fc.deals {
        let why = reasons
            .get(&d.id)
            .map(|f| {
                f.iter()
                    .take(3)
                    .map(|x| esc(&x.text))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_else(|| "not scored yet".into());
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td>{}{}{}{}<td class=\"why\">{why}</td></tr>",
            esc(&d.id),
            esc(d.owner_id.as_deref().unwrap_or("")),
            esc(&d.stage),
            num_td(d.amount, &money(d.amount)),
            num_td(d.p_win, &pct(d.p_win)),
            num_td(d.p_in_period, &pct(d.p_in_period)),
            num_td(d.expected, &money(d.expected)),
        );
    }
    s.push_str("</tbody></table></div></section>");
    s
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(show));
}
