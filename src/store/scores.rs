//! The latest score of each stored open lead, deal or account, with the previous probability.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;

use super::write::BeginWrite;
use super::{on_pool, Pool, Result, Store};
use crate::domain::ColType;

#[derive(Debug, Clone)]
pub struct ScoreRow {
    /// lead, win or churn.
    pub kind: String,
    pub entity_id: String,
    pub owner_id: Option<String>,
    pub probability: f64,
    /// The probability of the score this one replaced.
    pub previous_probability: Option<f64>,
    /// What the list is ordered by: probability, expected value or revenue at risk.
    pub value: f64,
    pub model_version: String,
    /// The full scored record as served.
    pub explanation: serde_json::Value,
    pub scored_at: DateTime<Utc>,
}

/// A `scores` row as stored, read by column name (the explanation as JSON text).
#[derive(sqlx::FromRow)]
struct StoredScore {
    kind: String,
    entity_id: String,
    owner_id: Option<String>,
    probability: f64,
    previous_probability: Option<f64>,
    value: f64,
    model_version: String,
    explanation: String,
    scored_at: DateTime<Utc>,
}

/// Which churn scores a page of the churn-risk list holds, and in what order. The filters read
/// the list entry stored in each score's explanation.
#[derive(Debug, Clone, Default)]
pub struct ChurnScoreFilter<'a> {
    pub owner: Option<&'a str>,
    pub segment: Option<&'a str>,
    /// Only entries with at least this ARR.
    pub min_arr: Option<f64>,
    /// Only entries renewing on a day in this range (both ends included).
    pub renewal_between: Option<(NaiveDate, NaiveDate)>,
    /// By probability; otherwise by value (revenue at risk). Ties in account id order.
    pub by_probability: bool,
    /// The account the previous page ended with: the page starts after it (empty when it is not
    /// on the filtered list).
    pub after: Option<&'a str>,
    pub limit: u32,
}

impl TryFrom<StoredScore> for ScoreRow {
    type Error = anyhow::Error;

    fn try_from(r: StoredScore) -> anyhow::Result<ScoreRow> {
        Ok(ScoreRow {
            kind: r.kind,
            entity_id: r.entity_id,
            owner_id: r.owner_id,
            probability: r.probability,
            previous_probability: r.previous_probability,
            value: r.value,
            model_version: r.model_version,
            explanation: serde_json::from_str(&r.explanation)?,
            scored_at: r.scored_at,
        })
    }
}

impl Store {
    /// The current probability of every scored entity of a kind.
    pub async fn score_probabilities(&self, kind: &str) -> Result<HashMap<String, f64>> {
        let sql = format!(
            "SELECT entity_id, probability FROM scores WHERE kind = {}",
            self.dialect().param(1)
        );
        on_pool!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(kind).fetch_all(p).await?;
            let mut out = HashMap::with_capacity(rows.len());
            for r in rows {
                out.insert(r.try_get("entity_id")?, r.try_get("probability")?);
            }
            Ok(out)
        })
    }

    /// Replaces every score of `kind` with `rows`, in one transaction (records no longer open drop out).
    pub async fn replace_scores(&self, kind: &str, rows: &[ScoreRow]) -> Result<()> {
        let d = self.dialect();
        let delete = format!("DELETE FROM scores WHERE kind = {}", d.param(1));
        const WIDTH: usize = 10;

        let _writer = self.writer_turn().await;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query(AssertSqlSafe(delete)).bind(kind).execute(&mut *tx).await?;
            for chunk in rows.chunks(d.rows_per_statement(WIDTH)) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let b = i * WIDTH;
                        let ps: Vec<String> = (1..=WIDTH)
                            .map(|k| {
                                let ty = if k == 9 { ColType::Json } else { ColType::Text };
                                d.value_param(b + k, ty)
                            })
                            .collect();
                        format!("({})", ps.join(", "))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO scores (id, kind, entity_id, owner_id, probability, previous_probability, value, model_version, explanation, scored_at) VALUES {}",
                    values.join(", ")
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for r in chunk {
                    q = q
                        .bind(format!("{}|{}", r.kind, r.entity_id))
                        .bind(&r.kind)
                        .bind(&r.entity_id)
                        .bind(&r.owner_id)
                        .bind(r.probability)
                        .bind(r.previous_probability)
                        .bind(r.value)
                        .bind(&r.model_version)
                        .bind(r.explanation.to_string())
                        .bind(r.scored_at);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The best `limit` scores of a kind (by value, then entity id), optionally of one owner.
    pub async fn top_scores(
        &self,
        kind: &str,
        owner: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ScoreRow>> {
        let d = self.dialect();
        let explanation = match self.pool {
            Pool::Postgres(_) => "explanation::text AS explanation",
            Pool::Sqlite(_) => "explanation",
        };
        let sql = format!(
            "SELECT kind, entity_id, owner_id, probability, previous_probability, value, model_version, {explanation}, scored_at \
             FROM scores WHERE kind = {} AND ({p2} IS NULL OR owner_id = {p2}) ORDER BY value DESC, entity_id LIMIT {}",
            d.param(1),
            d.param(3),
            p2 = d.param(2)
        );
        let rows = on_pool!(self, p => {
            sqlx::query_as::<_, StoredScore>(AssertSqlSafe(sql))
                .bind(kind)
                .bind(owner)
                .bind(i64::from(limit))
                .fetch_all(p)
                .await?
        });
        let rows: anyhow::Result<Vec<ScoreRow>> =
            rows.into_iter().map(ScoreRow::try_from).collect();
        Ok(rows?)
    }

    /// One page of the churn scores that pass `f`, in its order, filtered and paged by the
    /// database (the book is never read whole).
    pub async fn churn_score_page(&self, f: &ChurnScoreFilter<'_>) -> Result<Vec<ScoreRow>> {
        let d = self.dialect();
        let (explanation, field) = match self.pool {
            Pool::Postgres(_) => (
                "explanation::text AS explanation",
                pg_field as fn(&str) -> String,
            ),
            Pool::Sqlite(_) => ("explanation", sqlite_field as fn(&str) -> String),
        };
        let mut n = 0;
        let mut next = || {
            n += 1;
            d.param(n)
        };
        let mut filters = vec!["kind = 'churn'".to_string()];
        if f.owner.is_some() {
            filters.push(format!("owner_id = {}", next()));
        }
        if f.segment.is_some() {
            filters.push(format!("{} = {}", field("segment"), next()));
        }
        if f.min_arr.is_some() {
            let arr = match self.pool {
                Pool::Postgres(_) => format!("CAST({} AS DOUBLE PRECISION)", field("arr")),
                Pool::Sqlite(_) => field("arr"),
            };
            filters.push(format!("{arr} >= {}", next()));
        }
        if f.renewal_between.is_some() {
            let day = match self.pool {
                Pool::Postgres(_) => format!("CAST({} AS DATE)", field("renewal_date")),
                Pool::Sqlite(_) => field("renewal_date"),
            };
            filters.push(format!("{day} BETWEEN {} AND {}", next(), next()));
        }
        let rank = if f.by_probability {
            "probability"
        } else {
            "value"
        };
        let after = match f.after {
            Some(_) => format!(
                "WHERE EXISTS (SELECT 1 FROM listed AS mark WHERE mark.entity_id = {} AND \
                 (listed.list_rank < mark.list_rank OR \
                 (listed.list_rank = mark.list_rank AND listed.entity_id > mark.entity_id)))",
                next()
            ),
            None => String::new(),
        };
        let sql = format!(
            "WITH listed AS (SELECT kind, entity_id, owner_id, probability, previous_probability, value, \
             model_version, {explanation}, scored_at, {rank} AS list_rank FROM scores WHERE {}) \
             SELECT kind, entity_id, owner_id, probability, previous_probability, value, model_version, \
             explanation, scored_at FROM listed {after} ORDER BY list_rank DESC, entity_id LIMIT {}",
            filters.join(" AND "),
            next()
        );
        let rows = on_pool!(self, p => {
            let mut q = sqlx::query_as::<_, StoredScore>(AssertSqlSafe(sql));
            if let Some(owner) = f.owner {
                q = q.bind(owner);
            }
            if let Some(segment) = f.segment {
                q = q.bind(segment);
            }
            if let Some(arr) = f.min_arr {
                q = q.bind(arr);
            }
            if let Some((from, to)) = f.renewal_between {
                q = q.bind(from).bind(to);
            }
            if let Some(after) = f.after {
                q = q.bind(after);
            }
            q.bind(i64::from(f.limit)).fetch_all(p).await?
        });
        let rows: anyhow::Result<Vec<ScoreRow>> =
            rows.into_iter().map(ScoreRow::try_from).collect();
        Ok(rows?)
    }
}

/// A top-level field of a JSON column as text (SQLite: as stored, a number stays a number).
fn sqlite_field(name: &str) -> String {
    format!("json_extract(explanation, '$.{name}')")
}

fn pg_field(name: &str) -> String {
    format!("(explanation ->> '{name}')")
}
