//! Recommending quotas: split the company target by capacity, then check the plan's health.

use serde::{Deserialize, Serialize};

use super::{check_reps, QuotaError, QuotaInput, RepInput, Verdict, HEALTHY_MAX, HEALTHY_MIN};
use crate::domain::Period;

/// Months after hire at which a rep is fully ramped.
const FULL_RAMP_MONTHS: f64 = 9.0;

/// One rep's recommended quota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RepQuota {
    pub rep_id: String,
    /// The share of full productivity expected from tenure: 0.25, 0.5, 0.75 or 1.
    pub ramp: f64,
    /// The rep's share basis, in the company's currency: its ramp-adjusted forecast mean, scaled by past attainment.
    pub capacity: f64,
    pub quota: f64,
    /// P(the rep books at least the quota), 0..=1, from the rep's forecast distribution.
    pub p_reach: f64,
    pub rationale: String,
}

/// A quota plan for a company target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuotaPlan {
    #[schema(value_type = String, example = "2026-Q4")]
    pub period: Period,
    pub target: f64,
    /// Quotas add up to the target.
    pub reps: Vec<RepQuota>,
    /// Mean of the reps' P(reach), 0..=1: the expected share of reps at or above quota.
    pub expected_share_at_quota: f64,
    pub verdict: Verdict,
    /// Company targets, split the same way, that would put 80% and 60% of reps at quota:
    /// the healthy range of targets for this team.
    #[schema(value_type = Vec<f64>, min_items = 2, max_items = 2)]
    pub healthy_targets: (f64, f64),
    /// How the plan was built and what to do if it is not healthy, in sentences.
    pub explanation: Vec<String>,
}

/// Recommends quotas adding up to `input.target`.
///
/// Capacity: a fully ramped rep's forecast mean, times `clamp(0.5 + 0.5 x past attainment,
/// 0.75, 1.25)` (reps who beat their quotas get a little more, half-weighted because the
/// forecast already sees their pipeline). A ramping rep (25/50/75% in months 0-3/3-6/6-9) gets
/// the larger of its own forecast mean and its ramp share of the median ramped rep's capacity,
/// as a new rep's own forecast sees little pipeline. Quotas split the target by capacity.
pub fn recommend(input: &QuotaInput) -> Result<QuotaPlan, QuotaError> {
    check_reps(&input.reps)?;
    if !(input.target.is_finite() && input.target > 0.0) {
        return Err(QuotaError::BadTarget(input.target));
    }
    let capacities = capacities(&input.reps);
    let total: f64 = capacities.iter().sum();
    let weights: Vec<f64> = if total > 0.0 {
        capacities.iter().map(|c| c / total).collect()
    } else {
        vec![1.0 / input.reps.len() as f64; input.reps.len()]
    };
    let share_for = |target: f64| share_at(&input.reps, &weights, target);
    let share = share_for(input.target);
    let verdict = Verdict::of(share);
    let healthy_targets = (
        target_for(&share_for, HEALTHY_MAX),
        target_for(&share_for, HEALTHY_MIN),
    );
    let reps = input
        .reps
        .iter()
        .zip(capacities.iter().zip(&weights))
        .map(|(r, (&capacity, &w))| rep_quota(r, capacity, w * input.target))
        .collect();
    let explanation = explain(input, share, verdict, healthy_targets);
    Ok(QuotaPlan {
        period: input.period,
        target: input.target,
        reps,
        expected_share_at_quota: share,
        verdict,
        healthy_targets,
        explanation,
    })
}

/// 25% in months 0-3, 50% in 3-6, 75% in 6-9, 100% from month 9.
pub fn ramp(tenure_months: f64) -> f64 {
    (((tenure_months / 3.0).floor() + 1.0) * 0.25).min(1.0)
}

fn capacities(reps: &[RepInput]) -> Vec<f64> {
    let own: Vec<f64> = reps
        .iter()
        .map(|r| {
            let factor = r
                .past_attainment
                .map_or(1.0, |a| (0.5 + 0.5 * a).clamp(0.75, 1.25));
            r.forecast.mean() * factor
        })
        .collect();
    let mut ramped: Vec<f64> = reps
        .iter()
        .zip(&own)
        .filter(|(r, _)| r.tenure_months >= FULL_RAMP_MONTHS)
        .map(|(_, c)| *c)
        .collect();
    ramped.sort_by(f64::total_cmp);
    let median = ramped.get(ramped.len() / 2).copied();
    reps.iter()
        .zip(own)
        .map(
            |(r, c)| match (r.tenure_months < FULL_RAMP_MONTHS, median) {
                (true, Some(m)) => c.max(ramp(r.tenure_months) * m),
                _ => c,
            },
        )
        .collect()
}

fn share_at(reps: &[RepInput], weights: &[f64], target: f64) -> f64 {
    let sum: f64 = reps
        .iter()
        .zip(weights)
        .map(|(r, w)| r.forecast.p_at_least(w * target))
        .sum();
    sum / reps.len() as f64
}

/// The target at which the expected share at quota equals `share` (the share falls as the
/// target rises), by bisection.
fn target_for(share_for: &dyn Fn(f64) -> f64, share: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while share_for(hi) > share && hi < 1e15 {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if share_for(mid) > share {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

fn rep_quota(r: &RepInput, capacity: f64, quota: f64) -> RepQuota {
    let p_reach = r.forecast.p_at_least(quota);
    let ramp = ramp(r.tenure_months);
    let mut why = format!(
        "forecast mean {:.0}, open pipeline {:.0}, {:.0} months in post",
        r.forecast.mean(),
        r.open_pipeline,
        r.tenure_months
    );
    if let Some(a) = r.past_attainment {
        why += &format!(", past attainment {:.0}%", a * 100.0);
    }
    if ramp < 1.0 {
        why += &format!(", ramping at {:.0}%", ramp * 100.0);
    }
    why += &format!(
        ": capacity {capacity:.0}, quota {quota:.0}, {:.0}% chance to reach it",
        p_reach * 100.0
    );
    RepQuota {
        rep_id: r.rep_id.clone(),
        ramp,
        capacity,
        quota,
        p_reach,
        rationale: why,
    }
}

fn explain(input: &QuotaInput, share: f64, verdict: Verdict, healthy: (f64, f64)) -> Vec<String> {
    let mut out = vec![
        format!("The target {:.0} for {} is split across {} reps in proportion to capacity.", input.target, input.period, input.reps.len()),
        "Capacity is the rep's forecast mean, nudged by past attainment; ramping reps get at least their ramp share (25/50/75%) of a typical ramped rep.".into(),
        format!("Expected share of reps at or above quota: {:.0}% ({}).", share * 100.0, verdict.message()),
    ];
    match verdict {
        Verdict::TooHard => out.push(format!(
            "The target is too high for this team's forecast: no split of it reaches 60% of reps at quota this way. Targets from {:.0} to {:.0} would be healthy; otherwise add capacity or pipeline.",
            healthy.0, healthy.1
        )),
        Verdict::Lenient | Verdict::TooEasy => out.push(format!(
            "The target is low for this team's forecast: targets from {:.0} to {:.0} would put 60% to 80% of reps at quota.",
            healthy.0, healthy.1
        )),
        Verdict::Healthy => {}
    }
    out
}
