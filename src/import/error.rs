//! File-level import problems: the mapping or the CSV as a whole cannot be used.
//!
//! Problems with single cells are not errors here: they travel as [`super::LineProblem`]s so a user
//! sees every bad line at once.

use std::path::PathBuf;

/// Why a mapping cannot be loaded or a CSV file cannot be mapped at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the mapping is not valid TOML or has a wrong key: {0}")]
    Toml(#[from] toml::de::Error),

    #[error("mapping key `{key}`: {reason}")]
    Invalid { key: String, reason: String },

    #[error("mapping key `{key}`: unknown entity `{entity}`; expected one of: {expected}")]
    UnknownEntity {
        key: String,
        entity: String,
        expected: String,
    },

    #[error("mapping key `{key}`: {entity} has no field `{field}` ({reason})")]
    UnknownField {
        key: String,
        entity: String,
        field: String,
        reason: String,
    },

    #[error("mapping key `{key}`: bad date/time format `{format}` (chrono strftime syntax, e.g. %Y-%m-%d)")]
    BadFormat { key: String, format: String },

    #[error("this mapping imports `{mapping}`, not `{named}`; run the import for `{mapping}` or pick a mapping for `{named}`")]
    EntityMismatch { named: String, mapping: String },

    #[error("the CSV has no column `{column}`, which the mapping uses at `{key}`; columns found: {found}")]
    MissingColumn {
        column: String,
        key: String,
        found: String,
    },

    #[error("the CSV header names column `{column}` twice; rename one of them")]
    DuplicateColumn { column: String },

    #[error("lookup `{name}`: cannot read {}: {reason}", path.display())]
    LookupFile {
        name: String,
        path: PathBuf,
        reason: String,
    },

    #[error("cannot read the CSV: {0}")]
    Csv(String),

    #[error("cannot read {}: {reason}", path.display())]
    File { path: PathBuf, reason: String },

    /// Cells of a rollup's files that cannot be read, each with its file; nothing is built.
    #[error("{} bad cell(s); nothing was imported:\n{}", .0.len(), cells(.0))]
    BadCells(Vec<(String, super::LineProblem)>),
}

/// The first 50 bad cells, one per line of text.
fn cells(problems: &[(String, super::LineProblem)]) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .take(50)
        .map(|(file, p)| format!("{file}: {p}"))
        .collect();
    if problems.len() > 50 {
        lines.push(format!("... and {} more", problems.len() - 50));
    }
    lines.join("\n")
}

impl ImportError {
    pub(crate) fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ImportError::Invalid {
            key: key.into(),
            reason: reason.into(),
        }
    }
}
