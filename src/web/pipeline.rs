//! The pipeline: the funnel of a quarter (stage conversion, median days in stage), win rate,
//! cycle length, deal size and velocity over the last eight quarters with their trend (one call
//! of the KPI service: each quarter is `GET /v1/kpis?period=`), and a rep's or everyone's
//! prioritized open deals (by expected value) and leads (by score), each with its factors: the
//! same lists as `GET /v1/{opportunities,leads}/prioritized`.

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use std::fmt::Write;

use super::kpis::{shown, shown_value};
use super::layout::{esc, input, money, num_td, page, pct, thead};
use super::{html, session, trend, WebError};
use crate::api::AppState;
use crate::domain::Period;
use crate::kpi::{Kpi, KpiReport};
use crate::ml::ModelKind;
use crate::service::models::{self, ScoredRecord};
use crate::service::{kpi_history, ServiceError};
use chrono::Utc;

/// Rows of each list.
const LIMIT: u32 = 50;

/// The KPIs shown per quarter, with their trend.
const TRENDS: [&str; 4] = [
    "win_rate",
    "sales_cycle_days",
    "average_deal_size",
    "pipeline_velocity",
];

#[derive(Deserialize)]
struct Params {
    owner: Option<String>,
    period: Option<String>,
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
    let current = Period::quarter_of(Utc::now().date_naive());
    let period = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            Period::parse(p).map_err(|e| ServiceError::bad_input("period", e.to_string()))?
        }
        None => current,
    };
    // By rep when one is asked for, so that the KPIs are that rep's.
    let reports = kpi_history::kpis_by_quarter(
        &state.store,
        period,
        kpi_history::MAX_QUARTERS,
        owner.map(|_| crate::kpi::KpiGroup::Rep),
    )
    .await?;
    let deals = models::prioritized(&state.store, ModelKind::Win, owner, LIMIT).await?;
    let leads = models::prioritized(&state.store, ModelKind::Lead, owner, LIMIT).await?;
    let mut body = format!(
        "<form class=\"filters\" method=\"get\" action=\"/pipeline\">{}{}<button type=\"submit\">Show</button></form>",
        input("period", "Quarter", &period.to_string(), "text"),
        input("owner", "Owner (rep id; empty: everyone)", owner.unwrap_or(""), "text")
    );
    let pick = |r: &KpiReport, name: &str| -> Option<Kpi> {
        match owner {
            Some(o) => r.group_kpi(o, name).cloned(),
            None => r.get(name).cloned(),
        }
    };
    if let Some(last) = reports.last() {
        body.push_str(&funnel(
            &Period::quarter_of(last.window.from).to_string(),
            pick(last, "stage_conversion"),
            pick(last, "median_days_in_stage"),
        ));
    }
    body.push_str(&trends(&reports, &pick));
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

/// The funnel of the last quarter: per stage, deals entered, moved on, conversion and median days.
fn funnel(quarter: &str, conv: Option<Kpi>, days: Option<Kpi>) -> String {
    let mut s = format!("<section><h2>Funnel of {}</h2>", esc(quarter));
    let Some(conv) = conv else {
        s.push_str("<p class=\"note\">No deal of this owner in the quarter.</p></section>");
        return s;
    };
    let stages: Vec<(String, Option<f64>)> = conv
        .breakdown
        .iter()
        .map(|p| (p.key.clone(), p.value))
        .collect();
    s.push_str(&trend::funnel(&stages));
    s.push_str("<div class=\"scroll\"><table class=\"sortable\" data-table=\"funnel\">");
    s.push_str(&thead(&[
        "stage",
        "entered",
        "moved on",
        "conversion",
        "median days in stage",
    ]));
    s.push_str("<tbody>");
    for p in &conv.breakdown {
        let count = |k: &str| p.counts.get(k).copied().unwrap_or(0.0);
        let conversion = p.value.map_or((-1.0, "—".to_string()), |v| (v, pct(v)));
        let median = days
            .as_ref()
            .and_then(|d| d.breakdown.iter().find(|x| x.key == p.key))
            .and_then(|x| x.value)
            .map_or((-1.0, "—".to_string()), |v| (v, format!("{v:.1}")));
        let _ = write!(
            s,
            "<tr data-stage=\"{}\"><th scope=\"row\">{}</th>{}{}{}{}</tr>",
            esc(&p.key),
            esc(&p.key),
            num_td(count("entered"), &format!("{:.0}", count("entered"))),
            num_td(count("advanced"), &format!("{:.0}", count("advanced"))),
            num_td(conversion.0, &conversion.1),
            num_td(median.0, &median.1),
        );
    }
    let overall = conv.value.map_or("—".to_string(), pct);
    let _ = write!(
        s,
        "</tbody></table></div><p class=\"note\">Overall: {overall} of the deals that entered the funnel          in the quarter were won. {}</p></section>",
        esc(&conv.formula)
    );
    s
}

/// Win rate, cycle, deal size and velocity: the last quarter's value and the eight quarters'
/// trend as cards, and every quarter's numbers in a table.
fn trends(reports: &[KpiReport], pick: &dyn Fn(&KpiReport, &str) -> Option<Kpi>) -> String {
    let quarters: Vec<String> = reports
        .iter()
        .map(|r| Period::quarter_of(r.window.from).to_string())
        .collect();
    let mut s = String::from("<section><h2>Per quarter</h2><div class=\"cards trends\">");
    let mut table =
        String::from("<div class=\"scroll\"><table class=\"sortable\" data-table=\"trends\">");
    let mut cols = vec!["quarter"];
    cols.extend(TRENDS.iter().map(|n| label(n)));
    table.push_str(&thead(&cols));
    table.push_str("<tbody>");
    for name in TRENDS {
        let series: Vec<Option<Kpi>> = reports.iter().map(|r| pick(r, name)).collect();
        let points: Vec<(String, Option<f64>)> = quarters
            .iter()
            .zip(&series)
            .map(|(q, k)| (q.clone(), k.as_ref().and_then(|k| k.value)))
            .collect();
        let last = series.last().cloned().flatten();
        let shown_last = last.as_ref().map_or("—".to_string(), |k| shown(k).1);
        let unit_of = last.clone();
        let spark = trend::sparkline(name, &points, |v| match &unit_of {
            Some(k) => shown_value(k.unit, v),
            None => format!("{v}"),
        });
        let _ = write!(
            s,
            "<div class=\"card\" data-trend=\"{name}\"><div class=\"label\">{}</div><div class=\"big\">{}</div>{spark}</div>",
            label(name),
            esc(&shown_last)
        );
    }
    s.push_str("</div>");
    for (i, r) in reports.iter().enumerate() {
        let _ = write!(table, "<tr><th scope=\"row\">{}</th>", esc(&quarters[i]));
        for name in TRENDS {
            match pick(r, name) {
                Some(k) => {
                    let (v, t) = shown(&k);
                    let _ = write!(
                        table,
                        "<td class=\"num\" data-kpi=\"{name}\" data-sort=\"{v}\">{}</td>",
                        esc(&t)
                    );
                }
                None => table.push_str("<td>—</td>"),
            }
        }
        table.push_str("</tr>");
    }
    table.push_str("</tbody></table></div>");
    s.push_str(&table);
    s.push_str("</section>");
    s
}

fn label(name: &str) -> &'static str {
    match name {
        "win_rate" => "win rate",
        "sales_cycle_days" => "sales cycle (days)",
        "average_deal_size" => "average deal size",
        "pipeline_velocity" => "pipeline velocity",
        _ => "KPI",
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/pipeline", web::get().to(show));
}
