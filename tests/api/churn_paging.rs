//! The churn-risk list, filtered and paged by the database: small pages walk the same list a
//! single large page gives, in its order, and every entry passes the filters.

use serde_json::Value;

use crate::both_backends;
use crate::helpers::TestApp;
use crate::models::{load_with_book, small_world, train};

async fn list(app: &TestApp, query: &str) -> Value {
    let (status, body) = app
        .get(&format!("/v1/churn-risk?{query}"), Some(&app.admin_key))
        .await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account_id"].as_str().unwrap().to_string())
        .collect()
}

/// Follows `next_after` from the first page of `limit` entries to the last.
async fn walk(app: &TestApp, filters: &str, limit: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let cursor = after.map(|a| format!("&after={a}")).unwrap_or_default();
        let page = list(app, &format!("limit={limit}{filters}{cursor}")).await;
        let got = ids(&page);
        assert!(got.len() <= limit as usize, "{page}");
        out.extend(got);
        match page["next_after"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => return out,
        }
    }
    panic!("{filters}: the list does not end");
}

async fn small_pages_walk_the_whole_filtered_list_in_order(app: &TestApp) {
    let w = small_world();
    load_with_book(app, &w).await;
    train(app, "churn").await;
    let mut book = Value::Null;
    for _ in 0..100 {
        book = list(app, "limit=1000").await;
        if book["data"].as_array().is_some_and(|d| d.len() > 40) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let entries = book["data"].as_array().unwrap();
    assert!(book["next_after"].is_null(), "the book fits one page");
    let segment = entries[0]["segment"].as_str().unwrap().to_string();
    let mut arrs: Vec<f64> = entries.iter().map(|r| r["arr"].as_f64().unwrap()).collect();
    arrs.sort_by(f64::total_cmp);
    let median_arr = arrs[arrs.len() / 2];
    let today = chrono::Utc::now().date_naive();

    for filters in [
        String::new(),
        "&order=probability".to_string(),
        format!("&segment={segment}"),
        format!("&min_arr={median_arr}&order=probability"),
        "&renewal_within_days=200".to_string(),
    ] {
        let whole = list(app, &format!("limit=1000{filters}")).await;
        let rows = whole["data"].as_array().unwrap();
        assert!(rows.len() > 5, "{filters}: {} entries", rows.len());
        assert_eq!(walk(app, &filters, 7).await, ids(&whole), "{filters}");

        let by_probability = filters.contains("order=probability");
        let key = |r: &Value| {
            let field = if by_probability {
                "probability"
            } else {
                "revenue_at_risk"
            };
            (
                r[field].as_f64().unwrap(),
                r["account_id"].as_str().unwrap().to_string(),
            )
        };
        for pair in rows.windows(2) {
            let (a, b) = (key(&pair[0]), key(&pair[1]));
            assert!(
                a.0 > b.0 || (a.0 == b.0 && a.1 < b.1),
                "{filters}: {a:?} then {b:?}"
            );
        }
        for r in rows {
            if filters.contains("segment=") {
                assert_eq!(r["segment"], segment.as_str(), "{r}");
            }
            if filters.contains("min_arr=") {
                assert!(r["arr"].as_f64().unwrap() >= median_arr, "{r}");
            }
            if filters.contains("renewal_within_days=") {
                let day: chrono::NaiveDate = r["renewal_date"].as_str().unwrap().parse().unwrap();
                assert!(day >= today && (day - today).num_days() <= 200, "{r}");
            }
        }
    }
    // The filters left entries out, and put back every one that passes them.
    let rich = list(app, &format!("limit=1000&min_arr={median_arr}")).await;
    let want = entries
        .iter()
        .filter(|r| r["arr"].as_f64().unwrap() >= median_arr)
        .count();
    assert_eq!(ids(&rich).len(), want);
    assert!(want < entries.len());

    // A cursor that is not on the filtered list ends it.
    let gone = list(app, "limit=10&after=no-such-account").await;
    assert_eq!(ids(&gone), Vec::<String>::new());
    assert!(gone["next_after"].is_null());
}
both_backends!(
    churn_list_paging,
    small_pages_walk_the_whole_filtered_list_in_order
);
