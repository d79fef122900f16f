//! The kinds of model revcast trains (each entity that feeds one names it: `Record::FEEDS`).

use serde::{Deserialize, Serialize};

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// P(a lead converts).
    Lead,
    /// P(an opportunity is won).
    Win,
    /// P(an account churns within the horizon).
    Churn,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Lead => "lead",
            ModelKind::Win => "win",
            ModelKind::Churn => "churn",
        }
    }
}
