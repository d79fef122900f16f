//! Training sides of the peer benchmarks: the whole lead pipeline, and the boosted trees alone on
//! rows that LightGBM gets too.

use anyhow::{Context, Result};
use revcast::ml::algo::boosting::BoostingParams;
use revcast::ml::algo::{Classifier, Learner, Params};
use revcast::ml::encoder::{Encoder, Matrix};
use revcast::ml::{lead_training_set, metrics, synth, train, ModelSpec, TrainingSet};
use serde_json::json;
use std::io::Write;
use std::time::Instant;

const SPEC: &str = include_str!("../../training/lead.toml");
/// The seed of the leads (the same as `ml::tests::training_100k`).
const LEADS_SEED: u64 = 13;
/// Share of the oldest rows the boosted trees train on; the rest measures AUC.
const TRAIN_SHARE: f64 = 0.8;

/// `train N CSV [FITS]`: the boosted trees are fitted FITS times (default 1); `boosted_s` is the
/// median.
pub fn run(args: &[String]) -> Result<()> {
    let n: usize = args.first().context("missing argument N")?.parse()?;
    let csv_path = args.get(1).context("missing argument CSV")?;
    let fits: usize = args.get(2).map_or(Ok(1), |f| f.parse())?;
    let spec = ModelSpec::from_toml(SPEC)?;
    let (leads, _) = synth::leads(n, 0, LEADS_SEED);
    let set = lead_training_set(&spec, &leads)?;

    let before_mb = peak_mb();
    let t = Instant::now();
    let model = train(&spec, &set, &mut |_, _| {})?;
    let pipeline_s = t.elapsed().as_secs_f64();
    let pipeline_peak_mb = peak_mb();

    let (x_train, y_train, x_valid, y_valid) = encoded_split(&spec, &set);
    let mut runs = vec![];
    let mut fitted = None;
    for _ in 0..fits.max(1) {
        let t = Instant::now();
        let params = Params::Boosting(BoostingParams::default());
        fitted = Some(params.fit(&x_train, &y_train, spec.seed)?);
        runs.push(t.elapsed().as_secs_f64());
    }
    let fitted = fitted.context("no fit")?;
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let p: Vec<f64> = (0..x_valid.rows)
        .map(|i| fitted.raw_proba(x_valid.row(i)))
        .collect();
    write_csv(csv_path, &x_train, &y_train, &x_valid, &y_valid)?;
    println!(
        "{}",
        json!({
            "step": "train",
            "leads": n,
            "pipeline_s": pipeline_s,
            "pipeline_kept": model.algorithm().as_str(),
            "pipeline_auc": model.metrics.roc_auc,
            "peak_mb_before_pipeline": before_mb,
            "peak_mb_after_pipeline": pipeline_peak_mb,
            "boosted_s": sorted[sorted.len() / 2],
            "boosted_runs_s": runs,
            "boosted_auc": metrics::roc_auc(&p, &y_valid),
            "encoded_cols": x_train.cols,
            "train_rows": x_train.rows,
            "valid_rows": x_valid.rows,
        })
    );
    Ok(())
}

/// This process's peak resident memory so far (VmHWM), in MB; 0 where /proc is missing.
fn peak_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Oldest rows train, newest validate; the encoder is fitted on the training rows only.
fn encoded_split(spec: &ModelSpec, set: &TrainingSet) -> (Matrix, Vec<bool>, Matrix, Vec<bool>) {
    let mut idx: Vec<usize> = (0..set.len()).collect();
    idx.sort_by_key(|&i| (set.times[i], i));
    let cut = (idx.len() as f64 * TRAIN_SHARE) as usize;
    let (tr, va) = idx.split_at(cut);
    let train_rows: Vec<_> = tr.iter().map(|&i| &set.rows[i]).collect();
    let enc = Encoder::fit(&spec.features, &train_rows);
    let x = enc.transform(&set.rows);
    let labels = |ix: &[usize]| ix.iter().map(|&i| set.labels[i]).collect::<Vec<_>>();
    (x.select(tr), labels(tr), x.select(va), labels(va))
}

fn write_csv(path: &str, xt: &Matrix, yt: &[bool], xv: &Matrix, yv: &[bool]) -> Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    let header: Vec<String> = (0..xt.cols).map(|c| format!("x{c}")).collect();
    writeln!(w, "part,label,{}", header.join(","))?;
    for (part, x, y) in [("train", xt, yt), ("valid", xv, yv)] {
        for (i, &label) in y.iter().enumerate() {
            let cells: Vec<String> = x.row(i).iter().map(|v| v.to_string()).collect();
            writeln!(w, "{part},{},{}", u8::from(label), cells.join(","))?;
        }
    }
    w.flush()?;
    Ok(())
}
