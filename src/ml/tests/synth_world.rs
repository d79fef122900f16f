//! Truth recovery on the synthetic world: models trained with the shipped specs, judged on their
//! validation rows against the generator's own probabilities for exactly those rows.
//!
//! The truth is an upper bound, not a target: it conditions on things no CRM row shows (see
//! `training/synthetic-truth.md`). The bar is an AUC within 0.02 of the truth's AUC.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::ml::metrics::roc_auc;
use crate::ml::*;
use crate::ml::{metrics, split};
use crate::synth::{generate, SynthSettings, World};

const LEAD_SPEC: &str = include_str!("../../../training/lead.toml");
const WIN_SPEC: &str = include_str!("../../../training/win.toml");

/// How far below the truth's AUC a model may be on the same validation rows.
const AUC_GAP: f64 = 0.02;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// Midnight after `as_of`: everything in the world happened before it.
fn cutoff() -> DateTime<Utc> {
    Utc.from_utc_datetime(&as_of().and_hms_opt(0, 0, 0).unwrap()) + Duration::days(1)
}

/// The default world with `leads` leads (fewer leads also means fewer new-business deals).
fn world_with(leads: usize) -> World {
    let mut s = SynthSettings::default();
    s.leads.count = leads;
    generate(&s, as_of())
}

/// The default world, generated once (a quarter of a second) for the fast tests.
fn default_world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| world_with(SynthSettings::default().leads.count))
}

/// A shipped spec with only the logistic candidate: the fast tests' way to stay within a few
/// seconds in debug builds (the tree candidates take about ten seconds per model there). With half
/// the leads instead, the lead model falls 0.03 short of the truth: the bar needs the data.
fn logistic_only(text: &str) -> ModelSpec {
    let mut spec = ModelSpec::from_toml(text).unwrap();
    spec.candidates = vec![Algorithm::Logistic];
    spec
}

/// A model's validation AUC and the truth's AUC on the same rows.
struct Recovery {
    model: f64,
    truth: f64,
    rows: usize,
}

impl Recovery {
    fn check(&self, what: &str) {
        assert!(
            self.model >= self.truth - AUC_GAP,
            "{what}: model AUC {:.4} vs truth AUC {:.4} on {} validation rows",
            self.model,
            self.truth,
            self.rows
        );
        eprintln!(
            "{what}: model AUC {:.4} vs truth AUC {:.4}",
            self.model, self.truth
        );
    }
}

fn lead_recovery(w: &World, spec: &ModelSpec) -> Recovery {
    let set = lead_training_set(spec, &w.leads).unwrap();
    let m = train(spec, &set, &mut |_, _| {}).unwrap();
    let val = m.validation_slice(&set).unwrap();
    let truth: Vec<f64> = val
        .ids
        .iter()
        .map(|id| w.truth.lead_conversion[id])
        .collect();
    Recovery {
        model: roc_auc(&m.predict(&val.rows), &val.labels),
        truth: roc_auc(&truth, &val.labels),
        rows: val.len(),
    }
}

/// The true P(win) of each row of a win set: the snapshot's stage index is how many open stages
/// the deal had passed (every deal starts in the first stage and moves one stage at a time).
fn true_win(w: &World, spec: &ModelSpec, set: &TrainingSet) -> Vec<f64> {
    let stages = SynthSettings::default().opportunities.stages;
    let col = spec
        .features
        .iter()
        .position(|f| f.from == "stage")
        .unwrap();
    set.rows
        .iter()
        .zip(&set.ids)
        .map(|(row, id)| {
            let Cell::Cat(stage) = &row.cells[col] else {
                panic!("deal {id} has no stage in its snapshot")
            };
            let passed = stages.iter().position(|s| s == stage).unwrap();
            w.truth.true_win_probability(id, passed).unwrap()
        })
        .collect()
}

fn win_model(w: &World, spec: &ModelSpec) -> (TrainingSet, TrainedModel) {
    let set = win_training_set(
        spec,
        &w.opportunities,
        &w.stage_events,
        &w.deal_changes,
        cutoff(),
    )
    .unwrap();
    let m = train(spec, &set, &mut |_, _| {}).unwrap();
    (set, m)
}

fn win_recovery(w: &World, spec: &ModelSpec) -> Recovery {
    let (set, m) = win_model(w, spec);
    let val = m.validation_slice(&set).unwrap();
    Recovery {
        model: roc_auc(&m.predict(&val.rows), &val.labels),
        truth: roc_auc(&true_win(w, spec, &val), &val.labels),
        rows: val.len(),
    }
}

#[test]
fn lead_model_comes_within_002_auc_of_the_truth() {
    lead_recovery(default_world(), &logistic_only(LEAD_SPEC)).check("lead, logistic");
}

#[test]
fn win_model_comes_within_002_auc_of_the_truth() {
    win_recovery(default_world(), &logistic_only(WIN_SPEC)).check("win, logistic");
}

#[test]
#[ignore = "about 20 s in debug: cargo test --lib ml::tests::synth_world -- --ignored"]
fn shipped_specs_with_every_candidate_come_within_002_auc_of_the_truth() {
    let w = default_world();
    lead_recovery(w, &ModelSpec::from_toml(LEAD_SPEC).unwrap()).check("lead, shipped spec");
    win_recovery(w, &ModelSpec::from_toml(WIN_SPEC).unwrap()).check("win, shipped spec");
}

/// The validation ECE of the win model on the world of `seed`, and the ECE of the true
/// probabilities on the same rows: the noise floor of ECE for that many deals.
fn win_ece(seed: u64, spec: &ModelSpec) -> (f64, f64) {
    let s = SynthSettings {
        seed,
        ..SynthSettings::default()
    };
    let w = generate(&s, as_of());
    let (set, m) = win_model(&w, spec);
    let val = m.validation_slice(&set).unwrap();
    let truth = metrics::compute(&true_win(&w, spec, &val), &val.labels).ece;
    eprintln!(
        "win, seed {seed}: {:?}/{:?} ECE {:.4} (truth {truth:.4}), AUC {:.4}",
        m.algorithm(),
        m.calibration(),
        m.metrics.ece,
        m.metrics.roc_auc
    );
    (m.metrics.ece, truth)
}

/// On the default world (6,000 leads) the calibration slice holds about 250 deals, and its
/// realised win rate strays from its own truth by up to 5 points (seed 20261123: 44.2% won where
/// the truth expects 49.3%); calibration copies that, and the validation ECE of the logistic
/// model comes out at 0.026 to 0.100 by seed (0.033, 0.080, 0.026 for seeds 1-3). With four times
/// the leads the slice is large enough for the bar to measure calibration rather than luck (ECE
/// 0.025 and 0.023 for seeds 20261123 and 3). A calibration less exposed to one slice's luck
/// (cross-fitted over train and calibrate) is an open step.
#[test]
fn win_model_is_calibrated_on_its_validation_deals() {
    let (_, m) = win_model(&world_with(24_000), &logistic_only(WIN_SPEC));
    assert!(m.metrics.ece <= 0.05, "ECE {:.4}", m.metrics.ece);
}

#[test]
fn every_deal_is_in_one_slice_and_young_deals_are_left_out() {
    let spec = logistic_only(WIN_SPEC);
    let w = default_world();
    let (set, m) = win_model(w, &spec);
    let sp = split::split(&set, &spec.split, spec.seed).unwrap();
    let ids = |idx: &[usize]| -> std::collections::BTreeSet<&str> {
        idx.iter().map(|&i| set.ids[i].as_str()).collect()
    };
    let (tr, ca, va) = (ids(&sp.train), ids(&sp.calibrate), ids(&sp.validate));
    assert!(tr.is_disjoint(&ca) && tr.is_disjoint(&va) && ca.is_disjoint(&va));
    let young = cutoff() - Duration::days(i64::from(spec.min_deal_age_days));
    let last = m.data.validate.last.unwrap();
    assert!(last <= young, "a deal created {last} is a training row");
    let closed_young = w
        .opportunities
        .iter()
        .filter(|o| o.won.is_some() && o.created_at.unwrap().get() > young)
        .count();
    assert!(
        closed_young > 0,
        "the world has young closed deals to leave out"
    );
}

#[test]
#[ignore = "about 60 s in debug: cargo test --lib ml::tests::synth_world -- --ignored"]
// Open finding: on 6,000-lead worlds the calibration slice is small enough for its luck to decide
// (see `win_model_is_calibrated_on_its_validation_deals`); the default seed fails today (ECE 0.098,
// the truth's 0.032 on the same rows).
fn shipped_win_spec_is_calibrated_on_several_worlds() {
    let spec = ModelSpec::from_toml(WIN_SPEC).unwrap();
    for seed in [SynthSettings::default().seed, 1, 2, 3] {
        let (ece, truth) = win_ece(seed, &spec);
        assert!(ece <= 0.05, "seed {seed}: ECE {ece:.4}, truth's {truth:.4}");
    }
}

#[test]
#[ignore = "a measurement: cargo test --lib ml::tests::synth_world::closed_share -- --ignored --nocapture"]
fn closed_share_by_deal_age() {
    let w = default_world();
    for days in [30, 60, 90, 120, 150, 180, 240] {
        let (lo, hi) = (
            cutoff() - Duration::days(days + 30),
            cutoff() - Duration::days(days),
        );
        let cohort: Vec<_> = w
            .opportunities
            .iter()
            .filter(|o| (lo..hi).contains(&o.created_at.unwrap().get()))
            .collect();
        let closed = cohort.iter().filter(|o| o.won.is_some()).count();
        eprintln!(
            "created {days}..{} days ago: {closed}/{} closed",
            days + 30,
            cohort.len()
        );
    }
}
