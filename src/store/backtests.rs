//! Recorded backtests: each run's outcome kept whole (as JSON the service writes and reads), the
//! latest of each period kind shown on the accuracy page.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{on_pool, Result, Store};

/// A recorded backtest as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BacktestRecord {
    pub kind: String,
    pub made_at: DateTime<Utc>,
    /// The service's outcome, as JSON.
    pub outcome: String,
}

impl Store {
    pub async fn save_backtest(&self, r: &BacktestRecord) -> Result<()> {
        let d = self.dialect();
        let sql = format!(
            "INSERT INTO backtests (kind, made_at, outcome) VALUES ({}, {}, {})",
            d.param(1),
            d.param(2),
            d.param(3)
        );
        let _writer = self.writer_turn().await;
        on_pool!(self, p => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(r.kind.as_str())
                .bind(r.made_at)
                .bind(r.outcome.as_str())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// The latest recorded backtest of each kind, by kind.
    pub async fn latest_backtests(&self) -> Result<Vec<BacktestRecord>> {
        let sql = "SELECT kind, made_at, outcome FROM backtests b \
                   WHERE id = (SELECT MAX(id) FROM backtests WHERE kind = b.kind) ORDER BY kind";
        on_pool!(self, p => Ok(sqlx::query_as::<_, BacktestRecord>(AssertSqlSafe(sql)).fetch_all(p).await?))
    }
}
