//! Which group a deal falls in and what a period (or one group) won: one definition for the
//! forecast, the accuracy ledger, the pipeline waterfall and the quota plan.

use std::collections::HashMap;

use super::accuracy::TOTAL_GROUP;
use super::types::GroupBy;
use crate::domain::{Money, Opportunity, Period, Rep};

/// The group of deals without a key.
pub const NO_KEY: &str = "(none)";

impl std::str::FromStr for GroupBy {
    type Err = String;

    /// `owner`, `team`, `region` or `product` (surrounding blanks ignored).
    fn from_str(s: &str) -> Result<GroupBy, String> {
        match s.trim() {
            "owner" => Ok(GroupBy::Owner),
            "team" => Ok(GroupBy::Team),
            "region" => Ok(GroupBy::Region),
            "product" => Ok(GroupBy::Product),
            other => Err(format!(
                "unknown grouping `{}`; use owner, team, region or product",
                crate::domain::truncate_for_message(other, 40)
            )),
        }
    }
}

/// The grouping the accuracy ledger scores: a [`GroupBy`], or the forecasts' totals (`total`, or
/// blank, as when the parameter is absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LedgerGrouping(pub Option<GroupBy>);

impl std::str::FromStr for LedgerGrouping {
    type Err = String;

    fn from_str(s: &str) -> Result<LedgerGrouping, String> {
        match s.trim() {
            "" | "total" => Ok(LedgerGrouping(None)),
            by => by.parse().map(|g| LedgerGrouping(Some(g))).map_err(|_| {
                format!(
                    "unknown grouping `{}`; use owner, team, region or product (or omit it for totals)",
                    crate::domain::truncate_for_message(by, 40)
                )
            }),
        }
    }
}

impl GroupBy {
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
