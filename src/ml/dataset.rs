//! The lead training set: one row per decided lead, features as of the lead's creation.

use crate::domain::Lead;

use super::error::spec_err;
use super::error::Result;
use super::fields::derive_cell;
use super::leakage::check_attribute_fill;
use super::row::{Cell, FeatureRow, TrainingSet};
use super::spec::{FeatureSpec, ModelKind, ModelSpec};

/// One row per lead whose outcome is known (`converted` is set), labelled with it.
///
/// Undecided leads are not rows, but they are compared with decided ones to refuse custom fields
/// that are only filled at the outcome (see `leakage`). The split time is `created_at`.
pub fn lead_training_set(spec: &ModelSpec, leads: &[Lead]) -> Result<TrainingSet> {
    if spec.kind != ModelKind::Lead {
        return Err(spec_err(
            "kind",
            format!(
                "a lead training set needs a lead spec, not {}",
                spec.kind.as_str()
            ),
        ));
    }
    let decided: Vec<&Lead> = leads.iter().filter(|l| l.converted.is_some()).collect();
    let open: Vec<_> = leads
        .iter()
        .filter(|l| l.converted.is_none())
        .map(|l| &l.attributes)
        .collect();
    let decided_attrs: Vec<_> = decided.iter().map(|l| &l.attributes).collect();
    check_attribute_fill(spec, &decided_attrs, &open)?;
    Ok(TrainingSet {
        kind: ModelKind::Lead,
        feature_names: spec.feature_names(),
        rows: decided.iter().map(|l| lead_row(spec, l)).collect(),
        labels: decided.iter().map(|l| l.converted == Some(true)).collect(),
        times: decided
            .iter()
            .map(|l| l.created_at.map(|t| t.get()))
            .collect(),
        ids: decided.iter().map(|l| l.id.to_string()).collect(),
    })
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
