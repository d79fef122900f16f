//! Deal history and the pipeline waterfall over HTTP, on both backends.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{error_of, TestApp};

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A closed history (for the data's days) and one open deal, `O-1`, at `amount`.
async fn load(app: &TestApp, amount: f64) -> Value {
    app.ingest(
        "reps",
        json!([{"id": "R-1", "name": "Ann", "team": "East"}]),
    )
    .await;
    let mut deals = vec![json!({"id": "O-1", "owner_id": "R-1", "stage": "Proposal",
        "amount": amount, "created_at": "2025-03-01", "expected_close_date": "2025-05-20",
        "forecast_category": "pipeline"})];
    for i in 0..30 {
        deals.push(
            json!({"id": format!("C-{i}"), "owner_id": "R-1", "stage": "Closed",
            "won": i % 3 != 0, "amount": 100.0, "created_at": "2025-01-10",
            "closed_at": format!("2025-{:02}-{:02}T12:00:00Z", 1 + i % 4, 11 + i % 15)}),
        );
    }
    let r = app.ingest("opportunities", Value::Array(deals)).await;
    app.ingest(
        "stage-events",
        json!([{"opportunity_id": "O-1", "stage": "Proposal", "entered_at": "2025-03-01",
        "expected_close_date": "2025-05-20"}]),
    )
    .await;
    r
}

/// Every write that changes a tracked field is recorded; a write that changes nothing is not;
/// and a forecast as of a day before a change uses the deal as it stood then.
async fn every_change_is_recorded_and_used(app: &TestApp) {
    let key = Some(app.admin_key.as_str());
    load(app, 1000.0).await;
    let (status, h) = app.get("/v1/opportunities/O-1/history", key).await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["changes"].as_array().unwrap().len(), 1, "{h}");
    assert_eq!(f(&h["changes"][0]["amount"]), 1000.0);

    // The same row again: nothing changes, nothing is recorded.
    load(app, 1000.0).await;
    // A new amount, close date and category.
    let r = app
        .ingest(
            "opportunities",
            json!([{"id": "O-1", "owner_id": "R-1", "stage": "Negotiation", "amount": 4000.0,
            "created_at": "2025-03-01", "expected_close_date": "2025-06-10",
            "forecast_category": "commit"}]),
        )
        .await;
    assert_eq!(r["updated"], 1, "{r}");
    let (_, h) = app.get("/v1/opportunities/O-1/history", key).await;
    let changes = h["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{h}");
    assert_eq!(
        (
            f(&changes[1]["amount"]),
            &changes[1]["stage"],
            &changes[1]["expected_close_date"],
            &changes[1]["forecast_category"]
        ),
        (
            4000.0,
            &json!("Negotiation"),
            &json!("2025-06-10"),
            &json!("commit")
        ),
        "{h}"
    );
    assert!(changes[0]["changed_at"].as_str() <= changes[1]["changed_at"].as_str());
    assert_eq!(h["opportunity"]["amount"], json!(4000.0));

    // As of a day before the history begins the deal is rebuilt with the amount it was first
    // stored with, not today's.
    let (status, r) = app
        .get("/v1/forecast?period=2025-Q2&as_of=2025-04-20", key)
        .await;
    assert_eq!(status, 200, "{r}");
    let deals = r["forecast"]["deals"].as_array().unwrap();
    let o1 = deals
        .iter()
        .find(|d| d["id"] == "O-1")
        .unwrap_or_else(|| panic!("{deals:?}"));
    assert_eq!(f(&o1["amount"]), 1000.0, "{o1}");
    assert_eq!(o1["stage"], "Proposal", "{o1}");
    // Today, the new amount.
    let (status, r) = app.get("/v1/forecast?period=2025-Q2", key).await;
    assert_eq!(status, 200, "{r}");
    let today = &r["forecast"]["deals"];
    let o1 = today.as_array().unwrap().iter().find(|d| d["id"] == "O-1");
    assert_eq!(o1.map(|d| f(&d["amount"])), Some(4000.0), "{today}");

    let (status, body) = app.get("/v1/opportunities/NOPE/history", key).await;
    error_of(status, &body, 404, "not_found");
}
both_backends!(deal_history_recorded, every_change_is_recorded_and_used);

/// The waterfall adds up, names its deals, and refuses bad days by name.
async fn the_waterfall_adds_up(app: &TestApp) {
    let key = Some(app.admin_key.as_str());
    load(app, 1000.0).await;
    let (status, r) = app
        .get(
            "/v1/pipeline/changes?from=2025-02-01&to=2025-04-20&group_by=team",
            key,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    for w in std::iter::once(&r["total"]).chain(
        r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| &g["waterfall"]),
    ) {
        let a = |s: &str| f(&w[s]["amount"]);
        let got = a("open_at_start") + a("created") + a("pulled_in")
            - a("won")
            - a("lost")
            - a("pushed_out")
            + a("amount_changes");
        assert!((got - a("open_at_end")).abs() < 1e-6, "{w}");
        let c = |s: &str| w[s]["count"].as_u64().unwrap();
        assert_eq!(
            c("open_at_start") + c("created") + c("pulled_in"),
            c("open_at_end") + c("won") + c("lost") + c("pushed_out"),
            "{w}"
        );
    }
    let t = &r["total"];
    assert_eq!(t["created"]["deals"][0]["id"], "O-1", "{t}");
    assert!(t["won"]["count"].as_u64().unwrap() > 0, "{t}");
    assert_eq!(r["groups"][0]["key"], "East", "{r}");

    // In a period: the deal closing in May is in Q2's pipeline at the end.
    let (status, r) = app
        .get(
            "/v1/pipeline/changes?from=2025-04-01&to=2025-04-20&period=2025-Q2",
            key,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["total"]["open_at_end"]["count"], 1, "{r}");

    for (query, field) in [
        ("from=2025-13-01", "from"),
        ("from=2025-04-01&to=2025-03-01", "to"),
        ("from=2025-04-01&to=2030-01-01", "to"),
        ("from=2025-04-01&period=2025-Q9", "period"),
        ("from=2025-04-01&group_by=planet", "group_by"),
    ] {
        let (status, body) = app.get(&format!("/v1/pipeline/changes?{query}"), key).await;
        let e = error_of(status, &body, 400, "bad_request");
        assert_eq!(e["details"][0]["field"], field, "{query}: {body}");
    }
}
both_backends!(pipeline_waterfall, the_waterfall_adds_up);
