//! The champion/challenger gate: both models judged on the same target rows (same records, same
//! moments, same labels), each with the features its own spec builds.
//!
//! Rescoring the champion on rows built with the challenger's spec is unfair: a challenger whose
//! paths match nothing hands the champion rows of missing values, and wins.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::metrics;
use super::model::TrainedModel;
use super::row::TrainingSet;

/// One model's figures on the compared rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GateFigures {
    /// Mean log loss in nats (lower is better).
    pub log_loss: f64,
    /// ROC AUC, 0..=1.
    pub roc_auc: f64,
    /// Brier score, 0..=1.
    pub brier: f64,
}

/// The challenger and the champion on the same rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comparison {
    /// Rows both were judged on: the challenger's validation rows whose target the champion's
    /// spec also builds, with the same label.
    pub rows: usize,
    pub positives: usize,
    pub challenger: GateFigures,
    pub champion: GateFigures,
}

/// The key of a target row: the record, the moment its features describe, and which of the
/// record's rows at that moment it is (a deal has one row per stage it entered).
type Key<'a> = (&'a str, Option<DateTime<Utc>>, usize);

fn keys(set: &TrainingSet) -> Vec<Key<'_>> {
    let mut seen: HashMap<(&str, Option<DateTime<Utc>>), usize> = HashMap::new();
    set.ids
        .iter()
        .zip(&set.times)
        .map(|(id, &t)| {
            let k = seen.entry((id.as_str(), t)).or_default();
            *k += 1;
            (id.as_str(), t, *k)
        })
        .collect()
}

/// Pairs of (row of `a`, row of `b`) that describe the same target with the same label, in the
/// order of `a`.
pub fn common_rows(a: &TrainingSet, b: &TrainingSet) -> Vec<(usize, usize)> {
    let index: HashMap<Key<'_>, usize> = keys(b)
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    keys(a)
        .into_iter()
        .enumerate()
        .filter_map(|(i, k)| index.get(&k).map(|&j| (i, j)))
        .filter(|&(i, j)| a.labels[i] == b.labels[j])
        .collect()
}

fn figures(p: &[f64], y: &[bool]) -> GateFigures {
    GateFigures {
        log_loss: metrics::log_loss(p, y),
        roc_auc: metrics::roc_auc(p, y),
        brier: p
            .iter()
            .zip(y)
            .map(|(p, &y)| (p - f64::from(u8::from(y))).powi(2))
            .sum::<f64>()
            / p.len().max(1) as f64,
    }
}

/// Judges `challenger` on its `validation` rows and `champion` on the same targets of
/// `champion_set` (built with the champion's own spec from the same data). `None` when they
/// share no rows of both classes.
pub fn compare(
    challenger: &TrainedModel,
    validation: &TrainingSet,
    champion: &TrainedModel,
    champion_set: &TrainingSet,
) -> Option<Comparison> {
    let pairs = common_rows(validation, champion_set);
    let labels: Vec<bool> = pairs.iter().map(|&(i, _)| validation.labels[i]).collect();
    let positives = labels.iter().filter(|&&y| y).count();
    if positives == 0 || positives == labels.len() {
        return None;
    }
    let mine: Vec<_> = pairs
        .iter()
        .map(|&(i, _)| validation.rows[i].clone())
        .collect();
    let theirs: Vec<_> = pairs
        .iter()
        .map(|&(_, j)| champion_set.rows[j].clone())
        .collect();
    Some(Comparison {
        rows: labels.len(),
        positives,
        challenger: figures(&challenger.predict(&mine), &labels),
        champion: figures(&champion.predict(&theirs), &labels),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::row::FeatureRow;
    use crate::ml::spec::ModelKind;
    use chrono::TimeZone;

    fn set(ids: &[&str], labels: &[bool]) -> TrainingSet {
        let t = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        TrainingSet {
            kind: ModelKind::Win,
            feature_names: vec![],
            rows: vec![FeatureRow { cells: vec![] }; ids.len()],
            labels: labels.to_vec(),
            times: vec![Some(t); ids.len()],
            ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn rows_pair_by_record_moment_and_occurrence_with_equal_labels() {
        // A deal's stage rows pair in order; a deal the other spec left out has no pair; a
        // target labelled differently is not the same target.
        let a = set(&["d1", "d1", "d2", "d3"], &[true, true, false, true]);
        let b = set(
            &["d3", "d1", "d1", "d1", "d2"],
            &[false, true, true, true, false],
        );
        assert_eq!(common_rows(&a, &b), vec![(0, 1), (1, 2), (2, 4)]);
    }
}
