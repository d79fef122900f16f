//! The entities a mapping can produce, named by their path, and the domain parser for each.

use serde_json::{json, Value};

use crate::domain::{parse_row, Column, Record, RowProblem, SqlValue};

use super::fields::{fast_store, FastStore};
use super::ImportError;

/// Parses one row as its entity; returns the entity's key (its id, or its natural key).
pub(crate) type Parser = fn(Value) -> Result<String, Vec<RowProblem>>;

/// Parses one row as its entity; returns its key and its cells in the order of its columns,
/// as the store writes them.
pub(crate) type ToStore = fn(Value) -> Result<(String, Vec<SqlValue>), Vec<RowProblem>>;

fn parse<T: Record>(row: Value) -> Result<String, Vec<RowProblem>> {
    parse_row::<T>(row).map(|r| r.key())
}

fn to_store<T: Record>(row: Value) -> Result<(String, Vec<SqlValue>), Vec<RowProblem>> {
    parse_row::<T>(row).map(|r| (r.key(), r.into_values()))
}

/// An importable entity: its names, its columns and its parsers.
#[derive(Clone, Copy)]
pub struct EntityKind {
    /// The path name (`stage-events`).
    pub path: &'static str,
    pub table: &'static str,
    /// The columns besides `id`, in the order of [`EntityKind::to_store`]'s cells.
    pub columns: &'static [Column],
    /// The columns that identify a row ([`Record::KEY_COLUMNS`]).
    pub key: &'static [&'static str],
    pub(crate) parse: Parser,
    pub(crate) to_store: ToStore,
    /// [`EntityKind::to_store`] from the row's fields without a JSON object (see `fields`).
    pub(crate) fast: FastStore,
}

const fn kind<T: Record>() -> EntityKind {
    EntityKind {
        path: T::PATH,
        table: T::TABLE,
        columns: T::COLUMNS,
        key: T::KEY_COLUMNS,
        parse: parse::<T>,
        to_store: to_store::<T>,
        fast: fast_store::<T>,
    }
}

macro_rules! entity_kinds {
    ($($module:ident: $T:ty,)*) => {
        /// Every importable entity.
        const ENTITIES: &[EntityKind] = &[$(kind::<$T>(),)*];
    };
}
crate::with_entities!(entity_kinds);

/// The entity of a path name, if it is one.
pub fn entity_kind(entity: &str) -> Option<EntityKind> {
    ENTITIES.iter().find(|k| k.path == entity).copied()
}

/// The domain parser of an entity path name, if it is one.
pub(crate) fn parser(entity: &str) -> Option<Parser> {
    entity_kind(entity).map(|k| k.parse)
}

pub(crate) fn entity_names() -> String {
    ENTITIES
        .iter()
        .map(|k| k.path)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn check_entity(key: &str, entity: &str) -> Result<(), ImportError> {
    match parser(entity) {
        Some(_) => Ok(()),
        None => Err(ImportError::UnknownEntity {
            key: key.to_string(),
            entity: entity.to_string(),
            expected: entity_names(),
        }),
    }
}

/// Asks the entity's own deserializer whether `field` is one of its fields, so the mapping
/// check can never disagree with what the store accepts.
pub(crate) fn check_field(key: &str, entity: &str, field: &str) -> Result<(), ImportError> {
    let parse = parser(entity).expect("entity checked before its fields");
    let Err(problems) = parse(json!({ field: null })) else {
        return Ok(());
    };
    match problems
        .iter()
        .find(|p| p.reason.starts_with("unknown field"))
    {
        Some(p) => Err(ImportError::UnknownField {
            key: key.to_string(),
            entity: entity.to_string(),
            field: field.to_string(),
            reason: p.reason.clone(),
        }),
        None => Ok(()),
    }
}
