//! The use cases that both the HTTP API and the CLI call: ingest a batch, manage API keys, and
//! (as they land) train, score, forecast and report. Reads the store, calls the pure logic,
//! writes back. Knows neither actix nor clap.

pub mod attainment;
pub mod batch_scores;
pub mod bulk_scoring;
pub mod churn;
mod demo;
pub mod forecast;
mod import;
mod ingest;
pub mod jobs;
pub mod json_leads;
mod keyring;
mod keys;
pub mod kpi_history;
pub mod kpis;
mod lead_road;
pub mod models;
pub mod ndjson;
pub mod quotas;
pub mod score_file;
pub mod warm;

pub use demo::{load_demo_world, score_demo_lists};
pub use import::{import_file, import_rows, ImportFailure, ImportOutcome, Progress};
pub use ingest::ingest_raw;
pub use keyring::{KeyRing, REFRESH_EVERY as KEY_REFRESH_EVERY};
pub use keys::{
    authenticate, create_key, list_keys, revoke_key, ApiKeyInfo, NewKey, Principal, Scope,
};

use crate::domain::RowProblem;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Rows of a batch failed validation; nothing was written.
    #[error("{} problem(s) in the batch", .0.len())]
    Invalid(Vec<RowProblem>),
    /// A named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A parameter is wrong (not a batch row).
    #[error("invalid `{field}`: {reason}")]
    BadInput { field: String, reason: String },
    /// The request conflicts with the current state (e.g. a training already running).
    #[error("{0}")]
    Conflict(String),
    /// No model of the kind is active yet: train or promote one first.
    #[error("{0}")]
    NoActiveModel(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A defect that is not the store's (a bad shipped spec, a task that panicked, an unreadable
    /// artifact): logged in full, a 500 without internals for the caller.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl ServiceError {
    /// A defect, with what went wrong.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        ServiceError::Internal(anyhow::anyhow!("{what}"))
    }

    pub fn bad_input(field: &str, reason: impl Into<String>) -> Self {
        ServiceError::BadInput {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// A text argument (`order`, `group_by`, `kind`) parsed into its type, the way the API's query
/// parameters are (see [`crate::domain::text::optional_text`]), or a bad input naming `field`.
pub fn parse_param<T>(field: &str, value: Option<&str>) -> Result<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value
        .map(|v| {
            v.parse()
                .map_err(|e| ServiceError::bad_input(field, format!("{e}")))
        })
        .transpose()
}
