//! Bulk writing for imports: chunk after chunk of rows upserted through multi-row statements in
//! ONE transaction, so a file of millions of rows is written all or nothing, with exact counts.
//!
//! On SQLite the transaction begins with `BEGIN IMMEDIATE` (see `write`): it takes the write lock at once
//! (waiting out the busy timeout behind other writers) instead of failing with "database is
//! locked" when its first write finds a reader turned writer. Holding the lock, nothing else
//! writes, so the inserted rows are the growth of the table's row count.
//!
//! A SQLite table's plain (non-unique) indexes are dropped within the transaction once the rows
//! received outnumber the rows the table held when it began, and built again, each in one sorted
//! pass, just before it commits: inserting a million keys one by one at random places of an
//! index costs several times more than sorting them once, and rebuilding is bounded by twice
//! the rows written. It all happens in the one transaction: a write that fails or is killed
//! leaves the indexes as they were, and readers (WAL) keep seeing them meanwhile. Unique indexes
//! stay (upserts match on them). Not on PostgreSQL, where dropping an index would lock readers
//! out of the table for the whole import.
//!
//! On PostgreSQL rows are loaded with `COPY` into a temporary staging table per table (dropped
//! at commit), and at commit one `INSERT ... SELECT ... ON CONFLICT` per table moves them in.
//! Other writers go on meanwhile, so that statement counts, per row written, whether it
//! inserted it (`xmax = 0`) or updated it.

use sqlx::{AssertSqlSafe, Postgres, Sqlite, Transaction};

use super::copy_text;
use super::records::{bind_cell, UpsertCounts};
use super::sql::Dialect;
use super::write::BeginWrite;
use super::{Pool, Result, Store};
use crate::domain::{Column, SqlValue};

/// SQLite page cache of a bulk write's connection, in KiB (the default is 2,000).
const BULK_CACHE_KIB: u32 = 64 * 1024;

/// A row as it is written: its key and its cells in the order of the table's columns.
pub type KeyedRow = (String, Vec<SqlValue>);

/// A table a bulk write fills: its name and its columns besides `id`.
#[derive(Debug, Clone, Copy)]
pub struct BulkTable {
    pub table: &'static str,
    pub columns: &'static [Column],
    /// The columns an upsert matches rows on.
    pub key: &'static [&'static str],
}

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// What has been written to one table so far.
struct Tally {
    spec: BulkTable,
    /// Rows in the table when the transaction began (SQLite).
    before: i64,
    received: u64,
    /// Rows inserted or changed.
    affected: u64,
    /// Rows inserted (PostgreSQL; on SQLite known at commit).
    inserted: u64,
    /// SQLite: the `CREATE INDEX` statements of the plain indexes dropped for the load, to run
    /// again before the commit (None while they are in place).
    deferred: Option<Vec<String>>,
}

/// An open bulk write; dropped without [`BulkWrite::commit`], it writes nothing.
pub struct BulkWrite {
    tx: Tx,
    dialect: Dialect,
    tallies: Vec<Tally>,
    /// This process's turn to write on SQLite, held until the write ends.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    store: Store,
}

macro_rules! bind_rows {
    ($sql:expr, $rows:expr) => {{
        let mut q = sqlx::query(AssertSqlSafe($sql));
        for (key, values) in $rows {
            q = q.bind(key);
            for v in values {
                q = bind_cell!(q, v);
            }
        }
        q
    }};
}

/// The staging table of the bulk write's table number `at` (PostgreSQL).
fn stage(at: usize) -> String {
    format!("revcast_bulk_stage_{at}")
}

/// Drops the plain (not unique) indexes of `table` in the transaction; returns the statements
/// that make them again.
async fn drop_plain_indexes(
    tx: &mut Transaction<'static, Sqlite>,
    table: &str,
) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT m.name, m.sql FROM sqlite_master AS m JOIN pragma_index_list('{table}') AS l \
         ON l.name = m.name WHERE m.type = 'index' AND l.\"unique\" = 0 AND l.origin = 'c' \
         ORDER BY m.name"
    );
    let indexes: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(&mut **tx)
        .await?;
    let mut again = Vec::with_capacity(indexes.len());
    for (name, create) in indexes {
        let drop = format!("DROP INDEX \"{}\"", name.replace('"', "\"\""));
        sqlx::query(AssertSqlSafe(drop)).execute(&mut **tx).await?;
        again.push(create);
    }
    Ok(again)
}

async fn count_sqlite(tx: &mut Transaction<'static, Sqlite>, table: &str) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    Ok(sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(&mut **tx)
        .await?)
}

impl Store {
    /// Begins a bulk write to `tables` (in the order [`BulkWrite::write`] names them by index).
    pub async fn begin_bulk(&self, tables: &[BulkTable]) -> Result<BulkWrite> {
        let mut tallies: Vec<Tally> = tables
            .iter()
            .map(|&spec| Tally {
                spec,
                before: 0,
                received: 0,
                affected: 0,
                inserted: 0,
                deferred: None,
            })
            .collect();
        let turn = self.writer_turn().await;
        let tx = match &self.pool {
            Pool::Sqlite(p) => {
                let mut tx = p.begin_write().await?;
                // A bulk write touches every index page many times: with SQLite's default 2 MB
                // page cache, pages are spilled to the WAL and read back over and over.
                sqlx::query(AssertSqlSafe(format!(
                    "PRAGMA cache_size = -{BULK_CACHE_KIB}"
                )))
                .execute(&mut *tx)
                .await?;
                for t in &mut tallies {
                    t.before = count_sqlite(&mut tx, t.spec.table).await?;
                }
                Tx::Sqlite(tx)
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin_write().await?;
                for (at, t) in tallies.iter().enumerate() {
                    let sql = format!(
                        "CREATE TEMPORARY TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP",
                        stage(at),
                        t.spec.table
                    );
                    sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await?;
                }
                Tx::Postgres(tx)
            }
        };
        Ok(BulkWrite {
            tx,
            dialect: self.dialect(),
            tallies,
            _turn: turn,
            store: self.clone(),
        })
    }
}

impl BulkWrite {
    /// Upserts `rows` into table `table` (an index into the tables given to
    /// [`Store::begin_bulk`]). Keys must not repeat within the whole write: counts assume each
    /// key is written once.
    pub async fn write(&mut self, table: usize, rows: Vec<KeyedRow>) -> Result<()> {
        let tally = &mut self.tallies[table];
        let spec = tally.spec;
        tally.received += rows.len() as u64;
        match &mut self.tx {
            Tx::Sqlite(tx) => {
                if tally.deferred.is_none()
                    && tally.received > u64::try_from(tally.before).unwrap_or(0)
                {
                    tally.deferred = Some(drop_plain_indexes(tx, spec.table).await?);
                }
                let dialect = self.dialect;
                let per_statement = dialect.rows_per_statement(spec.columns.len() + 1);
                let upsert = |n| dialect.upsert(spec.table, spec.columns, spec.key, n);
                let full = upsert(per_statement);
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<KeyedRow> = rows.by_ref().take(per_statement).collect();
                    let sql = if chunk.len() == per_statement {
                        full.clone()
                    } else {
                        upsert(chunk.len())
                    };
                    let q = bind_rows!(sql, chunk);
                    tally.affected += q.execute(&mut **tx).await?.rows_affected();
                }
            }
            Tx::Postgres(tx) => {
                let mut text = Vec::with_capacity(rows.len() * 128);
                for (key, cells) in &rows {
                    copy_text::push_row(&mut text, key, cells);
                }
                let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
                let sql = format!(
                    "COPY {} (id, {}) FROM STDIN",
                    stage(table),
                    names.join(", ")
                );
                let mut copy = tx.copy_in_raw(&sql).await?;
                copy.send(text).await?;
                copy.finish().await?;
            }
        }
        Ok(())
    }

    /// Commits everything written; returns the counts per table, in the order given.
    pub async fn commit(mut self) -> Result<Vec<UpsertCounts>> {
        match &mut self.tx {
            Tx::Sqlite(tx) => {
                for t in &mut self.tallies {
                    for create in t.deferred.take().unwrap_or_default() {
                        sqlx::query(AssertSqlSafe(create))
                            .execute(&mut **tx)
                            .await?;
                    }
                    let after = count_sqlite(tx, t.spec.table).await?;
                    t.inserted = u64::try_from(after - t.before).unwrap_or(0);
                }
                // The connection goes back to the pool with the ordinary cache.
                sqlx::query("PRAGMA cache_size = -2000")
                    .execute(&mut **tx)
                    .await?;
            }
            Tx::Postgres(tx) => {
                for (at, t) in self.tallies.iter_mut().enumerate() {
                    let spec = t.spec;
                    let sql =
                        Dialect::upsert_staged(spec.table, &stage(at), spec.columns, spec.key);
                    let (written, inserted): (i64, i64) = sqlx::query_as(AssertSqlSafe(sql))
                        .fetch_one(&mut **tx)
                        .await?;
                    t.affected = u64::try_from(written).unwrap_or(0);
                    t.inserted = u64::try_from(inserted).unwrap_or(0);
                }
            }
        }
        let written = super::memo::tables_written(self.tallies.iter().map(|t| t.spec.table));
        let mark = super::memo::mark_changed_sql(self.store.dialect(), &written);
        match self.tx {
            Tx::Sqlite(mut tx) => {
                sqlx::query(AssertSqlSafe(mark)).execute(&mut *tx).await?;
                tx.commit().await?
            }
            Tx::Postgres(mut tx) => {
                sqlx::query(AssertSqlSafe(mark)).execute(&mut *tx).await?;
                tx.commit().await?
            }
        }
        self.store.after_commit(&written).await;
        Ok(self
            .tallies
            .iter()
            .map(|t| {
                let updated = t.affected.saturating_sub(t.inserted);
                UpsertCounts {
                    received: t.received,
                    inserted: t.inserted,
                    updated,
                    unchanged: t.received.saturating_sub(t.inserted + updated),
                }
            })
            .collect())
    }
}
