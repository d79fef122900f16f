//! Parsing a batch of JSON rows into entities, all-or-nothing, naming every bad row.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Record, SqlValue};

/// One problem with one row of a batch: its 0-based index, the field, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowProblem {
    /// 0-based position in the batch (the importer reports 1-based file lines instead).
    pub index: usize,
    /// The field at fault, as a path (`amount`, `attributes.visits`); empty when the row itself is wrong.
    pub field: String,
    pub reason: String,
}

/// Parses every row; returns the entities, or every problem of every bad row.
pub fn parse_batch<T: Record>(rows: Vec<serde_json::Value>) -> Result<Vec<T>, Vec<RowProblem>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    for (index, row) in rows.into_iter().enumerate() {
        match parse_row::<T>(row) {
            Ok(r) => out.push(r),
            Err(mut p) => {
                for x in &mut p {
                    x.index = index;
                }
                problems.extend(p);
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Parses one row (index 0 in the problems; the caller sets the real one).
pub fn parse_row<T: Record>(row: serde_json::Value) -> Result<T, Vec<RowProblem>> {
    if !row.is_object() {
        return Err(not_an_object(kind_of(&row)));
    }
    checked(serde_path_to_error::deserialize(row).map_err(problem))
}

/// [`parse_row`] of a borrowed row (the row stays the caller's, e.g. to report its problems).
pub fn parse_row_ref<T: Record>(row: &serde_json::Value) -> Result<T, Vec<RowProblem>> {
    if !row.is_object() {
        return Err(not_an_object(kind_of(row)));
    }
    checked(serde_path_to_error::deserialize(row).map_err(problem))
}

/// Parses a batch of rows still in their JSON text (as the API receives them): no JSON tree is
/// built for good rows, which is most of the cost of a large batch.
pub fn parse_raw_batch<T: Record>(
    rows: &[Box<serde_json::value::RawValue>],
) -> Result<Vec<T>, Vec<RowProblem>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    for (index, raw) in rows.iter().enumerate() {
        match parse_text_row::<T>(raw.get()) {
            Ok(r) => out.push(r),
            Err(p) => problems.extend(p.into_iter().map(|x| RowProblem { index, ..x })),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Parses one row from its JSON text (index 0 in the problems; the caller sets the real one).
pub fn parse_text_row<T: Record>(text: &str) -> Result<T, Vec<RowProblem>> {
    if text.trim_start().starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(text);
        checked(serde_path_to_error::deserialize(&mut de).map_err(problem))
    } else {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => Err(not_an_object(kind_of(&v))),
            Err(e) => Err(vec![RowProblem {
                index: 0,
                field: String::new(),
                reason: format!("not JSON: {}", clean_reason(&e.to_string())),
            }]),
        }
    }
}

fn not_an_object(kind: &str) -> Vec<RowProblem> {
    vec![RowProblem {
        index: 0,
        field: String::new(),
        reason: format!("must be a JSON object, got {kind}"),
    }]
}

fn problem<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> Vec<RowProblem> {
    let path = e.path().to_string();
    let reason = clean_reason(&e.into_inner().to_string());
    let field = match unknown_field(&reason) {
        _ if path != "." => path,
        Some(name) => name.to_string(),
        None => String::new(),
    };
    vec![RowProblem {
        index: 0,
        field,
        reason,
    }]
}

/// Runs the record's cross-field checks after it deserialised, and checks that every value fits
/// both databases (see [`super::storable`]).
fn checked<T: Record>(parsed: Result<T, Vec<RowProblem>>) -> Result<T, Vec<RowProblem>> {
    let record = parsed?;
    let mut checks: Vec<(String, String)> = record
        .check()
        .into_iter()
        .map(|(f, r)| (f.to_string(), r))
        .collect();
    for (field, reason) in super::storable::problems(T::COLUMNS, &record.to_values()) {
        if !checks.iter().any(|(f, _)| *f == field) {
            checks.push((field, reason));
        }
    }
    if checks.is_empty() {
        Ok(record)
    } else {
        Err(checks
            .into_iter()
            .map(|(field, reason)| RowProblem {
                index: 0,
                field,
                reason,
            })
            .collect())
    }
}

/// A record's key and cells when it passes the same checks as [`parse_row`] after deserializing
/// (its own cross-field checks, and values both databases can hold); None otherwise, and the
/// caller parses the row again with [`parse_row`] to learn every problem. For callers that
/// deserialize a record themselves on a fast road and want exactly `parse_row`'s verdict.
pub fn checked_cells<T: Record>(record: T) -> Option<(String, Vec<SqlValue>)> {
    if !record.check().is_empty() {
        return None;
    }
    let key = record.key();
    let cells = record.into_values();
    if !super::storable::problems(T::COLUMNS, &cells).is_empty() {
        return None;
    }
    Some((key, cells))
}

/// The name in serde's "unknown field `x`, expected ..." message.
fn unknown_field(reason: &str) -> Option<&str> {
    let rest = reason.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// serde's messages carry no position here (we parse from a value), but strip any anyway.
fn clean_reason(s: &str) -> String {
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Lead, Opportunity};
    use serde_json::json;

    #[test]
    fn a_good_batch_parses_whole() {
        let rows = vec![
            json!({"id": "L1", "source": "webinar", "attributes": {"visits": 3}}),
            json!({"id": "L2", "created_at": "2026-01-05", "converted": true}),
        ];
        let leads = parse_batch::<Lead>(rows).unwrap();
        assert_eq!(leads.len(), 2);
        assert_eq!(leads[0].attributes["visits"], json!(3));
    }

    #[test]
    fn every_bad_row_is_named_by_index_and_field() {
        let rows = vec![
            json!({"id": "O1", "stage": "Won", "amount": -5}),
            json!({"id": "O2", "stage": "Open"}),
            json!({"id": "O3", "stage": "Open", "colour": "red"}),
            json!({"id": "", "stage": "Open"}),
            json!({"id": "O5", "stage": "Won", "won": true}),
            json!(7),
        ];
        let problems = parse_batch::<Opportunity>(rows).unwrap_err();
        let seen: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.index, p.field.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (0, "amount"),
                (2, "colour"),
                (3, "id"),
                (4, "closed_at"),
                (5, "")
            ]
        );
        assert!(problems[1].reason.contains("colour"), "{:?}", problems[1]);
        assert!(problems[0].reason.contains("negative"));
    }

    #[test]
    fn raw_rows_report_the_same_problems_as_parsed_rows() {
        let rows = vec![
            json!({"id": "O1", "stage": "Won", "amount": -5}),
            json!({"id": "O2", "stage": "Open"}),
            json!({"id": "O3", "stage": "Open", "colour": "red"}),
            json!("text"),
        ];
        let raw: Vec<Box<serde_json::value::RawValue>> = rows
            .iter()
            .map(|v| serde_json::value::to_raw_value(v).unwrap())
            .collect();
        let from_values = parse_batch::<Opportunity>(rows).unwrap_err();
        let from_raw = parse_raw_batch::<Opportunity>(&raw).unwrap_err();
        assert_eq!(from_values, from_raw);
        let good =
            [serde_json::value::to_raw_value(&json!({"id": "O9", "stage": "Open"})).unwrap()];
        assert_eq!(
            parse_raw_batch::<Opportunity>(&good).unwrap()[0]
                .id
                .as_str(),
            "O9"
        );
    }

    #[test]
    fn wrong_types_name_the_nested_field() {
        let rows = vec![json!({"id": "L1", "converted": "yes"})];
        let p = parse_batch::<Lead>(rows).unwrap_err();
        assert_eq!(p[0].field, "converted");
        assert!(p[0].reason.contains("invalid type"), "{}", p[0].reason);
    }
}
