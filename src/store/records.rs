//! Generic upsert, get and listing for every [`Record`] on both backends.

use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;
use utoipa::ToSchema;

use super::memo;
use super::sql::Dialect;
use super::write::{backoff, is_retryable, BeginWrite, WRITE_ATTEMPTS};
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

/// Binds one typed cell to a query (shared by the upsert and the bulk import).
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
pub(crate) use bind_cell;

macro_rules! decode_row {
    ($T:ty, $row:expr) => {{
        let row = $row;
        let key: String = row.try_get("id")?;
        let mut cells = Vec::with_capacity(<$T>::COLUMNS.len());
        for c in <$T>::COLUMNS {
            let i = c.name;
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

macro_rules! bind_rows {
    ($q:expr, $chunk:expr) => {{
        let mut q = $q;
        for (key, r) in $chunk {
            q = q.bind(key.as_str());
            for v in r.to_values() {
                q = bind_cell!(q, v);
            }
        }
        q
    }};
}

impl Store {
    /// Inserts or updates every row by key, in one transaction: all rows are written or none.
    /// Within a batch, the last row with a given key wins. The counts are exact under any
    /// concurrency: `inserted + updated + unchanged = received`.
    pub async fn upsert<T: Record>(&self, rows: &[T]) -> Result<UpsertCounts> {
        let mut unique = last_per_key(rows);
        // One lock order for every writer: batches that share keys wait for each other on
        // PostgreSQL instead of deadlocking.
        unique.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let (inserted, updated) = match &self.pool {
            Pool::Sqlite(p) => self.upsert_sqlite(p, &unique).await?,
            Pool::Postgres(p) => upsert_postgres(p, &unique).await?,
        };
        self.after_commit(&memo::tables_written([T::TABLE])).await;
        let received = rows.len() as u64;
        Ok(UpsertCounts {
            received,
            inserted,
            updated,
            unchanged: received - inserted - updated,
        })
    }

    /// SQLite: under the write lock no one else writes, so a chunk's keys that exist before its
    /// statement are exactly the ones it updates or leaves unchanged.
    async fn upsert_sqlite<T: Record>(
        &self,
        p: &sqlx::SqlitePool,
        rows: &[(String, &T)],
    ) -> Result<(u64, u64)> {
        let d = Dialect::Sqlite;
        let _writer = self.writer_turn().await;
        let mut tx = p.begin_write().await?;
        let (mut inserted, mut updated) = (0u64, 0u64);
        for chunk in rows.chunks(d.rows_per_statement(T::COLUMNS.len() + 1)) {
            let count = d.count_existing(T::TABLE, chunk.len());
            let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count.as_str()));
            for (key, _) in chunk {
                q = q.bind(key.as_str());
            }
            let existing = q.fetch_one(&mut *tx).await? as u64;
            let sql = d.upsert(T::TABLE, T::COLUMNS, T::KEY_COLUMNS, chunk.len());
            let q = bind_rows!(sqlx::query(AssertSqlSafe(sql.as_str())), chunk);
            let affected = q.execute(&mut *tx).await?.rows_affected();
            let new = chunk.len() as u64 - existing;
            inserted += new;
            updated += affected.saturating_sub(new);
        }
        let mark = memo::mark_changed_sql(d, &memo::tables_written([T::TABLE]));
        sqlx::query(AssertSqlSafe(mark)).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok((inserted, updated))
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

    /// Every record whose `column` (one of `T::COLUMNS`) is `value`, in key order: the stage events
    /// of a deal, the snapshots of an account, however many there are.
    pub async fn children<T: Record>(&self, column: &str, value: &str) -> Result<Vec<T>> {
        if !T::COLUMNS.iter().any(|c| c.name == column) {
            return Err(StoreError::Internal(anyhow::anyhow!(
                "no column {column} in {}",
                T::TABLE
            )));
        }
        let sql = self.dialect().select_children(T::TABLE, T::COLUMNS, column);
        on_pool!(self, p => {
            let mut rows = sqlx::query(AssertSqlSafe(sql.as_str())).bind(value).fetch(p);
            let mut out = Vec::new();
            while let Some(row) = rows.try_next().await? {
                out.push(decode_row!(T, row).1);
            }
            Ok(out)
        })
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
                    let text: String = row.try_get("group_rows")?;
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

    /// One account's snapshots dated within `days` days of its latest one (newest history,
    /// however long the account's past), and the date of its first snapshot ever.
    pub async fn recent_snapshots_of(
        &self,
        account_id: &str,
        days: u32,
    ) -> Result<(Vec<AccountSnapshot>, Option<NaiveDate>)> {
        let (table, columns) = (AccountSnapshot::TABLE, AccountSnapshot::COLUMNS);
        let d = self.dialect();
        let sql = d.select_recent_of(table, columns, "account_id", "as_of", days);
        let first = format!(
            "SELECT MIN(as_of) AS first_as_of FROM {table} WHERE account_id = {}",
            d.param(1)
        );
        on_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(sql.as_str())).bind(account_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(decode_row!(AccountSnapshot, row).1);
            }
            let first: Option<NaiveDate> = sqlx::query(AssertSqlSafe(first.as_str()))
                .bind(account_id)
                .fetch_one(p)
                .await?
                .try_get("first_as_of")?;
            Ok((out, first))
        })
    }

    /// The date of each account's first snapshot.
    pub async fn first_snapshot_dates(&self) -> Result<HashMap<String, NaiveDate>> {
        let sql = "SELECT account_id, MIN(as_of) AS first_as_of FROM account_snapshots GROUP BY account_id";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            let mut out = HashMap::with_capacity(rows.len());
            for row in rows {
                out.insert(row.try_get("account_id")?, row.try_get("first_as_of")?);
            }
            Ok(out)
        })
    }
}

/// Keeps the last row for each key, with its key.
fn last_per_key<T: Record>(rows: &[T]) -> Vec<(String, &T)> {
    let mut last: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last.insert(r.key(), i);
    }
    last.into_iter().map(|(k, i)| (k, &rows[i])).collect()
}

/// PostgreSQL: each written row reports whether it was inserted (see [`Dialect::upsert`]); a
/// deadlock or serialization failure rolls the whole batch back and tries it again.
async fn upsert_postgres<T: Record>(p: &sqlx::PgPool, rows: &[(String, &T)]) -> Result<(u64, u64)> {
    let mut attempt = 1;
    loop {
        match try_upsert_postgres(p, rows).await {
            Err(e) if attempt < WRITE_ATTEMPTS && is_retryable(&e) => {
                tracing::debug!(attempt, "upsert retried after {e}");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            other => return Ok(other?),
        }
    }
}

async fn try_upsert_postgres<T: Record>(
    p: &sqlx::PgPool,
    rows: &[(String, &T)],
) -> std::result::Result<(u64, u64), sqlx::Error> {
    let d = Dialect::Postgres;
    let mut tx = p.begin_write().await?;
    let (mut inserted, mut updated) = (0u64, 0u64);
    for chunk in rows.chunks(d.rows_per_statement(T::COLUMNS.len() + 1)) {
        let sql = d.upsert(T::TABLE, T::COLUMNS, T::KEY_COLUMNS, chunk.len());
        let q = bind_rows!(
            sqlx::query_scalar::<_, bool>(AssertSqlSafe(sql.as_str())),
            chunk
        );
        for was_inserted in q.fetch_all(&mut *tx).await? {
            if was_inserted {
                inserted += 1;
            } else {
                updated += 1;
            }
        }
    }
    let mark = memo::mark_changed_sql(d, &memo::tables_written([T::TABLE]));
    sqlx::query(AssertSqlSafe(mark)).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok((inserted, updated))
}
