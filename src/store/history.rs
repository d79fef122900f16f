//! Deal history: the opportunities' tracked fields after each change, written by the database's
//! triggers (migration 0005) on every write path, read here; and history loaded as such (a
//! synthetic world's past, a CRM's field-history export) written with its own moments.

use sqlx::{AssertSqlSafe, Row};

use super::write::BeginWrite;
use super::{on_pool, Result, Store, StoreError};
use crate::domain::{DealChange, Id, Money};

const COLUMNS: &str =
    "opportunity_id, changed_at, amount, expected_close_date, stage, forecast_category, owner_id";

macro_rules! decode_change {
    ($row:expr) => {{
        let row = $row;
        let bad = |e: crate::domain::ValueError| StoreError::Internal(anyhow::Error::new(e));
        let id: String = row.try_get("opportunity_id")?;
        let amount: Option<f64> = row.try_get("amount")?;
        let owner: Option<String> = row.try_get("owner_id")?;
        DealChange {
            opportunity_id: Id::parse(id).map_err(bad)?,
            changed_at: row
                .try_get::<chrono::DateTime<chrono::Utc>, _>("changed_at")?
                .into(),
            amount: amount.map(Money::parse).transpose().map_err(bad)?,
            expected_close_date: row.try_get("expected_close_date")?,
            stage: row.try_get("stage")?,
            forecast_category: row.try_get("forecast_category")?,
            owner_id: owner.map(Id::parse).transpose().map_err(bad)?,
        }
    }};
}

impl Store {
    /// One deal's changes, oldest first (empty for an unknown deal).
    pub async fn deal_history(&self, opportunity_id: &str) -> Result<Vec<DealChange>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM deal_changes WHERE opportunity_id = {} ORDER BY changed_at, seq",
            self.dialect().param(1)
        );
        on_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(opportunity_id)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(decode_change!(row));
            }
            Ok(out)
        })
    }

    /// Every deal's changes, by deal and oldest first.
    pub async fn all_deal_changes(&self) -> Result<Vec<DealChange>> {
        let sql =
            format!("SELECT {COLUMNS} FROM deal_changes ORDER BY opportunity_id, changed_at, seq");
        on_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(decode_change!(row));
            }
            Ok(out)
        })
    }

    /// Writes history known from elsewhere, each change at its own moment, in one transaction.
    pub async fn backfill_deal_changes(&self, changes: &[DealChange]) -> Result<()> {
        /// Rows per statement: 7 parameters each, well under either backend's limit.
        const ROWS: usize = 1000;
        let d = self.dialect();
        let statement = |rows: usize| {
            let tuples: Vec<String> = (0..rows)
                .map(|r| {
                    let ps: Vec<String> = (1..=7).map(|n| d.param(r * 7 + n)).collect();
                    format!("({})", ps.join(", "))
                })
                .collect();
            format!(
                "INSERT INTO deal_changes ({COLUMNS}) VALUES {}",
                tuples.join(", ")
            )
        };
        let _writer = self.writer_turn().await;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for chunk in changes.chunks(ROWS) {
                let sql = statement(chunk.len());
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for c in chunk {
                    q = q
                        .bind(c.opportunity_id.as_str())
                        .bind(c.changed_at.get())
                        .bind(c.amount.map(Money::get))
                        .bind(c.expected_close_date)
                        .bind(c.stage.as_str())
                        .bind(c.forecast_category.as_deref())
                        .bind(c.owner_id.as_ref().map(|i| i.as_str()));
                }
                q.execute(&mut *tx).await?;
            }
            sqlx::query(super::memo::mark_changed_sql(&self.pool)).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.after_commit().await;
        Ok(())
    }
}
