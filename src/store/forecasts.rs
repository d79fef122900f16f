//! The forecast accuracy ledger: every forecast served, stored as snapshots (the total and each
//! group) so that closed periods can be scored against what was actually won.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AssertSqlSafe;

use super::write::BeginWrite;
use super::{on_pool, Pool, Result, Store};
use crate::domain::Period;
use crate::forecast::ForecastSnapshot;

/// A stored snapshot and the grouping it belongs to (`""` for the total of any forecast).
#[derive(Debug, Clone)]
pub struct SnapshotRow {
    /// `owner`, `team`, `region`, `product`, or `""` for totals.
    pub group_by: String,
    pub snapshot: ForecastSnapshot,
    pub created_at: DateTime<Utc>,
}

/// A `forecast_snapshots` row as stored, read by column name (period and day as text, parts as
/// JSON text).
#[derive(sqlx::FromRow)]
struct StoredSnapshot {
    period: String,
    as_of: String,
    group_by: String,
    group_key: String,
    p10: f64,
    p50: f64,
    p90: f64,
    mean: f64,
    parts: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<StoredSnapshot> for SnapshotRow {
    type Error = anyhow::Error;

    fn try_from(r: StoredSnapshot) -> anyhow::Result<SnapshotRow> {
        let bad = |what: &str| anyhow::anyhow!("stored forecast snapshot has a bad {what}");
        Ok(SnapshotRow {
            group_by: r.group_by,
            snapshot: ForecastSnapshot {
                period: Period::parse(&r.period).map_err(|_| bad("period"))?,
                as_of: r.as_of.parse::<NaiveDate>().map_err(|_| bad("as_of"))?,
                group: r.group_key,
                p10: r.p10,
                p50: r.p50,
                p90: r.p90,
                mean: r.mean,
                parts: serde_json::from_str(&r.parts)?,
            },
            created_at: r.created_at,
        })
    }
}

const WIDTH: usize = 11;
const COLUMNS: &str =
    "id, period, as_of, group_by, group_key, p10, p50, p90, mean, parts, created_at";

impl Store {
    /// Stores snapshots, replacing any earlier one of the same period, as-of day, grouping and
    /// group (the latest forecast made on a day is the one scored).
    pub async fn save_snapshots(&self, rows: &[SnapshotRow]) -> Result<()> {
        let d = self.dialect();
        let param = |n: usize| match (&self.pool, n % WIDTH) {
            // The 10th column (parts) is JSON.
            (Pool::Postgres(_), 10) => format!("CAST(${n} AS json)"),
            _ => d.param(n),
        };
        let _writer = self.writer_turn().await;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for chunk in rows.chunks(d.rows_per_statement(WIDTH)) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let ps: Vec<String> = (1..=WIDTH).map(|k| param(i * WIDTH + k)).collect();
                        format!("({})", ps.join(", "))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO forecast_snapshots ({COLUMNS}) VALUES {} ON CONFLICT (id) DO UPDATE SET \
                     p10 = excluded.p10, p50 = excluded.p50, p90 = excluded.p90, mean = excluded.mean, \
                     parts = excluded.parts, created_at = excluded.created_at",
                    values.join(", ")
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for r in chunk {
                    let s = &r.snapshot;
                    q = q
                        .bind(format!("{}|{}|{}|{}", s.period, s.as_of, r.group_by, s.group))
                        .bind(s.period.to_string())
                        .bind(s.as_of.to_string())
                        .bind(&r.group_by)
                        .bind(&s.group)
                        .bind(s.p10)
                        .bind(s.p50)
                        .bind(s.p90)
                        .bind(s.mean)
                        .bind(s.parts.to_string())
                        .bind(r.created_at);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every stored snapshot of a grouping (`""`: the totals), oldest period and as-of first.
    pub async fn snapshots(&self, group_by: &str) -> Result<Vec<SnapshotRow>> {
        let parts = match self.pool {
            Pool::Postgres(_) => "parts::text AS parts",
            Pool::Sqlite(_) => "parts",
        };
        let sql = format!(
            "SELECT period, as_of, group_by, group_key, p10, p50, p90, mean, {parts}, created_at \
             FROM forecast_snapshots WHERE group_by = {} ORDER BY period, as_of, group_key",
            self.dialect().param(1)
        );
        let rows = on_pool!(self, p => {
            sqlx::query_as::<_, StoredSnapshot>(AssertSqlSafe(sql)).bind(group_by).fetch_all(p).await?
        });
        let rows: anyhow::Result<Vec<SnapshotRow>> =
            rows.into_iter().map(SnapshotRow::try_from).collect();
        Ok(rows?)
    }
}
