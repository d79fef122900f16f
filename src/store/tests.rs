//! Migrations over data already stored: the composite-key migration (0003) rewrites the keys that
//! older versions joined without escaping, so that every stored id is again the record's key; the
//! deal-history migration (0008) keeps the history recorded before it.

use sqlx::AssertSqlSafe;

use super::Store;
use crate::domain::{AccountSnapshot, ChurnEvent, Opportunity, Quota, Record, Spend, StageEvent};

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
    let url = fresh_postgres_url().await?;
    Some(Store::connect(&url).await.unwrap())
}

/// The URL of a fresh database on the test PostgreSQL server, or None as [`fresh_postgres`].
pub(super) async fn fresh_postgres_url() -> Option<String> {
    let Ok(base) = std::env::var("REVCAST_TEST_DATABASE_URL") else {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run");
        return None;
    };
    let name = format!("revcast_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Store::connect_lazy(&base).unwrap();
    admin.create_database(&name).await.unwrap();
    admin.close().await;
    Some(match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => base,
    })
}

#[tokio::test]
async fn old_keys_with_a_separator_inside_are_rewritten_on_postgres() {
    let Some(store) = fresh_postgres().await else {
        return;
    };
    migrate_old_keys(&store).await;
    store.close().await;
}

/// The migrations before 0008, in order, for a database in the state 0008 finds; then 0009's
/// revision counters (which the code's writes raise; 0008 does not touch them).
fn migrations_before_0008(backend: &str) -> [&'static str; 8] {
    macro_rules! files {
        ($dir:literal) => {
            [
                include_str!(concat!("migrations/", $dir, "/0001_crm.sql")),
                include_str!(concat!("migrations/", $dir, "/0002_models.sql")),
                include_str!(concat!("migrations/", $dir, "/0003_composite_keys.sql")),
                include_str!(concat!("migrations/", $dir, "/0004_readiness.sql")),
                include_str!(concat!("migrations/", $dir, "/0005_deal_history.sql")),
                include_str!(concat!("migrations/", $dir, "/0006_data_revision.sql")),
                include_str!(concat!("migrations/", $dir, "/0007_backtests.sql")),
                include_str!(concat!("migrations/", $dir, "/0009_table_revisions.sql")),
            ]
        };
    }
    match backend {
        "sqlite" => files!("sqlite"),
        _ => files!("postgres"),
    }
}

/// A deal's history as (amount, stage), oldest first.
async fn amounts(store: &Store, id: &str) -> Vec<(Option<f64>, String)> {
    let changes = store.deal_history(id).await.unwrap();
    for pair in changes.windows(2) {
        assert!(pair[0].changed_at <= pair[1].changed_at, "{changes:?}");
    }
    changes
        .into_iter()
        .map(|c| (c.amount.map(crate::domain::Money::get), c.stage))
        .collect()
}

/// 0008 keeps the history recorded before it (whole rows per state, 0005's triggers): the same
/// answers after it as before, and a deal's next changes follow on in order.
async fn history_survives_0008(store: &Store) {
    let old = migrations_before_0008(store.backend());
    let deals = |rows: serde_json::Value| {
        crate::domain::parse_batch::<Opportunity>(rows.as_array().unwrap().clone()).unwrap()
    };
    on_pool!(store, p => {
        for m in old {
            sqlx::raw_sql(AssertSqlSafe(m)).execute(p).await.unwrap();
        }
    });
    store
        .upsert(&deals(serde_json::json!([
            {"id": "A", "stage": "Open", "amount": 10},
            {"id": "B", "stage": "Open", "amount": 5}
        ])))
        .await
        .unwrap();
    store
        .upsert(&deals(
            serde_json::json!([{"id": "A", "stage": "Open", "amount": 20}]),
        ))
        .await
        .unwrap();
    // Read as the code before 0008 read it.
    let before: Vec<(String, Option<f64>, String)> = on_pool!(store, p => {
        sqlx::query_as(
            "SELECT opportunity_id, amount, stage FROM deal_changes \
             ORDER BY opportunity_id, changed_at, seq",
        )
        .fetch_all(p)
        .await
        .unwrap()
    });
    let s = |stage: &str| stage.to_string();
    let a = |amount: f64| ("A".to_string(), Some(amount), s("Open"));
    assert_eq!(
        before,
        [a(10.0), a(20.0), ("B".to_string(), Some(5.0), s("Open"))]
    );

    let migration = match store.backend() {
        "sqlite" => include_str!("migrations/sqlite/0008_deal_history_latest.sql"),
        _ => include_str!("migrations/postgres/0008_deal_history_latest.sql"),
    };
    on_pool!(store, p => {
        sqlx::raw_sql(AssertSqlSafe(migration)).execute(p).await.unwrap();
    });
    let after: Vec<(String, Option<f64>, String)> = store
        .all_deal_changes()
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            let id = c.opportunity_id.as_str().to_string();
            (id, c.amount.map(crate::domain::Money::get), c.stage)
        })
        .collect();
    assert_eq!(after, before);
    assert_eq!(store.all::<Opportunity>().await.unwrap().len(), 2);

    // A stored deal changes twice, an untouched one not at all, a new one arrives and changes.
    store
        .upsert(&deals(serde_json::json!([
            {"id": "A", "stage": "Won", "amount": 30},
            {"id": "C", "stage": "Open", "amount": 1}
        ])))
        .await
        .unwrap();
    store
        .upsert(&deals(serde_json::json!([
            {"id": "A", "stage": "Won", "amount": 35},
            {"id": "C", "stage": "Open", "amount": 2}
        ])))
        .await
        .unwrap();
    assert_eq!(
        amounts(store, "A").await,
        [
            (Some(10.0), s("Open")),
            (Some(20.0), s("Open")),
            (Some(30.0), s("Won")),
            (Some(35.0), s("Won"))
        ]
    );
    assert_eq!(amounts(store, "B").await, [(Some(5.0), s("Open"))]);
    assert_eq!(
        amounts(store, "C").await,
        [(Some(1.0), s("Open")), (Some(2.0), s("Open"))]
    );
    assert_eq!(store.all_deal_changes().await.unwrap().len(), 7);
}

#[tokio::test]
async fn deal_history_survives_migration_0008_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("h.db").display());
    let store = Store::connect_lazy(&url).unwrap();
    history_survives_0008(&store).await;
    store.close().await;
}

#[tokio::test]
async fn deal_history_survives_migration_0008_on_postgres() {
    let Ok(base) = std::env::var("REVCAST_TEST_DATABASE_URL") else {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run");
        return;
    };
    let name = format!("revcast_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Store::connect_lazy(&base).unwrap();
    admin.create_database(&name).await.unwrap();
    admin.close().await;
    let (head, _) = base.rsplit_once('/').unwrap();
    let store = Store::connect_lazy(&format!("{head}/{name}")).unwrap();
    history_survives_0008(&store).await;
    store.close().await;
}
