//! The accuracy ledger: the stored forecasts of closed periods against what was won, overall and
//! by weeks before the period's end, with the P10..P90 coverage.

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use std::fmt::Write;

use super::layout::{esc, figure, money, num_td, page, pct, select, thead};
use super::{html, session, WebError};
use crate::api::AppState;
use crate::forecast::AccuracyBucket;
use crate::service::forecast::{self, RecordedBacktest};

/// Shown when no backtest has been recorded yet.
const NO_BACKTEST: &str = "<p class=\"note\" data-note=\"backtest\">No backtest is recorded yet. \
<code>revcast backtest</code> replays the forecast of past periods as of past days, with the pipeline as \
it stood then, and records the result here (<code>revcast demo</code> records one when it starts).</p>";

/// The latest recorded backtest of each kind: its summary and its replays.
fn backtests(recorded: &[RecordedBacktest]) -> String {
    let mut s = String::from("<section><h2>Backtest</h2>");
    if recorded.is_empty() {
        s.push_str(NO_BACKTEST);
    }
    for r in recorded {
        let o = &r.outcome;
        let m = &o.report.summary;
        let weeks: Vec<String> = o.weeks_before_end.iter().map(u32::to_string).collect();
        let _ = write!(
            s,
            "<h3>{} {}s, as of {} weeks before each one's end</h3>\
             <p class=\"note\" data-note=\"backtest-{}\">Made {} on data ending {}; P(win) from the stage \
             win rates known on each as-of day. The P10..P90 range held the actual in {} of {} replays \
             (the simulated range alone: {}); the P50 missed by {} on average, against {} for the CRM's \
             own weighted pipeline; bias {} (positive: the forecast ran high).</p>",
            o.periods.len(),
            esc(&r.kind),
            esc(&weeks.join(", ")),
            esc(&r.kind),
            r.made_at.format("%Y-%m-%d %H:%M UTC"),
            o.data_end,
            figure(&format!("backtest-{}-coverage", r.kind), m.coverage, &pct(m.coverage)),
            m.rows,
            pct(m.simulated_coverage),
            figure(&format!("backtest-{}-mae", r.kind), m.mae_p50, &money(m.mae_p50)),
            money(m.mae_crm_weighted),
            money(m.bias),
        );
        let _ = write!(
            s,
            "<div class=\"scroll\"><table class=\"sortable\" data-table=\"backtest-{}\">",
            esc(&r.kind)
        );
        s.push_str(&thead(&[
            "period",
            "as of",
            "weeks before end",
            "P10",
            "P50",
            "P90",
            "actual",
            "CRM weighted",
            "held",
        ]));
        s.push_str("<tbody>");
        for row in &o.report.rows {
            let _ = write!(
                s,
                "<tr><th scope=\"row\">{}</th><td>{}</td>{}{}{}{}{}{}<td>{}</td></tr>",
                row.period,
                row.as_of,
                num_td(
                    f64::from(row.weeks_before_end),
                    &row.weeks_before_end.to_string()
                ),
                num_td(row.p10, &money(row.p10)),
                num_td(row.p50, &money(row.p50)),
                num_td(row.p90, &money(row.p90)),
                num_td(row.actual, &money(row.actual)),
                num_td(row.crm_weighted, &money(row.crm_weighted)),
                if row.covered { "yes" } else { "no" },
            );
        }
        s.push_str("</tbody></table></div>");
    }
    s.push_str("</section>");
    s
}

#[derive(Deserialize)]
struct Params {
    group_by: Option<String>,
}

fn row(label: &str, b: &AccuracyBucket) -> String {
    let mape = b
        .mean_abs_pct_error
        .map_or((-1.0, "—".to_string()), |m| (m, pct(m)));
    format!(
        "<tr><th scope=\"row\">{}</th>{}{}{}{}{}</tr>",
        esc(label),
        num_td(b.count as f64, &b.count.to_string()),
        num_td(b.mean_abs_error, &money(b.mean_abs_error)),
        num_td(mape.0, &mape.1),
        num_td(b.bias, &money(b.bias)),
        num_td(b.coverage, &pct(b.coverage)),
    )
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<Params>,
) -> Result<HttpResponse, WebError> {
    let v = session::viewer(&req, &state).await?;
    let by = q.group_by.clone().filter(|g| !g.is_empty());
    let grouping: Option<crate::forecast::LedgerGrouping> =
        crate::service::parse_param("group_by", by.as_deref())?;
    let r = forecast::accuracy(&state.store, grouping.unwrap_or_default().0).await?;
    let groupings: Vec<(String, String)> = ["", "owner", "team", "region", "product"]
        .iter()
        .map(|g| {
            (
                g.to_string(),
                if g.is_empty() {
                    "totals".into()
                } else {
                    format!("by {g}")
                },
            )
        })
        .collect();
    let o = &r.report.overall;
    let mut body = format!(
        "<form class=\"filters\" method=\"get\" action=\"/accuracy\">{}<button type=\"submit\">Show</button></form>\
         <p class=\"note\">Periods over by {} are scored; {} stored forecast(s) of open periods are pending. \
         Coverage is the share of forecasts whose P10..P90 held what was won (about 80% when calibrated); \
         bias is P50 − actual (positive: forecasts ran high).</p>\
         <p class=\"cards\"><span class=\"card\"><span class=\"label\">Scored forecasts</span><span class=\"big\">{}</span></span>\
         <span class=\"card\"><span class=\"label\">P10..P90 coverage</span><span class=\"big\">{}</span></span></p>",
        select("group_by", "Grouping", &groupings, by.as_deref().unwrap_or("")),
        r.closed_through,
        r.pending,
        figure("count", o.count as f64, &o.count.to_string()),
        figure("coverage", o.coverage, &pct(o.coverage)),
    );
    body.push_str("<div class=\"scroll\"><table class=\"sortable\" data-table=\"accuracy\">");
    body.push_str(&thead(&[
        "weeks before end",
        "forecasts",
        "mean abs error",
        "mean abs % error",
        "bias",
        "coverage",
    ]));
    body.push_str("<tbody>");
    body.push_str(&row("all", o));
    for b in &r.report.by_weeks_before_end {
        let label = b
            .weeks_before_end
            .map(|w| w.to_string())
            .unwrap_or_default();
        let _ = write!(body, "{}", row(&label, b));
    }
    body.push_str("</tbody></table></div>");
    body.push_str(&backtests(
        &forecast::recorded_backtests(&state.store).await?,
    ));
    Ok(html(page("Forecast accuracy", "/accuracy", &v, &body)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/accuracy", web::get().to(show));
}
