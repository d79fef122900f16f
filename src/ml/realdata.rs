//! Quality on the real datasets in `../shared/data` (relative to the repo root). Ignored by
//! default (they read files outside the crate and take ~20 s in debug); run with
//!
//! ```text
//! cargo test --release --lib ml::realdata -- --ignored --nocapture
//! REVCAST_PEER_DIR=/some/dir cargo test ...   # also writes the encoded slices for the peers
//! ```
//!
//! The CSV loading here is a minimal stand-in for the import engine, kept in test code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};

use super::split::split;
use super::*;
use crate::domain::{Attributes, Id, Lead, Money, Opportunity, StageEvent, Timestamp};

fn data_dir() -> PathBuf {
    std::env::var_os("REVCAST_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
        PathBuf::from,
    )
}

fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Numbers as numbers, blanks left out, anything else as text.
fn attr(v: &str) -> Option<Value> {
    let t = v.trim();
    if t.is_empty() {
        return None;
    }
    Some(t.parse::<f64>().map_or_else(|_| json!(t), |x| json!(x)))
}

fn xeducation_leads() -> Vec<Lead> {
    let rows = read_csv(&data_dir().join("xeducation_lead_scoring/Leads.csv"));
    rows.into_iter()
        .map(|r| {
            let mut attributes = Attributes::new();
            for (k, v) in &r {
                if !["Prospect ID", "Lead Source", "Converted"].contains(&k.as_str()) {
                    if let Some(v) = attr(v) {
                        attributes.insert(k.clone(), v);
                    }
                }
            }
            Lead {
                id: Id::parse(r["Prospect ID"].clone()).unwrap(),
                account_id: None,
                created_at: None,
                source: Some(r["Lead Source"].clone()).filter(|s| !s.is_empty()),
                owner_id: None,
                status: None,
                converted: Some(r["Converted"] == "1"),
                converted_at: None,
                first_response_at: None,
                attributes,
            }
        })
        .collect()
}

fn maven() -> (Vec<Opportunity>, Vec<StageEvent>) {
    let dir = data_dir().join("maven_crm_sales_opportunities");
    let index = |file: &str, key: &str| -> HashMap<String, HashMap<String, String>> {
        read_csv(&dir.join(file))
            .into_iter()
            .map(|r| (r[key].replace(' ', ""), r))
            .collect()
    };
    let (accounts, products, teams) = (
        index("accounts.csv", "account"),
        index("products.csv", "product"),
        index("sales_teams.csv", "sales_agent"),
    );
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let (mut opps, mut events) = (Vec::new(), Vec::new());
    for r in read_csv(&dir.join("sales_pipeline.csv")) {
        let id = Id::parse(r["opportunity_id"].clone()).unwrap();
        let mut attributes = Attributes::new();
        let joined = [
            (
                accounts.get(&r["account"].replace(' ', "")),
                &["sector", "revenue", "employees", "office_location"][..],
            ),
            (
                teams.get(&r["sales_agent"].replace(' ', "")),
                &["manager", "regional_office"][..],
            ),
            (
                products.get(&r["product"].replace(' ', "")),
                &["series"][..],
            ),
        ];
        for (row, cols) in joined {
            for c in cols {
                if let Some(v) = row.and_then(|x| attr(&x[*c])) {
                    attributes.insert(c.to_string(), v);
                }
            }
        }
        let price = products
            .get(&r["product"].replace(' ', ""))
            .and_then(|p| p["sales_price"].parse::<f64>().ok());
        let engaged = date(&r["engage_date"]).map(Timestamp::from_date);
        let won = match r["deal_stage"].as_str() {
            "Won" => Some(true),
            "Lost" => Some(false),
            _ => None,
        };
        if let Some(t) = engaged {
            events.push(StageEvent {
                opportunity_id: id.clone(),
                stage: "Engaging".into(),
                entered_at: t,
                expected_close_date: None,
            });
        }
        opps.push(Opportunity {
            id,
            account_id: Id::parse(r["account"].clone()).ok(),
            owner_id: Id::parse(r["sales_agent"].clone()).ok(),
            created_at: engaged,
            stage: r["deal_stage"].clone(),
            amount: price.map(|p| Money::parse(p).unwrap()),
            expected_close_date: None,
            closed_at: won.and_then(|_| date(&r["close_date"]).map(Timestamp::from_date)),
            won,
            forecast_category: None,
            product: Some(r["product"].clone()),
            deal_type: None,
            attributes,
        });
    }
    (opps, events)
}

fn report(name: &str, m: &TrainedModel) {
    eprintln!(
        "== {name}: kept {} + {:?}; slices {:?}",
        m.algorithm().as_str(),
        m.calibration(),
        m.data
    );
    for c in &m.candidates {
        let x = &c.metrics;
        eprintln!(
            "{:<14} {:<9} auc {:.4} pr_auc {:.4} log_loss {:.4} (base {:.4}, raw {:.4}) brier {:.4} ece {:.4} lift {:.2}",
            c.algorithm.as_str(), format!("{:?}", c.calibration), x.roc_auc, x.pr_auc, x.log_loss, x.base_rate_log_loss, c.uncalibrated_log_loss, x.brier, x.ece, x.top_decile_lift
        );
    }
}

/// Writes the encoded slices and revcast's validation probabilities for `training/peers/ml_peers.py`.
fn export(name: &str, m: &TrainedModel, set: &TrainingSet) {
    let Some(dir) = std::env::var_os("REVCAST_PEER_DIR").map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let sp = split(set, &m.spec.split, m.spec.seed).unwrap();
    let enc = m.encoder();
    for (slice, idx) in [
        ("train", &sp.train),
        ("calibrate", &sp.calibrate),
        ("validate", &sp.validate),
    ] {
        let sub = set.subset(idx);
        let x = enc.transform(&sub.rows);
        let mut w = csv::Writer::from_path(dir.join(format!("{name}_{slice}.csv"))).unwrap();
        let mut header: Vec<String> = enc.columns.clone();
        header.extend(["label".to_string(), "revcast".to_string()]);
        w.write_record(&header).unwrap();
        let p = m.predict(&sub.rows);
        for (i, (&label, prob)) in sub.labels.iter().zip(&p).enumerate() {
            let mut rec: Vec<String> = x.row(i).iter().map(|v| v.to_string()).collect();
            rec.push(u8::from(label).to_string());
            rec.push(prob.to_string());
            w.write_record(&rec).unwrap();
        }
    }
    std::fs::write(dir.join(format!("{name}_card.md")), m.model_card()).unwrap();
}

#[test]
#[ignore = "reads ../shared/data; run with --ignored (see the module doc)"]
fn xeducation_lead_quality() {
    let spec = ModelSpec::from_toml(include_str!("../../training/lead-xeducation.toml")).unwrap();
    let set = lead_training_set(&spec, &xeducation_leads()).unwrap();
    assert_eq!(set.len(), 9240);
    let m = train(&spec, &set, &mut |_, _| {}).unwrap();
    report("xeducation", &m);
    export("xeducation", &m, &set);
    assert!(m.metrics.ece <= 0.03, "ece {}", m.metrics.ece);
    assert!(m.metrics.roc_auc > 0.85, "auc {}", m.metrics.roc_auc);
}

#[test]
#[ignore = "reads ../shared/data; run with --ignored (see the module doc)"]
fn maven_win_quality() {
    let spec = ModelSpec::from_toml(include_str!("../../training/win-maven.toml")).unwrap();
    let (opps, events) = maven();
    let set = win_training_set(&spec, &opps, &events, Utc::now()).unwrap();
    assert_eq!(set.len(), 4238 + 2473);
    let m = train(&spec, &set, &mut |_, _| {}).unwrap();
    report("maven", &m);
    export("maven", &m, &set);
    // The bar: the best constant known before validation, the calibration slice's win rate.
    // (`base_rate_log_loss` uses the validation slice's own rate, known only in hindsight; it is
    // printed for comparison.)
    let c = &m.data.calibrate;
    let prior = c.positives as f64 / c.rows as f64;
    let val = m.validation_slice(&set).unwrap();
    let prior_loss = metrics::log_loss(&vec![prior; val.len()], &val.labels);
    eprintln!(
        "maven: log loss {:.4}, calibration-slice rate {prior:.3} -> {prior_loss:.4}, hindsight {:.4}",
        m.metrics.log_loss, m.metrics.base_rate_log_loss
    );
    assert!(
        m.metrics.log_loss <= prior_loss,
        "{} vs {prior_loss}",
        m.metrics.log_loss
    );
    assert!(m.metrics.ece <= 0.03, "ece {}", m.metrics.ece);
}
