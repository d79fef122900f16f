//! The kinds of model revcast trains (each entity that feeds one names it: `Record::FEEDS`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

impl std::str::FromStr for ModelKind {
    type Err = String;

    /// `lead`, `win` or `churn`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lead" => Ok(ModelKind::Lead),
            "win" => Ok(ModelKind::Win),
            "churn" => Ok(ModelKind::Churn),
            other => Err(format!(
                "unknown model kind `{other}`; use lead, win or churn"
            )),
        }
    }
}
