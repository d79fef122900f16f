//! Judging existing quotas against the reps' forecast distributions.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::{check_reps, QuotaError, RepInput, Verdict};

/// One rep's quota, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RepJudgement {
    pub rep_id: String,
    pub quota: f64,
    /// P(the rep books at least the quota), 0..=1.
    pub p_reach: f64,
}

/// Existing quotas, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuotaJudgement {
    pub reps: Vec<RepJudgement>,
    /// Mean P(reach) over the reps with a quota, 0..=1.
    pub expected_share_at_quota: f64,
    pub verdict: Verdict,
    /// The verdict in words ("quotas are too hard: ...").
    pub flag: String,
}

/// Judges `quotas` (rep id, amount >= 0) with the reps' distributions; every quota's rep must
/// be among `reps`.
pub fn judge(quotas: &[(String, f64)], reps: &[RepInput]) -> Result<QuotaJudgement, QuotaError> {
    check_reps(reps)?;
    if quotas.is_empty() {
        return Err(QuotaError::NoReps);
    }
    let by_id: HashMap<&str, &RepInput> = reps.iter().map(|r| (r.rep_id.as_str(), r)).collect();
    let mut out = Vec::with_capacity(quotas.len());
    for (id, quota) in quotas {
        let rep = by_id
            .get(id.as_str())
            .ok_or_else(|| QuotaError::UnknownRep(id.clone()))?;
        if !(quota.is_finite() && *quota >= 0.0) {
            return Err(QuotaError::BadRep {
                rep_id: id.clone(),
                reason: format!("quota must be an amount, 0 or more, got {quota}"),
            });
        }
        out.push(RepJudgement {
            rep_id: id.clone(),
            quota: *quota,
            p_reach: rep.forecast.p_at_least(*quota),
        });
    }
    let share = out.iter().map(|r| r.p_reach).sum::<f64>() / out.len() as f64;
    let verdict = Verdict::of(share);
    Ok(QuotaJudgement {
        reps: out,
        expected_share_at_quota: share,
        verdict,
        flag: verdict.message().into(),
    })
}
