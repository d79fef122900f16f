//! The write path under load and bad input: concurrent writers wait for each other (no 5xx), the
//! counts in every response are exact, text and numbers a database cannot hold are named 4xx, and
//! composite keys are their fields, not a joined string.

use serde_json::{json, Value};
use std::time::Duration;

use crate::both_backends;
use crate::helpers::{error_of, TestApp};
use revcast::domain::{Opportunity, StageEvent};

/// Every load loop below is bounded in count and, through this, in time.
const LOAD_DEADLINE: Duration = Duration::from_secs(120);

fn deals(prefix: &str, n: usize, amount: f64) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                json!({"id": format!("{prefix}-{i:05}"), "stage": "Proposal", "amount": amount,
                       "owner_id": "R-1", "created_at": "2026-03-01T00:00:00Z"})
            })
            .collect(),
    )
}

fn count(body: &Value, field: &str) -> u64 {
    body[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {body}"))
}

/// Sends `batches` to `/v1/opportunities` from `clients` concurrent clients; returns every
/// (status, body).
async fn send_concurrently(app: &TestApp, batches: Vec<Vec<Value>>) -> Vec<(u16, Value)> {
    let mut tasks = Vec::new();
    for client_batches in batches {
        let (client, address, key) = (
            reqwest::Client::new(),
            app.address.clone(),
            app.admin_key.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for b in client_batches {
                let res = client
                    .post(format!("{address}/v1/opportunities"))
                    .bearer_auth(&key)
                    .json(&b)
                    .send()
                    .await
                    .expect("request");
                let status = res.status().as_u16();
                out.push((status, res.json::<Value>().await.unwrap_or(Value::Null)));
            }
            out
        }));
    }
    let all = async {
        let mut out = Vec::new();
        for t in tasks {
            out.extend(t.await.expect("client task"));
        }
        out
    };
    tokio::time::timeout(LOAD_DEADLINE, all)
        .await
        .expect("the load finished within its deadline")
}

async fn eight_concurrent_clients_store_every_row_once_with_exact_counts(app: &TestApp) {
    const CLIENTS: usize = 8;
    const BATCHES: usize = 5;
    const ROWS: usize = 1000;
    let batches = (0..CLIENTS)
        .map(|c| {
            (0..BATCHES)
                .map(|b| deals(&format!("C{c}-B{b}"), ROWS, 100.0))
                .collect()
        })
        .collect();
    let results = send_concurrently(app, batches).await;
    assert_eq!(results.len(), CLIENTS * BATCHES);
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(
            body,
            &json!({"received": ROWS, "inserted": ROWS, "updated": 0, "unchanged": 0})
        );
    }
    let stored = app.store.all::<Opportunity>().await.expect("read back");
    assert_eq!(stored.len(), CLIENTS * BATCHES * ROWS);
}
both_backends!(
    concurrent_ingestion,
    eight_concurrent_clients_store_every_row_once_with_exact_counts
);

async fn clients_upserting_the_same_ids_at_once_all_succeed_and_one_version_wins(app: &TestApp) {
    const CLIENTS: usize = 4;
    const ROUNDS: usize = 4;
    const ROWS: usize = 1000;
    // Each client sends its own version (the amount) of the same 1,000 deals, in its own order,
    // so that without one lock order the writers would deadlock.
    let batches = (0..CLIENTS)
        .map(|c| {
            (0..ROUNDS)
                .map(|r| {
                    let mut rows = deals("SAME", ROWS, (c * 10 + r) as f64);
                    if c % 2 == 1 {
                        rows.as_array_mut().unwrap().reverse();
                    }
                    rows
                })
                .collect()
        })
        .collect();
    let results = send_concurrently(app, batches).await;
    let mut inserted = 0;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
        let (i, u, n) = (
            count(body, "inserted"),
            count(body, "updated"),
            count(body, "unchanged"),
        );
        assert_eq!(i + u + n, ROWS as u64, "{body}");
        inserted += i;
    }
    assert_eq!(inserted, ROWS as u64, "each id is inserted exactly once");
    let sent: Vec<f64> = (0..CLIENTS)
        .flat_map(|c| (0..ROUNDS).map(move |r| (c * 10 + r) as f64))
        .collect();
    let stored = app.store.all::<Opportunity>().await.expect("read back");
    assert_eq!(stored.len(), ROWS);
    for o in stored {
        let amount = o.amount.expect("amount").get();
        assert!(sent.contains(&amount), "{amount} was never sent");
    }
}
both_backends!(
    same_id_upserts,
    clients_upserting_the_same_ids_at_once_all_succeed_and_one_version_wins
);

async fn text_with_a_nul_character_is_refused_by_name_everywhere(app: &TestApp) {
    let key = app.admin_key.clone();
    let body = r#"[{"id":"L-ok","source":"web"},{"id":"L-1","source":"a\u0000b","attributes":{"note":"x\u0000"}}]"#;
    let (status, res) = app.post_raw("/v1/leads", &key, body).await;
    let err = error_of(status, &res, 422, "validation_failed");
    let fields: Vec<(u64, String)> = err["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["index"].as_u64().unwrap(),
                d["field"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            (1, "source".to_string()),
            (1, "attributes.note".to_string())
        ]
    );
    let (_, page) = app.get("/v1/leads", Some(&key)).await;
    assert_eq!(page["data"], json!([]), "a rejected batch writes nothing");

    for (path, param) in [
        ("/v1/leads/a%00b", "id"),
        ("/v1/leads?after=%00", "after"),
        ("/v1/stage-events?parent=x%00", "parent"),
        ("/v1/opportunities/prioritized?owner=%00", "owner"),
        ("/v1/churn-risk?segment=%00", "segment"),
        ("/v1/accounts/a%00/churn-risk", "id"),
    ] {
        let (status, res) = app.get(path, Some(&key)).await;
        let err = error_of(status, &res, 400, "bad_request");
        assert_eq!(err["details"][0]["field"], param, "{path}: {res}");
    }
}
both_backends!(
    nul_characters,
    text_with_a_nul_character_is_refused_by_name_everywhere
);

async fn numbers_and_dates_out_of_the_documented_range_are_named(app: &TestApp) {
    let rows = json!([
        {"id": "O-1", "stage": "Proposal", "amount": 1.7e308},
        {"id": "O-2", "stage": "Proposal", "created_at": "9999-01-01T00:00:00Z"},
        {"id": "O-3", "stage": "Proposal", "expected_close_date": "1850-06-30"},
        {"id": "O-4", "stage": "Proposal", "amount": 1e15, "created_at": "1900-01-01",
         "expected_close_date": "2200-12-31"}
    ]);
    let (status, res) = app
        .post_json("/v1/opportunities", &app.admin_key, &rows)
        .await;
    let err = error_of(status, &res, 422, "validation_failed");
    let named: Vec<(u64, &str)> = err["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["index"].as_u64().unwrap(), d["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        named,
        [(0, "amount"), (1, "created_at"), (2, "expected_close_date")]
    );
    let snapshot = json!([{"account_id": "A-1", "as_of": "2026-01-31", "arr": 10,
                           "seats": 90_071_992_547_409_920_i64}]);
    let (status, res) = app
        .post_json("/v1/account-snapshots", &app.admin_key, &snapshot)
        .await;
    let err = error_of(status, &res, 422, "validation_failed");
    assert_eq!(err["details"][0]["field"], "seats", "{res}");
    // A number beyond what a double holds is named too.
    let body = r#"[{"id": "O-9", "stage": "Proposal", "amount": 1.8e308}]"#;
    let (status, res) = app
        .post_raw("/v1/opportunities", &app.admin_key, body)
        .await;
    let err = error_of(status, &res, 422, "validation_failed");
    assert_eq!(err["details"][0]["field"], "amount", "{res}");
    // The bounds themselves are accepted.
    app.ingest("opportunities", json!([rows[3].clone()])).await;
}
both_backends!(
    out_of_range_values,
    numbers_and_dates_out_of_the_documented_range_are_named
);

async fn composite_keys_are_their_fields_even_with_the_separator_inside(app: &TestApp) {
    let at = "2026-03-01T10:00:00Z";
    let first = json!([{"opportunity_id": "COLL|A", "stage": "B", "entered_at": at}]);
    let second = json!([{"opportunity_id": "COLL", "stage": "A|B", "entered_at": at}]);
    let a = app.ingest("stage-events", first).await;
    let b = app.ingest("stage-events", second.clone()).await;
    assert_eq!(count(&a, "inserted"), 1);
    assert_eq!(count(&b, "inserted"), 1, "the second is a new row: {b}");
    let again = app.ingest("stage-events", second).await;
    assert_eq!(count(&again, "unchanged"), 1);
    let stored = app.store.all::<StageEvent>().await.expect("read back");
    assert_eq!(stored.len(), 2);
    let (status, page) = app
        .get("/v1/stage-events?parent=COLL", Some(&app.admin_key))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["data"][0]["stage"], "A|B", "{page}");
    // Each row is readable by its key, the fields joined with `|` and a `|` inside escaped.
    let (status, one) = app
        .get(
            "/v1/stage-events/COLL%5C%7CA%7CB%7C2026-03-01T10:00:00Z",
            Some(&app.admin_key),
        )
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["opportunity_id"], "COLL|A");
}
both_backends!(
    composite_keys,
    composite_keys_are_their_fields_even_with_the_separator_inside
);
