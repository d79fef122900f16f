use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{error_of, TestApp};
use crate::models::{load_with_book, small_world, train};

async fn accounts_are_ranked_by_revenue_at_risk_with_their_drivers(app: &TestApp) {
    let w = small_world();
    load_with_book(app, &w).await;
    let (status, body) = app
        .get(
            &format!("/v1/accounts/{}/churn-risk", w.snapshots[0].account_id),
            Some(&app.admin_key),
        )
        .await;
    error_of(status, &body, 409, "no_active_model");
    let job = train(app, "churn").await;
    let version = job["result"]["version"].as_str().unwrap().to_string();

    let mut page = Value::Null;
    for _ in 0..100 {
        let (status, body) = app
            .get("/v1/churn-risk?limit=25", Some(&app.admin_key))
            .await;
        assert_eq!(status, 200, "{body}");
        page = body;
        if page["data"].as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rows = page["data"].as_array().expect("a list");
    assert_eq!(rows.len(), 25, "{page}");
    let at_risk: Vec<f64> = rows
        .iter()
        .map(|r| r["revenue_at_risk"].as_f64().unwrap())
        .collect();
    assert!(
        at_risk.windows(2).all(|w| w[0] >= w[1]),
        "by revenue at risk: {at_risk:?}"
    );
    for r in rows {
        let p = r["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert!(
            (r["revenue_at_risk"].as_f64().unwrap() - p * r["arr"].as_f64().unwrap()).abs() < 1e-6
        );
        assert_eq!(r["model_version"], version.as_str());
    }
    assert!(rows
        .iter()
        .any(|r| r["drivers"].as_array().is_some_and(|d| !d.is_empty())));
    let churned: std::collections::HashSet<String> = w
        .churn_events
        .iter()
        .map(|e| e.account_id.to_string())
        .collect();
    let latest_churn_after_snapshot = rows
        .iter()
        .filter(|r| churned.contains(r["account_id"].as_str().unwrap()))
        .count();
    assert!(latest_churn_after_snapshot <= rows.len());

    let next = page["next_after"].as_str().unwrap();
    let (_, second) = app
        .get(
            &format!("/v1/churn-risk?limit=25&after={next}"),
            Some(&app.admin_key),
        )
        .await;
    let first_ids: Vec<&str> = rows
        .iter()
        .map(|r| r["account_id"].as_str().unwrap())
        .collect();
    assert!(second["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| !first_ids.contains(&r["account_id"].as_str().unwrap())));

    let (_, by_p) = app
        .get(
            "/v1/churn-risk?limit=10&order=probability",
            Some(&app.admin_key),
        )
        .await;
    let ps: Vec<f64> = by_p["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["probability"].as_f64().unwrap())
        .collect();
    assert!(ps.windows(2).all(|w| w[0] >= w[1]), "{ps:?}");
    let (_, rich) = app
        .get(
            "/v1/churn-risk?limit=1000&min_arr=50000",
            Some(&app.admin_key),
        )
        .await;
    assert!(rich["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["arr"].as_f64().unwrap() >= 50000.0));

    // One account scored now from its whole history gives what the book's refresh gave from
    // its last 180 days of snapshots.
    for row in rows.iter().take(10) {
        let one = row["account_id"].as_str().unwrap();
        let (status, r) = app
            .get(
                &format!("/v1/accounts/{one}/churn-risk"),
                Some(&app.admin_key),
            )
            .await;
        assert_eq!(status, 200, "{r}");
        let (now, book) = (r["probability"].as_f64(), row["probability"].as_f64());
        assert!(
            (now.unwrap() - book.unwrap()).abs() < 1e-9,
            "{one}: {r} vs {row}"
        );
    }
    for bad in [
        "/v1/churn-risk?order=vibes",
        "/v1/churn-risk?min_arr=-1",
        "/v1/churn-risk?limit=0",
    ] {
        let (status, body) = app.get(bad, Some(&app.admin_key)).await;
        error_of(status, &body, 400, "bad_request");
    }
}
both_backends!(
    churn_risk,
    accounts_are_ranked_by_revenue_at_risk_with_their_drivers
);

/// Rescoring the book reads each account's recent snapshots only, and the first date of each.
async fn the_book_is_rescored_from_recent_snapshots(app: &TestApp) {
    let snap =
        |account: &str, as_of: &str| json!({"account_id": account, "as_of": as_of, "arr": 1000});
    app.ingest(
        "account-snapshots",
        json!([
            snap("A", "2024-01-31"),
            snap("A", "2025-06-30"),
            snap("A", "2025-09-30"),
            snap("A", "2025-12-31"),
            // B's latest is older than A's: its window is its own.
            snap("B", "2023-01-31"),
            snap("B", "2023-05-31"),
            snap("B", "2023-07-31"),
        ]),
    )
    .await;
    let recent = app.store.recent_snapshots(180).await.unwrap();
    let got: Vec<(String, String)> = recent
        .iter()
        .map(|s| (s.account_id.to_string(), s.as_of.to_string()))
        .collect();
    let want = [
        ("A", "2025-09-30"),
        ("A", "2025-12-31"),
        ("B", "2023-05-31"),
        ("B", "2023-07-31"),
    ];
    let mut got = got;
    got.sort();
    assert_eq!(
        got,
        want.map(|(a, d)| (a.to_string(), d.to_string())).to_vec()
    );
    // 2025-06-30 is 184 days before 2025-12-31; 2023-01-31 is 181 days before 2023-07-31.
    let first = app.store.first_snapshot_dates().await.unwrap();
    assert_eq!(first["A"].to_string(), "2024-01-31");
    assert_eq!(first["B"].to_string(), "2023-01-31");
    assert_eq!(first.len(), 2);
}

both_backends!(
    churn_recent_snapshots,
    the_book_is_rescored_from_recent_snapshots
);
