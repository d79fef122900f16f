//! What revcast says when something is off: a spec path that matches nothing, a challenger on
//! another spec, fields a model does not read, drift, censored labels, too little data, and
//! training as of a past day.

use chrono::{Duration, NaiveDate};
use revcast::synth::{generate, SynthSettings, World};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{error_of, TestApp};
use crate::models::{load, small_world, train};

const LEAD_SPEC: &str = include_str!("../../training/lead.toml");

/// Starts a training with a JSON body and waits for its job to end, failed or not.
async fn train_with(app: &TestApp, kind: &str, body: &Value) -> Value {
    let (status, job) = app
        .post_json(&format!("/v1/models/{kind}/train"), &app.admin_key, body)
        .await;
    assert_eq!(status, 202, "{job}");
    let path = format!("/v1/jobs/{}", job["id"].as_str().unwrap());
    for _ in 0..600 {
        let (_, job) = app.get(&path, Some(&app.admin_key)).await;
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("training did not finish in 120 s");
}

fn succeeded(job: &Value) -> &Value {
    assert_eq!(job["status"], "succeeded", "{job}");
    &job["result"]
}

async fn version(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.get("/v1/models", Some(&app.admin_key)).await;
    assert_eq!(status, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not listed: {body}"))
}

async fn a_spec_path_that_matches_nothing_is_refused_naming_the_key_that_exists(app: &TestApp) {
    load(app, &small_world()).await;
    let broken = LEAD_SPEC.replace("attributes.pages_per_visit", "attributes.pages.per.visit");
    let job = train_with(app, "lead", &json!({ "spec": broken })).await;
    assert_eq!(job["status"], "failed", "{job}");
    let e = job["error"].as_str().unwrap();
    assert!(
        e.contains(
            "`attributes.pages.per.visit`: no row has it; rows have `attributes.pages_per_visit`"
        ),
        "{e}"
    );
    let (_, models) = app.get("/v1/models", Some(&app.admin_key)).await;
    assert_eq!(
        models["data"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );

    let job = train(app, "lead").await;
    let v = version(app, job["result"]["version"].as_str().unwrap()).await;
    let coverage = v["metrics"]["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 11, "one per feature: {v}");
    let visits = coverage.iter().find(|c| c["feature"] == "visits").unwrap();
    assert!(visits["coverage"].as_f64().unwrap() > 0.9, "{visits}");
    assert_eq!(job["result"]["coverage"], v["metrics"]["coverage"]);
    let (status, body) = app
        .post_json(
            "/v1/models/lead/train",
            &app.admin_key,
            &json!({"as_of": "2026-13-01"}),
        )
        .await;
    let e = error_of(status, &body, 400, "bad_request");
    assert_eq!(e["details"][0]["field"], "as_of", "{body}");
}
both_backends!(
    broken_spec_paths,
    a_spec_path_that_matches_nothing_is_refused_naming_the_key_that_exists
);

async fn a_challenger_on_another_spec_is_judged_on_the_champions_own_rows(app: &TestApp) {
    load(app, &small_world()).await;
    let champion = train(app, "lead").await["result"].clone();
    let first = champion["version"].as_str().unwrap();
    // Without its engagement features the challenger is weaker; the champion must be judged
    // with its own features, not on rows built with the challenger's spec.
    let mut weak = String::new();
    for block in LEAD_SPEC.split("[[feature]]") {
        if !(block.contains("attributes.visits") || block.contains("attributes.emails_opened")) {
            weak.push_str(if weak.is_empty() { "" } else { "[[feature]]" });
            weak.push_str(block);
        }
    }
    let result = succeeded(&train_with(app, "lead", &json!({ "spec": weak })).await).clone();
    let c = &result["comparison"];
    assert_eq!(c["champion_version"], first, "{result}");
    let rows = c["rows"].as_u64().unwrap();
    assert_eq!(
        rows,
        result["metrics"]["rows"].as_u64().unwrap(),
        "{result}"
    );
    // Same leads, same split: the champion's figure is its own validation figure.
    let own = champion["metrics"]["log_loss"].as_f64().unwrap();
    let judged = c["champion"]["log_loss"].as_f64().unwrap();
    assert!((own - judged).abs() < 1e-9, "{own} vs {judged}");
    let mine = c["challenger"]["log_loss"].as_f64().unwrap();
    assert!((mine - result["metrics"]["log_loss"].as_f64().unwrap()).abs() < 1e-9);
    assert!(mine > judged, "the weaker spec loses: {c}");
    assert_eq!(result["promoted"], false, "{result}");
    let decision = result["decision"].as_str().unwrap();
    assert!(
        decision.contains(&format!("{mine:.4}")) && decision.contains(&format!("{judged:.4}")),
        "{decision}"
    );
    let stored = version(app, result["version"].as_str().unwrap()).await;
    assert_eq!(stored["metrics"]["promotion"]["comparison"], *c);
    assert_eq!(stored["status"], "candidate");
}
both_backends!(
    fair_gate,
    a_challenger_on_another_spec_is_judged_on_the_champions_own_rows
);

async fn scoring_says_which_fields_it_did_not_recognise_and_which_features_were_missing(
    app: &TestApp,
) {
    let w = small_world();
    load(app, &w).await;
    let version = train(app, "lead").await["result"]["version"]
        .as_str()
        .unwrap()
        .to_string();
    let plain = json!([{"id": "n-1", "source": "webinar", "attributes": {"visits": 12}},
                       {"id": "n-2", "source": "referral", "attributes": {"visits": 3}}]);
    let crm = json!([{"id": "n-1", "source": "webinar", "attributes": {"visits": 12, "emp.var.rate": 1.1}},
                     {"id": "n-2", "source": "referral", "attributes": {"visits": 3, "emp.var.rate": -1.8, "Pages/Visit": 2}}]);
    let (s1, a) = app
        .post_json("/v1/score/leads", &app.admin_key, &plain)
        .await;
    let (s2, b) = app.post_json("/v1/score/leads", &app.admin_key, &crm).await;
    assert_eq!((s1, s2), (200, 200), "{a} {b}");
    for i in 0..2 {
        assert_eq!(
            a["data"][i]["probability"], b["data"][i]["probability"],
            "scores unchanged"
        );
    }
    assert_eq!(a["warnings"]["unrecognised_fields"], json!({}), "{a}");
    let wr = &b["warnings"];
    assert_eq!(
        wr["unrecognised_fields"]["attributes.emp.var.rate"], 2,
        "{b}"
    );
    assert_eq!(
        wr["unrecognised_fields"]["attributes.Pages/Visit"], 1,
        "{b}"
    );
    assert_eq!(
        wr["missing_features"]["attributes.pages_per_visit"], 2,
        "{b}"
    );
    assert!(wr["missing_features"]["attributes.visits"].is_null(), "{b}");

    let lead = &w.leads[0];
    let (status, one) = app
        .get(
            &format!("/v1/leads/{}/score", lead.id),
            Some(&app.admin_key),
        )
        .await;
    assert_eq!(status, 200, "{one}");
    assert!(one["warnings"]["missing_features"].is_object(), "{one}");
    let (_, text) = app.get("/metrics", None).await;
    let text = text.as_str().unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("revcast_model_unrecognised_fields_total") && l.contains(&version))
        .unwrap_or_else(|| panic!("no counter: {text}"));
    let n: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 3, "{line}");
    assert!(text.contains(&format!(
        "revcast_model_missing_features_total{{model=\"{version}\""
    )));
}
both_backends!(
    scoring_warnings,
    scoring_says_which_fields_it_did_not_recognise_and_which_features_were_missing
);

/// Another draw of the same synthetic world: the population the model was trained on.
fn another_draw() -> World {
    let mut s = SynthSettings::default();
    s.leads.count = 2500;
    s.seed += 1;
    generate(&s, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
}

async fn drift_stays_low_on_the_same_population_and_passes_the_alert_on_a_shifted_one(
    app: &TestApp,
) {
    load(app, &small_world()).await;
    let version = train(app, "lead").await["result"]["version"]
        .as_str()
        .unwrap()
        .to_string();
    let drift_path = format!("/v1/models/{version}/drift");
    let fresh: Vec<_> = another_draw()
        .leads
        .into_iter()
        .filter(|l| l.converted.is_some())
        .collect();
    let (status, body) = app
        .post_json(
            "/v1/score/leads",
            &app.admin_key,
            &serde_json::to_value(&fresh).unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, d) = app.get(&drift_path, Some(&app.admin_key)).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["window_rows"], fresh.len(), "{d}");
    for f in d["features"].as_array().unwrap() {
        assert!(f["psi"].as_f64().unwrap() < 0.1, "{f} in {d}");
    }
    assert!(d["score_psi"].as_f64().unwrap() < 0.1, "{d}");
    assert_eq!(d["alerts"], json!([]));

    // The same leads, twice over (a full window), from a campaign that brings far busier visitors.
    let mut shifted = Vec::new();
    for round in 0..2 {
        for l in &fresh {
            let mut l = serde_json::to_value(l).unwrap();
            l["id"] = json!(format!("{}-{round}", l["id"].as_str().unwrap()));
            let visits = l["attributes"]["visits"].as_f64().unwrap_or(0.0);
            l["attributes"]["visits"] = json!(visits * 4.0 + 10.0);
            shifted.push(l);
        }
    }
    let (status, _) = app
        .post_json("/v1/score/leads", &app.admin_key, &Value::Array(shifted))
        .await;
    assert_eq!(status, 200);
    let (_, d) = app.get(&drift_path, Some(&app.admin_key)).await;
    assert_eq!(d["window_rows"], 5000, "{d}");
    let visits = d["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "visits")
        .unwrap();
    assert!(visits["psi"].as_f64().unwrap() > 0.2, "{d}");
    assert!(d["alerts"].as_array().unwrap().contains(&json!("visits")));
    let listed = version_warnings(app, &version).await;
    assert!(
        listed
            .iter()
            .any(|w| w.contains("`visits`") && w.contains("PSI")),
        "{listed:?}"
    );
    let (_, text) = app.get("/metrics", None).await;
    assert!(text.as_str().unwrap().contains(&format!(
        "revcast_model_psi{{model=\"{version}\",feature=\"visits\"}}"
    )));
    let (status, body) = app
        .get("/v1/models/lead-0/drift", Some(&app.admin_key))
        .await;
    error_of(status, &body, 404, "not_found");
}
both_backends!(
    drift,
    drift_stays_low_on_the_same_population_and_passes_the_alert_on_a_shifted_one
);

async fn version_warnings(app: &TestApp, id: &str) -> Vec<String> {
    version(app, id).await["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

async fn load_accounts(app: &TestApp, w: &World) {
    app.ingest("reps", serde_json::to_value(&w.reps).unwrap())
        .await;
    app.ingest("accounts", serde_json::to_value(&w.accounts).unwrap())
        .await;
    crate::models::load_book(app, w).await;
}

async fn churn_labels_stop_a_horizon_before_the_end_of_an_export_that_ended_a_year_ago(
    app: &TestApp,
) {
    let ended = chrono::Utc::now().date_naive() - Duration::days(365);
    let mut s = SynthSettings::default();
    s.leads.count = 2500;
    let w = generate(&s, ended);
    load_accounts(app, &w).await;
    let last_day = w
        .snapshots
        .iter()
        .map(|s| s.as_of)
        .chain(w.churn_events.iter().map(|e| e.churned_at))
        .max()
        .unwrap();
    let result = succeeded(&train_with(app, "churn", &json!({})).await).clone();
    assert_eq!(
        result["as_of"],
        json!(last_day),
        "the data's end, not today"
    );
    let v = version(app, result["version"].as_str().unwrap()).await;
    let newest = |v: &Value| {
        let t = v["metrics"]["data"]["validate"]["last"].as_str().unwrap();
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .date_naive()
    };
    let horizon = Duration::days(90);
    assert!(
        newest(&v) <= last_day - horizon,
        "{} vs {last_day}",
        newest(&v)
    );
    // Snapshots are monthly: the labelled rows reach to within a month of the horizon.
    assert!(
        newest(&v) > last_day - horizon - Duration::days(35),
        "{}",
        newest(&v)
    );

    let earlier = last_day - Duration::days(200);
    let result = succeeded(&train_with(app, "churn", &json!({ "as_of": earlier })).await).clone();
    assert_eq!(result["as_of"], json!(earlier));
    let v = version(app, result["version"].as_str().unwrap()).await;
    assert!(newest(&v) <= earlier - horizon, "{}", newest(&v));
}
both_backends!(
    churn_censoring,
    churn_labels_stop_a_horizon_before_the_end_of_an_export_that_ended_a_year_ago
);

async fn training_as_of_a_day_reproduces_the_model_after_later_records_arrive(app: &TestApp) {
    let w = small_world();
    load(app, &w).await;
    let day = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let first = succeeded(&train_with(app, "lead", &json!({ "as_of": day })).await).clone();
    // Later leads: created after the day, decided since; and conversions recorded after it.
    let later: Vec<Value> = w
        .leads
        .iter()
        .filter(|l| l.converted.is_some())
        .take(400)
        .enumerate()
        .map(|(i, l)| {
            let mut v = serde_json::to_value(l).unwrap();
            v["id"] = json!(format!("later-{i}"));
            v["created_at"] = json!("2026-08-01T10:00:00Z");
            v["first_response_at"] = json!("2026-08-01T11:00:00Z");
            if l.converted == Some(true) {
                v["converted_at"] = json!("2026-09-01T10:00:00Z");
            }
            v
        })
        .collect();
    app.ingest("leads", Value::Array(later)).await;
    let again = succeeded(&train_with(app, "lead", &json!({ "as_of": day })).await).clone();
    assert_eq!(again["as_of"], json!(day));
    assert_eq!(
        first["metrics"], again["metrics"],
        "the same model from the same knowledge"
    );
    let now = succeeded(&train_with(app, "lead", &json!({})).await).clone();
    assert_ne!(now["metrics"]["rows"], first["metrics"]["rows"], "{now}");
}
both_backends!(
    as_of_training,
    training_as_of_a_day_reproduces_the_model_after_later_records_arrive
);

async fn too_few_positives_is_a_refusal_that_names_the_counts(app: &TestApp) {
    let w = small_world();
    app.ingest("reps", serde_json::to_value(&w.reps).unwrap())
        .await;
    let mut positives = 0;
    let few: Vec<_> = w
        .leads
        .iter()
        .filter(|l| match l.converted {
            Some(true) if positives < 40 => {
                positives += 1;
                true
            }
            Some(false) => true,
            _ => false,
        })
        .collect();
    let negatives = few.len() - 40;
    app.ingest("leads", serde_json::to_value(&few).unwrap())
        .await;
    let job = train_with(app, "lead", &json!({})).await;
    assert_eq!(job["status"], "failed", "{job}");
    let e = job["error"].as_str().unwrap();
    assert!(
        e.contains(&format!(
            "40 positive and {negatives} negative rows; at least 50 of each"
        )),
        "{e}"
    );
}
both_backends!(
    too_little_data,
    too_few_positives_is_a_refusal_that_names_the_counts
);
