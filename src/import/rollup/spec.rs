//! The rollup mapping's schema: which columns of which files hold what, read from TOML and
//! checked.

use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::ENTITY;
use crate::import::ImportError;

pub(super) const ONE_KEY: &str = "name exactly one of `account` and `subscription`";

/// A rollup mapping, parsed from TOML by [`SnapshotRollup::from_toml`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRollup {
    /// Always `account-snapshots`.
    pub entity: String,
    pub rollup: RollupSpec,
    /// Columns of the imported file, one row per subscription.
    pub subscriptions: SubscriptionColumns,
    pub usage: Option<UsageTable>,
    pub tickets: Option<TicketTable>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollupSpec {
    /// How often a snapshot is taken; only `month` (at each month's last day).
    pub every: String,
    /// The last snapshot date considered; default: the latest date in any of the tables.
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionColumns {
    pub account: String,
    /// The subscription's id, for usage rows that name a subscription rather than an account.
    pub id: Option<String>,
    pub start: String,
    /// Empty cell: still active.
    pub end: Option<String>,
    pub arr: String,
    pub seats: Option<String>,
    pub plan: Option<String>,
    /// The column giving the contract term, translated to months by `terms`; the next renewal
    /// is the first term boundary after the snapshot.
    pub term: Option<String>,
    #[serde(default)]
    pub terms: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageTable {
    /// The CSV, relative to the mapping file.
    pub file: String,
    /// Either the account column, or the subscription column (resolved through the subscriptions).
    pub account: Option<String>,
    pub subscription: Option<String>,
    pub date: String,
    /// Summed over the 30 days up to a snapshot into `logins`.
    pub count: String,
    /// Distinct values over the 30 days: `attributes.features_used_30d`.
    pub feature: Option<String>,
    /// Summed over the 30 days: `attributes.usage_errors_30d`.
    pub errors: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketTable {
    /// The CSV, relative to the mapping file.
    pub file: String,
    pub account: String,
    pub opened: String,
    /// Empty cell: still open.
    pub closed: Option<String>,
    /// Averaged over the tickets closed in the 30 days up to a snapshot: `ticket_resolution_hours`.
    pub resolution_hours: Option<String>,
    /// Averaged over the tickets closed in the 90 days up to a snapshot, times
    /// `satisfaction_scale`, into `csat` (0..=100).
    pub satisfaction: Option<String>,
    #[serde(default = "one")]
    pub satisfaction_scale: f64,
}

fn one() -> f64 {
    1.0
}

/// True when `text` is a rollup mapping (it has a `[rollup]` table) rather than a row mapping.
pub fn is_rollup(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("rollup"))
}

impl SnapshotRollup {
    pub fn from_toml(text: &str) -> Result<Self, ImportError> {
        let r: SnapshotRollup = toml::from_str(text)?;
        if r.entity != ENTITY {
            return Err(ImportError::invalid(
                "entity",
                format!("a rollup builds `{ENTITY}`, not `{}`", r.entity),
            ));
        }
        if r.rollup.every != "month" {
            return Err(ImportError::invalid(
                "rollup.every",
                format!("`{}` is not supported; use `month`", r.rollup.every),
            ));
        }
        if let Some(u) = &r.usage {
            if u.account.is_some() == u.subscription.is_some() {
                return Err(ImportError::invalid("usage", ONE_KEY));
            }
            if u.subscription.is_some() && r.subscriptions.id.is_none() {
                return Err(ImportError::invalid(
                    "usage.subscription",
                    "needs `subscriptions.id` to find each subscription's account",
                ));
            }
        }
        if r.subscriptions.term.is_some() && r.subscriptions.terms.is_empty() {
            return Err(ImportError::invalid(
                "subscriptions.terms",
                "give the months of each term value, e.g. { monthly = 1, annual = 12 }",
            ));
        }
        Ok(r)
    }
}
