//! Checking mapped rows with the entity's own parser, reported by CSV line.

use super::entities::{entity_names, parser};
use super::{EntityRows, LineProblem};

/// Runs the domain parser on every row and returns every problem of every line: the cells the
/// mapping could not convert, then what the entity itself rejects (a missing required field, a
/// close date before the creation date, ...). A field already reported by the mapping is not
/// reported again by the parser.
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
    for row in &rows.rows {
        problems.extend(row.problems.iter().cloned());
        if row.value.is_null() {
            continue;
        }
        let Err(found) = parse(row.value.clone()) else {
            continue;
        };
        let known = |field: &str, reason: &str| {
            row.problems.iter().any(|p| {
                p.field == field
                    || (field.is_empty() && reason == format!("missing field `{}`", p.field))
            })
        };
        problems.extend(
            found
                .into_iter()
                .filter(|p| !known(&p.field, &p.reason))
                .map(|p| LineProblem {
                    line: row.line,
                    field: p.field,
                    reason: p.reason,
                }),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
