//! The forecast, the accuracy ledger and quota recommendations over HTTP, on the synthetic world.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{error_of, TestApp};
use crate::models::{load, small_world, train};

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn assert_ordered(q: &Value) {
    let (p10, p50, p90) = (f(&q["p10"]), f(&q["p50"]), f(&q["p90"]));
    assert!(
        0.0 <= p10 && p10 <= p50 && p50 <= p90,
        "quantiles out of order: {q}"
    );
    // A skewed group (one rare large deal) may have its mean above P90: only its sign is checked.
    assert!(f(&q["mean"]) >= 0.0, "{q}");
}

async fn forecast_parts_groups_and_ledger(app: &TestApp) {
    load(app, &small_world()).await;
    let key = Some(app.admin_key.as_str());
    let (status, r) = app
        .get("/v1/forecast?period=2026-Q4&group_by=owner", key)
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["p_win_source"], "stage_win_rates", "no win model trained");
    let fc = &r["forecast"];
    assert_eq!(
        fc["as_of"], r["data_end"],
        "default as_of is the last day with data"
    );
    assert_ordered(&fc["total"]);
    let parts = &fc["parts"];
    for part in ["closed", "open_pipeline", "not_yet_created", "categories"] {
        assert!(!parts[part].is_null(), "part {part} missing: {parts}");
    }
    assert!(f(&parts["open_pipeline"]["count"]) > 0.0, "{parts}");
    let groups = fc["groups"].as_array().unwrap();
    assert!(groups.len() > 1, "{fc}");
    groups.iter().for_each(|g| assert_ordered(&g["quantiles"]));
    let sum: f64 = groups.iter().map(|g| f(&g["quantiles"]["mean"])).sum();
    let total = f(&fc["total"]["mean"]);
    assert!(
        (sum - total).abs() <= 1e-6 * total.max(1.0),
        "groups {sum} vs total {total}"
    );
    assert!(!fc["deals"].as_array().unwrap().is_empty());

    // Nothing of a closed period is scored until one is forecast; then it is.
    let (_, before) = app.get("/v1/forecast/accuracy", key).await;
    assert_eq!(before["report"]["overall"]["count"], 0, "{before}");
    assert_eq!(before["pending"], 1, "the Q4 total is pending: {before}");
    let (status, past) = app
        .get("/v1/forecast?period=2026-Q3&as_of=2026-08-15", key)
        .await;
    assert_eq!(status, 200, "{past}");
    assert_eq!(past["forecast"]["as_of"], "2026-08-15");
    let (status, acc) = app.get("/v1/forecast/accuracy", key).await;
    assert_eq!(status, 200, "{acc}");
    let overall = &acc["report"]["overall"];
    assert_eq!(overall["count"], 1, "{acc}");
    let weeks = &acc["report"]["by_weeks_before_end"][0];
    assert_eq!(
        weeks["weeks_before_end"], 7,
        "Aug 15 is 7 weeks before Oct 1: {acc}"
    );
    let cov = f(&overall["coverage"]);
    assert!(cov == 0.0 || cov == 1.0, "{acc}");
    let (_, by_owner) = app.get("/v1/forecast/accuracy?group_by=owner", key).await;
    assert_eq!(by_owner["report"]["overall"]["count"], 0, "{by_owner}");
    assert!(
        f(&by_owner["pending"]) > 1.0,
        "owner groups of Q4 stored: {by_owner}"
    );
}
both_backends!(
    forecast_is_served_and_stored,
    forecast_parts_groups_and_ledger
);

/// A forecast made as of a past day must not use a win model that learned from later outcomes.
async fn a_win_model_is_used_only_for_days_it_could_have_known(app: &TestApp) {
    load(app, &small_world()).await;
    let job = train(app, "win").await;
    let version = job["result"]["version"].as_str().unwrap().to_string();
    let key = Some(app.admin_key.as_str());
    let (status, now) = app.get("/v1/forecast?period=2026-Q4", key).await;
    assert_eq!(status, 200, "{now}");
    assert_eq!(now["p_win_source"], "win_model", "{now}");
    assert_eq!(now["win_model_version"], version.as_str());
    assert!(now["p_win_note"].is_null(), "{now}");
    let (status, past) = app
        .get("/v1/forecast?period=2025-Q4&as_of=2025-11-15", key)
        .await;
    assert_eq!(status, 200, "{past}");
    assert_eq!(past["p_win_source"], "stage_win_rates", "{past}");
    assert!(past["win_model_version"].is_null(), "{past}");
    let note = past["p_win_note"].as_str().unwrap();
    assert!(
        note.contains(&version) && note.contains("after as_of 2025-11-15"),
        "{note}"
    );
}

both_backends!(
    forecast_win_model_as_of,
    a_win_model_is_used_only_for_days_it_could_have_known
);

async fn bad_forecast_requests_name_the_parameter(app: &TestApp) {
    let key = Some(app.admin_key.as_str());
    let (status, body) = app.get("/v1/forecast?period=2025-Q4", key).await;
    error_of(status, &body, 409, "conflict");
    app.ingest("reps", json!([{"id": "R-1", "name": "Ann"}]))
        .await;
    let mut deals = Vec::new();
    for i in 0..12 {
        deals.push(json!({"id": format!("O-{i}"), "owner_id": "R-1", "stage": "Closed", "won": i % 2 == 0,
            "amount": 100.0, "created_at": "2025-01-10", "closed_at": format!("2025-{:02}-15T00:00:00Z", 2 + i % 9)}));
    }
    deals.push(
        json!({"id": "O-open", "owner_id": "R-1", "stage": "Proposal", "amount": 80.0,
        "created_at": "2025-11-20", "expected_close_date": "2025-12-15"}),
    );
    app.ingest("opportunities", Value::Array(deals)).await;
    let (status, ok) = app.get("/v1/forecast?period=2025-Q4", key).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["data_end"], "2025-11-20");
    let cases = [
        ("period=2025-Q5", "period"),
        ("period=soon", "period"),
        ("period=2025-Q4&as_of=2025-12-01", "as_of"),
        ("period=2025-Q4&as_of=2999-01-01", "as_of"),
        ("period=2025-Q4&as_of=20251101", "as_of"),
        ("period=2025-Q4&as_of=2025-01-20", "as_of"),
        ("period=2025-Q4&group_by=team", "group_by"),
        ("period=2025-Q4&group_by=colour", "group_by"),
        ("period=2025-Q4&simulations=0", "simulations"),
        ("period=2025-Q4&simulations=100000000", "simulations"),
    ];
    for (query, field) in cases {
        let (status, body) = app.get(&format!("/v1/forecast?{query}"), key).await;
        let e = error_of(status, &body, 400, "bad_request");
        assert_eq!(e["details"][0]["field"], field, "{query}: {body}");
    }
    let (status, body) = app.get("/v1/forecast", key).await;
    error_of(status, &body, 400, "bad_request");
    let (status, body) = app.get("/v1/forecast/accuracy?group_by=colour", key).await;
    error_of(status, &body, 400, "bad_request");
    let (status, body) = app.get("/v1/forecast?period=2025-Q4", None).await;
    error_of(status, &body, 401, "unauthorized");
}
both_backends!(
    bad_forecast_requests,
    bad_forecast_requests_name_the_parameter
);

async fn quota_plan_adds_up_to_the_target(app: &TestApp) {
    let w = small_world();
    load(app, &w).await;
    app.ingest("quotas", serde_json::to_value(&w.quotas).unwrap())
        .await;
    let key = Some(app.admin_key.as_str());
    let (status, r) = app
        .get(
            "/v1/quotas/recommendations?period=2026-Q4&target=1500000",
            key,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let plan = &r["plan"];
    let reps = plan["reps"].as_array().unwrap();
    assert!(reps.len() > 1, "{plan}");
    let sum: f64 = reps.iter().map(|x| f(&x["quota"])).sum();
    assert!(
        (sum - 1_500_000.0).abs() < 1e-6 * 1_500_000.0,
        "quotas add up to {sum}"
    );
    for rep in reps {
        let p = f(&rep["p_reach"]);
        assert!((0.0..=1.0).contains(&p) && f(&rep["quota"]) >= 0.0, "{rep}");
    }
    let share = f(&plan["expected_share_at_quota"]);
    let mean_p = reps.iter().map(|x| f(&x["p_reach"])).sum::<f64>() / reps.len() as f64;
    assert!((share - mean_p).abs() < 1e-9, "{plan}");
    assert!(plan["explanation"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
    let has_q4_quotas = w.quotas.iter().any(|q| q.period.to_string() == "2026-Q4");
    assert_eq!(r["judgement"].is_object(), has_q4_quotas, "{r}");
    for (query, field) in [
        ("period=2026-Q4&target=-5", "target"),
        ("period=2026-Q9&target=100", "period"),
    ] {
        let (status, body) = app
            .get(&format!("/v1/quotas/recommendations?{query}"), key)
            .await;
        let e = error_of(status, &body, 400, "bad_request");
        assert_eq!(e["details"][0]["field"], field, "{query}: {body}");
    }
    let (status, body) = app
        .get("/v1/quotas/recommendations?period=2026-Q4", key)
        .await;
    error_of(status, &body, 400, "bad_request");
}
both_backends!(quota_recommendations, quota_plan_adds_up_to_the_target);

/// The total of a day's forecast is one number whatever the grouping (the same draws), and
/// the ledger keeps that one total.
async fn the_total_does_not_depend_on_the_grouping(app: &TestApp) {
    load(app, &small_world()).await;
    let key = Some(app.admin_key.as_str());
    let mut totals = Vec::new();
    for by in [
        "",
        "&group_by=owner",
        "&group_by=team",
        "&group_by=region",
        "&group_by=product",
    ] {
        let (status, r) = app
            .get(&format!("/v1/forecast?period=2026-Q4{by}"), key)
            .await;
        assert_eq!(status, 200, "{r}");
        totals.push((by, r["forecast"]["total"].clone()));
    }
    for (by, t) in &totals[1..] {
        assert_eq!(
            t, &totals[0].1,
            "total with `{by}` differs from the ungrouped one"
        );
    }
    let (_, acc) = app.get("/v1/forecast/accuracy", key).await;
    assert_eq!(acc["pending"], 1, "one total stored for the day: {acc}");
}
both_backends!(
    forecast_total_is_the_same_for_every_grouping,
    the_total_does_not_depend_on_the_grouping
);

/// The range is calibrated on past forecasts and says how; the fourth period after as_of's own
/// is forecast, the fifth refused.
async fn the_range_says_how_it_was_calibrated(app: &TestApp) {
    load(app, &small_world()).await;
    let key = Some(app.admin_key.as_str());
    let (status, r) = app.get("/v1/forecast?period=2026-Q4", key).await;
    assert_eq!(status, 200, "{r}");
    let c = &r["forecast"]["calibration"];
    assert!(f(&c["past_forecasts"]) >= 4.0, "{c}");
    assert!(f(&c["factor"]) > 0.0 && c["note"].is_string(), "{c}");
    assert_ordered(&r["forecast"]["total"]);
    // As of 2026-11-23 (in 2026-Q4): 2027-Q4 is the fourth quarter after, 2028-Q1 the fifth.
    let (status, far) = app.get("/v1/forecast?period=2027-Q4", key).await;
    assert_eq!(status, 200, "{far}");
    let (status, body) = app.get("/v1/forecast?period=2028-Q1", key).await;
    let e = error_of(status, &body, 400, "bad_request");
    assert_eq!(e["details"][0]["field"], "period", "{body}");
}
both_backends!(
    forecast_calibration_and_horizon,
    the_range_says_how_it_was_calibrated
);

/// Deals with no date at all (an export's prospects) are open from the data's start on every
/// as-of day, not only on the last day with data, and the response says so.
async fn undated_deals_are_open_on_every_day(app: &TestApp) {
    let key = Some(app.admin_key.as_str());
    app.ingest("reps", json!([{"id": "R-1", "name": "Ann"}]))
        .await;
    let mut deals = Vec::new();
    for i in 0..40 {
        deals.push(
            json!({"id": format!("O-{i}"), "owner_id": "R-1", "stage": "Closed",
            "won": i % 2 == 0, "amount": 100.0, "created_at": format!("2025-{:02}-01", 1 + i % 9),
            "closed_at": format!("2025-{:02}-01T12:00:00Z", 1 + i % 9)}),
        );
    }
    for i in 0..5 {
        deals.push(
            json!({"id": format!("P-{i}"), "owner_id": "R-1", "stage": "Prospecting",
            "amount": 50.0}),
        );
    }
    app.ingest("opportunities", Value::Array(deals)).await;
    let mut counts = Vec::new();
    // The data ends on 2025-09-01: before the fix the prospects were open on that day only.
    for as_of in ["2025-09-01", "2025-08-31", "2025-06-01"] {
        let (status, r) = app
            .get(&format!("/v1/forecast?period=2025-Q4&as_of={as_of}"), key)
            .await;
        assert_eq!(status, 200, "{r}");
        let fc = &r["forecast"];
        counts.push(fc["parts"]["open_pipeline"]["count"].clone());
        let note = fc["undated_note"]
            .as_str()
            .unwrap_or_else(|| panic!("{fc}"));
        assert!(
            note.starts_with("5 open deal(s)") && note.contains("2025-01-01"),
            "{note}"
        );
    }
    assert_eq!(counts, vec![json!(5), json!(5), json!(5)], "{counts:?}");
}
both_backends!(forecast_undated_deals, undated_deals_are_open_on_every_day);

/// A forecast is kept in memory between requests, and never outlives a change of the records:
/// one written through the API, or one written by another process on the same database (here a
/// second store handle, with its own memory, as `revcast import` would write).
async fn a_kept_forecast_follows_every_change_of_the_records(app: &TestApp) {
    let world = small_world();
    load(app, &world).await;
    let key = Some(app.admin_key.as_str());
    let url = "/v1/forecast?period=2026-Q4";
    let closed = |r: &Value| f(&r["forecast"]["parts"]["closed"]);
    let (status, first) = app.get(url, key).await;
    assert_eq!(status, 200, "{first}");
    let (_, again) = app.get(url, key).await;
    assert_eq!(
        first, again,
        "the same data, query and model: the same forecast"
    );
    let day = first["data_end"].as_str().unwrap().to_string();
    let won = |id: &str, amount: f64| {
        json!([{"id": id, "owner_id": world.reps[0].id, "stage": "Closed Won", "won": true,
            "amount": amount, "created_at": "2026-10-01", "closed_at": format!("{day}T00:00:00Z")}])
    };
    app.ingest("opportunities", won("kept-1", 1_000_000.0))
        .await;
    let (_, after_api) = app.get(url, key).await;
    assert_eq!(
        closed(&after_api),
        closed(&first) + 1_000_000.0,
        "{after_api}"
    );

    let other = revcast::store::Store::connect(&app.url).await.unwrap();
    let row: revcast::domain::Opportunity =
        serde_json::from_value(won("kept-2", 250_000.0)[0].clone()).unwrap();
    other.upsert(&[row]).await.unwrap();
    other.close().await;
    let (_, after_other) = app.get(url, key).await;
    assert_eq!(
        closed(&after_other),
        closed(&after_api) + 250_000.0,
        "{after_other}"
    );
}
both_backends!(
    forecast_kept_in_memory,
    a_kept_forecast_follows_every_change_of_the_records
);

/// A serving process forecasts the current quarter by team (the forecast page's default) once
/// the data has settled, before anyone asks: the accuracy ledger holds it with no request made.
async fn the_home_forecast_is_made_when_the_data_settles(backend: crate::helpers::Backend) {
    let settings = revcast::api::Settings {
        warm_pages: true,
        ..revcast::api::Settings::new("127.0.0.1:0")
    };
    let Some(app) = crate::helpers::spawn_with(backend, settings).await else {
        return;
    };
    load(&app, &small_world()).await;
    let key = Some(app.admin_key.as_str());
    let quarter = revcast::domain::Period::quarter_of(chrono::Utc::now().date_naive());
    let started = std::time::Instant::now();
    let rows = loop {
        let rows = app.store.snapshots("team").await.unwrap();
        if !rows.is_empty() || started.elapsed() > std::time::Duration::from_secs(60) {
            break rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert!(
        rows.iter().any(|r| r.snapshot.period == quarter),
        "no forecast of {quarter} by team was made within 60 s: {} rows",
        rows.len()
    );
    // And it is the one the page is served: same numbers as asking for it.
    let (status, asked) = app
        .get(&format!("/v1/forecast?period={quarter}&group_by=team"), key)
        .await;
    assert_eq!(status, 200, "{asked}");
    let total = app.store.snapshots("").await.unwrap();
    let made = total.iter().find(|r| r.snapshot.period == quarter).unwrap();
    assert_eq!(made.snapshot.p50, f(&asked["forecast"]["total"]["p50"]));
}

#[tokio::test]
async fn home_forecast_warmed_sqlite() {
    the_home_forecast_is_made_when_the_data_settles(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test]
async fn home_forecast_warmed_postgres() {
    the_home_forecast_is_made_when_the_data_settles(crate::helpers::Backend::Postgres).await;
}

/// A recorded backtest is served as recorded; nothing recorded is an empty list.
async fn recorded_backtests_are_served(app: &TestApp) {
    let key = Some(app.admin_key.as_str());
    let (status, none) = app.get("/v1/forecast/backtests", key).await;
    assert_eq!((status, none), (200, json!([])));
    load(app, &small_world()).await;
    let q = revcast::service::forecast::BacktestQuery {
        periods: 2,
        ..Default::default()
    };
    let made = revcast::service::forecast::backtest_and_record(&app.store, &q)
        .await
        .unwrap();
    let (status, served) = app.get("/v1/forecast/backtests", key).await;
    assert_eq!(status, 200, "{served}");
    let list = served.as_array().unwrap();
    assert_eq!(list.len(), 1, "{served}");
    assert_eq!(list[0]["kind"], "quarter");
    assert_eq!(list[0]["outcome"], serde_json::to_value(&made).unwrap());
    assert!(!made.report.rows.is_empty());
}
both_backends!(forecast_backtests_served, recorded_backtests_are_served);
