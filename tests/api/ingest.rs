use serde_json::json;

use crate::both_backends;
use crate::helpers::{error_of, TestApp};

async fn a_batch_is_stored_and_read_back_as_sent(app: &TestApp) {
    let rows = json!([
        {"id": "L-1", "source": "webinar", "owner_id": "R-1", "created_at": "2026-03-01T09:30:00Z",
         "attributes": {"zeta": 1, "alpha": {"nested": [1, 2]}, "visits": 14}},
        {"id": "L-2", "created_at": "2026-03-02", "converted": true, "converted_at": "2026-03-09T00:00:00Z"}
    ]);
    let counts = app.ingest("leads", rows).await;
    assert_eq!(
        counts,
        json!({"received": 2, "inserted": 2, "updated": 0, "unchanged": 0})
    );
    let (status, lead) = app.get("/v1/leads/L-1", Some(&app.admin_key)).await;
    assert_eq!(status, 200);
    assert_eq!(lead["source"], "webinar");
    assert_eq!(lead["created_at"], "2026-03-01T09:30:00Z");
    // Custom fields come back exactly as given, key order included.
    assert_eq!(
        serde_json::to_string(&lead["attributes"]).unwrap(),
        r#"{"zeta":1,"alpha":{"nested":[1,2]},"visits":14}"#
    );
    let (_, l2) = app.get("/v1/leads/L-2", Some(&app.admin_key)).await;
    assert_eq!(l2["created_at"], "2026-03-02T00:00:00Z");
    assert_eq!(l2["converted"], true);
}
both_backends!(batch_round_trip, a_batch_is_stored_and_read_back_as_sent);

async fn sending_the_same_batch_twice_changes_nothing(app: &TestApp) {
    let rows = json!([
        {"id": "O-1", "stage": "Proposal", "amount": 1200.5, "expected_close_date": "2026-12-15", "type": "new"},
        {"id": "O-2", "stage": "Closed Won", "won": true, "closed_at": "2026-10-01T00:00:00Z", "amount": 99}
    ]);
    app.ingest("opportunities", rows.clone()).await;
    let second = app.ingest("opportunities", rows).await;
    assert_eq!(
        second,
        json!({"received": 2, "inserted": 0, "updated": 0, "unchanged": 2})
    );
    let changed = json!([{"id": "O-1", "stage": "Negotiation", "amount": 1200.5}]);
    let third = app.ingest("opportunities", changed).await;
    assert_eq!(
        third,
        json!({"received": 1, "inserted": 0, "updated": 1, "unchanged": 0})
    );
    let (_, o1) = app.get("/v1/opportunities/O-1", Some(&app.admin_key)).await;
    assert_eq!(o1["stage"], "Negotiation");
    assert_eq!(
        o1["expected_close_date"],
        serde_json::Value::Null,
        "an upsert replaces the row"
    );
}
both_backends!(
    idempotent_upserts,
    sending_the_same_batch_twice_changes_nothing
);

async fn one_bad_row_writes_nothing_and_every_bad_row_is_named(app: &TestApp) {
    let rows = json!([
        {"id": "A-1", "name": "Acme"},
        {"id": "A-2", "name": "", "employees": -4},
        {"id": "A-3", "name": "Globex", "employees": "many"},
        {"id": "A-4", "name": "Initech", "colour": "red"},
        "not an object"
    ]);
    let (status, body) = app.post_json("/v1/accounts", &app.admin_key, &rows).await;
    let e = error_of(status, &body, 422, "validation_failed");
    let named: Vec<(u64, String)> = e["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["index"].as_u64().unwrap(),
                d["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (1, "name".to_string()),
            (1, "employees".to_string()),
            (2, "employees".to_string()),
            (3, "colour".to_string()),
            (4, String::new()),
        ]
    );
    let (status, _) = app.get("/v1/accounts/A-1", Some(&app.admin_key)).await;
    assert_eq!(
        status, 404,
        "the good row of a bad batch must not be written"
    );
}
both_backends!(
    all_or_nothing,
    one_bad_row_writes_nothing_and_every_bad_row_is_named
);

async fn every_entity_round_trips(app: &TestApp) {
    let cases = [
        (
            "accounts",
            "A-9",
            json!({"id": "A-9", "name": "Acme", "industry": "retail", "segment": "smb", "region": "EMEA", "employees": 40, "owner_id": "C-1", "created_at": "2024-01-01T00:00:00Z", "attributes": {"tier": "gold"}}),
        ),
        (
            "reps",
            "R-9",
            json!({"id": "R-9", "name": "Ann", "team": "East", "manager": "Bo", "region": "NA", "hired_at": "2023-05-01", "attributes": {}}),
        ),
        (
            "quotas",
            "R-9|2026-Q4",
            json!({"rep_id": "R-9", "period": "2026-Q4", "amount": 250000.0}),
        ),
        (
            "stage-events",
            "O-9|Proposal|2026-10-01T12:00:00Z",
            json!({"opportunity_id": "O-9", "stage": "Proposal", "entered_at": "2026-10-01T12:00:00Z", "expected_close_date": "2026-11-30"}),
        ),
        (
            "account-snapshots",
            "A-9|2026-10-31",
            json!({"account_id": "A-9", "as_of": "2026-10-31", "arr": 12000.0, "seats": 20, "active_users": 15, "logins": 300, "nps": 30.0, "csat": 88.0, "open_tickets": 2, "ticket_resolution_hours": 5.5, "plan": "pro", "renewal_date": "2027-01-31", "attributes": {}}),
        ),
        (
            "churn-events",
            "A-9|2026-11-15",
            json!({"account_id": "A-9", "churned_at": "2026-11-15", "arr_lost": 12000.0, "reason": "price"}),
        ),
        (
            "spend",
            "2026-10|paid_search",
            json!({"period": "2026-10", "channel": "paid_search", "amount": 5000.0}),
        ),
    ];
    for (entity, key, row) in cases {
        app.ingest(entity, json!([row.clone()])).await;
        let path = format!("/v1/{entity}/{}", key.replace('|', "%7C"));
        let (status, got) = app.get(&path, Some(&app.admin_key)).await;
        assert_eq!(status, 200, "{entity}: {got}");
        assert_eq!(got, row, "{entity} must come back as sent");
    }
}
both_backends!(entities_round_trip, every_entity_round_trips);

async fn listing_pages_through_every_record_once(app: &TestApp) {
    let rows: Vec<_> = (0..25)
        .map(|i| json!({"id": format!("R-{i:02}"), "name": format!("Rep {i}")}))
        .collect();
    app.ingest("reps", json!(rows)).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/v1/reps?limit=10&after={a}"),
            None => "/v1/reps?limit=10".to_string(),
        };
        let (status, page) = app.get(&path, Some(&app.admin_key)).await;
        assert_eq!(status, 200, "{page}");
        for r in page["data"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_string());
        }
        match page["next_after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("R-{i:02}")).collect();
    assert_eq!(seen, expected);
    let (status, body) = app.get("/v1/reps?limit=0", Some(&app.admin_key)).await;
    error_of(status, &body, 400, "bad_request");
}
both_backends!(paging, listing_pages_through_every_record_once);

async fn children_are_listed_by_parent(app: &TestApp) {
    app.ingest(
        "stage-events",
        json!([
            {"opportunity_id": "O-1", "stage": "Discovery", "entered_at": "2026-01-01T00:00:00Z"},
            {"opportunity_id": "O-1", "stage": "Proposal", "entered_at": "2026-01-20T00:00:00Z"},
            {"opportunity_id": "O-2", "stage": "Discovery", "entered_at": "2026-01-05T00:00:00Z"}
        ]),
    )
    .await;
    let (status, page) = app
        .get("/v1/stage-events?parent=O-1", Some(&app.admin_key))
        .await;
    assert_eq!(status, 200);
    let stages: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, vec!["Discovery", "Proposal"]);
    let (status, body) = app.get("/v1/leads?parent=x", Some(&app.admin_key)).await;
    error_of(status, &body, 400, "bad_request");
}
both_backends!(parent_filter, children_are_listed_by_parent);

async fn within_a_batch_the_last_row_for_a_key_wins(app: &TestApp) {
    let counts = app
        .ingest(
            "reps",
            json!([{"id": "R-1", "name": "First"}, {"id": "R-1", "name": "Second"}]),
        )
        .await;
    assert_eq!(counts["inserted"], 1);
    let (_, rep) = app.get("/v1/reps/R-1", Some(&app.admin_key)).await;
    assert_eq!(rep["name"], "Second");
}
both_backends!(duplicate_keys, within_a_batch_the_last_row_for_a_key_wins);
