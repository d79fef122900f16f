//! Quotas: recommend each rep's quota for a company target, and judge existing quotas, from the
//! reps' forecast distributions (the forecast's Monte Carlo), past attainment, pipeline and tenure.
//!
//! A healthy plan puts 60% to 80% of reps at or above quota (DESIGN.md, "Quotas"). When a target
//! cannot give that, the plan says so and gives the range of targets that would.

mod dist;
mod judge;
mod plan;
#[cfg(test)]
mod tests;

pub use dist::RepDistribution;
pub use judge::{judge, QuotaJudgement, RepJudgement};
pub use plan::{ramp, recommend, QuotaPlan, RepQuota};

use serde::{Deserialize, Serialize};

use crate::domain::Period;

/// Lowest healthy expected share of reps at or above quota.
pub const HEALTHY_MIN: f64 = 0.6;
/// Highest healthy expected share.
pub const HEALTHY_MAX: f64 = 0.8;
/// From this share on, quotas are too easy.
pub const TOO_EASY: f64 = 0.9;

/// One rep as the quota logic sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepInput {
    pub rep_id: String,
    /// What the rep is forecast to book in the period.
    pub forecast: RepDistribution,
    /// Mean share of quota attained in past periods (1.0 = 100%); absent for reps without quota history.
    pub past_attainment: Option<f64>,
    /// Open pipeline amount (reported in the rationale).
    pub open_pipeline: f64,
    /// Months since hire at the period's start, >= 0.
    pub tenure_months: f64,
}

/// What [`recommend`] needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaInput {
    pub period: Period,
    /// The company target for the period, > 0, in the company's currency.
    pub target: f64,
    pub reps: Vec<RepInput>,
}

/// How healthy a set of quotas is, from the expected share of reps at or above quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Below 60%: the quotas are the problem, not the reps.
    TooHard,
    /// 60% to 80%.
    Healthy,
    /// 80% to 90%: generous.
    Lenient,
    /// 90% and more: too easy.
    TooEasy,
}

impl Verdict {
    pub fn of(share: f64) -> Self {
        if share < HEALTHY_MIN {
            Verdict::TooHard
        } else if share <= HEALTHY_MAX {
            Verdict::Healthy
        } else if share < TOO_EASY {
            Verdict::Lenient
        } else {
            Verdict::TooEasy
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Verdict::TooHard => {
                "quotas are too hard: fewer than 60% of reps are expected to reach them"
            }
            Verdict::Healthy => "healthy: 60% to 80% of reps are expected to reach quota",
            Verdict::Lenient => "generous: more than 80% of reps are expected to reach quota",
            Verdict::TooEasy => "quotas are too easy: nearly every rep is expected to reach them",
        }
    }
}

/// Why quotas could not be computed; each message names what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuotaError {
    #[error("no reps: a quota plan needs at least one rep with a forecast")]
    NoReps,
    #[error("target must be a positive amount, got {0}")]
    BadTarget(f64),
    #[error("rep `{rep_id}`: {reason}")]
    BadRep { rep_id: String, reason: String },
    #[error("rep `{0}` appears more than once")]
    DuplicateRep(String),
    #[error("quota for rep `{0}`, who has no forecast distribution")]
    UnknownRep(String),
}

/// Checks the reps shared by [`recommend`] and [`judge`].
fn check_reps(reps: &[RepInput]) -> Result<(), QuotaError> {
    if reps.is_empty() {
        return Err(QuotaError::NoReps);
    }
    let mut seen = std::collections::HashSet::new();
    for r in reps {
        if !seen.insert(r.rep_id.as_str()) {
            return Err(QuotaError::DuplicateRep(r.rep_id.clone()));
        }
        let bad = |reason: &str| QuotaError::BadRep {
            rep_id: r.rep_id.clone(),
            reason: reason.into(),
        };
        r.forecast.check().map_err(|e| bad(&e))?;
        if !(r.tenure_months.is_finite() && r.tenure_months >= 0.0) {
            return Err(bad("tenure_months must be a number of months, 0 or more"));
        }
        if r.past_attainment
            .is_some_and(|a| !(a.is_finite() && a >= 0.0))
        {
            return Err(bad(
                "past_attainment must be a share, 0 or more (1.0 = 100%)",
            ));
        }
        if !(r.open_pipeline.is_finite() && r.open_pipeline >= 0.0) {
            return Err(bad("open_pipeline must be an amount, 0 or more"));
        }
    }
    Ok(())
}
