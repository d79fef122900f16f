//! The web app in a real headless chromium: sign in with the demo's one-time link, visit every
//! page, compare the figures shown with the API's, count the charts' marks, check the console and
//! accessibility (axe-core), promote then roll back as admin, and see a read key get no controls.
//! Screenshots go to `target/screenshots/` (the PostgreSQL run's in `postgres/`). On SQLite always, and
//! on PostgreSQL when REVCAST_TEST_DATABASE_URL is set.

use serde_json::Value;
use std::time::Duration;

use crate::helpers::Backend;
use crate::models::small_world;
use crate::web_driver::Browser;
use crate::web_helpers::{spawn_web, WebApp};

const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");
const PERIOD: &str = "2026-Q4";

async fn api(app: &WebApp, path: &str) -> Value {
    let res = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .expect("api");
    assert_eq!(res.status().as_u16(), 200, "{path}");
    res.json().await.expect("json")
}

async fn ingest(app: &WebApp, entity: &str, rows: Value) {
    let res = app
        .client
        .post(format!("{}/v1/{entity}", app.address))
        .bearer_auth(&app.admin_key)
        .json(&rows)
        .send()
        .await
        .expect("ingest");
    assert_eq!(res.status().as_u16(), 200, "ingest {entity}");
}

async fn train(app: &WebApp, kind: &str) {
    let res = app
        .client
        .post(format!("{}/v1/models/{kind}/train", app.address))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .expect("train");
    assert_eq!(res.status().as_u16(), 202);
    let job: Value = res.json().await.unwrap();
    let path = format!("/v1/jobs/{}", job["id"].as_str().unwrap());
    for _ in 0..900 {
        match api(app, &path).await["status"].as_str() {
            Some("running") => tokio::time::sleep(Duration::from_millis(200)).await,
            Some("succeeded") => return,
            other => panic!("training {kind}: {other:?}"),
        }
    }
    panic!("training {kind} took over 3 minutes");
}

/// Waits until the list at `path` has rows (the rescorer runs in the background).
async fn until_listed(app: &WebApp, path: &str) {
    for _ in 0..300 {
        if api(app, path).await["data"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} stayed empty");
}

/// The synthetic world, three trained kinds (lead twice, so there is a version to promote), the
/// stored scores, and the ledger filled with the quarter's earlier weeks.
async fn world(app: &WebApp) {
    fn j<T: serde::Serialize>(v: &T) -> Value {
        serde_json::to_value(v).unwrap()
    }
    let w = small_world();
    ingest(app, "reps", j(&w.reps)).await;
    ingest(app, "quotas", j(&w.quotas)).await;
    ingest(app, "accounts", j(&w.accounts)).await;
    ingest(app, "leads", j(&w.leads)).await;
    ingest(app, "opportunities", j(&w.opportunities)).await;
    ingest(app, "stage-events", j(&w.stage_events)).await;
    ingest(app, "account-snapshots", j(&w.snapshots)).await;
    ingest(app, "churn-events", j(&w.churn_events)).await;
    for kind in ["lead", "win", "churn", "lead"] {
        train(app, kind).await;
    }
    until_listed(app, "/v1/opportunities/prioritized?limit=1").await;
    until_listed(app, "/v1/leads/prioritized?limit=1").await;
    until_listed(app, "/v1/churn-risk?limit=1").await;
    for day in ["2026-10-01", "2026-10-15", "2026-10-29", "2026-11-12"] {
        api(app, &format!("/v1/forecast?period={PERIOD}&as_of={day}")).await;
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

async fn figure(b: &Browser, name: &str) -> f64 {
    num(&b
        .eval(&format!(
            "return document.querySelector('[data-figure={name}]').dataset.value;"
        ))
        .await)
}

async fn marks(b: &Browser, chart: &str, mark: &str) -> usize {
    let v = b
        .eval(&format!("return document.querySelectorAll('svg[data-chart={chart}] [data-mark={mark}]').length;"))
        .await;
    num(&v) as usize
}

/// Visits a page, checks console, layout at phone width and accessibility, saves screenshots.
async fn visit(b: &Browser, base: &str, path: &str, shot: &str) {
    b.resize(1280, 1000).await;
    b.goto(&format!("{base}{path}")).await;
    let h1 = b
        .eval("return document.querySelector('h1') && document.querySelector('h1').textContent;")
        .await;
    assert!(
        h1.is_string(),
        "{path}: no page heading (at {})",
        b.url().await
    );
    save(b, shot).await;
    // Printed, not asserted (speed is measured, never asserted in tests); the size is asserted.
    let nav = b
        .eval("var n = performance.getEntriesByType('navigation')[0]; return [n.responseEnd - n.requestStart, n.decodedBodySize];")
        .await;
    eprintln!(
        "{path}: {:.0} ms request to last byte, {} bytes of HTML",
        num(&nav[0]),
        num(&nav[1])
    );
    assert!(num(&nav[1]) < 500_000.0, "{path}: over 500 KB");
    b.eval(&format!("{AXE}\n;return typeof window.axe;")).await;
    let violations = b
        .eval_async(
            "var done = arguments[0];\
             axe.run(document, {resultTypes: ['violations']}).then(function (r) {\
               done(r.violations.map(function (v) { return [v.id, v.impact, v.help, v.nodes.length]; }));\
             }).catch(function (e) { done([['axe-failed', 'critical', String(e), 0]]); });",
        )
        .await;
    let bad: Vec<&Value> = violations
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v[1].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(bad.is_empty(), "{path}: accessibility violations {bad:?}");
    b.resize(390, 844).await;
    let overflow = b
        .eval("return document.documentElement.scrollWidth - window.innerWidth;")
        .await;
    assert!(
        num(&overflow) <= 1.0,
        "{path}: wider than a phone by {overflow} px"
    );
    save(b, &format!("{shot}-phone")).await;
    let errors: Vec<(String, String)> = b
        .console()
        .await
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "{path}: console errors {errors:?}");
}

async fn save(b: &Browser, name: &str) {
    let png = b.screenshot().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(&b.shots);
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot");
}

async fn forecast_page_shows_the_apis_figures(app: &WebApp, b: &Browser) {
    let path = format!("/?period={PERIOD}&group_by=team");
    visit(b, &app.address, &path, "forecast").await;
    b.resize(1280, 1000).await;
    let api_fc = api(app, &format!("/v1/forecast?period={PERIOD}&group_by=team")).await;
    let fc = &api_fc["forecast"];
    for q in ["p10", "p50", "p90"] {
        assert_eq!(figure(b, q).await, num(&fc["total"][q]), "{q}");
    }
    assert_eq!(figure(b, "closed").await, num(&fc["parts"]["closed"]));
    assert_eq!(
        marks(b, "waterfall", "bar").await,
        4,
        "closed, open, not yet created, mean"
    );
    let groups = fc["groups"].as_array().unwrap().len();
    assert_eq!(marks(b, "ranges", "band").await, groups);
    assert_eq!(marks(b, "ranges", "point").await, groups);
    assert_eq!(marks(b, "fan", "band").await, 1);
    assert!(
        marks(b, "fan", "point").await >= 5,
        "four filled weeks and today"
    );
    let deals = b
        .eval("return document.querySelectorAll('table[data-table=deals] tbody tr').length;")
        .await;
    assert_eq!(num(&deals) as usize, fc["deals"].as_array().unwrap().len());
    pages_a_long_table(b, "deals", num(&deals) as usize).await;
    groups_beside_their_quotas(app, b).await;
}

/// A table of more than 25 rows shows 25 at a time; Next shows the following ones, and sorting
/// goes back to the first page.
async fn pages_a_long_table(b: &Browser, table: &str, rows: usize) {
    assert!(
        rows > 25,
        "the demo's {table} table is long enough to page ({rows} rows)"
    );
    let visible = format!(
        "return Array.from(document.querySelectorAll('table[data-table={table}] tbody tr'))\
         .filter(r => !r.hidden).map(r => r.cells[0].textContent);"
    );
    let first = b.eval(&visible).await;
    assert_eq!(first.as_array().unwrap().len(), 25);
    let all = b
        .eval(&format!(
            "return Array.from(document.querySelectorAll('table[data-table={table}] tbody tr')).map(r => r.cells[0].textContent);"
        ))
        .await;
    b.eval(&format!(
        "var t = document.querySelector('table[data-table={table}]').closest('section');\
         Array.from(t.querySelectorAll('.pager button')).find(x => x.textContent === 'Next').click();"
    ))
    .await;
    let second = b.eval(&visible).await;
    let all = all.as_array().unwrap();
    assert_eq!(second.as_array().unwrap()[..], all[25..(rows.min(50))]);
    b.eval(&format!(
        "document.querySelector('table[data-table={table}] thead th').click();"
    ))
    .await;
    let sorted = b.eval(&visible).await;
    assert_eq!(
        sorted.as_array().unwrap().len(),
        25,
        "back on the first page"
    );
}

/// By owner, each rep's row carries the quota and P(reaching it) that the quota API's judgement
/// of the stored quotas gives; the headline's quota is their sum, the target the one typed in.
async fn groups_beside_their_quotas(app: &WebApp, b: &Browser) {
    let target = 2_500_000.0;
    b.goto(&format!(
        "{}/?period={PERIOD}&group_by=owner&target={target}",
        app.address
    ))
    .await;
    let q = api(
        app,
        &format!("/v1/quotas/recommendations?period={PERIOD}&target={target}"),
    )
    .await;
    let judged = q["judgement"]["reps"]
        .as_array()
        .expect("stored quotas judged");
    assert!(!judged.is_empty());
    let rows = b
        .eval(
            "return Array.from(document.querySelectorAll('table[data-table=groups] tbody tr'))\
             .map(r => [r.dataset.group, r.cells[4].dataset.sort, r.cells[5].dataset.sort]);",
        )
        .await;
    let rows = rows.as_array().unwrap();
    for j in judged {
        let id = j["rep_id"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|r| r[0] == id)
            .unwrap_or_else(|| panic!("no row for {id}: {rows:?}"));
        assert_eq!(num(&row[1]), num(&j["quota"]), "{id}'s quota");
        let (shown, want) = (num(&row[2]), num(&j["p_reach"]));
        assert!(
            (shown - want).abs() < 1e-9,
            "{id}: P(reach) {shown} vs {want}"
        );
    }
    let total: f64 = judged.iter().map(|j| num(&j["quota"])).sum();
    assert!((figure(b, "quota").await - total).abs() < 1e-6 * total);
    assert_eq!(figure(b, "target").await, target);
    let p = figure(b, "p_reach_target").await;
    assert!((0.0..=1.0).contains(&p), "P(reaching the target) {p}");
    save(b, "forecast-owner").await;
}

async fn other_pages_show_the_apis_figures(app: &WebApp, b: &Browser) {
    visit(b, &app.address, "/churn", "churn").await;
    let list = api(app, "/v1/churn-risk?limit=1000").await;
    let rows = list["data"].as_array().unwrap();
    let total: f64 = rows.iter().map(|r| num(&r["revenue_at_risk"])).sum();
    let shown = figure(b, "revenue_at_risk").await;
    assert!(
        (shown - total).abs() <= 1e-6 * total.max(1.0),
        "{shown} vs {total}"
    );
    let segments: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| r["segment"].as_str().unwrap_or("(none)").to_string())
        .collect();
    assert_eq!(marks(b, "segments", "bar").await, segments.len());
    let first = b
        .eval("return document.querySelector('table[data-table=churn] tbody th .id').textContent;")
        .await;
    assert_eq!(first, rows[0]["account_id"]);
    let renewing = api(app, "/v1/churn-risk?renewal_within_days=90&limit=1000").await;
    let mut want: Vec<String> = renewing["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account_id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !want.is_empty(),
        "the demo world has renewals in the next 90 days"
    );
    let shown = b
        .eval("return Array.from(document.querySelectorAll('table[data-table=renewals] tbody tr')).map(r => r.dataset.account);")
        .await;
    let mut shown: Vec<String> = serde_json::from_value(shown).unwrap();
    assert_eq!(figure(b, "renewals").await, want.len() as f64);
    shown.sort();
    want.sort();
    assert_eq!(shown, want);

    kpis_page_shows_eight_quarters(app, b).await;
    pipeline_page_shows_the_funnel_and_trends(app, b).await;

    // A recorded backtest (as `revcast backtest` records one) is on the accuracy page.
    let recorded = revcast::service::forecast::backtest_and_record(
        &app.state.store,
        &revcast::service::forecast::BacktestQuery {
            periods: 2,
            ..Default::default()
        },
    )
    .await
    .expect("a backtest of the demo world");
    visit(b, &app.address, "/accuracy", "accuracy").await;
    let acc = api(app, "/v1/forecast/accuracy").await;
    assert_eq!(
        figure(b, "count").await,
        num(&acc["report"]["overall"]["count"])
    );
    let summary = &recorded.report.summary;
    assert!(summary.rows > 0, "{summary:?}");
    assert_eq!(
        figure(b, "backtest-quarter-coverage").await,
        summary.coverage
    );
    assert_eq!(figure(b, "backtest-quarter-mae").await, summary.mae_p50);
    let shown = b
        .eval("return document.querySelectorAll('table[data-table=backtest-quarter] tbody tr').length;")
        .await;
    assert_eq!(num(&shown) as usize, recorded.report.rows.len());

    visit(
        b,
        &app.address,
        "/quotas?period=2027-Q1&target=3000000",
        "quotas",
    )
    .await;
    let q = api(
        app,
        "/v1/quotas/recommendations?period=2027-Q1&target=3000000",
    )
    .await;
    assert_eq!(
        figure(b, "share_at_quota").await,
        num(&q["plan"]["expected_share_at_quota"])
    );
}

/// The eight quarters ending 2026-Q3, each equal to `GET /v1/kpis?period=`; then by team, the
/// first team's column equal to the API's group.
async fn kpis_page_shows_eight_quarters(app: &WebApp, b: &Browser) {
    visit(b, &app.address, "/kpis?period=2026-Q3", "kpis").await;
    let quarters = [
        "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3",
    ];
    let cells = |name: &str| {
        format!(
            "return Array.from(document.querySelectorAll('tr[data-kpi={name}] td.num'))\
             .map(c => [c.dataset.quarter, c.dataset.sort]);"
        )
    };
    let shown = b.eval(&cells("win_rate")).await;
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), 8, "{shown:?}");
    let mut known = 0;
    for (q, cell) in quarters.iter().zip(shown) {
        assert_eq!(cell[0], *q);
        let k = api(app, &format!("/v1/kpis?period={q}")).await;
        let want = &kpi_of(&k["kpis"], "win_rate")["value"];
        if !want.is_null() {
            assert_eq!(num(&cell[1]), num(want), "{q}");
            known += 1;
        }
    }
    assert!(
        known >= 4,
        "the demo world has four quarters of wins at least"
    );
    let rows = b
        .eval("return document.querySelectorAll('table[data-table=kpis] tbody tr').length;")
        .await;
    let k = api(app, "/v1/kpis?period=2026-Q3").await;
    assert_eq!(num(&rows) as usize, k["kpis"].as_array().unwrap().len());

    visit(
        b,
        &app.address,
        "/kpis?period=2026-Q3&group_by=team",
        "kpis-team",
    )
    .await;
    let team = b
        .eval("return document.querySelector('select[name=group]').value;")
        .await;
    let k = api(app, "/v1/kpis?period=2026-Q2&group_by=team").await;
    let group = k["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == team)
        .expect("the team is one of the API's groups");
    let shown = b.eval(&cells("average_deal_size")).await;
    let q2 = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == "2026-Q2")
        .expect("2026-Q2 shown");
    assert_eq!(
        num(&q2[1]),
        num(&kpi_of(&group["kpis"], "average_deal_size")["value"]),
        "{team}"
    );
}

fn kpi_of<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no KPI {name}"))
}

/// The funnel of 2026-Q3 and the four trend KPIs of eight quarters, all the API's.
async fn pipeline_page_shows_the_funnel_and_trends(app: &WebApp, b: &Browser) {
    visit(b, &app.address, "/pipeline?period=2026-Q3", "pipeline").await;
    let k = api(app, "/v1/kpis?period=2026-Q3").await;
    let conv = kpi_of(&k["kpis"], "stage_conversion");
    let parts = conv["breakdown"].as_array().unwrap();
    let with_value = parts.iter().filter(|p| !p["value"].is_null()).count();
    assert!(with_value > 0);
    assert_eq!(marks(b, "funnel", "bar").await, with_value);
    let days = kpi_of(&k["kpis"], "median_days_in_stage");
    for p in parts {
        let stage = p["key"].as_str().unwrap();
        let row = b
            .eval(&format!(
                "var r = document.querySelector('table[data-table=funnel] tr[data-stage=\"{stage}\"]');\
                 return [r.cells[3].dataset.sort, r.cells[4].dataset.sort];"
            ))
            .await;
        if !p["value"].is_null() {
            assert_eq!(num(&row[0]), num(&p["value"]), "{stage} conversion");
        }
        let d = days["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == stage);
        if let Some(d) = d.filter(|d| !d["value"].is_null()) {
            assert_eq!(num(&row[1]), num(&d["value"]), "{stage} median days");
        }
    }
    for name in [
        "win_rate",
        "sales_cycle_days",
        "average_deal_size",
        "pipeline_velocity",
    ] {
        let last = b
            .eval(&format!(
                "var c = document.querySelectorAll('table[data-table=trends] td[data-kpi={name}]');\
                 return c[c.length - 1].dataset.sort;"
            ))
            .await;
        let want = &kpi_of(&k["kpis"], name)["value"];
        if !want.is_null() {
            assert_eq!(num(&last), num(want), "{name}");
        }
        assert!(
            marks(b, &format!("trend-{name}"), "point").await >= 4,
            "{name}: a trend of at least four quarters"
        );
    }
    let deals = api(app, "/v1/opportunities/prioritized?limit=1").await;
    let top = b
        .eval("return document.querySelector('table[data-table=deals] tbody th').textContent;")
        .await;
    assert_eq!(top, deals["data"][0]["id"]);
}

async fn active_lead(app: &WebApp) -> String {
    let m = api(app, "/v1/models?kind=lead").await;
    let active = m["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["status"] == "active");
    active.expect("an active lead model")["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Clicks the first button matching `selector` and waits for the page it posts to.
async fn click(b: &Browser, selector: &str) {
    b.eval("document.body.dataset.before = '1';").await;
    b.eval(&format!("document.querySelector('{selector}').click();"))
        .await;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let fresh = b
            .try_eval("return document.readyState === 'complete' && !document.body.dataset.before;")
            .await;
        if fresh == Some(Value::Bool(true)) {
            return;
        }
    }
    panic!("{selector}: no new page after the click");
}

async fn admin_promotes_then_rolls_back(app: &WebApp, b: &Browser) {
    visit(b, &app.address, "/models", "models").await;
    assert!(marks(b, "reliability", "point").await > 0);
    let before = active_lead(app).await;
    let target = b
        .eval(&format!("return Array.from(document.querySelectorAll('article.model')).map(a => a.dataset.version).find(v => v.startsWith('lead') && v !== '{before}');"))
        .await;
    let target = target.as_str().expect("another lead version").to_string();
    click(
        b,
        &format!("article[data-version=\"{target}\"] button[data-action=promote]"),
    )
    .await;
    assert_eq!(active_lead(app).await, target, "promoted through the page");
    click(b, "form[action=\"/models/lead/rollback\"] button").await;
    assert_eq!(
        active_lead(app).await,
        before,
        "rolled back through the page"
    );
    trains_with_progress(app, b).await;
}

/// Train through the page: it lands on the job, reloads itself while the job runs, and ends on
/// the job's outcome as `GET /v1/jobs/{id}` gives it.
async fn trains_with_progress(app: &WebApp, b: &Browser) {
    let versions = api(app, "/v1/models?kind=churn").await["data"]
        .as_array()
        .unwrap()
        .len();
    click(b, "form[action=\"/models/churn/train\"] button").await;
    let url = b.url().await;
    let id = url
        .split("job=")
        .nth(1)
        .unwrap_or_else(|| panic!("not on a job page: {url}"))
        .to_string();
    let mut seen = Vec::new();
    for _ in 0..900 {
        let state = b
            .try_eval("var j = document.querySelector('[data-job-status]'); return j && [j.dataset.jobStatus, j.querySelector('progress').value];")
            .await;
        if let Some(Value::Array(st)) = state {
            let status = st[0].as_str().unwrap_or("").to_string();
            if status != "running" {
                assert_eq!(status, "succeeded", "{seen:?}");
                assert_eq!(num(&st[1]), 1.0);
                break;
            }
            seen.push(num(&st[1]));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!seen.is_empty(), "the page showed the job running");
    let job = api(app, &format!("/v1/jobs/{id}")).await;
    assert_eq!(job["status"], "succeeded");
    let after = api(app, "/v1/models?kind=churn").await["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, versions + 1, "one more churn version");
    save(b, "models-training").await;
}

async fn a_read_key_sees_no_controls(app: &WebApp, b: &Browser) {
    b.eval("document.querySelector('form.signout button').click();")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let read = app.key_with(&[revcast::service::Scope::Read]).await;
    b.goto(&format!("{}/signin", app.address)).await;
    visit(b, &app.address, "/signin", "signin").await;
    b.eval(&format!("document.querySelector('input[name=key]').value = '{read}'; document.querySelector('form.signin').submit();")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.goto(&format!("{}/models", app.address)).await;
    let n = b.eval("return [document.querySelectorAll('article.model').length, document.querySelectorAll('form.action').length];").await;
    assert!(num(&n[0]) > 0.0, "the read key sees the registry: {n}");
    assert_eq!(num(&n[1]), 0.0, "but no promote or rollback control");
}

/// Every page on `backend`; false when that backend is not configured.
async fn every_page(backend: Backend) -> bool {
    let Some(app) = spawn_web(backend, Duration::from_secs(3600)).await else {
        return false;
    };
    world(&app).await;
    let mut b = Browser::start().await;
    if backend == Backend::Postgres {
        b.shots = "postgres".into();
    }
    let link = app.state.web.one_time_token(&app.admin_key);
    b.goto(&format!("{}/signin/once?token={link}", app.address))
        .await;
    assert_eq!(
        b.url().await,
        format!("{}/", app.address),
        "the link lands on the forecast"
    );
    forecast_page_shows_the_apis_figures(&app, &b).await;
    other_pages_show_the_apis_figures(&app, &b).await;
    admin_promotes_then_rolls_back(&app, &b).await;
    a_read_key_sees_no_controls(&app, &b).await;
    b.quit().await;
    true
}

#[tokio::test]
async fn every_page_in_a_real_browser_shows_the_apis_figures_and_passes_axe() {
    assert!(every_page(Backend::Sqlite).await, "SQLite always runs");
}

#[tokio::test]
async fn every_page_in_a_real_browser_on_postgres() {
    if !every_page(Backend::Postgres).await {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: the browser test did not run on PostgreSQL");
    }
}
