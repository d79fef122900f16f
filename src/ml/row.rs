//! Rows of features as the models see them before encoding, and the training set that holds them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::ModelKind;

/// How a missing value reads in an explanation.
const MISSING: &str = "(missing)";

/// One feature value: a number, a category, or missing (never an error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Num(f64),
    Cat(String),
    Missing,
}

impl Cell {
    /// Reads a JSON attribute value: numbers and booleans (1/0) as numbers, strings as text,
    /// anything else (null, arrays, objects) as missing. Text listed in `missing` is missing.
    pub fn from_json(v: Option<&serde_json::Value>, missing: &[String]) -> Cell {
        match v {
            Some(serde_json::Value::Number(n)) => n.as_f64().map_or(Cell::Missing, Cell::Num),
            Some(serde_json::Value::Bool(b)) => Cell::Num(f64::from(u8::from(*b))),
            Some(serde_json::Value::String(s)) => Cell::text(s, missing),
            _ => Cell::Missing,
        }
    }

    /// Text as a category; blank or listed in `missing` is missing.
    pub fn text(s: &str, missing: &[String]) -> Cell {
        let t = crate::domain::text::trim(s);
        if t.is_empty() || missing.iter().any(|m| m == t) {
            Cell::Missing
        } else {
            Cell::Cat(t.to_string())
        }
    }

    /// `*self = Cell::text(s, missing)`, reusing the text's buffer when the cell is a category.
    pub fn set_text(&mut self, s: &str, missing: &[String]) {
        let t = crate::domain::text::trim(s);
        if t.is_empty() || missing.iter().any(|m| m == t) {
            *self = Cell::Missing;
        } else if let Cell::Cat(old) = self {
            old.clear();
            old.push_str(t);
        } else {
            *self = Cell::Cat(t.to_string());
        }
    }

    pub fn opt_text(s: Option<&str>, missing: &[String]) -> Cell {
        s.map_or(Cell::Missing, |s| Cell::text(s, missing))
    }

    pub fn opt_num(v: Option<f64>) -> Cell {
        match v {
            Some(x) if x.is_finite() => Cell::Num(x),
            _ => Cell::Missing,
        }
    }

    /// A number, reading numeric text too; anything else is missing.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Cell::Num(x) if x.is_finite() => Some(*x),
            Cell::Cat(s) => s.parse::<f64>().ok().filter(|x| x.is_finite()),
            _ => None,
        }
    }

    /// A category label; numbers print without a trailing `.0`.
    pub fn as_cat(&self) -> Option<String> {
        match self {
            Cell::Cat(s) => Some(s.clone()),
            Cell::Num(x) => Some(format_number(*x)),
            Cell::Missing => None,
        }
    }

    /// How the value reads in an explanation.
    pub fn display(&self) -> String {
        self.as_cat().unwrap_or_else(|| MISSING.to_string())
    }

    /// [`Cell::display`], written in place.
    pub fn shown(&self) -> impl std::fmt::Display + '_ {
        struct Shown<'a>(&'a Cell);
        impl std::fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.0 {
                    Cell::Cat(s) => f.write_str(s),
                    Cell::Num(x) => Number(*x).fmt(f),
                    Cell::Missing => f.write_str(MISSING),
                }
            }
        }
        Shown(self)
    }

    /// Appends [`Cell::shown`] to `out`; a category, a missing value and a whole number
    /// without `fmt`.
    pub fn push_shown(&self, out: &mut String) {
        match self {
            Cell::Num(x) => match whole(*x) {
                Some(i) => out.push_str(itoa::Buffer::new().format(i)),
                None => {
                    use std::fmt::Write as _;
                    let _ = write!(out, "{}", Number(*x));
                }
            },
            Cell::Cat(s) => out.push_str(s),
            Cell::Missing => out.push_str(MISSING),
        }
    }
}

/// Prints integers without decimals and other numbers with at most 2.
pub fn format_number(x: f64) -> String {
    Number(x).to_string()
}

/// [`format_number`], written in place (integers without allocating).
struct Number(f64);

/// `x` as an integer when it is a whole number below 1e15 other than -0: `{x:.0}` prints it
/// as the integer prints (exact in an i64), without float formatting.
fn whole(x: f64) -> Option<i64> {
    let minus_zero = x == 0.0 && x.is_sign_negative();
    (x.fract() == 0.0 && x.abs() < 1e15 && !minus_zero).then_some(x as i64)
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        match whole(x) {
            Some(i) => write!(f, "{i}"),
            // -0 too: "-0.00" trimmed reads "-0", as `{x:.0}` prints it.
            None => {
                let s = format!("{x:.2}");
                f.write_str(s.trim_end_matches('0').trim_end_matches('.'))
            }
        }
    }
}

/// The features of one record, in the order of the spec's features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureRow {
    pub cells: Vec<Cell>,
}

/// Labelled rows for training or evaluation.
///
/// Invariant: `rows`, `labels`, `times` and `ids` have the same length, and every row has one
/// cell per name in `feature_names`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSet {
    pub kind: ModelKind,
    pub feature_names: Vec<String>,
    pub rows: Vec<FeatureRow>,
    /// The outcome: converted, won, churned.
    pub labels: Vec<bool>,
    /// When each row's features were known (creation, snapshot); drives the time split.
    pub times: Vec<Option<DateTime<Utc>>>,
    /// The record each row came from (a deal appears once per stage snapshot).
    pub ids: Vec<String>,
}

impl TrainingSet {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn positives(&self) -> usize {
        self.labels.iter().filter(|&&y| y).count()
    }

    /// The rows at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> TrainingSet {
        TrainingSet {
            kind: self.kind,
            feature_names: self.feature_names.clone(),
            rows: idx.iter().map(|&i| self.rows[i].clone()).collect(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            times: idx.iter().map(|&i| self.times[i]).collect(),
            ids: idx.iter().map(|&i| self.ids[i].clone()).collect(),
        }
    }

    /// First and last time among the rows that have one.
    pub fn window(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let mut it = self.times.iter().flatten();
        let first = *it.next()?;
        Some(
            self.times
                .iter()
                .flatten()
                .fold((first, first), |(lo, hi), &t| (lo.min(t), hi.max(t))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_become_cells_and_unanswered_text_is_missing() {
        let missing = vec!["Select".to_string()];
        assert_eq!(Cell::from_json(Some(&json!(3)), &missing), Cell::Num(3.0));
        assert_eq!(
            Cell::from_json(Some(&json!(true)), &missing),
            Cell::Num(1.0)
        );
        assert_eq!(
            Cell::from_json(Some(&json!("Select")), &missing),
            Cell::Missing
        );
        assert_eq!(Cell::from_json(Some(&json!(" ")), &missing), Cell::Missing);
        assert_eq!(Cell::from_json(None, &missing), Cell::Missing);
        assert_eq!(Cell::from_json(Some(&json!([1])), &missing), Cell::Missing);
        assert_eq!(Cell::Cat("2.5".into()).as_num(), Some(2.5));
        assert_eq!(Cell::Num(14.0).display(), "14");
        assert_eq!(Cell::Num(0.126).display(), "0.13");
    }
}
