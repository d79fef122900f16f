//! The model pipeline: specs, leakage-free training sets, candidate algorithms, calibration,
//! metrics, explanations and the serialisable artifact. Pure logic: data in memory in, results out.
//!
//! Flow: [`ModelSpec::from_toml`] -> [`lead_training_set`] / [`win_training_set`] -> [`train`]
//! -> [`TrainedModel`] (score, evaluate, model card, bytes).

pub mod algo;
pub mod calibrate;
mod card;
mod checks;
pub mod churn;
pub mod coverage;
pub mod dataset;
pub mod drift;
mod drift_window;
pub mod encoder;
pub mod error;
pub mod explain;
pub mod fields;
pub mod gate;
pub mod history;
pub mod lead_json;
pub mod leakage;
pub mod metrics;
pub mod model;
pub mod pipeline;
#[cfg(test)]
mod realdata;
#[cfg(test)]
mod realdata_ravenstack;
#[cfg(test)]
mod realdata_telco;
pub mod row;
pub mod score_warnings;
pub mod snapshot;
pub mod spec;
pub mod split;
/// The single-model draws, where the scoring benches and the model tests have always found them.
pub use crate::synth::draws as synth;
#[cfg(test)]
mod tests;

pub use churn::{churn_row, churn_training_set};
pub use coverage::{FeatureCoverage, KeyCounts};
pub use dataset::{lead_row, lead_training_set, LeadSetBuilder};
pub use drift::{DriftReport, DriftWindow, Profile};
pub use error::MlError;
pub use explain::{Factor, FactorWords, RawFactor, TopFactors};
pub use gate::Comparison;
pub use history::OwnerHistory;
pub use metrics::{Metrics, ReliabilityBin};
pub use model::{DataSummary, Grade, LatestSlice, RawScore, Score, SliceCounts, TrainedModel};
pub use pipeline::{train, train_owned, CandidateReport};
pub use row::{Cell, FeatureRow, TrainingSet};
pub use score_warnings::ScoreWarnings;
pub use snapshot::{opportunity_row, win_training_set};
pub use spec::{Algorithm, CalibrationMethod, FeatureSpec, FeatureType, ModelKind, ModelSpec};
