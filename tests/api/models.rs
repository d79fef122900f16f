use revcast::synth::{generate, SynthSettings, World};
use serde_json::{json, Value};
use std::time::Duration;

use crate::both_backends;
use crate::helpers::{error_of, TestApp};

/// A smaller synthetic world than the demo's, so that debug-mode training stays quick.
pub fn small_world() -> World {
    let mut s = SynthSettings::default();
    s.leads.count = 2500;
    generate(&s, chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
}

pub async fn load(app: &TestApp, w: &World) {
    let rows = |v: Value| v;
    app.ingest("reps", rows(serde_json::to_value(&w.reps).unwrap()))
        .await;
    app.ingest("accounts", serde_json::to_value(&w.accounts).unwrap())
        .await;
    app.ingest("leads", serde_json::to_value(&w.leads).unwrap())
        .await;
    app.ingest(
        "opportunities",
        serde_json::to_value(&w.opportunities).unwrap(),
    )
    .await;
    app.ingest(
        "stage-events",
        serde_json::to_value(&w.stage_events).unwrap(),
    )
    .await;
}

/// [`load`], then the customer book.
pub async fn load_with_book(app: &TestApp, w: &World) {
    load(app, w).await;
    load_book(app, w).await;
}

/// The customer book: account snapshots and churn events.
pub async fn load_book(app: &TestApp, w: &World) {
    app.ingest(
        "account-snapshots",
        serde_json::to_value(&w.snapshots).unwrap(),
    )
    .await;
    app.ingest(
        "churn-events",
        serde_json::to_value(&w.churn_events).unwrap(),
    )
    .await;
}

/// Starts a training through the API and waits for its job to end; returns the job.
pub async fn train(app: &TestApp, kind: &str) -> Value {
    let res = app
        .client
        .post(format!("{}/v1/models/{kind}/train", app.address))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let job: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/jobs/{}", job["id"].as_str().unwrap())
    );
    for _ in 0..600 {
        let (status, job) = app.get(&location, Some(&app.admin_key)).await;
        assert_eq!(status, 200, "{job}");
        match job["status"].as_str().unwrap() {
            "running" => tokio::time::sleep(Duration::from_millis(200)).await,
            "succeeded" => return job,
            _ => panic!("training failed: {job}"),
        }
    }
    panic!("training did not finish in 120 s");
}

/// Polls a prioritized list until it has rows (rescoring runs in the background after changes).
async fn call_list(app: &TestApp, path: &str) -> Vec<Value> {
    for _ in 0..100 {
        let (status, body) = app.get(path, Some(&app.admin_key)).await;
        assert_eq!(status, 200, "{body}");
        let rows = body["data"].as_array().unwrap().clone();
        if !rows.is_empty() {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} stayed empty");
}

async fn leads_are_scored_explained_and_prioritized(app: &TestApp) {
    let w = small_world();
    load(app, &w).await;
    let probe = json!([{"id": "new-1", "source": "referral", "attributes": {"visits": 30, "webinar_attended": true}},
                       {"id": "new-2", "source": "carrier pigeon"},
                       {"id": "new-3"}]);
    let (status, body) = app
        .post_json("/v1/score/leads", &app.admin_key, &probe)
        .await;
    error_of(status, &body, 409, "no_active_model");

    let job = train(app, "lead").await;
    let version = job["result"]["version"].as_str().unwrap().to_string();
    assert_eq!(job["result"]["promoted"], true, "{job}");
    let (_, models) = app.get("/v1/models?kind=lead", Some(&app.admin_key)).await;
    let v = &models["data"][0];
    assert_eq!(v["id"], version.as_str());
    assert_eq!(v["status"], "active");
    for name in [
        "roc_auc",
        "pr_auc",
        "log_loss",
        "brier",
        "ece",
        "top_decile_lift",
        "rows",
        "positives",
    ] {
        assert!(
            v["metrics"]["validation"][name].is_number(),
            "{name} missing: {v}"
        );
    }
    assert_eq!(
        v["metrics"]["validation"]["reliability"]
            .as_array()
            .unwrap()
            .len(),
        10
    );

    let (status, body) = app
        .post_json("/v1/score/leads", &app.admin_key, &probe)
        .await;
    assert_eq!(status, 200, "{body}");
    let scores = body["data"].as_array().unwrap();
    assert_eq!(
        scores.len(),
        3,
        "unknown categories and missing fields are handled"
    );
    for s in scores {
        let score = s["score"].as_u64().unwrap();
        assert!((1..=99).contains(&score));
        let p = s["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(s["model_version"], version.as_str());
        assert!(["A", "B", "C", "D"].contains(&s["grade"].as_str().unwrap()));
    }
    let first = &scores[0];
    let text = first["positive_factors"][0]["text"].as_str().unwrap();
    assert!(text.contains("pts"), "factors read as words: {text}");
    let (status, body) = app
        .post_json(
            "/v1/score/leads",
            &app.admin_key,
            &json!([{"id": "x", "attributes": {"visits": 1}}, {"id": "y", "source": 7}]),
        )
        .await;
    let e = error_of(status, &body, 422, "validation_failed");
    assert_eq!(e["details"][0]["index"], 1);
    assert_eq!(e["details"][0]["field"], "source");

    let owner = "R-01";
    let list = call_list(
        app,
        &format!("/v1/leads/prioritized?owner={owner}&limit=20"),
    )
    .await;
    let probs: Vec<f64> = list
        .iter()
        .map(|r| r["probability"].as_f64().unwrap())
        .collect();
    assert!(
        probs.windows(2).all(|p| p[0] >= p[1]),
        "best first: {probs:?}"
    );
    assert!(list.iter().all(|r| r["owner_id"] == owner));
    let open: std::collections::HashSet<String> = w
        .leads
        .iter()
        .filter(|l| l.converted.is_none())
        .map(|l| l.id.to_string())
        .collect();
    assert!(
        list.iter()
            .all(|r| open.contains(r["id"].as_str().unwrap())),
        "only open leads are listed"
    );

    let (status, one) = app
        .get(
            &format!("/v1/leads/{}/score", list[0]["id"].as_str().unwrap()),
            Some(&app.admin_key),
        )
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["model_version"], version.as_str());
    let (status, body) = app.get("/v1/leads/nope/score", Some(&app.admin_key)).await;
    error_of(status, &body, 404, "not_found");
}
both_backends!(lead_scores, leads_are_scored_explained_and_prioritized);

async fn deals_get_win_probabilities_and_versions_promote_and_roll_back(app: &TestApp) {
    let w = small_world();
    load(app, &w).await;
    let first = train(app, "win").await["result"]["version"]
        .as_str()
        .unwrap()
        .to_string();
    let open = w.opportunities.iter().find(|o| o.is_open()).unwrap();
    let path = format!("/v1/opportunities/{}/win-probability", open.id);
    let (status, s) = app.get(&path, Some(&app.admin_key)).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["model_version"], first.as_str());
    let ev = s["expected_value"].as_f64().unwrap();
    let amount = open.amount.unwrap().get();
    assert!((ev - amount * s["probability"].as_f64().unwrap()).abs() < 1e-6);

    let list = call_list(app, "/v1/opportunities/prioritized?limit=50").await;
    let values: Vec<f64> = list
        .iter()
        .map(|r| r["expected_value"].as_f64().unwrap())
        .collect();
    assert!(
        values.windows(2).all(|v| v[0] >= v[1]),
        "by expected value: {values:?}"
    );

    let second_job = train(app, "win").await;
    let second = second_job["result"]["version"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    // The same data and seed give the same model: not worse, so it replaces the champion.
    assert_eq!(second_job["result"]["promoted"], true, "{second_job}");
    let promote = app
        .client
        .post(format!("{}/v1/models/{first}/promote", app.address))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(promote.status().as_u16(), 200);
    let (_, s) = app.get(&path, Some(&app.admin_key)).await;
    assert_eq!(
        s["model_version"],
        first.as_str(),
        "promotion swaps the served model"
    );
    let back = app
        .client
        .post(format!("{}/v1/models/win/rollback", app.address))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status().as_u16(), 200);
    let (_, s) = app.get(&path, Some(&app.admin_key)).await;
    assert_eq!(
        s["model_version"],
        second.as_str(),
        "rollback returns to the previous version"
    );
    let reader = app.key_with(&[revcast::service::Scope::Read]).await;
    let res = app
        .client
        .post(format!("{}/v1/models/win/train", app.address))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}
both_backends!(
    win_probabilities,
    deals_get_win_probabilities_and_versions_promote_and_roll_back
);

#[tokio::test]
async fn scoring_keeps_working_while_the_database_is_down() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    load(&app, &small_world()).await;
    train(&app, "lead").await;
    let probe = json!([{"id": "n-1", "source": "webinar"}]);
    let (status, _) = app
        .post_json("/v1/score/leads", &app.admin_key, &probe)
        .await;
    assert_eq!(status, 200);
    app.store.close().await;
    let (status, _) = app.get("/readyz", None).await;
    assert_eq!(status, 503, "the database is gone");
    let (status, body) = app
        .post_json("/v1/score/leads", &app.admin_key, &probe)
        .await;
    assert_eq!(status, 200, "scores come from memory: {body}");
}
