//! Quality on the real datasets in `../shared/data` (relative to the repo root). Ignored by
//! default (they read files outside the crate and take ~20 s in debug); run with
//!
//! ```text
//! cargo test --release --lib ml::realdata -- --ignored --nocapture
//! REVCAST_PEER_DIR=/some/dir cargo test ...   # also writes the encoded slices for the peers
//! ```
//!
//! The files are loaded through the import engine and the shipped mappings, as a user loads them.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::split::split;
use super::*;
use crate::domain::{Lead, Opportunity, StageEvent};

fn data_dir() -> PathBuf {
    std::env::var_os("REVCAST_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
        PathBuf::from,
    )
}

/// Loads a file the way a user does: through `revcast import`'s engine and the shipped mapping.
fn import(file: &Path, entity: &str, mapping: &str) -> Vec<crate::import::EntityRows> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("training/mappings")
        .join(mapping);
    let text = std::fs::read_to_string(&path).unwrap();
    let m = crate::import::Mapping::from_toml(&text, path.parent().unwrap()).unwrap();
    let f = std::fs::File::open(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    crate::import::map_csv(&m, entity, f, &mut |_| {}).unwrap()
}

fn parsed<T: crate::domain::Record>(rows: &[crate::import::EntityRows], entity: &str) -> Vec<T> {
    let rows = rows.iter().find(|r| r.entity == entity).unwrap().values();
    crate::domain::parse_batch::<T>(rows).unwrap()
}

fn xeducation_leads() -> Vec<Lead> {
    let file = data_dir().join("xeducation_lead_scoring/Leads.csv");
    parsed(&import(&file, "leads", "xeducation-leads.toml"), "leads")
}

fn maven() -> (Vec<Opportunity>, Vec<StageEvent>) {
    let file = data_dir().join("maven_crm_sales_opportunities/sales_pipeline.csv");
    let rows = import(&file, "opportunities", "maven-opportunities.toml");
    (
        parsed(&rows, "opportunities"),
        parsed(&rows, "stage-events"),
    )
}

pub(super) fn report(name: &str, m: &TrainedModel) {
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

/// The calibration slice's positive rate, and the validation log loss of predicting it for
/// every row: the best constant known before validation.
pub(super) fn prior_log_loss(m: &TrainedModel, set: &TrainingSet) -> (f64, f64) {
    let c = &m.data.calibrate;
    let prior = c.positives as f64 / c.rows as f64;
    let val = m.validation_slice(set).unwrap();
    (
        prior,
        metrics::log_loss(&vec![prior; val.len()], &val.labels),
    )
}

/// Writes the encoded slices and revcast's validation probabilities for `training/peers/ml_peers.py`.
pub(super) fn export(name: &str, m: &TrainedModel, set: &TrainingSet) {
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
    let set = win_training_set(&spec, &opps, &events, &[], Utc::now()).unwrap();
    assert_eq!(set.len(), 4238 + 2473);
    let m = train(&spec, &set, &mut |_, _| {}).unwrap();
    report("maven", &m);
    export("maven", &m, &set);
    // The bar: the best constant known before validation, the calibration slice's win rate.
    // (`base_rate_log_loss` uses the validation slice's own rate, known only in hindsight; it is
    // printed for comparison.)
    let (prior, prior_loss) = prior_log_loss(&m, &set);
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
