use revcast::api::{AppState, Application, Settings};
use revcast::service::Scope;
use revcast::store::Store;
use serde_json::json;
use std::sync::Arc;

use crate::both_backends;
use crate::helpers::{error_of, spawn_with, Backend, TestApp};

async fn malformed_json_is_400_and_the_wrong_shape_is_422(app: &TestApp) {
    let (status, body) = app
        .post_raw("/v1/leads", &app.admin_key, "[{\"id\": ")
        .await;
    error_of(status, &body, 400, "malformed_json");
    let (status, body) = app
        .post_raw("/v1/leads", &app.admin_key, "{\"id\": \"L-1\"}")
        .await;
    error_of(status, &body, 422, "validation_failed");
    let (status, body) = app
        .post_json(
            "/v1/leads",
            &app.admin_key,
            &json!([{"id": "L-1", "created_at": "yesterday"}]),
        )
        .await;
    let e = error_of(status, &body, 422, "validation_failed");
    assert_eq!(e["details"][0]["field"], "created_at");
}
both_backends!(
    body_errors,
    malformed_json_is_400_and_the_wrong_shape_is_422
);

async fn unknown_records_and_routes_are_404_with_the_error_body(app: &TestApp) {
    let (status, body) = app
        .get("/v1/opportunities/nope", Some(&app.admin_key))
        .await;
    error_of(status, &body, 404, "not_found");
    let (status, body) = app.get("/v1/nothing-here", Some(&app.admin_key)).await;
    error_of(status, &body, 404, "not_found");
    let res = app
        .client
        .delete(format!("{}/v1/leads", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let body: serde_json::Value = res.json().await.unwrap();
    error_of(405, &body, 405, "method_not_allowed");
}
both_backends!(
    not_found,
    unknown_records_and_routes_are_404_with_the_error_body
);

async fn hostile_input_never_gets_a_5xx(app: &TestApp) {
    let nasty = [
        json!([{"id": "x".repeat(5000)}]),
        json!([{"id": "L\u{0}1"}]),
        json!([{"id": "L-1", "attributes": "not an object"}]),
        json!([{"id": "L-1", "converted_at": "2026-01-01", "created_at": "2026-02-01"}]),
        json!([{"id": "L-1", "source": "s".repeat(2000)}]),
        json!([null, [], 1.5e300]),
        json!([{"id": "L'; DROP TABLE leads; --"}]),
    ];
    for rows in nasty {
        let (status, body) = app.post_json("/v1/leads", &app.admin_key, &rows).await;
        assert!(status < 500, "{status}: {body}");
    }
    let (status, body) = app
        .post_raw(
            "/v1/opportunities",
            &app.admin_key,
            r#"[{"id": "O", "stage": "x", "amount": 1e999}]"#,
        )
        .await;
    assert!(status < 500, "{status}: {body}");
    let (status, _) = app
        .get(
            "/v1/leads/L';%20DROP%20TABLE%20leads;%20--",
            Some(&app.admin_key),
        )
        .await;
    assert_eq!(
        status, 200,
        "the quoted id was stored as data, not run as SQL"
    );
    let (status, body) = app.get("/v1/leads?limit=abc", Some(&app.admin_key)).await;
    error_of(status, &body, 400, "bad_request");
}
both_backends!(hostile_input, hostile_input_never_gets_a_5xx);

#[tokio::test]
async fn an_oversize_body_is_413() {
    let settings = Settings {
        max_body_bytes: 1024,
        ..Settings::new("127.0.0.1:0")
    };
    let app = spawn_with(Backend::Sqlite, settings).await.unwrap();
    let rows: Vec<_> = (0..100).map(|i| json!({"id": format!("L-{i}")})).collect();
    let (status, body) = app
        .post_json("/v1/leads", &app.admin_key, &json!(rows))
        .await;
    error_of(status, &body, 413, "payload_too_large");
}

#[tokio::test]
async fn a_database_outage_is_503_without_internals() {
    // A pool on a port nothing listens on: every query fails to connect.
    let store = Store::connect_lazy("postgres://revcast:secret@127.0.0.1:9/nowhere").unwrap();
    let app = Application::build(
        &Settings::new("127.0.0.1:0"),
        Arc::new(AppState::new(store)),
    )
    .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{address}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let text = res.text().await.unwrap();
    assert!(text.contains("database_unavailable"), "{text}");
    let res = client
        .post(format!("{address}/v1/leads"))
        .bearer_auth("rvc_whatever")
        .json(&json!([{"id": "L-1"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let text = res.text().await.unwrap();
    for secret in [
        "127.0.0.1",
        "secret",
        "nowhere",
        "sqlx",
        "Connection refused",
    ] {
        assert!(!text.contains(secret), "leaked {secret}: {text}");
    }
    let res = client
        .get(format!("{address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        200,
        "liveness does not depend on the database"
    );
    let _ = Scope::Admin;
}
