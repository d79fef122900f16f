//! API keys: stored by the SHA-256 of the key, never the key itself.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{on_pool, Result, Store};

/// A stored API key (without the key), read from its row by column name.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    /// Comma-separated scopes.
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, name, key_hash, scopes, created_at, revoked_at";

impl Store {
    pub async fn insert_api_key(&self, k: &ApiKeyRow) -> Result<()> {
        let d = self.dialect();
        let sql = format!(
            "INSERT INTO api_keys ({COLUMNS}) VALUES ({}, {}, {}, {}, {}, {})",
            d.param(1),
            d.param(2),
            d.param(3),
            d.param(4),
            d.param(5),
            d.param(6)
        );
        on_pool!(self, p => {
            sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(&k.id)
                .bind(&k.name)
                .bind(&k.key_hash)
                .bind(&k.scopes)
                .bind(k.created_at)
                .bind(k.revoked_at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// The key with this hash, revoked or not.
    pub async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKeyRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM api_keys WHERE key_hash = {}",
            self.dialect().param(1)
        );
        on_pool!(self, p => {
            Ok(sqlx::query_as::<_, ApiKeyRow>(AssertSqlSafe(sql.as_str()))
                .bind(hash)
                .fetch_optional(p)
                .await?)
        })
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id");
        on_pool!(self, p => {
            Ok(sqlx::query_as::<_, ApiKeyRow>(AssertSqlSafe(sql.as_str()))
                .fetch_all(p)
                .await?)
        })
    }

    /// Marks a key revoked; false when no key has this id. Revoking twice keeps the first time.
    pub async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        let d = self.dialect();
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, {}) WHERE id = {}",
            d.param(1),
            d.param(2)
        );
        let n = on_pool!(self, p => sqlx::query(AssertSqlSafe(sql.as_str())).bind(at).bind(id).execute(p).await?.rows_affected());
        Ok(n > 0)
    }
}
