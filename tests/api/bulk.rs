//! Bulk scoring over HTTP: churn scores of inline snapshots, `explain=none|top3|all`, and the
//! streamed NDJSON variant.

use chrono::Utc;
use revcast::ml::TrainedModel;
use revcast::store::ModelVersionRow;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

use crate::both_backends;
use crate::helpers::{error_of, TestApp};
use crate::models::{load, load_with_book, small_world, train};

/// The committed X Education lead model (`models/lead/<version>/artifact.json`).
pub fn lead_artifact() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/lead");
    let version = std::fs::read_dir(&dir)
        .expect("models/lead")
        .map(|e| e.unwrap().path())
        .find(|p| p.join("artifact.json").exists())
        .expect("a committed lead model");
    version.join("artifact.json")
}

/// Stores the committed lead model as the active one and waits until the server scores with it.
pub async fn install_lead_model(app: &TestApp) {
    let path = lead_artifact();
    let bytes = std::fs::read(&path).unwrap();
    let model = TrainedModel::from_bytes(&bytes).unwrap();
    let id = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let row = ModelVersionRow {
        id: id.clone(),
        kind: "lead".into(),
        status: "candidate".into(),
        algorithm: format!("{:?}", model.algorithm()),
        spec: serde_json::to_value(&model.spec).unwrap(),
        metrics: serde_json::to_value(&model.metrics).unwrap(),
        artifact: bytes,
        trained_at: Utc::now(),
        activated_at: None,
    };
    app.store.insert_model_version(&row).await.unwrap();
    app.store
        .activate_model_version("lead", &id, Utc::now())
        .await
        .unwrap();
    for _ in 0..100 {
        let (status, _) = app
            .post_json("/v1/score/leads", &app.admin_key, &json!([{"id": "probe"}]))
            .await;
        if status == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not pick up the stored lead model in 10 s");
}

/// X Education-like leads with varied values.
pub fn leads(n: usize) -> Vec<Value> {
    let sources = [
        "Google",
        "Direct Traffic",
        "Olark Chat",
        "Organic Search",
        "Reference",
    ];
    let origins = ["API", "Landing Page Submission", "Lead Add Form"];
    (0..n)
        .map(|i| {
            json!({"id": format!("L{i}"), "source": sources[i % 5], "attributes": {
                "total_visits": i % 13, "total_time_spent_on_website": (i * 37) % 2000,
                "page_views_per_visit": (i % 7) as f64 * 0.5, "lead_origin": origins[i % 3],
                "do_not_email": if i % 11 == 0 { "Yes" } else { "No" },
                "what_is_your_current_occupation": if i % 4 == 0 { "Working Professional" } else { "Unemployed" }}})
        })
        .collect()
}

fn probabilities(body: &Value) -> Vec<f64> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["probability"].as_f64().unwrap())
        .collect()
}

/// An `explain=none` answer: the scores alone, the model version and time said once for all.
fn assert_compact(none: &Value, explained: &Value) {
    assert_eq!(
        none["model_version"], explained["data"][0]["model_version"],
        "{none}"
    );
    assert!(none["scored_at"].is_string(), "{none}");
    for r in none["data"].as_array().unwrap() {
        for key in [
            "positive_factors",
            "negative_factors",
            "model_version",
            "scored_at",
        ] {
            assert!(r.get(key).is_none(), "{key} in {r}");
        }
        assert!(r["score"].is_u64() && r["grade"].is_string(), "{r}");
    }
}

fn factor_count(r: &Value) -> usize {
    r["positive_factors"].as_array().unwrap().len()
        + r["negative_factors"].as_array().unwrap().len()
}

async fn explain_none_gives_the_same_probabilities_as_all(app: &TestApp) {
    install_lead_model(app).await;
    let body = Value::Array(leads(300));
    let mut answers = Vec::new();
    for explain in ["", "?explain=all", "?explain=none", "?explain=top3"] {
        let (status, r) = app
            .post_json(&format!("/v1/score/leads{explain}"), &app.admin_key, &body)
            .await;
        assert_eq!(status, 200, "{explain}: {r}");
        answers.push(r);
    }
    let all = probabilities(&answers[1]);
    assert_eq!(probabilities(&answers[0]), all, "all is the default");
    assert_eq!(probabilities(&answers[2]), all, "none");
    assert_eq!(probabilities(&answers[3]), all, "top3");
    let rows = |i: usize| answers[i]["data"].as_array().unwrap().clone();
    assert_compact(&answers[2], &answers[1]);
    assert!(
        rows(1).iter().any(|r| factor_count(r) > 3),
        "some scores carry more than three"
    );
    for (a, t) in rows(1).iter().zip(rows(3)) {
        assert_eq!(factor_count(&t), factor_count(a).min(3), "{a} / {t}");
        assert_eq!(a["score"], t["score"]);
    }
    let (status, r) = app
        .post_json("/v1/score/leads?explain=some", &app.admin_key, &body)
        .await;
    error_of(status, &r, 400, "bad_request");
}
both_backends!(
    explain_levels,
    explain_none_gives_the_same_probabilities_as_all
);

async fn post_ndjson(app: &TestApp, path: &str, body: String) -> (u16, String, String) {
    let res = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map_or(String::new(), |v| v.to_str().unwrap().to_string());
    (status, kind, res.text().await.unwrap())
}

async fn ndjson_with_a_bad_line_in_the_middle_scores_the_lines_before_it(app: &TestApp) {
    install_lead_model(app).await;
    let rows = leads(20_000);
    let lines: Vec<String> = rows.iter().map(|r| r.to_string()).collect();

    let (status, kind, text) =
        post_ndjson(app, "/v1/score/leads/ndjson?explain=none", lines.join("\n")).await;
    assert_eq!((status, kind.as_str()), (200, "application/x-ndjson"));
    let out: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 20_000);
    // The same probabilities as the JSON endpoint, in order.
    let (_, first) = app
        .post_json(
            "/v1/score/leads?explain=none",
            &app.admin_key,
            &Value::Array(rows[..10_000].to_vec()),
        )
        .await;
    let streamed: Vec<f64> = out[..10_000]
        .iter()
        .map(|r| r["probability"].as_f64().unwrap())
        .collect();
    assert_eq!(streamed, probabilities(&first));
    assert_eq!(out[19_999]["id"], "L19999");

    // Line 12,346 is bad; line 3 is blank (skipped, but counted).
    let mut bad = lines.clone();
    bad.insert(2, String::new());
    bad[12_345] =
        r#"{"id": "broken", "attributes": {"total_visits": "many"}, "created_at": "yesterday"}"#
            .into();
    let (status, _, text) = post_ndjson(app, "/v1/score/leads/ndjson", bad.join("\n")).await;
    assert_eq!(status, 200);
    let out: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        out.len(),
        12_344 + 1,
        "the rows before the bad line, then the error"
    );
    assert_eq!(out[12_343]["id"], "L12343");
    let e = &out[12_344]["error"];
    assert_eq!(e["code"], "validation_failed", "{e}");
    assert!(
        e["message"].as_str().unwrap().starts_with("line 12346 "),
        "{e}"
    );
    assert_eq!(e["details"][0]["index"], 12_345, "{e}");
    assert_eq!(e["details"][0]["field"], "created_at", "{e}");

    let res = app
        .client
        .post(format!("{}/v1/score/leads/ndjson", app.address))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
}
both_backends!(
    ndjson_stream,
    ndjson_with_a_bad_line_in_the_middle_scores_the_lines_before_it
);

async fn accounts_sent_inline_get_the_same_churn_scores_as_stored_ones(app: &TestApp) {
    let w = small_world();
    load_with_book(app, &w).await;
    let probe = json!([{"account_id": "A-1", "as_of": "2026-10-31", "arr": 1000}]);
    let (status, r) = app
        .post_json("/v1/score/accounts", &app.admin_key, &probe)
        .await;
    error_of(status, &r, 409, "no_active_model");
    train(app, "churn").await;

    let mut chosen = Vec::new();
    for a in &w.accounts {
        let (status, risk) = app
            .get(
                &format!("/v1/accounts/{}/churn-risk", a.id),
                Some(&app.admin_key),
            )
            .await;
        if status == 200 {
            chosen.push((a, risk));
        }
        if chosen.len() == 4 {
            break;
        }
    }
    assert_eq!(chosen.len(), 4);
    // Each account's snapshots, interleaved, with the account's customer_since (when it has one)
    // for the tenure.
    let mut batch = Vec::new();
    for (a, _) in &chosen {
        for s in w.snapshots.iter().filter(|s| s.account_id == a.id) {
            let mut v = serde_json::to_value(s).unwrap();
            if let Some(since) = a.attributes.get("customer_since") {
                v["attributes"]["customer_since"] = since.clone();
            }
            batch.push(v);
        }
    }
    batch.reverse();
    let (status, r) = app
        .post_json(
            "/v1/score/accounts",
            &app.admin_key,
            &Value::Array(batch.clone()),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let data = r["data"].as_array().unwrap();
    assert_eq!(data.len(), 4);
    for (a, risk) in &chosen {
        let got = data.iter().find(|d| d["id"] == a.id.as_str()).unwrap();
        assert_eq!(got["probability"], risk["probability"], "{got} vs {risk}");
        let at_risk = got["expected_value"].as_f64().unwrap();
        assert!((at_risk - risk["revenue_at_risk"].as_f64().unwrap()).abs() < 1e-6);
    }
    let (_, none) = app
        .post_json(
            "/v1/score/accounts?explain=none",
            &app.admin_key,
            &Value::Array(batch.clone()),
        )
        .await;
    assert_eq!(probabilities(&none), probabilities(&r));
    assert_compact(&none, &r);
    let ids = |a: &Value| -> Vec<Value> {
        a["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].clone())
            .collect()
    };
    assert_eq!(ids(&none), ids(&r));

    let bad = json!([{"account_id": "A-1", "as_of": "2026-10-31", "arr": 1000},
                     {"account_id": "A-2", "as_of": "soon", "arr": -5}]);
    let (status, r) = app
        .post_json("/v1/score/accounts", &app.admin_key, &bad)
        .await;
    let e = error_of(status, &r, 422, "validation_failed");
    assert_eq!(e["details"][0]["index"], 1, "{r}");
    let (status, r) = app
        .post_json("/v1/score/accounts", &app.admin_key, &json!([]))
        .await;
    error_of(status, &r, 400, "bad_request");
}
both_backends!(
    inline_accounts,
    accounts_sent_inline_get_the_same_churn_scores_as_stored_ones
);

async fn deals_get_the_same_probabilities_at_every_explain_level_and_streamed(app: &TestApp) {
    let w = small_world();
    load(app, &w).await;
    train(app, "win").await;
    let open: Vec<Value> = w
        .opportunities
        .iter()
        .filter(|o| o.won.is_none())
        .take(300)
        .map(|o| serde_json::to_value(o).unwrap())
        .collect();
    assert!(open.len() >= 50, "{} open deals", open.len());
    let body = Value::Array(open.clone());
    let (status, all) = app
        .post_json("/v1/score/opportunities", &app.admin_key, &body)
        .await;
    assert_eq!(status, 200, "{all}");
    let (status, none) = app
        .post_json(
            "/v1/score/opportunities?explain=none",
            &app.admin_key,
            &body,
        )
        .await;
    assert_eq!(status, 200, "{none}");
    let lines: Vec<String> = open.iter().map(Value::to_string).collect();
    let (status, _, text) = post_ndjson(
        app,
        "/v1/score/opportunities/ndjson?explain=none",
        lines.join("\n"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let streamed: Vec<f64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["probability"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(all["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| factor_count(r) > 0));
    assert_compact(&none, &all);
    // Deals are scored as of the request's moment (their age in days), so the three calls may
    // differ by the seconds between them: far below any rounding of a probability.
    let all = probabilities(&all);
    for (name, got) in [("none", probabilities(&none)), ("ndjson", streamed)] {
        assert_eq!(got.len(), all.len(), "{name}");
        for (a, b) in all.iter().zip(&got) {
            assert!((a - b).abs() < 1e-4, "{name}: {a} vs {b}");
        }
    }
}
both_backends!(
    deal_explain_levels,
    deals_get_the_same_probabilities_at_every_explain_level_and_streamed
);
