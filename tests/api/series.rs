//! Many series forecast in one call over HTTP.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{error_of, TestApp};
use revcast::service::forecast::series_from_csv;

/// Quarterly values with a trend and a season of 4, different per series.
fn quarterly(k: usize, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 200.0 + (k + 1) as f64 * i as f64 + [0.0, 15.0, -5.0, 30.0][(i + k) % 4])
        .collect()
}

async fn many_series_in_one_call_equal_each_series_forecast_alone(app: &TestApp) {
    let series: Vec<Value> = (0..5)
        .map(|k| json!({"id": format!("q{k}"), "values": quarterly(k, 24 + 3 * k)}))
        .collect();
    let body = json!({"horizon": 8, "season": 4, "series": series});
    let (status, r) = app
        .post_json("/v1/forecast/series", &app.admin_key, &body)
        .await;
    assert_eq!(status, 200, "{r}");
    let got = r["series"].as_array().unwrap();
    assert_eq!(got.len(), 5);
    for (k, s) in got.iter().enumerate() {
        assert_eq!(s["id"], format!("q{k}"));
        // The same values as a one-series file with quarterly dates (season 4 either way).
        let file: String = quarterly(k, 24 + 3 * k)
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{}-{:02}-01,{v}\n", 2000 + i / 4, 3 * (i % 4) + 1))
            .collect();
        let alone = series_from_csv(&file, 8, Some(4)).unwrap();
        let points: Vec<f64> = s["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["point"].as_f64().unwrap())
            .collect();
        assert_eq!(points, alone.forecast.point, "series q{k}");
        assert_eq!(s["method"], alone.forecast.method.as_str());
        assert_eq!(s["points"][0]["t"], 24 + 3 * k as u64 + 1);
    }
}
both_backends!(
    many_series_in_one_call,
    many_series_in_one_call_equal_each_series_forecast_alone
);

async fn a_bad_value_or_a_short_series_is_named_by_index_and_field(app: &TestApp) {
    let body = json!({"horizon": 4, "season": 4, "series": [
        {"id": "ok", "values": quarterly(0, 20)},
        {"id": "bad", "values": [1.0, 2.0, "three"]},
    ]});
    let (status, r) = app
        .post_json("/v1/forecast/series", &app.admin_key, &body)
        .await;
    let e = error_of(status, &r, 422, "validation_failed");
    assert_eq!(e["details"][0]["index"], 1, "{r}");
    assert_eq!(e["details"][0]["field"], "values[2]", "{r}");

    let body = json!({"horizon": 4, "season": 4, "series": [
        {"id": "ok", "values": quarterly(0, 20)},
        {"id": "short", "values": [1.0, 2.0, 3.0]},
        {"id": "dated", "dates": ["2020-01-01", "2019-01-01"], "values": [1.0, 2.0]},
    ]});
    let (status, r) = app
        .post_json("/v1/forecast/series", &app.admin_key, &body)
        .await;
    let e = error_of(status, &r, 422, "validation_failed");
    assert_eq!(e["details"][0]["index"], 2, "{r}");
    assert_eq!(e["details"][0]["field"], "dates[1]", "{r}");

    let body = json!({"horizon": 4, "season": 4, "series": [
        {"id": "ok", "values": quarterly(0, 20)},
        {"id": "short", "values": [1.0, 2.0, 3.0]},
    ]});
    let (status, r) = app
        .post_json("/v1/forecast/series", &app.admin_key, &body)
        .await;
    let e = error_of(status, &r, 422, "validation_failed");
    assert_eq!(e["details"][0]["index"], 1, "{r}");
    assert!(
        e["details"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("`short`"),
        "{r}"
    );

    let no_season = json!({"horizon": 4, "series": [{"id": "a", "values": quarterly(0, 20)}]});
    let (status, r) = app
        .post_json("/v1/forecast/series", &app.admin_key, &no_season)
        .await;
    let e = error_of(status, &r, 422, "validation_failed");
    assert_eq!(e["details"][0]["field"], "season", "{r}");

    let horizon =
        json!({"horizon": 0, "season": 4, "series": [{"id": "a", "values": quarterly(0, 20)}]});
    let (status, r) = app
        .post_json("/v1/forecast/series", &app.admin_key, &horizon)
        .await;
    error_of(status, &r, 400, "bad_request");
    let (status, r) = app
        .post_json(
            "/v1/forecast/series",
            &app.admin_key,
            &json!({"horizon": 4, "series": []}),
        )
        .await;
    error_of(status, &r, 400, "bad_request");
}
both_backends!(
    bad_series_requests,
    a_bad_value_or_a_short_series_is_named_by_index_and_field
);
