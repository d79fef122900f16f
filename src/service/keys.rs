//! API keys: created once and shown once, stored as a SHA-256 hash, scoped, revocable.

use chrono::Utc;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use utoipa::ToSchema;

use super::{Result, ServiceError};
use crate::store::{ApiKeyRow, Store};

/// What a key may do. `admin` implies every other scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Score,
    Ingest,
    Read,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Score, Scope::Ingest, Scope::Read, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Score => "score",
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// Parses a comma-separated list such as `score,ingest`.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>> {
        let mut out = Vec::new();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let scope = Scope::parse(part).ok_or_else(|| {
                ServiceError::bad_input(
                    "scopes",
                    format!(
                        "unknown scope `{}`; use score, ingest, read or admin",
                        part.trim()
                    ),
                )
            })?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        if out.is_empty() {
            return Err(ServiceError::bad_input("scopes", "name at least one scope"));
        }
        out.sort();
        Ok(out)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The caller behind a valid key.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
}

impl Principal {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&Scope::Admin) || self.scopes.contains(&scope)
    }
}

/// A key as listed: never the key itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: chrono::DateTime<Utc>,
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

/// A freshly created key: `key` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub info: ApiKeyInfo,
    pub key: String,
}

/// Hex SHA-256 of a key: what the store keeps.
pub(super) fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn info(row: ApiKeyRow) -> ApiKeyInfo {
    ApiKeyInfo {
        scopes: row.scopes.split(',').filter_map(Scope::parse).collect(),
        id: row.id,
        name: row.name,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }
}

pub async fn create_key(store: &Store, name: &str, scopes: &[Scope]) -> Result<NewKey> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ServiceError::bad_input(
            "name",
            "give a name of 1 to 200 characters",
        ));
    }
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    let key = format!("rvc_{}", hex::encode(secret));
    let mut id = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut id);
    let row = ApiKeyRow {
        id: format!("key_{}", hex::encode(id)),
        name: name.to_string(),
        key_hash: hash(&key),
        scopes: scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(","),
        created_at: Utc::now(),
        revoked_at: None,
    };
    store.insert_api_key(&row).await?;
    Ok(NewKey {
        info: info(row),
        key,
    })
}

/// The principal behind `key`, or None for an unknown or revoked key (always asks the database;
/// serving uses the in-memory [`super::KeyRing`]).
pub async fn authenticate(store: &Store, key: &str) -> Result<Option<Principal>> {
    Ok(store
        .api_key_by_hash(&hash(key))
        .await?
        .and_then(|row| row.revoked_at.is_none().then(|| principal_of(row))))
}

/// The caller behind a stored key (revoked or not: the caller checks).
pub(super) fn principal_of(row: ApiKeyRow) -> Principal {
    let i = info(row);
    Principal {
        key_id: i.id,
        name: i.name,
        scopes: i.scopes,
    }
}

pub async fn list_keys(store: &Store) -> Result<Vec<ApiKeyInfo>> {
    Ok(store.list_api_keys().await?.into_iter().map(info).collect())
}

pub async fn revoke_key(store: &Store, id: &str) -> Result<()> {
    if store.revoke_api_key(id, Utc::now()).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("no API key with id `{id}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_dedupe_and_reject_unknown() {
        let s = Scope::parse_list("read, score,read").unwrap();
        assert_eq!(s, vec![Scope::Score, Scope::Read]);
        assert!(Scope::parse_list("read,root").is_err());
        assert!(Scope::parse_list(" , ").is_err());
    }

    #[test]
    fn admin_implies_every_scope() {
        let p = Principal {
            key_id: "k".into(),
            name: "n".into(),
            scopes: vec![Scope::Admin],
        };
        assert!(Scope::ALL.iter().all(|s| p.allows(*s)));
        let r = Principal {
            scopes: vec![Scope::Read],
            ..p
        };
        assert!(r.allows(Scope::Read) && !r.allows(Scope::Ingest));
    }
}
