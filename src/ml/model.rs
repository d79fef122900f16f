//! The trained model: the artifact that scores, explains, evaluates and serialises.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Lead, Opportunity, StageEvent};

use super::algo::{Classifier, FittedModel};
use super::calibrate::Calibrator;
use super::coverage::FeatureCoverage;
use super::drift::Profile;
use super::encoder::Encoder;
use super::error::{MlError, Result};
use super::explain::{top_factors, Factor, TopFactors};
use super::history::OwnerHistory;
use super::metrics::{self, Metrics};
use super::pipeline::CandidateReport;
use super::row::{FeatureRow, TrainingSet};
use super::spec::{Algorithm, CalibrationMethod, ModelSpec};
use super::split::{split, SplitMethod};

/// Batches at least this long are scored on all available cores (rows are independent, so the
/// result is the same as scoring them one by one).
pub const PARALLEL_BATCH: usize = 8192;

/// Rows and positives of one slice, and the first and last row time in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceCounts {
    pub rows: usize,
    pub positives: usize,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

/// What the model was trained and judged on. `train.first..train.last` is the training window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub split: SplitMethod,
    pub train: SliceCounts,
    pub calibrate: SliceCounts,
    pub validate: SliceCounts,
}

/// The validation rows dated in the most recent part of the data (the validate fraction of the
/// rows by time), judged apart: a random split hides a model that has aged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LatestSlice {
    /// The earliest row time in the slice.
    pub since: DateTime<Utc>,
    pub rows: usize,
    pub positives: usize,
    pub roc_auc: f64,
    pub log_loss: f64,
    /// ROC AUC of the whole (random) validation slice, for comparison.
    pub random_roc_auc: f64,
}

/// A letter for the score: A 70..=99, B 40..=69, C 20..=39, D 1..=19.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl Grade {
    pub fn of(score: u8) -> Grade {
        match score {
            70.. => Grade::A,
            40..=69 => Grade::B,
            20..=39 => Grade::C,
            _ => Grade::D,
        }
    }
}

/// A scored record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Calibrated probability of the positive outcome, 0..=1.
    pub probability: f64,
    /// The probability in percent, rounded and kept in 1..=99.
    pub score: u8,
    pub grade: Grade,
    /// Top positive and negative reasons, largest first (see `explain`).
    pub factors: Vec<Factor>,
}

/// A score whose factors are not yet in words (see [`TrainedModel::score_raw`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawScore {
    /// Calibrated probability of the positive outcome, 0..=1.
    pub probability: f64,
    /// The probability in percent, rounded and kept in 1..=99.
    pub score: u8,
    pub grade: Grade,
    /// Top positive and negative reasons, largest first (none when unexplained).
    pub factors: TopFactors,
}

impl RawScore {
    /// A score without factors, rounded as an explained one.
    pub fn unexplained(probability: f64) -> RawScore {
        let score = (probability * 100.0).round().clamp(1.0, 99.0) as u8;
        RawScore {
            probability,
            score,
            grade: Grade::of(score),
            factors: TopFactors::default(),
        }
    }

    /// The score with its factors in words, for the spec's feature `names` and the scored row.
    pub fn in_words(&self, names: &[String], row: &FeatureRow) -> Score {
        Score {
            probability: self.probability,
            score: self.score,
            grade: self.grade,
            factors: self.factors.in_words(names, row),
        }
    }
}

/// A fitted pipeline: spec, encoder, model, calibrator and the metrics it was judged by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedModel {
    pub spec: ModelSpec,
    /// Validation metrics of the kept (algorithm, calibration) pair.
    pub metrics: Metrics,
    /// Every pair tried, for the model card.
    pub candidates: Vec<CandidateReport>,
    pub data: DataSummary,
    /// Share of the training rows with a value, per feature (empty in artifacts older than it).
    #[serde(default)]
    pub coverage: Vec<FeatureCoverage>,
    /// What the admin should know: low coverage, a random split on dated rows, a latest slice
    /// that disagrees with the random one.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The validation rows from the most recent part of the data, when the split was random.
    #[serde(default)]
    pub latest_slice: Option<LatestSlice>,
    /// The training distribution of each feature and of the score, for drift monitoring.
    #[serde(default)]
    pub profile: Option<Profile>,
    encoder: Encoder,
    model: FittedModel,
    calibrator: Calibrator,
}

impl TrainedModel {
    pub(crate) fn new(
        spec: ModelSpec,
        metrics: Metrics,
        candidates: Vec<CandidateReport>,
        data: DataSummary,
        encoder: Encoder,
        model: FittedModel,
        calibrator: Calibrator,
    ) -> Self {
        TrainedModel {
            spec,
            metrics,
            candidates,
            data,
            coverage: Vec::new(),
            warnings: Vec::new(),
            latest_slice: None,
            profile: None,
            encoder,
            model,
            calibrator,
        }
    }

    /// The kept algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match &self.model {
            FittedModel::Linear { .. } => Algorithm::Logistic,
            FittedModel::Trees { ensemble, .. } if ensemble.average => Algorithm::RandomForest,
            FittedModel::Trees { .. } => Algorithm::BoostedTrees,
        }
    }

    pub fn calibration(&self) -> CalibrationMethod {
        self.calibrator.method()
    }

    /// Calibrated probabilities only (no explanations): the fast path for batch scoring.
    /// Batches of [`PARALLEL_BATCH`] rows or more are split over the available cores.
    pub fn predict(&self, rows: &[FeatureRow]) -> Vec<f64> {
        crate::parallel::by_chunks(rows, PARALLEL_BATCH, |chunk| self.predict_serial(chunk))
    }

    fn predict_serial(&self, rows: &[FeatureRow]) -> Vec<f64> {
        let mut buf = vec![0.0; self.encoder.width()];
        rows.iter()
            .map(|r| {
                self.encoder.encode_into(r, &mut buf);
                self.calibrator.apply(self.model.raw_proba(&buf))
            })
            .collect()
    }

    /// Scores with explanations. Missing cells and unseen categories are handled, never errors.
    pub fn score(&self, rows: &[FeatureRow]) -> Vec<Score> {
        let names = self.spec.feature_names();
        self.score_raw(rows)
            .iter()
            .zip(rows)
            .map(|(s, r)| s.in_words(&names, r))
            .collect()
    }

    /// [`TrainedModel::score`] with the factors not yet in words (feature indices and points):
    /// for callers that write them out themselves ([`super::explain::FactorWords`]).
    pub fn score_raw(&self, rows: &[FeatureRow]) -> Vec<RawScore> {
        crate::parallel::by_chunks(rows, PARALLEL_BATCH, |chunk| self.score_raw_serial(chunk))
    }

    fn score_raw_serial(&self, rows: &[FeatureRow]) -> Vec<RawScore> {
        let width = self.encoder.width();
        let (mut buf, mut contrib) = (vec![0.0; width], vec![0.0; width]);
        let mut per_feature = vec![0.0; self.spec.features.len()];
        rows.iter()
            .map(|r| {
                self.encoder.encode_into(r, &mut buf);
                contrib.fill(0.0);
                per_feature.fill(0.0);
                let raw = self.model.raw_proba_explained(&buf, &mut contrib);
                let p = self.calibrator.apply(raw);
                for (c, &f) in contrib.iter().zip(&self.encoder.column_feature) {
                    per_feature[f] += c;
                }
                RawScore {
                    factors: top_factors(&per_feature, self.model.unit(), p),
                    ..RawScore::unexplained(p)
                }
            })
            .collect()
    }

    /// Metrics of this model on `set` (e.g. a champion's validation slice).
    pub fn evaluate(&self, set: &TrainingSet) -> Result<Metrics> {
        if set.feature_names != self.spec.feature_names() {
            return Err(MlError::Shape(format!(
                "the set has features {:?}, the model {:?}",
                set.feature_names,
                self.spec.feature_names()
            )));
        }
        if set.is_empty() {
            return Err(MlError::Shape("the evaluation set has no rows".into()));
        }
        Ok(metrics::compute(&self.predict(&set.rows), &set.labels))
    }

    /// The validation slice of `set` under this model's spec and seed (the same rows training
    /// validated on, when `set` is the training set).
    pub fn validation_slice(&self, set: &TrainingSet) -> Result<TrainingSet> {
        Ok(set.subset(&split(set, &self.spec.split, self.spec.seed)?.validate))
    }

    /// Champion/challenger rule: a challenger may replace the champion when, on the same target
    /// rows, its log loss (nats) is not higher by more than 0.001.
    pub fn not_worse_than(mine_log_loss: f64, champion_log_loss: f64) -> bool {
        mine_log_loss <= champion_log_loss + 1e-3
    }

    /// The features of a lead, as of its creation (for scoring a new lead).
    pub fn lead_row(&self, lead: &Lead) -> FeatureRow {
        super::dataset::lead_row(&self.spec, lead)
    }

    /// The features of an open deal as of `as_of` (see [`super::opportunity_row`]).
    pub fn opportunity_row(
        &self,
        opp: &Opportunity,
        events: &[StageEvent],
        history: &OwnerHistory,
        as_of: DateTime<Utc>,
    ) -> FeatureRow {
        super::snapshot::opportunity_row(&self.spec, opp, events, history, as_of)
    }

    /// The whole pipeline as JSON bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| MlError::Artifact(format!("cannot write: {e}")))
    }

    /// Reads bytes written by [`TrainedModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<TrainedModel> {
        serde_json::from_slice(bytes).map_err(|e| MlError::Artifact(format!("cannot read: {e}")))
    }

    /// The encoded column names and the encoder, for exporting matrices to peers.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }
}
