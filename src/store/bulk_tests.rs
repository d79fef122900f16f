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

#[tokio::test]
async fn bulk_writes_on_sqlite() {
    let (store, _dir) = sqlite().await;
    awkward_text_survives_exactly(&store).await;
    let (bulk, _d1) = sqlite().await;
    let (plain, _d2) = sqlite().await;
    upsert_over_stored_rows_matches_the_ordinary_upsert(&bulk, &plain).await;
    let (store, _d3) = sqlite().await;
    a_failure_midway_writes_nothing(&store).await;
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
}
