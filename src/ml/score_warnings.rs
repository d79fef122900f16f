//! What a scoring batch sent that the model could not use: custom fields it does not read, and
//! features it reads that were missing. Scoring never fails on either; the caller is told.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Attributes;

use super::dataset::attribute_keys;
use super::row::{Cell, FeatureRow};
use super::spec::ModelSpec;

/// Counted over a batch: how many records sent each unrecognised field, and how many lacked
/// each model feature (scored as missing, as in training).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreWarnings {
    /// `attributes.<key>` fields the model does not read, with the number of records that sent
    /// each (a CRM's own name for a field, `emp.var.rate` for `emp_var_rate`, lands here).
    pub unrecognised_fields: BTreeMap<String, usize>,
    /// The model's features (by path) that had no value, with the number of records without it.
    pub missing_features: BTreeMap<String, usize>,
}

impl ScoreWarnings {
    /// Unrecognised field occurrences over the batch.
    pub fn unrecognised_total(&self) -> usize {
        self.unrecognised_fields.values().sum()
    }

    /// Missing feature occurrences over the batch.
    pub fn missing_total(&self) -> usize {
        self.missing_features.values().sum()
    }
}

/// The warnings of a batch: `attributes` of each record (in any order) and its feature `rows`.
pub fn score_warnings<'a>(
    spec: &ModelSpec,
    attributes: impl Iterator<Item = &'a Attributes>,
    rows: &[FeatureRow],
) -> ScoreWarnings {
    let read: std::collections::HashSet<&str> = attribute_keys(spec).into_iter().collect();
    // Counted by the key as sent; the paths are spelt once per key, not once per record.
    let mut unread: std::collections::HashMap<&str, usize> = Default::default();
    for attrs in attributes {
        for key in attrs.keys().filter(|k| !read.contains(&k.as_str())) {
            *unread.entry(key.as_str()).or_default() += 1;
        }
    }
    counted_warnings(spec, unread.into_iter(), rows)
}

/// The warnings of a batch whose unread attributes are already counted: each key the model
/// does not read with the number of records that gave it a value (a key may come several
/// times; its counts add up), and the batch's feature `rows`.
pub fn counted_warnings<K: AsRef<str>>(
    spec: &ModelSpec,
    unread: impl Iterator<Item = (K, usize)>,
    rows: &[FeatureRow],
) -> ScoreWarnings {
    let mut w = ScoreWarnings::default();
    for (key, n) in unread {
        *w.unrecognised_fields
            .entry(format!("attributes.{}", key.as_ref()))
            .or_default() += n;
    }
    for (j, f) in spec.features.iter().enumerate() {
        let n = rows
            .iter()
            .filter(|r| matches!(r.cells.get(j), None | Some(Cell::Missing)))
            .count();
        if n > 0 {
            w.missing_features.insert(f.from.clone(), n);
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_the_model_does_not_read_and_features_left_empty_are_counted() {
        let spec = ModelSpec::from_toml(include_str!("../../training/lead.toml")).unwrap();
        let a = json!({"visits": 3, "emp.var.rate": 1.1});
        let b = json!({"emp.var.rate": -0.1, "colour": "red"});
        let rows = vec![
            FeatureRow {
                cells: vec![Cell::Missing; spec.features.len()],
            },
            FeatureRow {
                cells: vec![Cell::Num(1.0); spec.features.len()],
            },
        ];
        let w = score_warnings(
            &spec,
            [a.as_object().unwrap(), b.as_object().unwrap()].into_iter(),
            &rows,
        );
        assert_eq!(w.unrecognised_fields["attributes.emp.var.rate"], 2);
        assert_eq!(w.unrecognised_fields["attributes.colour"], 1);
        assert!(!w.unrecognised_fields.contains_key("attributes.visits"));
        assert_eq!(w.missing_features["attributes.visits"], 1);
        assert_eq!(w.missing_features.len(), spec.features.len());
        assert_eq!(w.unrecognised_total(), 3);
    }

    #[test]
    fn counted_warnings_are_the_warnings_of_the_attribute_maps_they_count() {
        let spec = ModelSpec::from_toml(include_str!("../../training/lead.toml")).unwrap();
        let a = json!({"visits": 3, "emp.var.rate": 1.1, "colour": "red"});
        let b = json!({"emp.var.rate": -0.1});
        let rows = vec![
            FeatureRow {
                cells: vec![Cell::Missing; spec.features.len()],
            },
            FeatureRow {
                cells: vec![Cell::Num(1.0); spec.features.len()],
            },
        ];
        let maps = score_warnings(
            &spec,
            [a.as_object().unwrap(), b.as_object().unwrap()].into_iter(),
            &rows,
        );
        // A key counted in two parts (two blocks of a file) adds up.
        let counted = counted_warnings(
            &spec,
            [("emp.var.rate", 1), ("colour", 1), ("emp.var.rate", 1)].into_iter(),
            &rows,
        );
        assert_eq!(counted, maps);
        assert_eq!(counted.unrecognised_fields["attributes.emp.var.rate"], 2);
    }
}
