//! Values derived from the stored records, kept in memory between requests while the tables
//! they were derived from do not change: each table's records, the CRM copy a forecast reads, a
//! day's forecast, a quarter's KPIs.
//!
//! Every write of CRM records raises the revision of each table it wrote ([`mark_changed_sql`]),
//! from any process that writes to the database (a server, a replica, `revcast import`), so a
//! value computed from some tables at their revisions is served again only while those tables'
//! revisions are unchanged. Reading the revisions is one small query per use. A CRM sync that
//! posts opportunities leaves the kept leads, accounts and KPI records of the other tables in
//! place: only what was written is read again.
//!
//! SQLite raises one counter row per table inside the write transaction (writers are serialized
//! anyway). PostgreSQL takes the next value of one sequence per table, which never makes writers
//! wait: once inside the transaction (should the process die before its commit is followed up)
//! and once after the commit, so a reader that loaded the records between the two bumps cannot
//! keep what it read under the final revision.
//!
//! Values are kept whole, at most [`MAX_SLOTS`] per store; a value is dropped as soon as a
//! table it was derived from is seen to have changed.

use sqlx::AssertSqlSafe;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use super::sql::Dialect;
use super::{on_pool, Pool, Result, Store};
use crate::domain::Record;

/// The most values kept; past it, all are dropped.
const MAX_SLOTS: usize = 64;

/// Every table whose writes are tracked (one revision counter each, see the 0009 migrations).
const TRACKED: [&str; 10] = [
    "leads",
    "opportunities",
    "stage_events",
    "reps",
    "quotas",
    "accounts",
    "account_snapshots",
    "churn_events",
    "spend",
    DEAL_CHANGES,
];

/// A set of tracked tables, one bit each in [`TRACKED`]'s order. A name that is not tracked
/// stands for every table (a value derived from it is kept only while nothing changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Tables(u16);

impl Tables {
    fn of(names: &[&str]) -> Tables {
        let mut bits = 0u16;
        for name in names {
            match TRACKED.iter().position(|t| t == name) {
                Some(i) => bits |= 1 << i,
                None => {
                    debug_assert!(false, "table `{name}` is not tracked");
                    return Tables(u16::MAX);
                }
            }
        }
        Tables(bits)
    }

    /// The sum of these tables' revisions: it rises whenever one of them does.
    fn revision(self, revisions: &Revisions) -> i64 {
        (0..TRACKED.len())
            .filter(|i| self.0 & (1 << i) != 0)
            .map(|i| revisions.0[i])
            .sum()
    }
}

/// Each tracked table's revision, in [`TRACKED`]'s order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revisions([i64; TRACKED.len()]);

struct Slot {
    /// The sum of the revisions of the key's tables when the value was computed.
    revision: i64,
    value: Arc<dyn Any + Send + Sync>,
}

type SlotKey = (TypeId, Tables, String);

/// The values kept for one store (shared by its clones).
#[derive(Default)]
pub(crate) struct Memo {
    slots: Mutex<HashMap<SlotKey, Slot>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Memo {
    fn get<T: Any + Send + Sync>(&self, key: &SlotKey, now: &Revisions) -> Option<Arc<T>> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.get(key)?;
        (slot.revision == key.1.revision(now))
            .then(|| slot.value.clone().downcast::<T>().ok())
            .flatten()
    }

    fn put(&self, key: SlotKey, now: &Revisions, value: Arc<dyn Any + Send + Sync>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        // A value whose tables changed since it was computed is never served again.
        slots.retain(|k, s| s.revision == k.1.revision(now));
        if slots.len() >= MAX_SLOTS && !slots.contains_key(&key) {
            slots.clear();
        }
        let revision = key.1.revision(now);
        slots.insert(key, Slot { revision, value });
    }
}

/// The SQL that raises the revisions of `tables` inside a write transaction. The names are
/// tracked table names (constants of the code, never input).
pub(crate) fn mark_changed_sql(dialect: Dialect, tables: &[&str]) -> String {
    debug_assert!(tables.iter().all(|t| TRACKED.contains(t)), "{tables:?}");
    match dialect {
        Dialect::Sqlite => {
            let names: Vec<String> = tables.iter().map(|t| format!("'{t}'")).collect();
            format!(
                "UPDATE table_revisions SET n = n + 1 WHERE name IN ({})",
                names.join(", ")
            )
        }
        Dialect::Postgres => {
            let next: Vec<String> = tables
                .iter()
                .map(|t| format!("nextval('revision_{t}')"))
                .collect();
            format!("SELECT {}", next.join(", "))
        }
    }
}

/// The sum of the revisions of `tables` (tracked table names): it rises whenever one of them does.
pub(crate) fn revision_of(revisions: &Revisions, tables: &[&str]) -> i64 {
    Tables::of(tables).revision(revisions)
}

/// The table of the deal history (no record type of its own: see [`Store::all_deal_changes`]).
pub const DEAL_CHANGES: &str = "deal_changes";

/// The tables a write of records to `tables` changes, sorted and once each: those tables, and
/// with the opportunities the deal history (an update archives the deal's previous state; the
/// latest state is the deal row).
pub(crate) fn tables_written<'a>(tables: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut written = Vec::new();
    for t in tables {
        if t == "opportunities" {
            written.push(DEAL_CHANGES);
        }
        written.push(t);
    }
    written.sort_unstable();
    written.dedup();
    written
}

impl Store {
    /// Every tracked table's revision.
    pub async fn revisions(&self) -> Result<Revisions> {
        let sql = match self.pool {
            Pool::Sqlite(_) => "SELECT name, n FROM table_revisions".to_string(),
            Pool::Postgres(_) => TRACKED
                .iter()
                .map(|t| {
                    // A fresh sequence reads 1, not called; after its first nextval 1, called.
                    format!(
                        "SELECT '{t}', last_value + CASE WHEN is_called THEN 1 ELSE 0 END \
                         FROM revision_{t}"
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL "),
        };
        let rows: Vec<(String, i64)> =
            on_pool!(self, p => sqlx::query_as(AssertSqlSafe(sql)).fetch_all(p).await?);
        let mut out = [0i64; TRACKED.len()];
        for (name, n) in rows {
            if let Some(i) = TRACKED.iter().position(|t| *t == name) {
                out[i] = n;
            }
        }
        Ok(Revisions(out))
    }

    /// The data revision: the sum of every tracked table's, raised by every write of CRM
    /// records.
    pub async fn data_revision(&self) -> Result<i64> {
        Ok(Tables(u16::MAX).revision(&self.revisions().await?))
    }

    /// After a write of CRM records to `tables` has committed: on PostgreSQL, raises their
    /// revisions once more (see the module's note); on SQLite the transaction's own raise is
    /// enough. The write has committed whatever happens here, so a failure is logged, not
    /// returned: the raise inside the transaction already invalidated what was kept before it.
    pub(crate) async fn after_commit(&self, tables: &[&str]) {
        if let Pool::Postgres(p) = &self.pool {
            let sql = mark_changed_sql(Dialect::Postgres, tables);
            if let Err(e) = sqlx::query(AssertSqlSafe(sql)).execute(p).await {
                tracing::warn!(error = %e, "raising the data revision after a commit");
            }
        }
    }

    /// The value kept under `key` while `tables` are unchanged, or `compute`'s, then kept.
    /// `compute` must read nothing but `tables` (and what never changes). It runs at most once
    /// per call; two callers that miss together both compute.
    pub async fn memoized_on<T, E, F, Fut>(
        &self,
        tables: &[&str],
        key: String,
        compute: F,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
        E: From<super::StoreError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let now = self.revisions().await?;
        let key = (TypeId::of::<T>(), Tables::of(tables), key);
        if let Some(v) = self.memo.get::<T>(&key, &now) {
            return Ok(v);
        }
        let value = Arc::new(compute().await?);
        self.memo.put(key, &now, value.clone());
        Ok(value)
    }

    /// Every stored record of `T`, kept in memory while its table does not change.
    pub async fn kept_all<T: Record>(&self) -> Result<Arc<Vec<T>>> {
        self.memoized_on(&[T::TABLE], String::new(), || self.all::<T>())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{parse_batch, Lead, Record, Rep};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn reps(id: &str) -> Vec<Rep> {
        parse_batch::<Rep>(vec![serde_json::json!({"id": id, "name": "Ann"})]).unwrap()
    }

    fn leads(id: &str) -> Vec<Lead> {
        parse_batch::<Lead>(vec![serde_json::json!({"id": id})]).unwrap()
    }

    /// Counts how often the value kept on the reps table is computed.
    async fn runs_of(store: &Store, runs: &AtomicUsize) -> usize {
        *store
            .memoized_on(&[Rep::TABLE], "k".into(), || async {
                Ok::<_, crate::store::StoreError>(runs.fetch_add(1, Ordering::SeqCst))
            })
            .await
            .unwrap()
    }

    async fn a_value_is_kept_until_a_write_to_its_tables(store: &Store, other: &Store) {
        let runs = AtomicUsize::new(0);
        assert_eq!(runs_of(store, &runs).await, 0);
        assert_eq!(runs_of(store, &runs).await, 0, "kept");
        let r0 = store.data_revision().await.unwrap();
        store.upsert(&leads("L-1")).await.unwrap();
        assert!(store.data_revision().await.unwrap() > r0);
        assert_eq!(
            runs_of(store, &runs).await,
            0,
            "a write to another table keeps it"
        );
        store.upsert(&reps("R-1")).await.unwrap();
        assert_eq!(
            runs_of(store, &runs).await,
            1,
            "computed again after a write"
        );
        // Another handle on the same database (another process): its write counts too.
        other.upsert(&reps("R-2")).await.unwrap();
        assert_eq!(runs_of(store, &runs).await, 2);
        assert_eq!(runs_of(store, &runs).await, 2);
        // A bulk write (an import) raises it at its commit; one dropped unfinished does not.
        let table = crate::store::BulkTable {
            table: Rep::TABLE,
            columns: Rep::COLUMNS,
            key: Rep::KEY_COLUMNS,
        };
        let rep = |id: &str| {
            let r = reps(id);
            vec![(r[0].key(), r[0].to_values())]
        };
        let mut dropped = store.begin_bulk(&[table]).await.unwrap();
        dropped.write(0, rep("R-3")).await.unwrap();
        drop(dropped);
        assert_eq!(runs_of(store, &runs).await, 2);
        let mut bulk = store.begin_bulk(&[table]).await.unwrap();
        bulk.write(0, rep("R-4")).await.unwrap();
        bulk.commit().await.unwrap();
        assert_eq!(runs_of(store, &runs).await, 3);
        // A table's records are kept the same way, and read again after a write to it.
        let kept = store.kept_all::<Rep>().await.unwrap();
        assert_eq!(kept.len(), 3);
        assert!(Arc::ptr_eq(&kept, &store.kept_all::<Rep>().await.unwrap()));
        other.upsert(&reps("R-5")).await.unwrap();
        assert_eq!(store.kept_all::<Rep>().await.unwrap().len(), 4);
    }

    #[tokio::test]
    async fn a_value_is_kept_until_a_write_to_its_tables_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("memo.db").display());
        let store = Store::connect(&url).await.unwrap();
        let other = Store::connect(&url).await.unwrap();
        a_value_is_kept_until_a_write_to_its_tables(&store, &other).await;
    }

    #[tokio::test]
    async fn a_value_is_kept_until_a_write_to_its_tables_on_postgres() {
        let Some(url) = crate::store::tests::fresh_postgres_url().await else {
            return;
        };
        let store = Store::connect(&url).await.unwrap();
        let other = Store::connect(&url).await.unwrap();
        a_value_is_kept_until_a_write_to_its_tables(&store, &other).await;
    }

    #[test]
    fn the_revision_of_a_set_of_tables_rises_with_any_of_them() {
        let t = Tables::of(&["reps", "leads"]);
        let mut r = Revisions([1; TRACKED.len()]);
        let before = t.revision(&r);
        r.0[TRACKED.iter().position(|n| *n == "quotas").unwrap()] += 1;
        assert_eq!(t.revision(&r), before, "another table");
        r.0[TRACKED.iter().position(|n| *n == "reps").unwrap()] += 1;
        assert!(t.revision(&r) > before);
    }
}
