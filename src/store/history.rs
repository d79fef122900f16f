//! Deal history: the opportunities' tracked fields after each change, kept by the database on
//! every write path, read here; and history loaded as such (a synthetic world's past, a CRM's
//! field-history export) written with its own moments.
//!
//! A deal's latest state is the deal itself, with the moment it was recorded (`recorded_at`, set
//! by the database when the deal is inserted or a tracked field changes); the states it replaced
//! are rows of `deal_changes`, archived by the update trigger (migration 0008). So an import of new
//! deals writes no second row per deal. Deals stored before 0008 have their whole history in
//! `deal_changes` and `recorded_at` NULL until their next change. A deal's history is its
//! `deal_changes` rows and then, when `recorded_at` is set, the deal itself: the same states, in
//! the same order, as when every state was a row.

use sqlx::{AssertSqlSafe, Row};

use super::memo::DEAL_CHANGES;
use super::sql::Dialect;
use super::write::BeginWrite;
use super::{on_pool, Result, Store, StoreError};
use crate::domain::{DealChange, Money};

pub(super) const COLUMNS: &str =
    "opportunity_id, changed_at, amount, expected_close_date, stage, forecast_category, owner_id";

macro_rules! decode_change {
    ($row:expr) => {{
        let row = $row;
        let bad = |e: crate::domain::ValueError| StoreError::Internal(anyhow::Error::new(e));
        let id: String = row.try_get("opportunity_id")?;
        let amount: Option<f64> = row.try_get("amount")?;
        let owner: Option<String> = row.try_get("owner_id")?;
        DealChange {
            opportunity_id: crate::domain::Id::parse(id).map_err(bad)?,
            changed_at: row
                .try_get::<chrono::DateTime<chrono::Utc>, _>("changed_at")?
                .into(),
            amount: amount
                .map(crate::domain::Money::parse)
                .transpose()
                .map_err(bad)?,
            expected_close_date: row.try_get("expected_close_date")?,
            stage: row.try_get("stage")?,
            forecast_category: row.try_get("forecast_category")?,
            owner_id: owner
                .map(crate::domain::Id::parse)
                .transpose()
                .map_err(bad)?,
        }
    }};
}
pub(super) use decode_change;

/// Orders the deal itself after every archived state recorded at the same moment (it was
/// recorded after them).
pub(super) const LATEST_SEQ: i64 = i64::MAX;

/// The history rows (`seq` and [`COLUMNS`]): archived states and the deals' latest, filtered by
/// `deal_changes_where` and `deals_where` (either empty).
pub(super) fn history_rows(d: Dialect, deal_changes_where: &str, deals_where: &str) -> String {
    let recorded_at = match d {
        Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', recorded_at)",
        Dialect::Postgres => "recorded_at",
    };
    let and = |w: &str| {
        if w.is_empty() {
            String::new()
        } else {
            format!(" AND {w}")
        }
    };
    let only = |w: &str| {
        if w.is_empty() {
            String::new()
        } else {
            format!(" WHERE {w}")
        }
    };
    format!(
        "SELECT seq, {COLUMNS} FROM deal_changes{} \
         UNION ALL \
         SELECT {LATEST_SEQ}, id, {recorded_at}, amount, expected_close_date, stage, \
         forecast_category, owner_id FROM opportunities WHERE recorded_at IS NOT NULL{}",
        only(deal_changes_where),
        and(deals_where)
    )
}

impl Store {
    /// One deal's changes, oldest first (empty for an unknown deal).
    pub async fn deal_history(&self, opportunity_id: &str) -> Result<Vec<DealChange>> {
        let d = self.dialect();
        let rows = history_rows(
            d,
            &format!("opportunity_id = {}", d.param(1)),
            &format!("id = {}", d.param(1)),
        );
        let sql = format!("SELECT {COLUMNS} FROM ({rows}) AS h ORDER BY changed_at, seq");
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
        let rows = history_rows(self.dialect(), "", "");
        let sql =
            format!("SELECT {COLUMNS} FROM ({rows}) AS h ORDER BY opportunity_id, changed_at, seq");
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
            let mark = super::memo::mark_changed_sql(d, &[DEAL_CHANGES]);
            sqlx::query(AssertSqlSafe(mark)).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.after_commit(&[DEAL_CHANGES]).await;
        Ok(())
    }
}
