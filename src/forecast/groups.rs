//! Which group a deal falls in and what a period (or one group) won: one definition for the
//! forecast, the accuracy ledger, the pipeline waterfall and the quota plan.

use std::collections::HashMap;

use super::accuracy::TOTAL_GROUP;
use super::types::GroupBy;
use crate::domain::{Money, Opportunity, Period, Rep};

/// The group of deals without a key.
pub const NO_KEY: &str = "(none)";

impl GroupBy {
    /// `owner`, `team`, `region` or `product` (surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s.trim() {
            "owner" => Some(GroupBy::Owner),
            "team" => Some(GroupBy::Team),
            "region" => Some(GroupBy::Region),
            "product" => Some(GroupBy::Product),
            _ => None,
        }
    }

    /// The deal's key under this grouping (team and region through its owner's rep record).
    pub fn key_of<'a>(self, o: &'a Opportunity, reps: &HashMap<&str, &'a Rep>) -> Option<&'a str> {
        let rep = || o.owner_id.as_ref().and_then(|id| reps.get(id.as_str()));
        match self {
            GroupBy::Owner => o.owner_id.as_ref().map(|i| i.as_str()),
            GroupBy::Team => rep().and_then(|r| r.team.as_deref()),
            GroupBy::Region => rep().and_then(|r| r.region.as_deref()),
            GroupBy::Product => o.product.as_deref(),
        }
    }
}

/// The group an opportunity falls in under `by` ([`NO_KEY`] without a key).
pub fn group_key(o: &Opportunity, by: GroupBy, reps: &HashMap<&str, &Rep>) -> String {
    by.key_of(o, reps).unwrap_or(NO_KEY).to_string()
}

/// Won amount closed inside the period, for the total ([`TOTAL_GROUP`], or no grouping) or one
/// group of `by`.
pub fn won_in(
    opps: &[Opportunity],
    reps: &HashMap<&str, &Rep>,
    period: Period,
    by: Option<GroupBy>,
    group: &str,
) -> f64 {
    opps.iter()
        .filter(|o| o.won == Some(true) && o.closed_at.is_some_and(|t| period.contains(t.date())))
        .filter(|o| match by {
            Some(by) if group != TOTAL_GROUP => group_key(o, by, reps) == group,
            _ => true,
        })
        .map(|o| o.amount.map_or(0.0, Money::get))
        .sum()
}
