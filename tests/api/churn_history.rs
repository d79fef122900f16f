//! An account's churn risk is computed from its latest snapshots however long its history.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::models::{load_with_book, small_world, train};

async fn an_account_with_years_of_snapshots_is_scored_from_its_latest(app: &TestApp) {
    let w = small_world();
    load_with_book(app, &w).await;
    train(app, "churn").await;

    let account = w.snapshots.last().unwrap().account_id.to_string();
    let latest = w
        .snapshots
        .iter()
        .filter(|s| s.account_id.as_str() == account)
        .map(|s| s.as_of)
        .max()
        .unwrap();
    let path = format!("/v1/accounts/{account}/churn-risk");
    let (status, before) = app.get(&path, Some(&app.admin_key)).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["snapshot_as_of"], latest.to_string());

    // 1,100 older daily snapshots, dated before any the account had: more than a page of rows.
    let first = latest - chrono::Duration::days(5000);
    let old: Vec<Value> = (0..1100)
        .map(|d| {
            json!({"account_id": account, "as_of": (first + chrono::Duration::days(d)).to_string(),
                   "arr": 1000.0, "seats": 10, "active_users": 1})
        })
        .collect();
    app.ingest("account-snapshots", Value::Array(old)).await;
    let (status, after) = app.get(&path, Some(&app.admin_key)).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["snapshot_as_of"], latest.to_string(), "{after}");
    assert_eq!(after["arr"], before["arr"]);
}
both_backends!(
    churn_risk_of_a_long_history,
    an_account_with_years_of_snapshots_is_scored_from_its_latest
);
