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
