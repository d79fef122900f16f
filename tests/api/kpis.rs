use serde_json::json;

use crate::both_backends;
use crate::helpers::{error_of, TestApp};

async fn kpis_are_computed_from_the_stored_data_and_explain_themselves(app: &TestApp) {
    app.ingest("reps", json!([{"id": "R-1", "name": "Ann", "team": "East"}, {"id": "R-2", "name": "Bo", "team": "West"}])).await;
    app.ingest("opportunities", json!([
        {"id": "O-1", "owner_id": "R-1", "stage": "Closed Won", "won": true, "amount": 100.0,
         "created_at": "2026-01-01", "closed_at": "2026-02-01T00:00:00Z"},
        {"id": "O-2", "owner_id": "R-1", "stage": "Closed Lost", "won": false, "amount": 50.0,
         "created_at": "2026-01-05", "closed_at": "2026-02-10T00:00:00Z"},
        {"id": "O-3", "owner_id": "R-2", "stage": "Closed Won", "won": true, "amount": 300.0,
         "created_at": "2026-01-10", "closed_at": "2026-03-01T00:00:00Z"},
        {"id": "O-4", "owner_id": "R-2", "stage": "Proposal", "amount": 80.0, "created_at": "2026-02-01"}
    ])).await;
    let (status, r) = app
        .get(
            "/v1/kpis?from=2026-01-01&to=2026-04-01",
            Some(&app.admin_key),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let kpi = |name: &str| {
        r["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()
            .clone()
    };
    // Won 2 of 3 closed deals; mean won amount (100 + 300) / 2; median cycle of 31 and 50 days.
    assert!((kpi("win_rate")["value"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!((kpi("average_deal_size")["value"].as_f64().unwrap() - 200.0).abs() < 1e-9);
    assert!((kpi("sales_cycle_days")["value"].as_f64().unwrap() - 40.5).abs() < 1e-9);
    assert!(kpi("win_rate")["formula"].as_str().unwrap().contains("won"));
    let churn = kpi("churn_rate");
    assert!(
        churn["value"].is_null() && churn["reason"].is_string(),
        "no accounts: null with a reason"
    );

    let (status, r) = app
        .get(
            "/v1/kpis?period=2026-Q1&group_by=team",
            Some(&app.admin_key),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let east = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "East")
        .unwrap();
    let wr = east["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "win_rate")
        .unwrap();
    assert!((wr["value"].as_f64().unwrap() - 0.5).abs() < 1e-12);

    for bad in [
        "/v1/kpis?from=2026-05-01&to=2026-01-01",
        "/v1/kpis?period=2026-Q9",
        "/v1/kpis?from=2026-01-01&to=2026-02-01&group_by=planet",
        "/v1/kpis",
    ] {
        let (status, body) = app.get(bad, Some(&app.admin_key)).await;
        error_of(status, &body, 400, "bad_request");
    }
}
both_backends!(
    kpis,
    kpis_are_computed_from_the_stored_data_and_explain_themselves
);
