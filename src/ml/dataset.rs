//! The lead training set: one row per decided lead, features as of the lead's creation.

use chrono::{DateTime, Utc};

use crate::domain::Lead;

use super::error::spec_err;
use super::error::Result;
use super::fields::derive_cell;
use super::leakage::FillCounts;
use super::row::{Cell, FeatureRow, TrainingSet};
use super::spec::{FeatureSpec, ModelKind, ModelSpec};

/// One row per lead whose outcome is known (`converted` is set), labelled with it.
///
/// Undecided leads are not rows, but they are compared with decided ones to refuse custom fields
/// that are only filled at the outcome (see `leakage`). The split time is `created_at`.
pub fn lead_training_set(spec: &ModelSpec, leads: &[Lead]) -> Result<TrainingSet> {
    let mut b = LeadSetBuilder::new(spec)?;
    leads.iter().for_each(|l| b.push(l));
    b.finish()
}

/// [`lead_training_set`] one lead at a time, so that a large table is never held whole: only
/// the decided leads' feature rows are kept.
pub struct LeadSetBuilder<'a> {
    spec: &'a ModelSpec,
    set: TrainingSet,
    fill: FillCounts<'a>,
    as_of: Option<DateTime<Utc>>,
}

impl<'a> LeadSetBuilder<'a> {
    pub fn new(spec: &'a ModelSpec) -> Result<Self> {
        if spec.kind != ModelKind::Lead {
            return Err(spec_err(
                "kind",
                format!(
                    "a lead training set needs a lead spec, not {}",
                    spec.kind.as_str()
                ),
            ));
        }
        Ok(LeadSetBuilder {
            spec,
            set: TrainingSet {
                kind: ModelKind::Lead,
                feature_names: spec.feature_names(),
                rows: vec![],
                labels: vec![],
                times: vec![],
                ids: vec![],
            },
            fill: FillCounts::new(spec),
            as_of: None,
        })
    }

    /// Builds the set as it could have been built at `as_of`: leads created later are not read,
    /// and a lead converted later was still open then (no label). A lead marked not converted
    /// carries no date of that decision, so it counts as decided when created by `as_of`.
    pub fn as_of(mut self, as_of: DateTime<Utc>) -> Self {
        self.as_of = Some(as_of);
        self
    }

    pub fn push(&mut self, lead: &Lead) {
        let created = lead.created_at.map(|t| t.get());
        if let (Some(limit), Some(c)) = (self.as_of, created) {
            if c > limit {
                return;
            }
        }
        let later = |t: Option<crate::domain::Timestamp>| {
            self.as_of.zip(t).is_some_and(|(limit, t)| t.get() > limit)
        };
        let decided = match lead.converted {
            Some(true) if later(lead.converted_at) => None,
            other => other,
        };
        let Some(converted) = decided else {
            self.fill.add(&lead.attributes, false);
            return;
        };
        self.fill.add(&lead.attributes, true);
        self.set.rows.push(lead_row(self.spec, lead));
        self.set.labels.push(converted);
        self.set.times.push(lead.created_at.map(|t| t.get()));
        self.set.ids.push(lead.id.to_string());
    }

    /// The set, or the error of a feature filled only at the outcome.
    pub fn finish(self) -> Result<TrainingSet> {
        self.fill.check()?;
        Ok(self.set)
    }
}

/// The features of a lead, for training or scoring; missing values stay missing.
pub fn lead_row(spec: &ModelSpec, lead: &Lead) -> FeatureRow {
    FeatureRow {
        cells: spec
            .features
            .iter()
            .map(|f| lead_cell(spec, f, lead))
            .collect(),
    }
}

/// The attribute keys the spec's features read (`attributes.<key>`), in the order of the
/// features: the order [`lead_row_keyed`] takes their cells in.
pub fn attribute_keys(spec: &ModelSpec) -> Vec<&str> {
    spec.features
        .iter()
        .filter_map(|f| f.from.strip_prefix("attributes."))
        .collect()
}

/// The features of [`attribute_keys`], by their position among the spec's features.
pub fn attribute_positions(spec: &ModelSpec) -> Vec<usize> {
    spec.features
        .iter()
        .enumerate()
        .filter(|(_, f)| f.from.starts_with("attributes."))
        .map(|(j, _)| j)
        .collect()
}

/// [`lead_row`] into `row` (one cell per feature afterwards) for the features that do not read
/// the lead's attributes; the cells of [`attribute_positions`] are left as they were, for the
/// caller to fill (the lead's own attribute map is not read).
pub fn lead_fields_into(spec: &ModelSpec, lead: &Lead, row: &mut FeatureRow) {
    row.cells.resize(spec.features.len(), Cell::Missing);
    for (f, cell) in spec.features.iter().zip(row.cells.iter_mut()) {
        if !f.from.starts_with("attributes.") {
            *cell = lead_cell(spec, f, lead);
        }
    }
}

fn lead_cell(spec: &ModelSpec, f: &FeatureSpec, lead: &Lead) -> Cell {
    let miss = &spec.missing_values;
    if let Some(key) = f.from.strip_prefix("attributes.") {
        return Cell::from_json(lead.attributes.get(key), miss);
    }
    let created = lead.created_at.map(|t| t.get());
    match (f.from.as_str(), f.derive) {
        ("source", _) => Cell::opt_text(lead.source.as_deref(), miss),
        ("owner_id", _) => Cell::opt_text(lead.owner_id.as_ref().map(|i| i.as_str()), miss),
        ("account_id", _) => Cell::opt_text(lead.account_id.as_ref().map(|i| i.as_str()), miss),
        ("created_at", Some(d)) => derive_cell(d, created, created),
        ("first_response_at", Some(d)) => {
            derive_cell(d, lead.first_response_at.map(|t| t.get()), created)
        }
        // The spec was checked against the lead fields, so nothing else reaches here.
        _ => Cell::Missing,
    }
}
