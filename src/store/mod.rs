//! Persistence: the CRM copy, API keys, the model registry, scores, jobs and the forecast ledger,
//! on SQLite or PostgreSQL. The database URL picks the backend; each backend runs its own
//! migrations at connect.
//!
//! Queries are written once and run on either pool through [`on_pool!`]: the SQL differs only in
//! placeholders and casts, which [`sql::Dialect`] renders.

mod backtests;
mod bulk;
mod copy_text;
mod errors;
mod forecasts;
mod history;
mod jobs;
mod kept_history;
mod keys;
mod memo;
mod models;
mod readiness;
mod records;
mod scores;
pub(crate) mod sql;
pub(crate) mod write;

pub use backtests::BacktestRecord;
pub use bulk::{BulkTable, BulkWrite, KeyedRow};
pub use forecasts::SnapshotRow;
pub use jobs::{JobRow, TrainingLock, INTERRUPTED};
pub use keys::ApiKeyRow;
pub use memo::DEAL_CHANGES;
pub use models::ModelVersionRow;
pub use records::{Page, UpsertCounts};
pub use scores::{ChurnScoreFilter, ScoreRow};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

use sql::Dialect;

/// The default embedded database, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://revcast.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (down, pool exhausted, network): a 503 for the caller.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The URL names no supported backend.
    #[error("unsupported database URL `{0}`: use sqlite://FILE or postgres://...")]
    BadUrl(String),
    /// Anything else: a defect or a schema problem, logged in full, never shown to callers.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if errors::unavailable(&e) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Internal(anyhow::Error::new(e))
        }
    }
}

impl StoreError {
    /// The same error, with an unavailable database found anywhere in an `Internal` error's cause
    /// chain (code that wrapped a sqlx error in `anyhow`) brought out as `Unavailable`.
    pub fn surfaced(self) -> StoreError {
        match self {
            StoreError::Internal(e) => {
                let cause = e
                    .chain()
                    .filter_map(|c| c.downcast_ref::<sqlx::Error>())
                    .find(|c| errors::unavailable(c))
                    .map(|c| c.to_string());
                match cause {
                    Some(c) => StoreError::Unavailable(c),
                    None => StoreError::Internal(e),
                }
            }
            other => other,
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Internal(anyhow::Error::new(e).context("running migrations"))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same query code on whichever pool the store holds. `$p` is bound to the pool.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// A handle on the database; cheap to clone (it holds a connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    /// The training lock of an in-memory SQLite database.
    pub(crate) local_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite writers of this process queue here (see [`write`]).
    pub(crate) write_gate: write::WriteGate,
    /// The SQLite database file (None for PostgreSQL and in-memory SQLite): its training lock
    /// file sits beside it, and readiness checks that it is still there.
    pub(crate) sqlite_file: Option<std::path::PathBuf>,
    /// Values derived from the records, kept while they do not change (see [`memo`]).
    pub(crate) memo: std::sync::Arc<memo::Memo>,
    /// The deal history, brought up to date by reading what was added (see [`kept_history`]).
    pub(crate) kept_history: std::sync::Arc<tokio::sync::Mutex<kept_history::KeptHistory>>,
}

impl Store {
    /// Connects (creating the SQLite file if missing) and runs the backend's migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        let store = Store::connect_lazy(url)?;
        match &store.pool {
            Pool::Sqlite(p) => sqlx::migrate!("src/store/migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => {
                sqlx::migrate!("src/store/migrations/postgres")
                    .run(p)
                    .await?
            }
        }
        Ok(store)
    }

    /// Builds the pool without touching the database (connections open on first use).
    pub fn connect_lazy(url: &str) -> Result<Store> {
        let timeout = Duration::from_secs(5);
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::BadUrl(url.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(false);
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let sqlite_file = (!in_memory).then(|| opts.get_filename().to_path_buf());
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(timeout)
                .connect_lazy_with(opts);
            Ok(Store {
                pool: Pool::Sqlite(pool),
                local_lock: jobs::local_lock(url),
                write_gate: write::write_gate(url),
                sqlite_file,
                memo: Default::default(),
                kept_history: Default::default(),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts =
                PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(redact(url)))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(timeout)
                .connect_lazy_with(opts);
            Ok(Store {
                pool: Pool::Postgres(pool),
                local_lock: jobs::local_lock(url),
                write_gate: write::write_gate(url),
                sqlite_file: None,
                memo: Default::default(),
                kept_history: Default::default(),
            })
        } else {
            Err(StoreError::BadUrl(redact(url)))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Succeeds when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    /// Creates an empty PostgreSQL database on this server (for test isolation and set-up scripts).
    /// The name must be lowercase letters, digits and underscores.
    pub async fn create_database(&self, name: &str) -> Result<()> {
        let ok = !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(StoreError::Internal(anyhow::anyhow!(
                "bad database name {name:?}"
            )));
        }
        match &self.pool {
            Pool::Postgres(p) => {
                let sql = format!("CREATE DATABASE {name}");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
                Ok(())
            }
            Pool::Sqlite(_) => Err(StoreError::Internal(anyhow::anyhow!(
                "create_database is for PostgreSQL"
            ))),
        }
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

/// Drops the password from a URL before it reaches a message.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod bulk_tests;
#[cfg(test)]
mod tests;
