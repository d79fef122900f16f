//! The composite-key migration (0003) rewrites the keys that older versions joined without
//! escaping, so that every stored id is again the record's key.

use sqlx::AssertSqlSafe;

use super::Store;
use crate::domain::{AccountSnapshot, ChurnEvent, Quota, Record, Spend, StageEvent};

/// Puts a migrated database back in the state 0003 found: the old indexes, and ids joined with a
/// bare `|` (`set_ids` gives each table's old ids by its rows' fields).
const BEFORE_0003: &str = "
DROP INDEX stage_events_key; DROP INDEX account_snapshots_key; DROP INDEX churn_events_key;
DROP INDEX quotas_key; DROP INDEX spend_key;
CREATE INDEX stage_events_opportunity_id_idx ON stage_events (opportunity_id);
CREATE INDEX account_snapshots_account_id_idx ON account_snapshots (account_id);
CREATE INDEX churn_events_account_id_idx ON churn_events (account_id);
CREATE INDEX quotas_rep_id_idx ON quotas (rep_id);
UPDATE stage_events SET id = 'COLL|A|B|2026-03-01T10:00:00Z' WHERE opportunity_id = 'COLL|A';
UPDATE stage_events SET id = 'back\\slash|Won|2026-03-02T00:00:00Z' WHERE stage = 'Won';
UPDATE account_snapshots SET id = 'A|1|2026-01-31';
UPDATE churn_events SET id = 'A|1|2026-02-15';
UPDATE quotas SET id = 'R|7|2026-Q1';
UPDATE spend SET id = '2026-Q1|paid|search';
";

async fn migrate_old_keys(store: &Store) {
    let rows = serde_json::json!({
        "stage": [
            {"opportunity_id": "COLL|A", "stage": "B", "entered_at": "2026-03-01T10:00:00Z"},
            {"opportunity_id": "plain", "stage": "Proposal", "entered_at": "2026-03-01T10:00:00Z"},
            {"opportunity_id": "back\\slash", "stage": "Won", "entered_at": "2026-03-02T00:00:00Z"}],
        "snap": [{"account_id": "A|1", "as_of": "2026-01-31", "arr": 10}],
        "churn": [{"account_id": "A|1", "churned_at": "2026-02-15"}],
        "quota": [{"rep_id": "R|7", "period": "2026-Q1", "amount": 5}],
        "spend": [{"period": "2026-Q1", "channel": "paid|search", "amount": 3}]
    });
    let parse = |k: &str| rows[k].as_array().unwrap().clone();
    store
        .upsert(&crate::domain::parse_batch::<StageEvent>(parse("stage")).unwrap())
        .await
        .unwrap();
    store
        .upsert(&crate::domain::parse_batch::<AccountSnapshot>(parse("snap")).unwrap())
        .await
        .unwrap();
    store
        .upsert(&crate::domain::parse_batch::<ChurnEvent>(parse("churn")).unwrap())
        .await
        .unwrap();
    store
        .upsert(&crate::domain::parse_batch::<Quota>(parse("quota")).unwrap())
        .await
        .unwrap();
    store
        .upsert(&crate::domain::parse_batch::<Spend>(parse("spend")).unwrap())
        .await
        .unwrap();

    let migration = match store.backend() {
        "sqlite" => include_str!("migrations/sqlite/0003_composite_keys.sql"),
        _ => include_str!("migrations/postgres/0003_composite_keys.sql"),
    };
    on_pool!(store, p => {
        sqlx::raw_sql(AssertSqlSafe(BEFORE_0003)).execute(p).await.unwrap();
        let old = store.get::<StageEvent>("COLL|A|B|2026-03-01T10:00:00Z").await.unwrap();
        assert!(old.is_some(), "the old key is in place before the migration");
        sqlx::raw_sql(AssertSqlSafe(migration)).execute(p).await.unwrap();
    });

    let mut keys = Vec::new();
    for (id, r) in store
        .page::<StageEvent>(None, 100, None)
        .await
        .unwrap()
        .items
    {
        assert_eq!(id, r.key());
        keys.push(id);
    }
    keys.sort();
    assert_eq!(
        keys,
        [
            "COLL\\|A|B|2026-03-01T10:00:00Z",
            "back\\\\slash|Won|2026-03-02T00:00:00Z",
            "plain|Proposal|2026-03-01T10:00:00Z"
        ]
    );
    check_keys::<AccountSnapshot>(store, "A\\|1|2026-01-31").await;
    check_keys::<ChurnEvent>(store, "A\\|1|2026-02-15").await;
    check_keys::<Quota>(store, "R\\|7|2026-Q1").await;
    check_keys::<Spend>(store, "2026-Q1|paid\\|search").await;
}

async fn check_keys<T: Record>(store: &Store, expected: &str) {
    let page = store.page::<T>(None, 10, None).await.unwrap();
    let ids: Vec<&str> = page.items.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, [expected], "{}", T::TABLE);
    assert_eq!(page.items[0].1.key(), expected);
}

#[tokio::test]
async fn old_keys_with_a_separator_inside_are_rewritten_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("revcast_mig_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("m.db").display());
    let store = Store::connect(&url).await.unwrap();
    migrate_old_keys(&store).await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh, migrated database on the test PostgreSQL server (`REVCAST_TEST_DATABASE_URL`);
/// None, saying so, when it is not set.
pub(super) async fn fresh_postgres() -> Option<Store> {
    let Ok(base) = std::env::var("REVCAST_TEST_DATABASE_URL") else {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run");
        return None;
    };
    let name = format!("revcast_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Store::connect_lazy(&base).unwrap();
    admin.create_database(&name).await.unwrap();
    admin.close().await;
    let url = match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => base,
    };
    Some(Store::connect(&url).await.unwrap())
}

#[tokio::test]
async fn old_keys_with_a_separator_inside_are_rewritten_on_postgres() {
    let Some(store) = fresh_postgres().await else {
        return;
    };
    migrate_old_keys(&store).await;
    store.close().await;
}
