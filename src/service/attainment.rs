//! The forecast against what it is measured by: the period's stored quotas (in total and per
//! group) and, when given, a company target, each with P(reaching it).
//!
//! One forecast call (the API's `GET /v1/forecast`), then the stored quotas of the period laid
//! over its groups. P(reaching) reads a group's P10/P50/P90 the way the quota plan and judgement
//! read a rep's (a two-piece normal, [`RepDistribution`]), so a rep's P(reaching its quota) here
//! is the one `GET /v1/quotas/recommendations` judges.

use std::collections::BTreeMap;

use super::forecast::{self, ForecastQuery, ForecastResponse};
use super::models::ModelRegistry;
use super::{Result, ServiceError};
use crate::domain::{Period, Quota, Rep};
use crate::forecast::{GroupBy, GroupForecast, Quantiles};
use crate::quota::RepDistribution;
use crate::store::Store;

/// The key of reps without the grouping's field, as the forecast groups their deals.
const NO_KEY: &str = "(none)";

/// One group's forecast beside its quota.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAttainment {
    pub key: String,
    /// The group's forecast; all zero for a group with a quota and no deal.
    pub quantiles: Quantiles,
    /// Won so far in the period.
    pub closed: f64,
    /// The sum of the stored quotas of the group's reps for the period; None when none is stored
    /// (always None by product: quotas belong to reps).
    pub quota: Option<f64>,
    /// P(the group books at least its quota), 0..=1; None without a quota.
    pub p_reach_quota: Option<f64>,
}

/// The served forecast, the quota and target beside it, and the groups'.
#[derive(Debug, Clone)]
pub struct Attainment {
    pub served: ForecastResponse,
    /// The sum of the quotas stored for exactly this period; None when none are.
    pub quota: Option<f64>,
    pub p_reach_quota: Option<f64>,
    /// The company target asked about, > 0.
    pub target: Option<f64>,
    pub p_reach_target: Option<f64>,
    /// In the forecast's group order, then the groups that have a quota and no deal.
    pub groups: Vec<GroupAttainment>,
}

/// The forecast of `q` beside the stored quotas of its period and, when given, `target`.
pub async fn forecast_attainment(
    store: &Store,
    registry: &ModelRegistry,
    q: &ForecastQuery,
    target: Option<f64>,
) -> Result<Attainment> {
    if let Some(t) = target.filter(|t| !(t.is_finite() && *t > 0.0)) {
        return Err(ServiceError::bad_input(
            "target",
            format!("the company target must be an amount above 0, got {t}"),
        ));
    }
    let served = forecast::forecast(store, registry, q).await?;
    let quotas = store.kept_all::<Quota>().await?;
    let reps = store.kept_all::<Rep>().await?;
    let fc = &served.forecast;
    let stored = period_quotas(&quotas, fc.period);
    let quota = (!stored.is_empty()).then(|| stored.iter().map(|(_, a)| a).sum::<f64>());
    let groups = match fc.group_by {
        Some(by) => groups_against_quotas(by, &fc.groups, &stored, &reps),
        None => Vec::new(),
    };
    Ok(Attainment {
        quota,
        p_reach_quota: quota.map(|x| p_reach(fc.total, x)),
        target,
        p_reach_target: target.map(|x| p_reach(fc.total, x)),
        groups,
        served,
    })
}

fn period_quotas(quotas: &[Quota], period: Period) -> Vec<(String, f64)> {
    quotas
        .iter()
        .filter(|x| x.period == period)
        .map(|x| (x.rep_id.to_string(), x.amount.get()))
        .collect()
}

/// P(booking at least `amount`) under the quantiles, as the quota logic reads a rep's forecast.
pub fn p_reach(q: Quantiles, amount: f64) -> f64 {
    RepDistribution::from(q).p_at_least(amount)
}

/// The group a rep's quota counts in under `by`; None by product.
fn rep_group(rep_id: &str, by: GroupBy, reps: &BTreeMap<&str, &Rep>) -> Option<String> {
    let rep = reps.get(rep_id);
    let key = match by {
        GroupBy::Owner => return Some(rep_id.to_string()),
        GroupBy::Team => rep.and_then(|r| r.team.clone()),
        GroupBy::Region => rep.and_then(|r| r.region.clone()),
        GroupBy::Product => return None,
    };
    Some(key.unwrap_or_else(|| NO_KEY.to_string()))
}

/// Each forecast group with the quotas of its reps (pure: no store, no clock).
pub fn groups_against_quotas(
    by: GroupBy,
    groups: &[GroupForecast],
    stored: &[(String, f64)],
    reps: &[Rep],
) -> Vec<GroupAttainment> {
    let reps: BTreeMap<&str, &Rep> = reps.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut quota_of: BTreeMap<String, f64> = BTreeMap::new();
    for (rep_id, amount) in stored {
        if let Some(key) = rep_group(rep_id, by, &reps) {
            *quota_of.entry(key).or_default() += amount;
        }
    }
    let mut out: Vec<GroupAttainment> = groups
        .iter()
        .map(|g| {
            let quota = quota_of.remove(&g.key);
            GroupAttainment {
                key: g.key.clone(),
                quantiles: g.quantiles,
                closed: g.parts.closed,
                quota,
                p_reach_quota: quota.map(|x| p_reach(g.quantiles, x)),
            }
        })
        .collect();
    // A group with a quota and no deal at all is the one a manager must see first.
    out.extend(quota_of.into_iter().map(|(key, quota)| GroupAttainment {
        key,
        quantiles: Quantiles::default(),
        closed: 0.0,
        quota: Some(quota),
        p_reach_quota: Some(p_reach(Quantiles::default(), quota)),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(p10: f64, p50: f64, p90: f64) -> Quantiles {
        Quantiles {
            p10,
            p50,
            p90,
            mean: p50,
        }
    }

    #[test]
    fn reaching_the_median_is_an_even_chance_and_more_is_less_likely() {
        let f = q(50.0, 100.0, 180.0);
        assert!((p_reach(f, 100.0) - 0.5).abs() < 1e-9);
        assert!((p_reach(f, 180.0) - 0.1).abs() < 1e-3);
        assert!((p_reach(f, 50.0) - 0.9).abs() < 1e-3);
        assert!(p_reach(f, 120.0) < p_reach(f, 110.0));
        assert_eq!(p_reach(f, 0.0), 1.0);
    }

    fn group(key: &str, f: Quantiles) -> GroupForecast {
        GroupForecast {
            key: key.into(),
            quantiles: f,
            parts: Default::default(),
        }
    }

    fn rep(id: &str, team: Option<&str>) -> Rep {
        serde_json::from_value(serde_json::json!({"id": id, "name": id, "team": team})).unwrap()
    }

    #[test]
    fn a_teams_quota_is_its_reps_and_a_team_without_deals_still_shows() {
        let reps = [
            rep("R1", Some("east")),
            rep("R2", Some("east")),
            rep("R3", Some("west")),
            rep("R4", None),
        ];
        let stored = [
            ("R1".to_string(), 60.0),
            ("R2".to_string(), 40.0),
            ("R3".to_string(), 70.0),
            ("R4".to_string(), 5.0),
        ];
        let groups = [
            group("east", q(50.0, 100.0, 180.0)),
            group("north", q(1.0, 2.0, 3.0)),
        ];
        let out = groups_against_quotas(GroupBy::Team, &groups, &stored, &reps);
        let keys: Vec<&str> = out.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["east", "north", "(none)", "west"]);
        assert_eq!(out[0].quota, Some(100.0));
        assert!((out[0].p_reach_quota.unwrap() - 0.5).abs() < 1e-9);
        assert_eq!((out[1].quota, out[1].p_reach_quota), (None, None));
        assert_eq!(
            (out[3].quota, out[3].p_reach_quota),
            (Some(70.0), Some(0.0))
        );
        let by_product = groups_against_quotas(GroupBy::Product, &groups, &stored, &reps);
        assert!(by_product.iter().all(|g| g.quota.is_none()));
        let by_owner = groups_against_quotas(
            GroupBy::Owner,
            &[group("R3", q(50.0, 70.0, 90.0))],
            &stored,
            &reps,
        );
        assert_eq!(
            by_owner.len(),
            4,
            "R3 and the three reps with a quota and no deal"
        );
        assert!((by_owner[0].p_reach_quota.unwrap() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn nothing_forecast_never_reaches_a_positive_quota() {
        assert_eq!(p_reach(Quantiles::default(), 10.0), 0.0);
    }
}
