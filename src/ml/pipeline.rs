//! Training: split, encode, fit every candidate, calibrate, compare on validation, keep the best.

use serde::{Deserialize, Serialize};

use super::algo::{Classifier, FittedModel, Learner, Params};
use super::calibrate::Calibrator;
use super::checks;
use super::coverage;
use super::drift::{self, Profile};
use super::encoder::{Encoder, Matrix};
use super::error::{MlError, Result};
use super::metrics::{self, Metrics};
use super::model::{DataSummary, SliceCounts, TrainedModel};
use super::row::{FeatureRow, TrainingSet};
use super::spec::{Algorithm, CalibrationMethod, ModelSpec};
use super::split::{split, Split};

/// How one (algorithm, calibration) pair did on the validation slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateReport {
    pub algorithm: Algorithm,
    pub calibration: CalibrationMethod,
    /// Validation metrics after calibration.
    pub metrics: Metrics,
    /// Validation log loss of the raw (uncalibrated) probabilities.
    pub uncalibrated_log_loss: f64,
}

/// Trains every candidate of the spec on `set` and keeps the pair with the lowest validation log
/// loss. Deterministic for the spec's seed and the set's row order. `progress` receives a step
/// name and the share of the work done (0..=1).
pub fn train(
    spec: &ModelSpec,
    set: &TrainingSet,
    progress: &mut dyn FnMut(&str, f64),
) -> Result<TrainedModel> {
    let prepared = prepare(spec, set, progress)?;
    fit_candidates(spec, prepared, progress)
}

/// [`train`], freeing the training set's rows once they are encoded (a training set of 100,000
/// leads holds about as much memory as all the candidates' fitting). Returns the model and the
/// validation slice, for comparing it with the active model.
pub fn train_owned(
    spec: &ModelSpec,
    set: TrainingSet,
    progress: &mut dyn FnMut(&str, f64),
) -> Result<(TrainedModel, TrainingSet)> {
    let prepared = prepare(spec, &set, progress)?;
    let validation = set.subset(&prepared.validate_idx);
    drop(set);
    Ok((fit_candidates(spec, prepared, progress)?, validation))
}

/// The encoder fitted on the training slice, and each slice encoded.
struct Prepared {
    encoder: Encoder,
    extras: Extras,
    train: Slice,
    cal: Slice,
    val: Slice,
    validate_idx: Vec<usize>,
    data: DataSummary,
}

fn prepare(
    spec: &ModelSpec,
    set: &TrainingSet,
    progress: &mut dyn FnMut(&str, f64),
) -> Result<Prepared> {
    spec.check()?;
    check_set(spec, set)?;
    let sp = split(set, &spec.split, spec.seed)?;
    check_slices(set, &sp)?;
    progress("split", 0.05);
    let train_rows: Vec<&FeatureRow> = sp.train.iter().map(|&i| &set.rows[i]).collect();
    let encoder = Encoder::fit(&spec.features, &train_rows);
    // Each slice is encoded on its own, so that the whole set is never held encoded twice.
    let slice = |idx: &[usize]| Slice {
        x: encoder.transform_selected(&set.rows, idx),
        y: idx.iter().map(|&i| set.labels[i]).collect(),
    };
    let (train, cal, val) = (slice(&sp.train), slice(&sp.calibrate), slice(&sp.validate));
    progress("encoded", 0.1);
    let data = summary(set, &sp);
    let all_rows: Vec<&FeatureRow> = set.rows.iter().collect();
    let cov = coverage::coverage(spec, set);
    let mut warnings = coverage::coverage_warnings(&cov);
    warnings.extend(checks::split_notes(spec, set, &sp));
    let extras = Extras {
        coverage: cov,
        warnings,
        feature_bins: drift::feature_bins(spec, &all_rows),
        latest: checks::latest_positions(set, &sp, spec.split.validate),
    };
    Ok(Prepared {
        encoder,
        extras,
        train,
        cal,
        val,
        validate_idx: sp.validate,
        data,
    })
}

/// Fits every candidate, calibrates and judges each on the validation slice, keeps the best.
fn fit_candidates(
    spec: &ModelSpec,
    p: Prepared,
    progress: &mut dyn FnMut(&str, f64),
) -> Result<TrainedModel> {
    let Prepared {
        encoder,
        extras,
        train,
        cal,
        val,
        data,
        ..
    } = p;
    let mut reports: Vec<CandidateReport> = Vec::new();
    let mut best: Option<(usize, FittedModel, Calibrator)> = None;
    let n = spec.candidates.len() as f64;
    for (k, &alg) in spec.candidates.iter().enumerate() {
        let step = format!("fitting {}", alg.as_str());
        progress(&step, 0.1 + 0.85 * k as f64 / n);
        let model = Params::default_for(alg).fit(&train.x, &train.y, spec.seed)?;
        for (cal, report) in calibrate_and_judge(spec, alg, &model, &cal, &val) {
            let better = best
                .as_ref()
                .is_none_or(|b| report.metrics.log_loss < reports[b.0].metrics.log_loss);
            if better {
                best = Some((reports.len(), model.clone(), cal));
            }
            reports.push(report);
        }
    }
    let (chosen, model, calibrator) =
        best.expect("the spec has at least one candidate and one calibration");
    let metrics = reports[chosen].metrics.clone();
    let predict = |x: &Matrix| -> Vec<f64> {
        (0..x.rows)
            .map(|i| calibrator.apply(model.raw_proba(x.row(i))))
            .collect()
    };
    let val_p = predict(&val.x);
    // The score's reference distribution comes from rows the model did not fit: its in-sample
    // scores are more extreme than any new record's, which would read as drift.
    let scores: Vec<f64> = [predict(&cal.x), val_p.clone()].concat();
    let Extras {
        coverage,
        mut warnings,
        feature_bins,
        latest,
    } = extras;
    let (latest_slice, gap) = latest.map_or((None, None), |(pos, since)| {
        checks::latest_slice(&pos, since, &val_p, &val.y, metrics.roc_auc)
    });
    warnings.extend(gap);
    progress("done", 1.0);
    let mut trained = TrainedModel::new(
        spec.clone(),
        metrics,
        reports,
        data,
        encoder,
        model,
        calibrator,
    );
    trained.profile = Some(Profile {
        rows: train.y.len() + scores.len(),
        features: feature_bins,
        score: drift::score_bins(&scores),
    });
    trained.coverage = coverage;
    trained.warnings = warnings;
    trained.latest_slice = latest_slice;
    Ok(trained)
}

/// Coverage, warnings and the drift profile's feature bins, measured before the rows are freed.
struct Extras {
    coverage: Vec<coverage::FeatureCoverage>,
    warnings: Vec<String>,
    feature_bins: Vec<drift::BinnedShares>,
    latest: Option<(Vec<usize>, chrono::DateTime<chrono::Utc>)>,
}

/// Encoded rows and labels of one slice.
struct Slice {
    x: Matrix,
    y: Vec<bool>,
}

/// Every calibration of the spec fitted on `cal` and judged on `val`.
fn calibrate_and_judge(
    spec: &ModelSpec,
    algorithm: Algorithm,
    model: &FittedModel,
    cal: &Slice,
    val: &Slice,
) -> Vec<(Calibrator, CandidateReport)> {
    let (raw_c, raw_v) = (raw(model, &cal.x), raw(model, &val.x));
    let uncalibrated_log_loss = metrics::log_loss(&raw_v, &val.y);
    spec.calibration
        .iter()
        .map(|&method| {
            let c = Calibrator::fit(method, &raw_c, &cal.y);
            let p: Vec<f64> = raw_v.iter().map(|&r| c.apply(r)).collect();
            let report = CandidateReport {
                algorithm,
                calibration: method,
                metrics: metrics::compute(&p, &val.y),
                uncalibrated_log_loss,
            };
            (c, report)
        })
        .collect()
}

fn check_slices(set: &TrainingSet, sp: &Split) -> Result<()> {
    let slices = [
        ("train", &sp.train),
        ("calibrate", &sp.calibrate),
        ("validate", &sp.validate),
    ];
    for (name, idx) in slices {
        let positives = idx.iter().filter(|&&i| set.labels[i]).count();
        if positives == 0 || positives == idx.len() {
            return Err(MlError::OneClassSlice {
                slice: name,
                positives,
                negatives: idx.len() - positives,
            });
        }
    }
    Ok(())
}

fn raw(model: &FittedModel, x: &Matrix) -> Vec<f64> {
    (0..x.rows).map(|i| model.raw_proba(x.row(i))).collect()
}

fn check_set(spec: &ModelSpec, set: &TrainingSet) -> Result<()> {
    if set.feature_names != spec.feature_names() {
        return Err(MlError::Shape(format!(
            "the set has features {:?}, the spec {:?}",
            set.feature_names,
            spec.feature_names()
        )));
    }
    let n = set.rows.len();
    if set.labels.len() != n || set.times.len() != n || set.ids.len() != n {
        return Err(MlError::Shape(format!(
            "{n} rows but {} labels, {} times, {} ids",
            set.labels.len(),
            set.times.len(),
            set.ids.len()
        )));
    }
    if let Some(i) = set
        .rows
        .iter()
        .position(|r| r.cells.len() != set.feature_names.len())
    {
        return Err(MlError::Shape(format!(
            "row {i} has {} cells for {} features",
            set.rows[i].cells.len(),
            set.feature_names.len()
        )));
    }
    let positives = set.positives();
    let negatives = n - positives;
    if positives < spec.min_per_class || negatives < spec.min_per_class {
        return Err(MlError::TooLittleData {
            positives,
            negatives,
            min: spec.min_per_class,
        });
    }
    Ok(())
}

fn summary(set: &TrainingSet, sp: &Split) -> DataSummary {
    let counts = |idx: &[usize]| {
        let sub = set.subset(idx);
        let w = sub.window();
        SliceCounts {
            rows: sub.len(),
            positives: sub.positives(),
            first: w.map(|w| w.0),
            last: w.map(|w| w.1),
        }
    };
    DataSummary {
        split: sp.method,
        train: counts(&sp.train),
        calibrate: counts(&sp.calibrate),
        validate: counts(&sp.validate),
    }
}
