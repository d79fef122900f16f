//! Generic upsert, get and listing for every [`Record`] on both backends.

use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;
use utoipa::ToSchema;

use super::sql::Dialect;
use super::{on_pool, Pool, Result, Store, StoreError};
use crate::domain::{AccountSnapshot, ColType, Record, SqlValue};
use chrono::NaiveDate;

/// What an upsert did. Sending the same batch twice gives `inserted = updated = 0` the second time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct UpsertCounts {
    /// Rows in the batch.
    pub received: u64,
    /// New keys.
    pub inserted: u64,
    /// Existing keys whose values changed.
    pub updated: u64,
    /// Existing keys sent with the values already stored (and duplicates within the batch).
    pub unchanged: u64,
}

/// One page of a keyset listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    /// The key to pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// The records without their keys.
    pub fn into_items(self) -> Vec<T> {
        self.items.into_iter().map(|(_, r)| r).collect()
    }
}

macro_rules! bind_cell {
    ($q:expr, $v:expr) => {
        match $v {
            SqlValue::Text(x) => $q.bind(x),
            SqlValue::Int(x) => $q.bind(x),
            SqlValue::Float(x) => $q.bind(x),
            SqlValue::Bool(x) => $q.bind(x),
            SqlValue::Timestamp(x) => $q.bind(x),
            SqlValue::Date(x) => $q.bind(x),
            SqlValue::Json(x) => $q.bind(x.to_string()),
        }
    };
}

macro_rules! decode_row {
    ($T:ty, $row:expr) => {{
        let row = $row;
        let key: String = row.try_get(0)?;
        let mut cells = Vec::with_capacity(<$T>::COLUMNS.len());
        for (i, c) in <$T>::COLUMNS.iter().enumerate() {
            let i = i + 1;
            cells.push(match c.ty {
                ColType::Text => SqlValue::Text(row.try_get(i)?),
                ColType::Int => SqlValue::Int(row.try_get(i)?),
                ColType::Float => SqlValue::Float(row.try_get(i)?),
                ColType::Bool => SqlValue::Bool(row.try_get(i)?),
                ColType::Timestamp => SqlValue::Timestamp(row.try_get(i)?),
                ColType::Date => SqlValue::Date(row.try_get(i)?),
                ColType::Json => {
                    let text: Option<String> = row.try_get(i)?;
                    SqlValue::Json(match text {
                        Some(t) => serde_json::from_str(&t).map_err(anyhow::Error::new)?,
                        None => serde_json::Value::Null,
                    })
                }
            });
        }
        let record = <$T>::from_values(key.clone(), cells).map_err(anyhow::Error::new)?;
        (key, record)
    }};
}

impl Store {
    /// Inserts or updates every row by key, in one transaction: all rows are written or none.
    /// Within a batch, the last row with a given key wins.
    pub async fn upsert<T: Record>(&self, rows: &[T]) -> Result<UpsertCounts> {
        let unique = last_per_key(rows);
        let d = self.dialect();
        let per_statement = d.rows_per_statement(T::COLUMNS.len() + 1);
        let count_sql = format!("SELECT COUNT(*) FROM {}", T::TABLE);
        let (before, affected, after) = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let before: i64 = sqlx::query_scalar(AssertSqlSafe(count_sql.as_str())).fetch_one(&mut *tx).await?;
            let mut affected = 0u64;
            for chunk in unique.chunks(per_statement) {
                let sql = d.upsert(T::TABLE, T::COLUMNS, chunk.len());
                let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
                for r in chunk {
                    q = q.bind(r.key());
                    for v in r.to_values() {
                        q = bind_cell!(q, v);
                    }
                }
                affected += q.execute(&mut *tx).await?.rows_affected();
            }
            let after: i64 = sqlx::query_scalar(AssertSqlSafe(count_sql.as_str())).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            (before, affected, after)
        });
        let inserted = (after - before).max(0) as u64;
        let updated = affected.saturating_sub(inserted);
        Ok(UpsertCounts {
            received: rows.len() as u64,
            inserted,
            updated,
            unchanged: rows.len() as u64 - inserted - updated,
        })
    }

    /// The record stored under `key`, if any.
    pub async fn get<T: Record>(&self, key: &str) -> Result<Option<T>> {
        let sql = self.dialect().select_by_id(T::TABLE, T::COLUMNS);
        on_pool!(self, p => {
            let row = sqlx::query(AssertSqlSafe(sql.as_str())).bind(key).fetch_optional(p).await?;
            match row {
                Some(row) => Ok(Some(decode_row!(T, row).1)),
                None => Ok(None),
            }
        })
    }

    /// Up to `limit` records in key order after `after`; optionally only where `filter.0 = filter.1`
    /// (`filter.0` must be one of `T::COLUMNS`).
    pub async fn page<T: Record>(
        &self,
        after: Option<&str>,
        limit: u32,
        filter: Option<(&str, &str)>,
    ) -> Result<Page<T>> {
        let column = match filter {
            Some((c, _)) if !T::COLUMNS.iter().any(|x| x.name == c) => {
                return Err(StoreError::Internal(anyhow::anyhow!(
                    "no column {c} in {}",
                    T::TABLE
                )))
            }
            Some((c, _)) => Some(c),
            None => None,
        };
        let sql = self.dialect().select_page(T::TABLE, T::COLUMNS, column);
        let fetch = i64::from(limit) + 1;
        let mut items = on_pool!(self, p => {
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str())).bind(after).bind(fetch);
            if let Some((_, v)) = filter {
                q = q.bind(v);
            }
            let rows = q.fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                items.push(decode_row!(T, row));
            }
            items
        });
        let next_after = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        Ok(Page { items, next_after })
    }

    /// Every record of a kind, in key order (for training and reports).
    pub async fn all<T: Record>(&self) -> Result<Vec<T>> {
        let sql = self.dialect().select_all(T::TABLE, T::COLUMNS);
        // Rows are decoded as they arrive, so the raw rows of a large table are never all held
        // beside the records (training reads every lead).
        on_pool!(self, p => {
            let mut rows = sqlx::query(AssertSqlSafe(sql.as_str())).fetch(p);
            let mut out = Vec::new();
            while let Some(row) = rows.try_next().await? {
                out.push(decode_row!(T, row).1);
            }
            Ok(out)
        })
    }
}

impl Store {
    /// Every record of a table, handed to `f` one at a time as it is read (for tables too large
    /// to hold whole, such as the leads a training reads).
    pub async fn for_each<T: Record>(&self, mut f: impl FnMut(T)) -> Result<()> {
        let sql = self.dialect().select_all(T::TABLE, T::COLUMNS);
        on_pool!(self, p => {
            let mut rows = sqlx::query(AssertSqlSafe(sql.as_str())).fetch(p);
            while let Some(row) = rows.try_next().await? {
                f(decode_row!(T, row).1);
            }
            Ok(())
        })
    }

    /// Each account's snapshots dated within `days` days of its own latest one: what scoring
    /// the book needs, without reading years of history.
    pub async fn recent_snapshots(&self, days: u32) -> Result<Vec<AccountSnapshot>> {
        let (table, columns) = (AccountSnapshot::TABLE, AccountSnapshot::COLUMNS);
        match &self.pool {
            Pool::Sqlite(p) => {
                // One JSON array per account (see `sqlite_select_recent_json`).
                let sql =
                    Dialect::sqlite_select_recent_json(table, columns, "account_id", "as_of", days);
                let mut rows = sqlx::query(AssertSqlSafe(sql.as_str())).fetch(p);
                let mut out = Vec::new();
                while let Some(row) = rows.try_next().await? {
                    let text: String = row.try_get(0)?;
                    let own: Vec<AccountSnapshot> = serde_json::from_str(&text).map_err(|e| {
                        anyhow::anyhow!("a stored snapshot does not read back: {e}")
                    })?;
                    out.extend(own);
                }
                Ok(out)
            }
            Pool::Postgres(p) => {
                let sql = self
                    .dialect()
                    .select_recent(table, columns, "account_id", "as_of", days);
                let mut rows = sqlx::query(AssertSqlSafe(sql.as_str())).fetch(p);
                let mut out = Vec::new();
                while let Some(row) = rows.try_next().await? {
                    out.push(decode_row!(AccountSnapshot, row).1);
                }
                Ok(out)
            }
        }
    }

    /// The date of each account's first snapshot.
    pub async fn first_snapshot_dates(&self) -> Result<HashMap<String, NaiveDate>> {
        let sql = "SELECT account_id, MIN(as_of) FROM account_snapshots GROUP BY account_id";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            let mut out = HashMap::with_capacity(rows.len());
            for row in rows {
                out.insert(row.try_get(0)?, row.try_get(1)?);
            }
            Ok(out)
        })
    }
}

/// Keeps the last row for each key, in the order of those last rows.
fn last_per_key<T: Record>(rows: &[T]) -> Vec<&T> {
    let keys: Vec<String> = rows.iter().map(Record::key).collect();
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (i, k) in keys.iter().enumerate() {
        last.insert(k, i);
    }
    rows.iter()
        .zip(&keys)
        .enumerate()
        .filter(|(i, (_, k))| last.get(k.as_str()) == Some(i))
        .map(|(_, (r, _))| r)
        .collect()
}
