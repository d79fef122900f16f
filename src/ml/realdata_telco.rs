//! Churn quality on the IBM Telco data in `../shared/data` (relative to the repo root). Ignored by
//! default (it reads a file outside the crate); run with
//!
//! ```text
//! cargo test --lib ml::realdata_telco -- --ignored --nocapture
//! ```
//!
//! The loader is a minimal stand-in for `training/mappings/telco-customers.toml`: the same
//! snapshot date, attribute keys, plan and churn date.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::*;
use crate::domain::{Account, AccountSnapshot, Attributes, ChurnEvent, Id, Money};

const SNAPSHOT: (i32, u32, u32) = (2018, 1, 1);

fn data_file() -> PathBuf {
    std::env::var_os("REVCAST_DATA")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
            PathBuf::from,
        )
        .join("ibm_telco_customer_churn/Telco-Customer-Churn.csv")
}

/// The snapshot attribute keys, as the mapping's snake_case makes them from the CSV columns.
const KEYS: [(&str, &str); 15] = [
    ("tenure", "tenure"),
    ("PhoneService", "phone_service"),
    ("MultipleLines", "multiple_lines"),
    ("InternetService", "internet_service"),
    ("OnlineSecurity", "online_security"),
    ("OnlineBackup", "online_backup"),
    ("DeviceProtection", "device_protection"),
    ("TechSupport", "tech_support"),
    ("StreamingTV", "streaming_tv"),
    ("StreamingMovies", "streaming_movies"),
    ("Contract", "contract"),
    ("PaperlessBilling", "paperless_billing"),
    ("PaymentMethod", "payment_method"),
    ("MonthlyCharges", "monthly_charges"),
    ("TotalCharges", "total_charges"),
];

fn value(v: &str) -> Option<Value> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.parse::<f64>().map_or_else(|_| json!(t), |x| json!(x)))
}

fn telco() -> (Vec<AccountSnapshot>, Vec<ChurnEvent>) {
    let path = data_file();
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let day = NaiveDate::from_ymd_opt(SNAPSHOT.0, SNAPSHOT.1, SNAPSHOT.2).unwrap();
    let (mut snaps, mut churn) = (Vec::new(), Vec::new());
    for rec in r.records() {
        let rec = rec.unwrap();
        let id = Id::parse(&rec[col("customerID")]).unwrap();
        let mut attributes = Attributes::new();
        for (column, key) in KEYS {
            if let Some(v) = value(&rec[col(column)]) {
                attributes.insert(key.to_string(), v);
            }
        }
        let monthly: f64 = rec[col("MonthlyCharges")].parse().unwrap();
        snaps.push(AccountSnapshot {
            account_id: id.clone(),
            as_of: day,
            arr: Money::parse(monthly * 12.0).unwrap(),
            seats: None,
            active_users: None,
            logins: None,
            nps: None,
            csat: None,
            open_tickets: None,
            ticket_resolution_hours: None,
            plan: Some(rec[col("Contract")].to_string()),
            renewal_date: None,
            attributes,
        });
        if &rec[col("Churn")] == "Yes" {
            churn.push(ChurnEvent {
                account_id: id,
                churned_at: day + chrono::Months::new(1),
                arr_lost: None,
                reason: None,
            });
        }
    }
    (snaps, churn)
}

#[test]
#[ignore = "reads ../shared/data; run with --ignored (see the module doc)"]
fn telco_churn_quality() {
    let spec = ModelSpec::from_toml(include_str!("../../training/churn-telco.toml")).unwrap();
    let (snaps, churn) = telco();
    let as_of = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    let set = churn_training_set(&spec, &[] as &[Account], &snaps, &churn, as_of).unwrap();
    assert_eq!((set.len(), set.positives()), (snaps.len(), churn.len()));
    let m = train(&spec, &set, &mut |_, _| {}).unwrap();
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
