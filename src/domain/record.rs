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

pub const fn col(name: &'static str, ty: ColType) -> Column {
    Column { name, ty }
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

    /// The CRM id, or for entities without one, their natural key joined with `|`.
    fn key(&self) -> String;
    /// Cell values in the order of `COLUMNS`.
    fn to_values(&self) -> Vec<SqlValue>;
    /// Rebuilds the entity from its key and the cells in the order of `COLUMNS`.
    fn from_values(key: String, values: Vec<SqlValue>) -> Result<Self, RecordError>;
    /// Checks that span fields (dates in order, ranges); each problem is (field, reason).
    fn check(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// Reads cells in column order while rebuilding a record.
pub struct Cells {
    table: &'static str,
    columns: &'static [Column],
    values: std::vec::IntoIter<SqlValue>,
    at: usize,
}

impl Cells {
    pub fn new(table: &'static str, columns: &'static [Column], values: Vec<SqlValue>) -> Self {
        Cells {
            table,
            columns,
            values: values.into_iter(),
            at: 0,
        }
    }

    fn bad(&self, reason: impl Into<String>) -> RecordError {
        let column = self
            .columns
            .get(self.at.saturating_sub(1))
            .map_or("?", |c| c.name);
        RecordError {
            table: self.table,
            column,
            reason: reason.into(),
        }
    }

    fn next(&mut self) -> Result<SqlValue, RecordError> {
        self.at += 1;
        self.values.next().ok_or_else(|| self.bad("missing cell"))
    }

    pub fn text(&mut self) -> Result<Option<String>, RecordError> {
        match self.next()? {
            SqlValue::Text(v) => Ok(v),
            other => Err(self.bad(format!("expected text, got {other:?}"))),
        }
    }

    pub fn req_text(&mut self) -> Result<String, RecordError> {
        self.text()?.ok_or_else(|| self.bad("null"))
    }

    pub fn int(&mut self) -> Result<Option<i64>, RecordError> {
        match self.next()? {
            SqlValue::Int(v) => Ok(v),
            other => Err(self.bad(format!("expected integer, got {other:?}"))),
        }
    }

    pub fn float(&mut self) -> Result<Option<f64>, RecordError> {
        match self.next()? {
            SqlValue::Float(v) => Ok(v),
            other => Err(self.bad(format!("expected float, got {other:?}"))),
        }
    }

    pub fn bool(&mut self) -> Result<Option<bool>, RecordError> {
        match self.next()? {
            SqlValue::Bool(v) => Ok(v),
            other => Err(self.bad(format!("expected boolean, got {other:?}"))),
        }
    }

    pub fn timestamp(&mut self) -> Result<Option<DateTime<Utc>>, RecordError> {
        match self.next()? {
            SqlValue::Timestamp(v) => Ok(v),
            other => Err(self.bad(format!("expected timestamp, got {other:?}"))),
        }
    }

    pub fn date(&mut self) -> Result<Option<NaiveDate>, RecordError> {
        match self.next()? {
            SqlValue::Date(v) => Ok(v),
            other => Err(self.bad(format!("expected date, got {other:?}"))),
        }
    }

    pub fn attributes(&mut self) -> Result<Attributes, RecordError> {
        match self.next()? {
            SqlValue::Json(serde_json::Value::Object(m)) => Ok(m),
            SqlValue::Json(serde_json::Value::Null) => Ok(Attributes::new()),
            other => Err(self.bad(format!("expected a JSON object, got {other:?}"))),
        }
    }

    /// Parses a cell with a checked constructor (ids, money, periods).
    pub fn parsed<V, T, E: std::fmt::Display>(
        &self,
        v: V,
        parse: impl FnOnce(V) -> Result<T, E>,
    ) -> Result<T, RecordError> {
        parse(v).map_err(|e| self.bad(e.to_string()))
    }
}
