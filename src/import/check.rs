//! Checking mapped rows with the entity's own parser, reported by CSV line.

use serde_json::Value;
use std::collections::HashMap;

use super::entities::{entity_names, parser, Parser};
use super::{EntityRows, LineProblem, MappedRow};

/// Runs the domain parser on every row and returns every problem of every line: the cells the
/// mapping could not convert, then what the entity itself rejects (a missing required field, a
/// negative amount, a close date before the creation date, ...). A field already reported by
/// the mapping is not reported again. Two lines giving the same key (the same id, or for a
/// stage event the same deal, stage and time) are a problem on the later line: one would
/// silently overwrite the other.
pub fn check_rows(rows: &EntityRows) -> Result<(), Vec<LineProblem>> {
    let Some(parse) = parser(&rows.entity) else {
        return Err(vec![LineProblem {
            line: 0,
            field: String::new(),
            reason: format!(
                "unknown entity `{}`; expected one of: {}",
                rows.entity,
                entity_names()
            ),
        }]);
    };
    let mut problems = Vec::new();
    let mut keys: HashMap<String, u64> = HashMap::new();
    for row in &rows.rows {
        let line = row.line;
        let (key, found) = check_row(parse, row.clone());
        problems.extend(found);
        if let Some(key) = key {
            if let Some(first) = keys.insert(key.clone(), line) {
                keys.insert(key.clone(), first);
                problems.push(duplicate(line, &key, first));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The problem of a line whose key an earlier line already gave.
pub(crate) fn duplicate(line: u64, key: &str, first: u64) -> LineProblem {
    LineProblem {
        line,
        field: String::new(),
        reason: format!("has the same key `{key}` as line {first}; keep one of them"),
    }
}

/// One mapped row's problems as the import reports them (see [`check_row`]); none for an
/// entity the import does not know.
pub(crate) fn row_problems(entity: &str, row: MappedRow) -> Vec<LineProblem> {
    match parser(entity) {
        Some(parse) => check_row(parse, row).1,
        None => row.problems,
    }
}

/// One row's problems: the cells the mapping could not convert, then what the entity's parser
/// rejects (a field the mapping already reported is not reported again). The row's key comes
/// back when the parser accepts the row as it is, for the caller's duplicate check.
pub(crate) fn check_row(parse: Parser, row: MappedRow) -> (Option<String>, Vec<LineProblem>) {
    let MappedRow {
        line,
        value,
        mut problems,
    } = row;
    if value.is_null() {
        return (None, problems);
    }
    let (key, found) = domain_problems(parse, value);
    let fresh: Vec<LineProblem> = found
        .into_iter()
        .filter(|(field, _)| !problems.iter().any(|p| p.field == *field))
        .map(|(field, reason)| LineProblem {
            line,
            field,
            reason,
        })
        .collect();
    problems.extend(fresh);
    (key, problems)
}

/// Every (field, reason) the parser finds in one row. The parser stops at the first field it
/// cannot read, so that field is taken out and the row parsed again, until it parses, only
/// cross-field checks remain, or the field cannot be taken out (a missing one). Bounded by the
/// number of fields.
/// The row's key comes back when the row parses as it is.
fn domain_problems(parse: Parser, mut value: Value) -> (Option<String>, Vec<(String, String)>) {
    let mut found: Vec<(String, String)> = Vec::new();
    loop {
        // Parsing takes the row; a copy is kept only while problems may need a field removed.
        let problems = match parse(value.clone()) {
            Ok(key) if found.is_empty() => return (Some(key), found),
            Ok(_) => return (None, found),
            Err(problems) => problems,
        };
        let single = problems.len() == 1;
        let mut removed = false;
        for p in problems {
            let field = missing_field(&p.reason).unwrap_or(p.field);
            if single {
                removed = remove(&mut value, &field);
            }
            if !found.iter().any(|(f, _)| *f == field) {
                found.push((field, p.reason));
            }
        }
        if !removed {
            return (None, found);
        }
    }
}

/// serde names a missing field only in its message (`missing field `id``).
fn missing_field(reason: &str) -> Option<String> {
    let rest = reason.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

/// Takes `field` (`amount`, or `attributes.visits`) out of the row; false when it is not there.
fn remove(value: &mut Value, field: &str) -> bool {
    let Some(object) = value.as_object_mut() else {
        return false;
    };
    match field.split_once('.') {
        Some((top, rest)) => object
            .get_mut(top)
            .and_then(Value::as_object_mut)
            .is_some_and(|inner| inner.remove(rest).is_some()),
        None => object.remove(field).is_some(),
    }
}
