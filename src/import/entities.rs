//! The entities a mapping can produce, named by their path, and the domain parser for each.

use serde_json::{json, Value};

use crate::domain::{
    parse_row, Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, Quota, Record, Rep,
    RowProblem, Spend, StageEvent,
};

use super::ImportError;

/// Parses one row as its entity; returns the entity's key (its id, or its natural key).
pub(crate) type Parser = fn(Value) -> Result<String, Vec<RowProblem>>;

fn parse<T: Record>(row: Value) -> Result<String, Vec<RowProblem>> {
    parse_row::<T>(row).map(|r| r.key())
}

/// Every importable entity: its path name and its row parser.
const ENTITIES: &[(&str, Parser)] = &[
    (Account::PATH, parse::<Account>),
    (Lead::PATH, parse::<Lead>),
    (Opportunity::PATH, parse::<Opportunity>),
    (StageEvent::PATH, parse::<StageEvent>),
    (Rep::PATH, parse::<Rep>),
    (Quota::PATH, parse::<Quota>),
    (AccountSnapshot::PATH, parse::<AccountSnapshot>),
    (ChurnEvent::PATH, parse::<ChurnEvent>),
    (Spend::PATH, parse::<Spend>),
];

/// The domain parser of an entity path name, if it is one.
pub(crate) fn parser(entity: &str) -> Option<Parser> {
    ENTITIES.iter().find(|(p, _)| *p == entity).map(|(_, f)| *f)
}

pub(crate) fn entity_names() -> String {
    ENTITIES
        .iter()
        .map(|(p, _)| *p)
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
