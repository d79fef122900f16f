//! Readiness: can this process read and write the database right now?

use chrono::Utc;
use std::time::Duration;

use super::{on_pool, Result, Store, StoreError};

impl Store {
    /// Succeeds when the database takes a write within `within`: one upsert of the single row
    /// of `readiness` (a one-row write transaction; on SQLite with WAL and `synchronous=NORMAL`
    /// no fsync, on PostgreSQL one commit). A SQLite database must also still be at its path and
    /// writable by this process: a file deleted or made read-only while serving otherwise goes
    /// unnoticed by the connections that already hold it open.
    pub async fn check_ready(&self, within: Duration) -> Result<()> {
        match tokio::time::timeout(within, self.write_probe()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(StoreError::Unavailable(format!(
                "no write within {} ms",
                within.as_millis()
            ))),
        }
    }

    async fn write_probe(&self) -> Result<()> {
        if let Some(file) = &self.sqlite_file {
            std::fs::OpenOptions::new()
                .write(true)
                .open(file)
                .map_err(|e| StoreError::Unavailable(format!("the SQLite file: {e}")))?;
        }
        let sql = format!(
            "INSERT INTO readiness (id, checked_at) VALUES (1, {}) \
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
            self.dialect().param(1)
        );
        on_pool!(self, p => {
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(Utc::now()).execute(p).await?;
        });
        Ok(())
    }
}

/// How often a serving process checks that its SQLite file is still at its path.
pub const FILE_CHECK_EVERY: Duration = Duration::from_secs(1);

impl Store {
    /// On SQLite, checks every [`FILE_CHECK_EVERY`] that the database file is still at its path.
    /// Once it is gone (deleted or moved) the pool is closed: SQLite would otherwise go on reading
    /// and writing the unlinked file, answering 200 for writes that no restart would ever see.
    /// Every later query is then a 503 until revcast is restarted on a restored file.
    pub fn watch_sqlite_file(&self) {
        let (Some(file), super::Pool::Sqlite(pool)) = (self.sqlite_file.clone(), &self.pool) else {
            return;
        };
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FILE_CHECK_EVERY);
            while !pool.is_closed() {
                tick.tick().await;
                if !file.exists() {
                    tracing::error!(file = %file.display(), "the SQLite file is gone; closing the database until revcast restarts");
                    pool.close().await;
                }
            }
        });
    }
}
