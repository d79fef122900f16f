//! The model registry: versions with spec, metrics and artifact; which version of each kind is active.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};

use super::sql::Dialect;

use super::write::BeginWrite;
use super::{on_pool, Result, Store};

/// A stored model version. `artifact` is empty when listed without it.
#[derive(Debug, Clone)]
pub struct ModelVersionRow {
    pub id: String,
    /// lead, win or churn.
    pub kind: String,
    /// candidate, active or retired.
    pub status: String,
    pub algorithm: String,
    pub spec: serde_json::Value,
    pub metrics: serde_json::Value,
    pub artifact: Vec<u8>,
    pub trained_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
}

/// A `model_versions` row as stored, read by column name (spec and metrics as JSON text; the
/// artifact empty when it was not selected).
#[derive(sqlx::FromRow)]
struct StoredVersion {
    id: String,
    kind: String,
    status: String,
    algorithm: String,
    spec: String,
    metrics: String,
    #[sqlx(default)]
    artifact: Vec<u8>,
    trained_at: DateTime<Utc>,
    activated_at: Option<DateTime<Utc>>,
}

impl TryFrom<StoredVersion> for ModelVersionRow {
    type Error = anyhow::Error;

    fn try_from(r: StoredVersion) -> anyhow::Result<ModelVersionRow> {
        Ok(ModelVersionRow {
            id: r.id,
            kind: r.kind,
            status: r.status,
            algorithm: r.algorithm,
            spec: serde_json::from_str(&r.spec)?,
            metrics: serde_json::from_str(&r.metrics)?,
            artifact: r.artifact,
            trained_at: r.trained_at,
            activated_at: r.activated_at,
        })
    }
}

impl Store {
    fn version_columns(&self, with_artifact: bool) -> String {
        let text = |c: &str| match self.dialect() {
            Dialect::Postgres => format!("{c}::text AS {c}"),
            Dialect::Sqlite => c.to_string(),
        };
        let mut cols = format!(
            "id, kind, status, algorithm, {}, {}, trained_at, activated_at",
            text("spec"),
            text("metrics")
        );
        if with_artifact {
            cols.push_str(", artifact");
        }
        cols
    }

    pub async fn insert_model_version(&self, v: &ModelVersionRow) -> Result<()> {
        let d = self.dialect();
        let json_param = |n: usize| match d {
            Dialect::Postgres => format!("CAST(${n} AS json)"),
            Dialect::Sqlite => d.param(n),
        };
        let sql = format!(
            "INSERT INTO model_versions (id, kind, status, algorithm, spec, metrics, artifact, trained_at, activated_at) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
            d.param(1), d.param(2), d.param(3), d.param(4), json_param(5), json_param(6), d.param(7), d.param(8), d.param(9)
        );
        on_pool!(self, p => {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&v.id)
                .bind(&v.kind)
                .bind(&v.status)
                .bind(&v.algorithm)
                .bind(v.spec.to_string())
                .bind(v.metrics.to_string())
                .bind(&v.artifact)
                .bind(v.trained_at)
                .bind(v.activated_at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Versions newest first, without artifacts; of one kind when given.
    pub async fn model_versions(&self, kind: Option<&str>) -> Result<Vec<ModelVersionRow>> {
        let d = self.dialect();
        let sql = format!(
            "SELECT {} FROM model_versions WHERE ({p} IS NULL OR kind = {p}) ORDER BY trained_at DESC, id DESC",
            self.version_columns(false),
            p = d.param(1)
        );
        let rows = on_pool!(self, p => {
            sqlx::query_as::<_, StoredVersion>(AssertSqlSafe(sql)).bind(kind).fetch_all(p).await?
        });
        let rows: anyhow::Result<Vec<ModelVersionRow>> =
            rows.into_iter().map(ModelVersionRow::try_from).collect();
        Ok(rows?)
    }

    /// One version with its artifact.
    pub async fn model_version(&self, id: &str) -> Result<Option<ModelVersionRow>> {
        let sql = format!(
            "SELECT {} FROM model_versions WHERE id = {}",
            self.version_columns(true),
            self.dialect().param(1)
        );
        let row = on_pool!(self, p => {
            sqlx::query_as::<_, StoredVersion>(AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?
        });
        Ok(row.map(ModelVersionRow::try_from).transpose()?)
    }

    /// (kind, version id) of every active version.
    pub async fn active_versions(&self) -> Result<Vec<(String, String)>> {
        let sql = "SELECT kind, id FROM model_versions WHERE status = 'active' ORDER BY kind";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get("kind")?, r.try_get("id")?));
            }
            Ok(out)
        })
    }

    /// Makes `id` the active version of its kind and retires the one it replaces, atomically.
    pub async fn activate_model_version(
        &self,
        kind: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let d = self.dialect();
        let retire = format!(
            "UPDATE model_versions SET status = 'retired' WHERE kind = {} AND status = 'active' AND id <> {}",
            d.param(1),
            d.param(2)
        );
        let activate = format!(
            "UPDATE model_versions SET status = 'active', activated_at = {} WHERE id = {}",
            d.param(1),
            d.param(2)
        );
        let _writer = self.writer_turn().await;
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query(AssertSqlSafe(retire)).bind(kind).bind(id).execute(&mut *tx).await?;
            sqlx::query(AssertSqlSafe(activate)).bind(at).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
