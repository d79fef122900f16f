//! Churn on the RavenStack tables in `../shared/data` (SYNTHETIC; its publisher says to use it
//! for plumbing, not to judge models). Ignored by default; run with
//!
//! ```text
//! cargo test --release --lib ml::realdata_ravenstack -- --ignored --nocapture
//! ```
//!
//! Accounts and churn events come through their row mappings, snapshots through the rollup
//! `training/mappings/ravenstack-snapshots.toml`, as a user imports them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::*;
use crate::domain::{Account, AccountSnapshot, ChurnEvent};
use crate::import::{map_csv, Mapping, SnapshotRollup};

fn dirs() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    (
        root.join("../shared/data/ravenstack_saas_synthetic"),
        root.join("training/mappings"),
    )
}

fn mapped<T: crate::domain::Record>(file: &str, entity: &str, mapping: &str) -> Vec<T> {
    let (data, mappings) = dirs();
    let text = std::fs::read_to_string(mappings.join(mapping)).unwrap();
    let m = Mapping::from_toml(&text, &mappings).unwrap();
    let f = std::fs::File::open(data.join(file)).unwrap();
    let rows = map_csv(&m, entity, f, &mut |_| {}).unwrap();
    crate::domain::parse_batch(rows[0].values()).unwrap()
}

#[test]
#[ignore = "reads ../shared/data; run with --ignored (see the module doc)"]
fn ravenstack_churn_trains_through_the_rollup() {
    let (data, mappings) = dirs();
    let accounts: Vec<Account> = mapped(
        "ravenstack_accounts.csv",
        "accounts",
        "ravenstack-accounts.toml",
    );
    let text = std::fs::read_to_string(mappings.join("ravenstack-snapshots.toml")).unwrap();
    let subs = std::fs::File::open(data.join("ravenstack_subscriptions.csv")).unwrap();
    let rows = SnapshotRollup::from_toml(&text)
        .unwrap()
        .build("account-snapshots", subs, &mappings)
        .unwrap();
    let snaps: Vec<AccountSnapshot> = crate::domain::parse_batch(rows[0].values()).unwrap();
    // The file repeats one churn event (account A-cc102e, 2024-11-19); the import refuses the
    // duplicate key, and a user drops one of the two lines. Same here.
    let mut seen = HashSet::new();
    let events: Vec<ChurnEvent> = mapped::<ChurnEvent>(
        "ravenstack_churn_events.csv",
        "churn-events",
        "ravenstack-churn-events.toml",
    )
    .into_iter()
    .filter(|e| seen.insert((e.account_id.to_string(), e.churned_at)))
    .collect();
    assert_eq!(events.len(), 599);

    let spec = ModelSpec::from_toml(include_str!("../../training/churn-ravenstack.toml")).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    let set = churn_training_set(&spec, &accounts, &snaps, &events, as_of).unwrap();
    let m = train(&spec, &set, &mut |_, _| {}).unwrap();
    super::realdata::report("ravenstack", &m);
    let (prior, prior_loss) = super::realdata::prior_log_loss(&m, &set);
    eprintln!(
        "ravenstack churn: {} rows, {} positive; log loss {:.4} vs calibration-slice rate {prior:.3} -> {prior_loss:.4}; ECE {:.4}",
        set.len(),
        set.positives(),
        m.metrics.log_loss,
        m.metrics.ece
    );
    // Synthetic churn flags with little signal: the bar is to beat the best constant known
    // before validation (the calibration slice's churn rate).
    assert!(
        m.metrics.log_loss <= prior_loss,
        "{} vs {prior_loss}",
        m.metrics.log_loss
    );
}
