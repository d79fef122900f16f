//! What both databases can hold, checked before anything is written: the same answer on SQLite and
//! PostgreSQL, and a named field instead of a database error.
//!
//! The bounds are part of the API (README, "Limits of stored values"):
//! - text (ids, names, custom fields in `attributes`, their keys too) must not contain U+0000,
//!   which PostgreSQL cannot store;
//! - decimal numbers (amounts, ARR, scores) must be finite with a magnitude of at most 10^15;
//! - whole numbers (counts) must be at most 2^53 - 1 in magnitude, so they survive JSON and
//!   floating point exactly;
//! - dates and date-times must lie between 1900-01-01 and 2200-12-31.

use chrono::{Datelike, NaiveDate};

use super::record::{Column, SqlValue};

/// Largest magnitude of a decimal number (amounts, ARR, scores).
pub const MAX_DECIMAL: f64 = 1e15;
/// Largest magnitude of a whole number (counts): 2^53 - 1.
pub const MAX_WHOLE: i64 = (1 << 53) - 1;
/// The first and last year a date may fall in.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2200;

/// The problem with a text, if it cannot be stored.
pub fn text_problem(s: &str) -> Option<String> {
    s.contains('\0')
        .then(|| "must not contain the NUL character (U+0000)".to_string())
}

/// The problem with a date, if it lies outside the window.
pub fn date_problem(d: NaiveDate) -> Option<String> {
    (!(FIRST_YEAR..=LAST_YEAR).contains(&d.year()))
        .then(|| format!("must be between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31, got {d}"))
}

/// The problem with a decimal number, if it is out of range.
pub fn decimal_problem(x: f64) -> Option<String> {
    (!x.is_finite() || x.abs() > MAX_DECIMAL)
        .then(|| "must be a finite number of magnitude at most 1e15".to_string())
}

/// Every cell of a record that a database could not hold, as (field, reason); `columns` names the
/// cells in order. A custom field is named by its path, e.g. `attributes.notes`.
pub fn problems(columns: &[Column], cells: &[SqlValue]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (c, v) in columns.iter().zip(cells) {
        let problem = match v {
            SqlValue::Text(Some(s)) => text_problem(s),
            SqlValue::Int(Some(x)) if x.unsigned_abs() > MAX_WHOLE as u64 => Some(format!(
                "must be a whole number of magnitude at most {MAX_WHOLE}"
            )),
            SqlValue::Float(Some(x)) => decimal_problem(*x),
            SqlValue::Timestamp(Some(t)) => date_problem(t.date_naive()),
            SqlValue::Date(Some(d)) => date_problem(*d),
            SqlValue::Json(j) => {
                json_problems(&mut c.name.to_string(), j, &mut out);
                None
            }
            _ => None,
        };
        if let Some(reason) = problem {
            out.push((c.name.to_string(), reason));
        }
    }
    out
}

/// The problems of a JSON column's value (custom fields), named by their path under `name`
/// (`attributes.notes`), read in place.
pub fn json_column_problems(
    name: &str,
    map: &serde_json::Map<String, serde_json::Value>,
    out: &mut Vec<(String, String)>,
) {
    let mut path = name.to_string();
    for (k, x) in map {
        entry_problems(&mut path, k, x, out);
    }
}

/// `path` is the value's path; it is grown and cut back in place, so a value without problems
/// costs no allocation.
fn json_problems(path: &mut String, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let Some(r) = text_problem(s) {
                out.push((path.clone(), r));
            }
        }
        Value::Number(n) => {
            if let Some(r) = n.as_f64().and_then(decimal_problem) {
                out.push((path.clone(), r));
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                let len = path.len();
                use std::fmt::Write;
                let _ = write!(path, "[{i}]");
                json_problems(path, x, out);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                entry_problems(path, k, x, out);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

fn entry_problems(
    path: &mut String,
    k: &str,
    x: &serde_json::Value,
    out: &mut Vec<(String, String)>,
) {
    let len = path.len();
    path.push('.');
    path.push_str(k);
    if let Some(r) = text_problem(k) {
        out.push((path.clone(), format!("the key {r}")));
    }
    json_problems(path, x, out);
    path.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::ColType;

    const fn col(name: &'static str, ty: ColType) -> Column {
        Column { name, ty }
    }
    use chrono::TimeZone;

    const COLS: &[Column] = &[
        col("source", ColType::Text),
        col("amount", ColType::Float),
        col("seats", ColType::Int),
        col("created_at", ColType::Timestamp),
        col("close", ColType::Date),
        col("attributes", ColType::Json),
    ];

    fn cells(
        text: &str,
        amount: f64,
        seats: i64,
        year: i32,
        attrs: serde_json::Value,
    ) -> Vec<SqlValue> {
        vec![
            SqlValue::Text(Some(text.into())),
            SqlValue::Float(Some(amount)),
            SqlValue::Int(Some(seats)),
            SqlValue::Timestamp(Some(
                chrono::Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap(),
            )),
            SqlValue::Date(NaiveDate::from_ymd_opt(year, 6, 30)),
            SqlValue::Json(attrs),
        ]
    }

    #[test]
    fn ordinary_values_are_storable() {
        let ok = cells(
            "web",
            1e15,
            MAX_WHOLE,
            2200,
            serde_json::json!({"a": [1, "x"]}),
        );
        assert!(problems(COLS, &ok).is_empty());
        let ok = cells("", -1e15, -MAX_WHOLE, 1900, serde_json::json!(null));
        assert!(problems(COLS, &ok).is_empty());
    }

    #[test]
    fn every_unstorable_cell_is_named_by_its_field() {
        let bad = cells(
            "a\0b",
            f64::MAX,
            MAX_WHOLE + 1,
            9999,
            serde_json::json!({"notes": {"x\u{0}": "ok", "list": ["fine", "n\u{0}"]}}),
        );
        let fields: Vec<String> = problems(COLS, &bad).into_iter().map(|p| p.0).collect();
        assert_eq!(
            fields,
            [
                "source",
                "amount",
                "seats",
                "created_at",
                "close",
                "attributes.notes.x\u{0}",
                "attributes.notes.list[1]"
            ]
        );
    }

    #[test]
    fn the_date_window_is_closed_at_both_ends() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(date_problem(d(1899, 12, 31)).is_some());
        assert!(date_problem(d(1900, 1, 1)).is_none());
        assert!(date_problem(d(2200, 12, 31)).is_none());
        assert!(date_problem(d(2201, 1, 1)).is_some());
    }
}
