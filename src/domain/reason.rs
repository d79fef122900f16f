//! A reason behind a score, as served: shared by the lead, win and churn answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A reason behind a score, in words a salesperson reads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FactorView {
    pub feature: String,
    pub value: String,
    /// Signed weight in score points.
    pub points: f64,
    /// e.g. "source = webinar: +12 pts".
    pub text: String,
}
