//! Write transactions that wait for each other instead of failing.
//!
//! SQLite has one writer at a time. A transaction opened with a plain `BEGIN` reads first and asks
//! for the write lock later; when another connection wrote in between, SQLite cannot wait (the
//! reader's snapshot is stale) and answers "database is locked" at once (codes 5 and 517), whatever
//! the busy timeout. So every write transaction here starts with `BEGIN IMMEDIATE`: it takes the
//! write lock first, and the busy timeout applies. Within one process, writers also queue on a
//! gate before they take a pooled connection, so waiting writers do not hold the connections that
//! readers need.
//!
//! PostgreSQL writers lock rows; two batches that share keys lock them in one order (sorted by
//! key, see `Store::upsert`), and a deadlock or serialization failure that still happens is
//! retried a bounded number of times.

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How many times a PostgreSQL write that lost a deadlock or a serialization race is tried.
pub(crate) const WRITE_ATTEMPTS: u32 = 5;

/// A pool that can open a write transaction.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = Sqlite;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = Postgres;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}

pub(crate) type WriteGate = Arc<tokio::sync::Mutex<()>>;

/// One write gate per database in this process.
pub(crate) fn write_gate(database: &str) -> WriteGate {
    static GATES: OnceLock<std::sync::Mutex<HashMap<String, WriteGate>>> = OnceLock::new();
    let mut map = GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(database.to_string()).or_default().clone()
}

/// A PostgreSQL deadlock (40P01) or serialization failure (40001): trying again can succeed.
pub(crate) fn is_retryable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

/// The pause before attempt `attempt` (1-based) of a retried write: 10, 20, 40, ... ms, plus up to
/// as much again at random, so that two writers that collided do not collide again in step.
pub(crate) fn backoff(attempt: u32) -> Duration {
    use rand::Rng;
    let base = 10u64 << attempt.min(6);
    Duration::from_millis(base + rand::thread_rng().gen_range(0..=base))
}

impl super::Store {
    /// On SQLite, waits for this process's turn to write (held until the guard drops); on
    /// PostgreSQL, returns at once.
    pub(crate) async fn writer_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.pool {
            super::Pool::Sqlite(_) => Some(self.write_gate.clone().lock_owned().await),
            super::Pool::Postgres(_) => None,
        }
    }
}
