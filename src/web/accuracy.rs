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
use crate::service::forecast;

/// Why the backtest is not on this page: no stored result to read, and replaying it is far over a
/// page's budget of 100 ms (8 quarters x 3 as-of days of the demo world, each a full Monte Carlo:
/// about 6 s in a debug build, 3.5 s of it CPU).
const BACKTEST_NOTE: &str = "<section><h2>Backtest</h2><p class=\"note\" data-note=\"backtest\">\
The backtest replays the forecast of the last eight quarters as of 4, 8 and 12 weeks before each \
one's end, with the pipeline as it stood then. It takes seconds, not the tenth of a second a page \
has, and nothing stores its result, so it is not shown here: run <code>revcast backtest</code> \
(or <code>revcast backtest --json</code>) for its table and summary. The ledger above scores the \
forecasts actually served.</p></section>";

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
    body.push_str(BACKTEST_NOTE);
    Ok(html(page("Forecast accuracy", "/accuracy", &v, &body)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/accuracy", web::get().to(show));
}
