//! Values derived from the stored records, kept in memory between requests while the records
//! do not change: the CRM copy a forecast reads, a day's forecast, a quarter's KPIs.
//!
//! Every write of CRM records raises the data revision ([`mark_changed_sql`]), from any process that
//! writes to the database (a server, a replica, `revcast import`), so a value computed at
//! revision r is served again only while the revision is still r. Reading the revision is one
//! small query per use.
//!
//! SQLite raises a one-row counter inside the write transaction (writers are serialized
//! anyway). PostgreSQL takes the next value of a sequence, which never makes writers wait: once
//! inside the transaction (should the process die before its commit is followed up) and once
//! after the commit, so a reader that loaded the records between the two bumps cannot keep
//! what it read under the final revision.
//!
//! Values are kept whole (the CRM copy as a forecast or the KPIs load it anyway), at most
//! [`MAX_SLOTS`] per store; the first value kept at a newer revision drops every older one.

use sqlx::AssertSqlSafe;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use super::{on_pool, Pool, Result, Store};

/// The most values kept for one revision; past it, all are dropped.
const MAX_SLOTS: usize = 64;

type Slot = (i64, Arc<dyn Any + Send + Sync>);

/// The values kept for one store (shared by its clones).
#[derive(Default)]
pub(crate) struct Memo {
    slots: Mutex<HashMap<(TypeId, String), Slot>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Memo {
    fn get<T: Any + Send + Sync>(&self, key: &(TypeId, String), revision: i64) -> Option<Arc<T>> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let (at, value) = slots.get(key)?;
        (*at == revision)
            .then(|| value.clone().downcast::<T>().ok())
            .flatten()
    }

    fn put(&self, key: (TypeId, String), revision: i64, value: Arc<dyn Any + Send + Sync>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        // Values of older revisions are never served again.
        slots.retain(|_, (at, _)| *at >= revision);
        if slots.len() >= MAX_SLOTS && !slots.contains_key(&key) {
            slots.clear();
        }
        slots.insert(key, (revision, value));
    }
}

/// The SQL that raises the revision, inside a write transaction.
pub(crate) fn mark_changed_sql(pool: &Pool) -> &'static str {
    match pool {
        Pool::Sqlite(_) => "UPDATE data_revision SET n = n + 1 WHERE id = 1",
        Pool::Postgres(_) => "SELECT nextval('data_revision')",
    }
}

impl Store {
    /// The data revision: raised by every write of CRM records.
    pub async fn data_revision(&self) -> Result<i64> {
        let sql = match self.pool {
            Pool::Sqlite(_) => "SELECT n FROM data_revision WHERE id = 1",
            Pool::Postgres(_) => "SELECT last_value FROM data_revision",
        };
        on_pool!(self, p => Ok(sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql)).fetch_one(p).await?))
    }

    /// After a write of CRM records has committed: on PostgreSQL, raises the revision once more
    /// (see the module's note); on SQLite the transaction's own raise is enough. The write has
    /// committed whatever happens here, so a failure is logged, not returned: the raise inside
    /// the transaction already invalidated what was kept before it.
    pub(crate) async fn after_commit(&self) {
        if let Pool::Postgres(p) = &self.pool {
            if let Err(e) = sqlx::query("SELECT nextval('data_revision')")
                .execute(p)
                .await
            {
                tracing::warn!(error = %e, "raising the data revision after a commit");
            }
        }
    }

    /// The value kept under `key` for the current data revision, or `compute`'s, then kept.
    /// `compute` runs at most once per call; two callers that miss together both compute.
    pub async fn memoized<T, E, F, Fut>(&self, key: String, compute: F) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
        E: From<super::StoreError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let revision = self.data_revision().await?;
        let key = (TypeId::of::<T>(), key);
        if let Some(v) = self.memo.get::<T>(&key, revision) {
            return Ok(v);
        }
        let value = Arc::new(compute().await?);
        self.memo.put(key, revision, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{parse_batch, Record, Rep};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_value_is_kept_until_a_write_raises_the_revision() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("memo.db").display());
        let store = Store::connect(&url).await.unwrap();
        let runs = AtomicUsize::new(0);
        let get = || {
            store.memoized("k".into(), || async {
                Ok::<_, crate::store::StoreError>(runs.fetch_add(1, Ordering::SeqCst))
            })
        };
        assert_eq!(*get().await.unwrap(), 0);
        assert_eq!(*get().await.unwrap(), 0, "kept");
        let r0 = store.data_revision().await.unwrap();
        let reps = parse_batch::<Rep>(vec![serde_json::json!({"id": "R-1", "name": "Ann"})]);
        store.upsert(&reps.unwrap()).await.unwrap();
        assert!(store.data_revision().await.unwrap() > r0);
        assert_eq!(*get().await.unwrap(), 1, "computed again after the write");
        // Another handle on the same file (another process): its write counts too.
        let other = Store::connect(&url).await.unwrap();
        let reps = parse_batch::<Rep>(vec![serde_json::json!({"id": "R-2", "name": "Bo"})]);
        other.upsert(&reps.unwrap()).await.unwrap();
        assert_eq!(*get().await.unwrap(), 2);
        assert_eq!(*get().await.unwrap(), 2);
        // A bulk write (an import) raises it at its commit; one dropped unfinished does not.
        let table = crate::store::BulkTable {
            table: Rep::TABLE,
            columns: Rep::COLUMNS,
            key: Rep::KEY_COLUMNS,
        };
        let rep = |id: &str| {
            let r = parse_batch::<Rep>(vec![serde_json::json!({"id": id, "name": "C"})]).unwrap();
            vec![(r[0].key(), r[0].to_values())]
        };
        let mut dropped = store.begin_bulk(&[table]).await.unwrap();
        dropped.write(0, rep("R-3")).await.unwrap();
        drop(dropped);
        assert_eq!(*get().await.unwrap(), 2);
        let mut bulk = store.begin_bulk(&[table]).await.unwrap();
        bulk.write(0, rep("R-4")).await.unwrap();
        bulk.commit().await.unwrap();
        assert_eq!(*get().await.unwrap(), 3);
    }
}
