//! Churn quality on the IBM Telco data in `../shared/data` (relative to the repo root). Ignored by
//! default (it reads a file outside the crate); run with
//!
//! ```text
//! cargo test --release --lib ml::realdata_telco -- --ignored --nocapture
//! REVCAST_PEER_DIR=/some/dir cargo test ...   # also writes the encoded slices for the peers
//! python training/peers/ml_peers.py /some/dir telco
//! ```
//!
//! The file is loaded through the import engine and `training/mappings/telco-customers.toml`,
//! as a user loads it.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::*;
use crate::domain::{Account, AccountSnapshot, ChurnEvent};

fn data_file() -> PathBuf {
    std::env::var_os("REVCAST_DATA")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
            PathBuf::from,
        )
        .join("ibm_telco_customer_churn/Telco-Customer-Churn.csv")
}

fn telco() -> (Vec<Account>, Vec<AccountSnapshot>, Vec<ChurnEvent>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training/mappings/telco-customers.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let m = crate::import::Mapping::from_toml(&text, path.parent().unwrap()).unwrap();
    let file = data_file();
    let f = std::fs::File::open(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let rows = crate::import::map_csv(&m, "accounts", f, &mut |_| {}).unwrap();
    let parsed = |entity: &str| rows.iter().find(|r| r.entity == entity).unwrap().values();
    (
        crate::domain::parse_batch(parsed("accounts")).unwrap(),
        crate::domain::parse_batch(parsed("account-snapshots")).unwrap(),
        crate::domain::parse_batch(parsed("churn-events")).unwrap(),
    )
}

#[test]
#[ignore = "reads ../shared/data; run with --ignored (see the module doc)"]
fn telco_churn_quality() {
    let spec = ModelSpec::from_toml(include_str!("../../training/churn-telco.toml")).unwrap();
    let (accounts, snaps, churn) = telco();
    let as_of = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    let set = churn_training_set(&spec, &accounts, &snaps, &churn, as_of).unwrap();
    assert_eq!((set.len(), set.positives()), (snaps.len(), churn.len()));
    let m = train(&spec, &set, &mut |_, _| {}).unwrap();
    super::realdata::export("telco", &m, &set);
    eprintln!(
        "telco churn: {:?}/{:?} ROC AUC {:.4}, ECE {:.4}, {} validation rows",
        m.algorithm(),
        m.calibration(),
        m.metrics.roc_auc,
        m.metrics.ece,
        m.metrics.rows
    );
    assert!(
        m.metrics.roc_auc >= 0.84,
        "ROC AUC {:.4}",
        m.metrics.roc_auc
    );
    assert!(m.metrics.ece <= 0.03, "ECE {:.4}", m.metrics.ece);
}
