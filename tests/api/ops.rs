use crate::both_backends;
use crate::helpers::TestApp;

async fn metrics_count_requests_by_route_and_status(app: &TestApp) {
    app.get("/v1/leads/L-404", Some(&app.admin_key)).await;
    app.get("/v1/leads/L-405", Some(&app.admin_key)).await;
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"revcast_http_requests_total{method="GET",route="/v1/leads/{id}",status="404"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains("revcast_http_request_duration_seconds_bucket"));
}
both_backends!(metrics, metrics_count_requests_by_route_and_status);

#[test]
fn the_checked_in_openapi_spec_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.yaml");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let generated = revcast::api::openapi::spec_yaml();
    assert!(
        checked_in == generated,
        "api-spec/openapi.yaml is stale: run `cargo run -- openapi > api-spec/openapi.yaml`"
    );
}
