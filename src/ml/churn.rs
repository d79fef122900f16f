//! The churn training set: one row per account snapshot old enough to know whether the account
//! churned within the horizon after it, with features as of the snapshot.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::domain::{Account, AccountSnapshot, ChurnEvent};

use super::error::{spec_err, Result};
use super::row::{Cell, FeatureRow, TrainingSet};
use super::spec::{FeatureSpec, ModelKind, ModelSpec};

/// Fields a churn feature may read: the snapshot's own readings, and values derived from the
/// account's earlier snapshots (`usage_trend_30d`, `usage_trend_90d`: ln((active users + 1) /
/// (active users about 30 / 90 days earlier + 1)), missing without such a snapshot; the same of
/// logins for `logins_trend_30d` and `logins_trend_90d`), `seat_use`
/// (active users / seats, 0..=1), `tenure_years` (since the account's `customer_since` attribute,
/// else its latest snapshot's, else its first snapshot) and `days_to_renewal`.
pub const CHURN_FIELDS: &[&str] = &[
    "arr",
    "seats",
    "active_users",
    "logins",
    "nps",
    "csat",
    "open_tickets",
    "ticket_resolution_hours",
    "plan",
    "seat_use",
    "usage_trend_30d",
    "usage_trend_90d",
    "logins_trend_30d",
    "logins_trend_90d",
    "tenure_years",
    "days_to_renewal",
];

/// One row per snapshot dated at least `spec.horizon_days` before `as_of`, labelled true when the
/// account has a churn event after the snapshot date and at most `horizon_days` after it.
/// Snapshots dated after `as_of` are not read. The split time is the snapshot date.
pub fn churn_training_set(
    spec: &ModelSpec,
    accounts: &[Account],
    snapshots: &[AccountSnapshot],
    churn_events: &[ChurnEvent],
    as_of: NaiveDate,
) -> Result<TrainingSet> {
    check_churn_spec(spec)?;
    let horizon = Duration::days(i64::from(spec.horizon_days));
    let churned: HashMap<&str, Vec<NaiveDate>> =
        churn_events.iter().fold(HashMap::new(), |mut m, e| {
            m.entry(e.account_id.as_str())
                .or_default()
                .push(e.churned_at);
            m
        });
    let since = customer_since(accounts);
    let mut set = TrainingSet {
        kind: ModelKind::Churn,
        feature_names: spec.feature_names(),
        rows: vec![],
        labels: vec![],
        times: vec![],
        ids: vec![],
    };
    for (account, history) in by_account(snapshots, as_of) {
        for i in (0..history.len()).filter(|&i| history[i].as_of + horizon <= as_of) {
            let date = history[i].as_of;
            let label = churned
                .get(account)
                .is_some_and(|d| d.iter().any(|&c| c > date && c <= date + horizon));
            set.rows
                .push(row_at(spec, &history[..=i], since.get(account).copied()));
            set.labels.push(label);
            set.times.push(Some(midnight(date)));
            set.ids.push(account.to_string());
        }
    }
    Ok(set)
}

/// The features of an account as of its latest snapshot on or before `as_of`, for scoring;
/// `None` when it has no such snapshot. `snapshots` may hold other accounts' rows, and need
/// only reach [`HISTORY_DAYS`] back; `first_snapshot` is the date of the account's first
/// snapshot ever, for its tenure when it has no `customer_since` attribute (default: the first
/// of `snapshots`).
pub fn churn_row(
    spec: &ModelSpec,
    account: &Account,
    snapshots: &[AccountSnapshot],
    as_of: NaiveDate,
    first_snapshot: Option<NaiveDate>,
) -> Option<FeatureRow> {
    let history: Vec<&AccountSnapshot> = snapshots
        .iter()
        .filter(|s| s.account_id == account.id && s.as_of <= as_of)
        .collect();
    history_row(spec, account, history, first_snapshot)
}

/// The features of an account as of the latest of `history` (its own snapshots, in any
/// order); `None` when `history` is empty. See [`churn_row`].
pub fn history_row(
    spec: &ModelSpec,
    account: &Account,
    mut history: Vec<&AccountSnapshot>,
    first_snapshot: Option<NaiveDate>,
) -> Option<FeatureRow> {
    history.sort_by_key(|s| s.as_of);
    let since = customer_since(std::slice::from_ref(account))
        .get(account.id.as_str())
        .copied()
        .or_else(|| snapshot_since(&history))
        .or(first_snapshot);
    (!history.is_empty()).then(|| row_at(spec, &history, since))
}

fn check_churn_spec(spec: &ModelSpec) -> Result<()> {
    if spec.kind != ModelKind::Churn {
        return Err(spec_err(
            "kind",
            format!(
                "a churn training set needs a churn spec, not {}",
                spec.kind.as_str()
            ),
        ));
    }
    if spec.horizon_days == 0 {
        return Err(spec_err("horizon_days", "must be at least 1 day"));
    }
    for (i, f) in spec.features.iter().enumerate() {
        let known = f.from.starts_with("attributes.") || CHURN_FIELDS.contains(&f.from.as_str());
        if !known {
            return Err(spec_err(
                format!("feature[{i}].from"),
                format!(
                    "`{}` is not a churn field; use one of {} or attributes.<name>",
                    f.from,
                    CHURN_FIELDS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Each account's snapshots up to `as_of`, oldest first; accounts in id order (deterministic).
fn by_account(
    snapshots: &[AccountSnapshot],
    as_of: NaiveDate,
) -> BTreeMap<&str, Vec<&AccountSnapshot>> {
    let mut by: BTreeMap<&str, Vec<&AccountSnapshot>> = BTreeMap::new();
    for s in snapshots.iter().filter(|s| s.as_of <= as_of) {
        by.entry(s.account_id.as_str()).or_default().push(s);
    }
    for v in by.values_mut() {
        v.sort_by_key(|s| s.as_of);
    }
    by
}

/// The `customer_since` attribute (a `YYYY-MM-DD` date) of each account that has one.
fn customer_since(accounts: &[Account]) -> HashMap<&str, NaiveDate> {
    accounts
        .iter()
        .filter_map(|a| Some((a.id.as_str(), since_attribute(&a.attributes)?)))
        .collect()
}

/// The `customer_since` attribute of the latest snapshot of `history` that carries one: where an
/// account's own row does not say when it became a customer, its snapshots may.
fn snapshot_since(history: &[&AccountSnapshot]) -> Option<NaiveDate> {
    history
        .iter()
        .rev()
        .find_map(|s| since_attribute(&s.attributes))
}

fn since_attribute(attributes: &crate::domain::Attributes) -> Option<NaiveDate> {
    let text = attributes.get("customer_since")?.as_str()?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The row of the last snapshot in `history` (oldest first, one account).
fn row_at(spec: &ModelSpec, history: &[&AccountSnapshot], since: Option<NaiveDate>) -> FeatureRow {
    let since = since
        .or_else(|| snapshot_since(history))
        .or(history.first().map(|s| s.as_of));
    FeatureRow {
        cells: spec
            .features
            .iter()
            .map(|f| churn_cell(spec, f, history, since))
            .collect(),
    }
}

/// The most history a churn row reads: its 90-day trends look back at most this far.
pub const HISTORY_DAYS: u32 = 180;

/// ln((reading now + 1) / (reading then + 1)), where "then" is the latest snapshot dated from
/// `days` - 2 to 2 x `days` days earlier; missing without one (a reading older than that says
/// nothing about the last `days` days).
fn trend(
    history: &[&AccountSnapshot],
    days: i64,
    reading: fn(&AccountSnapshot) -> Option<i64>,
) -> Option<f64> {
    let now = history.last()?;
    let limit = now.as_of - Duration::days(days - 2);
    let then = history.iter().rev().find(|s| s.as_of <= limit)?;
    if then.as_of < now.as_of - Duration::days(2 * days) {
        return None;
    }
    let (a, b) = (reading(now)?, reading(then)?);
    Some(((a as f64 + 1.0) / (b as f64 + 1.0)).ln())
}

fn churn_cell(
    spec: &ModelSpec,
    f: &FeatureSpec,
    history: &[&AccountSnapshot],
    since: Option<NaiveDate>,
) -> Cell {
    let s = history[history.len() - 1];
    if let Some(key) = f.from.strip_prefix("attributes.") {
        return Cell::from_json(s.attributes.get(key), &spec.missing_values);
    }
    let int = |v: Option<i64>| Cell::opt_num(v.map(|x| x as f64));
    match f.from.as_str() {
        "arr" => Cell::Num(s.arr.get()),
        "seats" => int(s.seats),
        "active_users" => int(s.active_users),
        "logins" => int(s.logins),
        "nps" => Cell::opt_num(s.nps),
        "csat" => Cell::opt_num(s.csat),
        "open_tickets" => int(s.open_tickets),
        "ticket_resolution_hours" => Cell::opt_num(s.ticket_resolution_hours),
        "plan" => Cell::opt_text(s.plan.as_deref(), &spec.missing_values),
        "seat_use" => Cell::opt_num(match (s.active_users, s.seats) {
            (Some(a), Some(n)) if n > 0 => Some(a as f64 / n as f64),
            _ => None,
        }),
        "usage_trend_30d" => Cell::opt_num(trend(history, 30, |s| s.active_users)),
        "usage_trend_90d" => Cell::opt_num(trend(history, 90, |s| s.active_users)),
        "logins_trend_30d" => Cell::opt_num(trend(history, 30, |s| s.logins)),
        "logins_trend_90d" => Cell::opt_num(trend(history, 90, |s| s.logins)),
        "tenure_years" => Cell::opt_num(since.map(|d| (s.as_of - d).num_days() as f64 / 365.25)),
        "days_to_renewal" => Cell::opt_num(s.renewal_date.map(|d| (d - s.as_of).num_days() as f64)),
        _ => Cell::Missing,
    }
}
