//! How an entity maps onto a table row, without naming a database library.
//!
//! Every entity is a [`Record`]: a text key (the CRM id, or its composite key) and a fixed list of
//! typed columns. The store binds and reads [`SqlValue`]s generically, so one upsert, one get and one
//! listing serve every entity on every backend.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{de::DeserializeOwned, Serialize};

/// Custom CRM fields, kept and returned as given.
pub type Attributes = serde_json::Map<String, serde_json::Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Int,
    Float,
    Bool,
    Timestamp,
    Date,
    Json,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
}

/// One cell, typed as its column.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(Option<bool>),
    Timestamp(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Json(serde_json::Value),
}

/// A stored row could not be turned back into its entity (a schema or data defect, not user input).
#[derive(Debug, thiserror::Error)]
#[error("stored {table} row has a bad `{column}`: {reason}")]
pub struct RecordError {
    pub table: &'static str,
    pub column: &'static str,
    pub reason: String,
}

/// An entity the store can upsert by key, read back by key and list in key order.
pub trait Record: Sized + Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    /// Table name.
    const TABLE: &'static str;
    /// The URL path segment and the CLI entity name, e.g. `stage-events`.
    const PATH: &'static str;
    /// The columns besides the key column `id`, in the order of `to_values`.
    const COLUMNS: &'static [Column];

    /// The columns that identify a record: `["id"]` for entities with a CRM id, the natural key's
    /// columns for the others (a stage event is its deal, stage and moment). Upserts match on them.
    const KEY_COLUMNS: &'static [&'static str] = &["id"];

    /// The column (one of `COLUMNS`) naming the record this one belongs to, for listing a
    /// deal's stage events, an account's snapshots or a rep's quotas; None for top-level entities.
    const PARENT: Option<&'static str> = None;

    /// The model whose stored scores a change of this entity can change (rescored after ingestion).
    const FEEDS: Option<crate::domain::ModelKind> = None;

    /// The CRM id, or for entities without one, their natural key made by [`join_key`].
    fn key(&self) -> String;
    /// Cell values in the order of `COLUMNS`.
    fn to_values(&self) -> Vec<SqlValue>;
    /// [`Record::to_values`] taking the record, so its text is moved instead of copied.
    fn into_values(self) -> Vec<SqlValue> {
        self.to_values()
    }
    /// What a database could not hold of the record (see [`super::storable`]), as (field,
    /// reason), in the order of `COLUMNS`: the same as the problems of [`Record::to_values`]'s
    /// cells, without building them.
    fn storable_problems(&self) -> Vec<(String, String)> {
        super::storable::problems(Self::COLUMNS, &self.to_values())
    }
    /// Rebuilds the entity from its key and the cells in the order of `COLUMNS`.
    fn from_values(key: String, values: Vec<SqlValue>) -> Result<Self, RecordError>;
    /// Checks that span fields (dates in order, ranges); each problem is (field, reason).
    fn check(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// The key of an entity identified by several fields: the fields joined with `|`, each with a
/// backslash before any `|` or backslash of its own, so that different fields never give the same key
/// (`COLL|A` + `B` and `COLL` + `A|B` stay two keys). The database also holds the fields as columns
/// under a unique index (see [`Record::KEY_COLUMNS`]).
pub fn join_key(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        for ch in p.chars() {
            if ch == '|' || ch == '\\' {
                out.push('\\');
            }
            out.push(ch);
        }
    }
    out
}
