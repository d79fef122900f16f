//! The bulk write (imports) on both backends: awkward text survives exactly, an upsert over
//! stored rows counts and writes as the ordinary upsert does, and a write that fails midway
//! leaves nothing (on PostgreSQL the rows travel by `COPY` through a staging table).

use super::{BulkTable, Store, UpsertCounts};
use crate::domain::{parse_batch, Opportunity, Record, StageEvent};

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("b.db").display());
    (Store::connect(&url).await.unwrap(), dir)
}

async fn postgres() -> Option<Store> {
    super::tests::fresh_postgres().await
}

fn table<T: Record>() -> BulkTable {
    BulkTable {
        table: T::TABLE,
        columns: T::COLUMNS,
        key: T::KEY_COLUMNS,
    }
}

fn counts(received: u64, inserted: u64, updated: u64, unchanged: u64) -> UpsertCounts {
    UpsertCounts {
        received,
        inserted,
        updated,
        unchanged,
    }
}

fn deals(rows: serde_json::Value) -> Vec<Opportunity> {
    parse_batch::<Opportunity>(rows.as_array().unwrap().clone()).unwrap()
}

fn cells<T: Record>(rows: &[T]) -> Vec<(String, Vec<crate::domain::SqlValue>)> {
    rows.iter().map(|r| (r.key(), r.to_values())).collect()
}

/// Text COPY reads specially, and text it does not, in every kind of cell that holds text.
fn awkward() -> Vec<Opportunity> {
    deals(serde_json::json!([
        {"id": "back\\slash \\N", "stage": "a\\b \\N \\. end\\\ttab\nline",
         "product": "cr\rlf\r\n", "forecast_category": "\"quoted\", 'single'; ,",
         "attributes": {"note": "x\ty\\z\n", "ünï": "√ 𝄞 ✓", "n": 1.5, "deep": {"a": [1, null]}}},
        {"id": "plain", "stage": "Won", "won": true, "amount": 0.1,
         "created_at": "2024-01-02T03:04:05.123456Z", "closed_at": "2024-02-29T23:59:59Z",
         "expected_close_date": "1900-01-01", "attributes": {}},
        {"id": "ünïcode ✓", "stage": "Negotiation", "amount": 999999999999999.9,
         "account_id": "a,b;c|d", "type": "renewal"}
    ]))
}

async fn bulk_write_all(store: &Store, rows: &[Opportunity]) -> UpsertCounts {
    let mut w = store.begin_bulk(&[table::<Opportunity>()]).await.unwrap();
    w.write(0, cells(rows)).await.unwrap();
    w.commit().await.unwrap()[0]
}

async fn awkward_text_survives_exactly(store: &Store) {
    let rows = awkward();
    let written = bulk_write_all(store, &rows).await;
    assert_eq!(written, counts(3, 3, 0, 0));
    for r in &rows {
        let back = store.get::<Opportunity>(&r.key()).await.unwrap();
        assert_eq!(back.as_ref(), Some(r), "{}", r.key());
    }
}

/// The same upserts through the bulk write and through the ordinary upsert, over the same
/// stored rows, count alike and leave the same rows.
async fn upsert_over_stored_rows_matches_the_ordinary_upsert(bulk: &Store, plain: &Store) {
    let first = deals(serde_json::json!([
        {"id": "D1", "stage": "Open", "amount": 10},
        {"id": "D2", "stage": "Open", "amount": 20},
        {"id": "D3", "stage": "Open", "amount": 30, "attributes": {"k": "v"}}
    ]));
    let second = deals(serde_json::json!([
        {"id": "D1", "stage": "Open", "amount": 10},
        {"id": "D2", "stage": "Proposal", "amount": 20},
        {"id": "D3", "stage": "Open", "amount": 30, "attributes": {"k": "w"}},
        {"id": "D4", "stage": "Open"}
    ]));
    plain.upsert(&first).await.unwrap();
    let expected = plain.upsert(&second).await.unwrap();
    assert_eq!(expected, counts(4, 1, 2, 1));
    bulk_write_all(bulk, &first).await;
    assert_eq!(bulk_write_all(bulk, &second).await, expected);
    assert_eq!(
        bulk.all::<Opportunity>().await.unwrap(),
        plain.all::<Opportunity>().await.unwrap()
    );
}

/// A deal's history as (amount, stage, owner) per state, oldest first, after checking that the
/// moments never go back.
async fn states(store: &Store, id: &str) -> Vec<(Option<f64>, String, Option<String>)> {
    let changes = store.deal_history(id).await.unwrap();
    for pair in changes.windows(2) {
        assert!(pair[0].changed_at <= pair[1].changed_at, "{changes:?}");
    }
    changes
        .into_iter()
        .map(|c| {
            assert_eq!(c.opportunity_id.as_str(), id);
            (
                c.amount.map(crate::domain::Money::get),
                c.stage,
                c.owner_id.map(|o| o.as_str().to_string()),
            )
        })
        .collect()
}

/// Three rounds of writes through the bulk write and through the ordinary upsert record the same
/// deal history: a state per new deal, one more per change of a tracked field, none for a write
/// that changes nothing or only an untracked field; read one deal at a time and all at once.
async fn history_matches_the_ordinary_upsert(bulk: &Store, plain: &Store) {
    let rounds = [
        serde_json::json!([
            {"id": "D1", "stage": "Open", "amount": 10, "owner_id": "R1"},
            {"id": "D2", "stage": "Open", "amount": 20},
            {"id": "D3", "stage": "Open", "amount": 30}
        ]),
        serde_json::json!([
            {"id": "D1", "stage": "Open", "amount": 10, "owner_id": "R1"},
            {"id": "D2", "stage": "Proposal", "amount": 20},
            {"id": "D3", "stage": "Open", "amount": 30, "product": "untracked"},
            {"id": "D4", "stage": "Open"}
        ]),
        serde_json::json!([
            {"id": "D1", "stage": "Open", "amount": 15, "owner_id": "R2"},
            {"id": "D2", "stage": "Won", "amount": 25},
            {"id": "D4", "stage": "Open"}
        ]),
    ];
    for round in &rounds {
        let rows = deals(round.clone());
        plain.upsert(&rows).await.unwrap();
        bulk_write_all(bulk, &rows).await;
    }
    let s = |stage: &str| stage.to_string();
    let r = |owner: &str| Some(owner.to_string());
    let expected = [
        (
            "D1",
            vec![
                (Some(10.0), s("Open"), r("R1")),
                (Some(15.0), s("Open"), r("R2")),
            ],
        ),
        (
            "D2",
            vec![
                (Some(20.0), s("Open"), None),
                (Some(20.0), s("Proposal"), None),
                (Some(25.0), s("Won"), None),
            ],
        ),
        ("D3", vec![(Some(30.0), s("Open"), None)]),
        ("D4", vec![(None, s("Open"), None)]),
    ];
    for (id, want) in &expected {
        assert_eq!(&states(plain, id).await, want, "{id}, ordinary upsert");
        assert_eq!(&states(bulk, id).await, want, "{id}, bulk write");
    }
    assert!(bulk.deal_history("D9").await.unwrap().is_empty());
    let all = |changes: Vec<crate::domain::DealChange>| -> Vec<(String, Option<f64>, String)> {
        changes
            .into_iter()
            .map(|c| {
                (
                    c.opportunity_id.as_str().to_string(),
                    c.amount.map(crate::domain::Money::get),
                    c.stage,
                )
            })
            .collect()
    };
    let everything = all(bulk.all_deal_changes().await.unwrap());
    assert_eq!(everything, all(plain.all_deal_changes().await.unwrap()));
    let mut want = Vec::new();
    for (id, states) in &expected {
        for (amount, stage, _) in states {
            want.push((id.to_string(), *amount, stage.clone()));
        }
    }
    assert_eq!(everything, want);
}

/// A write whose second chunk the database refuses (a stage event's required stage is null)
/// rolls back the first chunk too, in both tables.
async fn a_failure_midway_writes_nothing(store: &Store) {
    let events = parse_batch::<StageEvent>(vec![serde_json::json!(
        {"opportunity_id": "D1", "stage": "Won", "entered_at": "2024-03-01"}
    )])
    .unwrap();
    let mut bad = cells(&events);
    bad[0].1[1] = crate::domain::SqlValue::Text(None);
    let mut w = store
        .begin_bulk(&[table::<Opportunity>(), table::<StageEvent>()])
        .await
        .unwrap();
    w.write(0, cells(&awkward())).await.unwrap();
    w.write(1, cells(&events)).await.unwrap();
    let failed = async {
        w.write(1, bad).await?;
        w.commit().await
    };
    assert!(failed.await.is_err());
    assert!(store.all::<Opportunity>().await.unwrap().is_empty());
    assert!(store.all::<StageEvent>().await.unwrap().is_empty());
}

/// SQLite: the indexes of the deals' table, as (name, statement).
async fn sqlite_indexes(store: &Store) -> Vec<(String, Option<String>)> {
    let super::Pool::Sqlite(p) = &store.pool else {
        unreachable!()
    };
    sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'opportunities' \
         ORDER BY name",
    )
    .fetch_all(p)
    .await
    .unwrap()
}

/// SQLite drops the plain indexes of a table that a bulk write more than refills and builds them
/// again before it commits: after a write they are all there and whole, the rows found through
/// them; after a failed write they are all there too.
async fn indexes_are_rebuilt_whole(store: &Store) {
    let before = sqlite_indexes(store).await;
    assert!(
        before
            .iter()
            .any(|(n, _)| n == "opportunities_owner_id_idx"),
        "{before:?}"
    );
    let rows: Vec<Opportunity> = (0..3000)
        .map(|i| {
            let owner = format!("R{}", i % 7);
            deals(serde_json::json!([{"id": format!("D{i}"), "stage": "Open", "owner_id": owner}]))
                .remove(0)
        })
        .collect();
    let mut w = store.begin_bulk(&[table::<Opportunity>()]).await.unwrap();
    w.write(0, cells(&rows[..1000])).await.unwrap();
    drop(w);
    assert_eq!(
        sqlite_indexes(store).await,
        before,
        "after a write dropped unfinished"
    );
    for chunk in rows.chunks(1000) {
        let mut w = store.begin_bulk(&[table::<Opportunity>()]).await.unwrap();
        w.write(0, cells(chunk)).await.unwrap();
        w.commit().await.unwrap();
    }
    assert_eq!(sqlite_indexes(store).await, before, "after written");
    let super::Pool::Sqlite(p) = &store.pool else {
        unreachable!()
    };
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM opportunities WHERE owner_id = 'R3'",
    )
    .fetch_all(p)
    .await
    .unwrap();
    assert!(
        plan.iter()
            .any(|r| r.3.contains("opportunities_owner_id_idx")),
        "{plan:?}"
    );
    let by_owner: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM opportunities WHERE owner_id = 'R3'")
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(by_owner, (0..3000).filter(|i| i % 7 == 3).count() as i64);
}

#[tokio::test]
async fn bulk_writes_on_sqlite() {
    let (store, _dir) = sqlite().await;
    awkward_text_survives_exactly(&store).await;
    let (bulk, _d1) = sqlite().await;
    let (plain, _d2) = sqlite().await;
    upsert_over_stored_rows_matches_the_ordinary_upsert(&bulk, &plain).await;
    let (store, _d3) = sqlite().await;
    a_failure_midway_writes_nothing(&store).await;
    let (bulk, _d4) = sqlite().await;
    let (plain, _d5) = sqlite().await;
    history_matches_the_ordinary_upsert(&bulk, &plain).await;
    let (store, _d6) = sqlite().await;
    indexes_are_rebuilt_whole(&store).await;
}

#[tokio::test]
async fn bulk_writes_by_copy_on_postgres() {
    let Some(store) = postgres().await else {
        return;
    };
    awkward_text_survives_exactly(&store).await;
    let (bulk, plain) = (postgres().await.unwrap(), postgres().await.unwrap());
    upsert_over_stored_rows_matches_the_ordinary_upsert(&bulk, &plain).await;
    a_failure_midway_writes_nothing(&postgres().await.unwrap()).await;
    let (bulk, plain) = (postgres().await.unwrap(), postgres().await.unwrap());
    history_matches_the_ordinary_upsert(&bulk, &plain).await;
}
