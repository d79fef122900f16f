//! In-process batch scoring throughput of trained lead models (release):
//! `cargo bench --bench ml_scoring`. Targets: 1,000,000 leads/s for logistic regression and
//! 300,000/s for boosted trees on `predict` (probabilities; batches of 8,192 rows or more use every core); `score` adds
//! explanations.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use revcast::ml::{lead_row, lead_training_set, synth, train, FeatureRow, ModelSpec, TrainedModel};

const SPEC: &str = include_str!("../training/lead.toml");

fn model(candidate: &str) -> (TrainedModel, Vec<FeatureRow>) {
    let spec = SPEC.replace(
        r#"candidates = ["logistic", "boosted_trees", "random_forest"]"#,
        &format!("candidates = [\"{candidate}\"]"),
    );
    // The synthetic leads carry source and visits; the spec's other attributes read as missing.
    let spec = ModelSpec::from_toml(&spec).expect("lead spec");
    let (leads, _) = synth::leads(20_000, 0, 1);
    let set = lead_training_set(&spec, &leads).expect("set");
    let m = train(&spec, &set, &mut |_, _| {}).expect("train");
    let rows = leads
        .iter()
        .take(20_000)
        .map(|l| lead_row(&spec, l))
        .collect();
    (m, rows)
}

fn scoring(c: &mut Criterion) {
    let mut g = c.benchmark_group("ml_scoring");
    for alg in ["logistic", "boosted_trees", "random_forest"] {
        let (m, rows) = model(alg);
        // Below PARALLEL_BATCH rows a batch is scored on one thread.
        let small = &rows[..4_000];
        g.throughput(Throughput::Elements(small.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("predict_1_thread", alg),
            small,
            |b, rows| b.iter(|| m.predict(rows)),
        );
        g.throughput(Throughput::Elements(rows.len() as u64));
        g.bench_with_input(BenchmarkId::new("predict", alg), &rows, |b, rows| {
            b.iter(|| m.predict(rows))
        });
        g.bench_with_input(
            BenchmarkId::new("score_with_factors", alg),
            &rows,
            |b, rows| b.iter(|| m.score(rows)),
        );
    }
    g.finish();
}

criterion_group!(benches, scoring);
criterion_main!(benches);
