//! CSV import through a column mapping: a CRM export plus a TOML mapping become JSON rows for
//! one or more entities, ready for the same parser and upsert as an API batch.
//!
//! The engine is pure: it reads from any `Read` and returns rows; the CLI opens files, shows
//! progress and writes to the store. The mapping format is documented in
//! `training/mappings/README.md`.
//!
//! Problems come at two levels. A mapping or file that cannot be used at all (bad TOML, an
//! unknown field, a missing column) is an [`ImportError`]. A bad cell (a date that does not
//! parse, text in a number column) is a [`LineProblem`] carried on its [`MappedRow`]; mapping
//! goes on, and [`check_rows`] reports every problem of every line at once.

mod cell;
mod check;
mod decimal;
mod engine;
mod entities;
mod error;
mod feed;
mod fields;
mod file;
mod keys;
mod lookup;
mod mapping;
mod parse;
mod plan;
mod rollup;
mod scoring;
mod source;
pub mod spec;
mod stream;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use check::check_rows;
pub(crate) use check::row_problems;
pub use engine::map_csv;
pub(crate) use engine::LineMapper;
pub use entities::{entity_kind, EntityKind};
pub use error::ImportError;
pub use feed::{entity_kinds, StoreRow};
pub use file::{sniff_delimiter, CsvFile};
pub use mapping::Mapping;
pub use rollup::{is_rollup, SnapshotRollup};
pub(crate) use scoring::{AttrValue, Scoring, ScoringRoad};
pub use stream::{check_file, CheckReport, Feed, Problems, SHOWN_PROBLEMS};

/// The rows one import produced for one entity.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRows {
    /// The entity's path name (`opportunities`, `stage-events`, ...).
    pub entity: String,
    pub rows: Vec<MappedRow>,
}

impl EntityRows {
    /// The JSON rows alone, in file order, for `parse_batch` or the ingest service.
    pub fn values(&self) -> Vec<serde_json::Value> {
        self.rows.iter().map(|r| r.value.clone()).collect()
    }
}

/// One output row and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedRow {
    /// 1-based line of the CSV file where the row starts (the header is line 1).
    pub line: u64,
    /// A JSON object for the entity; null fields are left out. `Null` when the line could not
    /// be read at all (see `problems`).
    pub value: serde_json::Value,
    /// Cells of this line the mapping could not convert; their fields are left out of `value`.
    pub problems: Vec<LineProblem>,
}

/// A problem with one line of the CSV: the line, the field at fault, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineProblem {
    /// 1-based line in the CSV file (the header is line 1).
    pub line: u64,
    /// The entity field (`amount`, `attributes.tenure`); empty when the whole line is wrong.
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}, {}: {}", self.line, self.field, self.reason)
        }
    }
}
