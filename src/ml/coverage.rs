//! Feature coverage: the share of training rows that carry a value for each feature, and the
//! refusal of a feature that no row has, naming the keys that the records do have.
//!
//! A spec whose path matches nothing (`attributes.emp.var.rate` where the import stored
//! `emp_var_rate`) would otherwise train on a column of imputed constants and say nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Attributes;

use super::error::{MlError, Result};
use super::row::{Cell, TrainingSet};
use super::spec::ModelSpec;

/// Coverage under this share of rows is a warning (the feature says little and may be a typo).
pub const LOW_COVERAGE: f64 = 0.01;

/// How many training rows have a value for one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeatureCoverage {
    /// The feature's name in the spec.
    pub feature: String,
    /// Where its value comes from (`source`, `attributes.visits`, ...).
    pub from: String,
    /// Rows with a value (not missing).
    pub rows_with_value: usize,
    /// rows_with_value / rows, 0..=1 (0 for an empty set).
    pub coverage: f64,
}

/// The coverage of every feature of `spec` over the rows of `set`.
pub fn coverage(spec: &ModelSpec, set: &TrainingSet) -> Vec<FeatureCoverage> {
    let n = set.len();
    spec.features
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let with = set
                .rows
                .iter()
                .filter(|r| !matches!(r.cells.get(j), None | Some(Cell::Missing)))
                .count();
            FeatureCoverage {
                feature: f.name.clone(),
                from: f.from.clone(),
                rows_with_value: with,
                coverage: if n == 0 { 0.0 } else { with as f64 / n as f64 },
            }
        })
        .collect()
}

/// The warnings of features with a value on fewer than [`LOW_COVERAGE`] of the rows.
pub fn coverage_warnings(cov: &[FeatureCoverage]) -> Vec<String> {
    cov.iter()
        .filter(|c| c.coverage > 0.0 && c.coverage < LOW_COVERAGE)
        .map(|c| {
            format!(
                "`{}`: only {} rows ({:.2}%) have a value; the feature says little",
                c.from,
                c.rows_with_value,
                c.coverage * 100.0
            )
        })
        .collect()
}

/// The attribute keys seen on the records a training set was read from, with how many
/// records had each (non-null) — to name the keys that do exist when a path matches nothing.
#[derive(Debug, Clone, Default)]
pub struct KeyCounts {
    counts: BTreeMap<String, usize>,
}

impl KeyCounts {
    pub fn add(&mut self, attributes: &Attributes) {
        for (k, v) in attributes {
            if !v.is_null() {
                *self.counts.entry(k.clone()).or_default() += 1;
            }
        }
    }

    /// Keys, most common first (ties by name).
    fn by_count(&self) -> Vec<&str> {
        let mut keys: Vec<(&str, usize)> =
            self.counts.iter().map(|(k, &n)| (k.as_str(), n)).collect();
        keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        keys.into_iter().map(|(k, _)| k).collect()
    }
}

/// Checks the coverage of `set`: a feature that no row has is an error naming its path and the
/// nearest attribute keys the records do have. An empty set passes (training refuses it with
/// its counts).
pub fn check_coverage(spec: &ModelSpec, set: &TrainingSet, keys: &KeyCounts) -> Result<()> {
    if set.is_empty() {
        return Ok(());
    }
    let cov = coverage(spec, set);
    let missing: Vec<&FeatureCoverage> = cov.iter().filter(|c| c.rows_with_value == 0).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = missing
        .iter()
        .map(|c| format!("`{}`: no row has it; {}", c.from, hint(&c.from, keys)))
        .collect();
    Err(MlError::NoCoverage(parts.join("; ")))
}

/// "rows have `attributes.x`" for the nearest keys, or the most common keys when none is near.
fn hint(path: &str, keys: &KeyCounts) -> String {
    let wanted = normalise(path.strip_prefix("attributes.").unwrap_or(path));
    let all = keys.by_count();
    if all.is_empty() {
        return "the records have no custom attributes".into();
    }
    let mut near: Vec<(usize, &str)> = all
        .iter()
        .map(|k| (distance(&wanted, &normalise(k)), *k))
        .filter(|(d, _)| *d <= (wanted.len() / 3).max(2))
        .collect();
    near.sort();
    let (label, chosen): (&str, Vec<&str>) = if near.is_empty() {
        (
            "rows have, most common first,",
            all.into_iter().take(5).collect(),
        )
    } else {
        (
            "rows have",
            near.into_iter().take(3).map(|(_, k)| k).collect(),
        )
    };
    let named: Vec<String> = chosen.iter().map(|k| format!("`attributes.{k}`")).collect();
    format!("{label} {}", named.join(", "))
}

/// Lower case, letters and digits only: `emp.var.rate` and `Emp_Var_Rate` read alike.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::row::FeatureRow;
    use crate::ml::spec::ModelKind;
    use serde_json::json;

    fn spec(paths: &[&str]) -> ModelSpec {
        let mut text = String::from(
            "name = \"t\"\nkind = \"lead\"\nseed = 1\ncandidates = [\"logistic\"]\n\
             calibration = [\"platt\"]\n[split]\ntrain = 0.6\ncalibrate = 0.2\nvalidate = 0.2\n",
        );
        for (i, p) in paths.iter().enumerate() {
            text.push_str(&format!(
                "[[feature]]\nname = \"f{i}\"\nfrom = \"{p}\"\ntype = \"numeric\"\n"
            ));
        }
        ModelSpec::from_toml(&text).unwrap()
    }

    fn set(cells: Vec<Vec<Cell>>) -> TrainingSet {
        let n = cells.len();
        TrainingSet {
            kind: ModelKind::Lead,
            feature_names: vec![],
            rows: cells
                .into_iter()
                .map(|cells| FeatureRow { cells })
                .collect(),
            labels: vec![false; n],
            times: vec![None; n],
            ids: (0..n).map(|i| i.to_string()).collect(),
        }
    }

    #[test]
    fn a_path_no_row_has_is_refused_naming_the_nearest_keys() {
        let s = spec(&["attributes.visits", "attributes.emp.var.rate"]);
        let rows = set(vec![
            vec![Cell::Num(1.0), Cell::Missing],
            vec![Cell::Missing, Cell::Missing],
        ]);
        let mut keys = KeyCounts::default();
        for a in [
            json!({"visits": 1, "emp_var_rate": 1.1, "age": 30}),
            json!({"emp_var_rate": -1.8, "euribor3m": 4.8}),
        ] {
            keys.add(a.as_object().unwrap());
        }
        let e = check_coverage(&s, &rows, &keys).unwrap_err().to_string();
        assert!(
            e.contains(
                "`attributes.emp.var.rate`: no row has it; rows have `attributes.emp_var_rate`"
            ),
            "{e}"
        );
        assert!(!e.contains("euribor3m"), "only the near keys: {e}");
        let cov = coverage(&s, &rows);
        assert_eq!(cov[0].rows_with_value, 1);
        assert_eq!(cov[0].coverage, 0.5);
    }

    #[test]
    fn without_a_near_key_the_most_common_are_named_and_low_coverage_warns() {
        let s = spec(&["attributes.zzzzzzzz"]);
        let rows = set(vec![vec![Cell::Missing]]);
        let mut keys = KeyCounts::default();
        keys.add(json!({"age": 1, "job": "x"}).as_object().unwrap());
        keys.add(json!({"age": 2}).as_object().unwrap());
        let e = check_coverage(&s, &rows, &keys).unwrap_err().to_string();
        assert!(
            e.contains("most common first, `attributes.age`, `attributes.job`"),
            "{e}"
        );
        let mut cells = vec![vec![Cell::Missing]; 199];
        cells.push(vec![Cell::Num(1.0)]);
        let cov = coverage(&s, &set(cells));
        let w = coverage_warnings(&cov);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("only 1 rows (0.50%)"), "{w:?}");
        assert!(check_coverage(&s, &set(vec![]), &keys).is_ok());
    }
}
