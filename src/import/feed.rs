//! What a streaming import hands the store: every row of a checked line as the cells the store
//! writes, for each entity the mapping produces.

use super::entities::{entity_kind, EntityKind};
use super::Mapping;
use crate::domain::SqlValue;

/// A row as the store writes it: its key and its cells in the order of its entity's columns.
pub type StoreRow = (String, Vec<SqlValue>);

/// The entities an import of `mapping` writes, main first (as [`Mapping::entities`]).
pub fn entity_kinds(mapping: &Mapping) -> Vec<EntityKind> {
    mapping
        .entities()
        .into_iter()
        .map(|e| entity_kind(e).expect("entities are checked when the mapping loads"))
        .collect()
}
