//! Model use cases: the in-memory registry of active models, training with champion/challenger,
//! promotion and rollback, scoring inline and stored records, and the prioritized lists.

mod dataset;
pub mod monitor;
mod registry;
mod rescore;
pub(crate) mod scoring;
pub(crate) mod training;
pub mod upkeep;
mod versions;

pub use registry::{ActiveModel, ModelRegistry};
pub use rescore::{refresh_scores, Rescorer};
pub use scoring::{
    prioritized, score_leads, score_leads_checked, score_opportunities,
    score_opportunities_checked, score_stored_lead, score_stored_opportunity, ScoredBatch,
    ScoredRecord,
};
pub use training::{
    default_spec, spec_for, train_kind, train_kind_as_of, GateView, Progress, TrainOutcome,
};
pub use versions::{
    drift, export_version, list_versions, promote, rollback, ModelDrift, ModelVersionInfo,
};

use crate::ml::ModelKind;

use super::ServiceError;

/// Parses `lead`, `win` or `churn`.
pub fn parse_kind(s: &str) -> Result<ModelKind, ServiceError> {
    s.parse().map_err(|e| ServiceError::bad_input("kind", e))
}
