//! Asynchronous jobs (training runs) and the lock that lets only one training run at a time:
//! across replicas on PostgreSQL (an advisory lock), across processes on SQLite (a file lock).
//! Both are released by the death of their holder, so a crashed trainer never blocks the next.

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Postgres};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{on_pool, Pool, Result, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    /// queued, running, succeeded or failed.
    pub status: String,
    /// 0..=1.
    pub progress: f64,
    pub message: String,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A `jobs` row as stored, read by column name (the result is JSON text).
#[derive(sqlx::FromRow)]
struct StoredJob {
    id: String,
    kind: String,
    status: String,
    progress: f64,
    message: String,
    result: Option<String>,
    error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<StoredJob> for JobRow {
    type Error = anyhow::Error;

    fn try_from(r: StoredJob) -> anyhow::Result<JobRow> {
        Ok(JobRow {
            id: r.id,
            kind: r.kind,
            status: r.status,
            progress: r.progress,
            message: r.message,
            result: r.result.map(|t| serde_json::from_str(&t)).transpose()?,
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Held while a training runs; dropping it releases the lock (so does the death of the process).
pub enum TrainingLock {
    /// The session-level advisory lock lives as long as this connection.
    Postgres(PoolConnection<Postgres>),
    /// An OS lock (`flock`) on a file beside the SQLite database: it holds across processes and
    /// the kernel drops it when the holder dies, even by kill -9.
    File(std::fs::File),
    /// An in-memory SQLite database serves one process.
    Local(tokio::sync::OwnedMutexGuard<()>),
}

const ADVISORY_KEY: i64 = 0x0072_6576_6361_7374; // "revcast"

/// Why a job whose process stopped is marked failed.
pub const INTERRUPTED: &str = "interrupted: the process running it stopped";

type LocalLock = std::sync::Arc<tokio::sync::Mutex<()>>;

/// One training lock per in-memory SQLite database in this process.
pub(crate) fn local_lock(database: &str) -> LocalLock {
    static LOCKS: OnceLock<std::sync::Mutex<HashMap<String, LocalLock>>> = OnceLock::new();
    let mut map = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(database.to_string()).or_default().clone()
}

/// The lock file of a SQLite database file: `FILE-train.lock` beside it.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-train.lock");
    PathBuf::from(name)
}

/// Takes the file lock if no other holder (in any process) has it.
fn try_file_lock(database: &Path) -> Result<Option<TrainingLock>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(database))
        .map_err(sqlx::Error::Io)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(TrainingLock::File(file))),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(sqlx::Error::Io(e).into()),
    }
}

impl TrainingLock {
    /// Releases the lock explicitly (PostgreSQL: unlock before the connection returns to the pool).
    pub async fn release(self) {
        if let TrainingLock::Postgres(mut conn) = self {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(ADVISORY_KEY)
                .execute(&mut *conn)
                .await;
        }
    }
}

impl Store {
    /// The training lock if it is free now (in every process on this database), else None.
    pub async fn try_training_lock(&self) -> Result<Option<TrainingLock>> {
        match (&self.pool, &self.sqlite_file) {
            (Pool::Postgres(p), _) => {
                let mut conn = p.acquire().await?;
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(ADVISORY_KEY)
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(got.then_some(TrainingLock::Postgres(conn)))
            }
            (Pool::Sqlite(_), Some(file)) => try_file_lock(file),
            (Pool::Sqlite(_), None) => Ok(self
                .local_lock
                .clone()
                .try_lock_owned()
                .ok()
                .map(TrainingLock::Local)),
        }
    }

    /// How many jobs are marked queued or running.
    pub async fn unfinished_jobs(&self) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')";
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(sql).fetch_one(p).await?);
        Ok(n)
    }

    /// Marks failed, with [`INTERRUPTED`] as the error, every running job whose row was last
    /// written (its heartbeat) before `cutoff`; returns how many.
    pub async fn fail_jobs_silent_since(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let d = self.dialect();
        let sql = format!(
            "UPDATE jobs SET status = 'failed', message = 'failed', error = {}, updated_at = {} \
             WHERE status IN ('queued', 'running') AND updated_at < {}",
            d.param(1),
            d.param(2),
            d.param(3)
        );
        let n = on_pool!(self, p => sqlx::query(AssertSqlSafe(sql))
            .bind(INTERRUPTED)
            .bind(Utc::now())
            .bind(cutoff)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n)
    }

    pub async fn insert_job(&self, j: &JobRow) -> Result<()> {
        let d = self.dialect();
        let ps: Vec<String> = (1..=9).map(|n| d.param(n)).collect();
        let sql = format!(
            "INSERT INTO jobs (id, kind, status, progress, message, result, error, created_at, updated_at) VALUES ({})",
            ps.join(", ")
        );
        let result = j.result.as_ref().map(|r| r.to_string());
        let sql = if matches!(self.pool, Pool::Postgres(_)) {
            sql.replace("$6", "CAST($6 AS json)")
        } else {
            sql
        };
        on_pool!(self, p => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&j.id).bind(&j.kind).bind(&j.status).bind(j.progress).bind(&j.message)
                .bind(result).bind(&j.error).bind(j.created_at).bind(j.updated_at)
                .execute(p).await?;
        });
        Ok(())
    }

    /// Records progress, or the end of a job with its result or error.
    pub async fn update_job(&self, j: &JobRow) -> Result<()> {
        let d = self.dialect();
        let result_param = match self.pool {
            Pool::Postgres(_) => "CAST($4 AS json)".to_string(),
            Pool::Sqlite(_) => d.param(4),
        };
        let sql = format!(
            "UPDATE jobs SET status = {}, progress = {}, message = {}, result = {result_param}, error = {}, updated_at = {} WHERE id = {}",
            d.param(1), d.param(2), d.param(3), d.param(5), d.param(6), d.param(7)
        );
        let result = j.result.as_ref().map(|r| r.to_string());
        on_pool!(self, p => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&j.status).bind(j.progress).bind(&j.message).bind(result)
                .bind(&j.error).bind(j.updated_at).bind(&j.id)
                .execute(p).await?;
        });
        Ok(())
    }

    pub async fn job(&self, id: &str) -> Result<Option<JobRow>> {
        let result_col = match self.pool {
            Pool::Postgres(_) => "result::text AS result",
            Pool::Sqlite(_) => "result",
        };
        let sql = format!(
            "SELECT id, kind, status, progress, message, {result_col}, error, created_at, updated_at FROM jobs WHERE id = {}",
            self.dialect().param(1)
        );
        let row = on_pool!(self, p => {
            sqlx::query_as::<_, StoredJob>(AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?
        });
        Ok(row.map(JobRow::try_from).transpose()?)
    }
}
