//! Churn-book scoring: a synthetic book of about 10,000 live accounts, each with its monthly
//! health snapshots (the trends need them), scored with the churn model trained on the same
//! world. Target (issue 5): the whole book scored in under 1 s.
//!
//! Two measurements:
//! - `score_book`: in memory (`service::churn::score_accounts`), the model's work alone;
//! - `refresh_book_sqlite` (and `refresh_book_postgres` when `REVCAST_TEST_DATABASE_URL` is
//!   set): what runs after every snapshot batch or promotion, reading accounts, snapshots and
//!   churn events from the store, scoring, and replacing the stored scores.
//!
//! Run: `cargo bench --bench churn` (add `REVCAST_TEST_DATABASE_URL=postgres://...` for PostgreSQL).

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use std::collections::HashMap;

use revcast::ml::{churn_training_set, train, ModelKind, ModelSpec};
use revcast::service::churn::{refresh_churn_scores, score_accounts};
use revcast::service::models::{ActiveModel, ModelRegistry};
use revcast::store::Store;
use revcast::synth::{generate, SynthSettings, World};

const SPEC: &str = include_str!("../training/churn.toml");

/// The default synthetic world with a customer base of `customers` at the start of its history.
fn world(customers: usize, as_of: NaiveDate) -> World {
    let mut s = SynthSettings::default();
    s.accounts.initial_customers = customers;
    generate(&s, as_of)
}

fn registry(w: &World, as_of: NaiveDate) -> ModelRegistry {
    let spec = ModelSpec::from_toml(SPEC).expect("churn spec");
    let set = churn_training_set(&spec, &w.accounts, &w.snapshots, &w.churn_events, as_of)
        .expect("training set");
    let model = train(&spec, &set, &mut |_, _| {}).expect("train");
    let r = ModelRegistry::default();
    r.install(
        ModelKind::Churn,
        ActiveModel {
            version: "bench".into(),
            model,
        },
    );
    r
}

async fn loaded_store(url: &str, w: &World) -> Store {
    let store = Store::connect(url).await.expect("connect");
    store.upsert(&w.accounts).await.expect("accounts");
    store.upsert(&w.snapshots).await.expect("snapshots");
    store.upsert(&w.churn_events).await.expect("churn events");
    store
}

async fn postgres_store(url: &str, w: &World) -> Store {
    let admin = Store::connect_lazy(url).expect("url");
    let name = format!("revcast_bench_churn_{}", std::process::id());
    admin.create_database(&name).await.expect("create database");
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    loaded_store(&format!("{base}/{name}"), w).await
}

fn bench(c: &mut Criterion) {
    let as_of = NaiveDate::from_ymd_opt(2026, 10, 31).expect("date");
    let w = world(14_000, as_of);
    let reg = registry(&w, as_of);
    let first = HashMap::new();
    let book =
        score_accounts(&reg, &w.accounts, &w.snapshots, &w.churn_events, &first).expect("score");
    eprintln!(
        "book: {} accounts, {} snapshots, {} churn events; {} live accounts scored",
        w.accounts.len(),
        w.snapshots.len(),
        w.churn_events.len(),
        book.len()
    );

    let mut g = c.benchmark_group("churn");
    g.sample_size(10);
    g.bench_function("score_book", |b| {
        b.iter(|| score_accounts(&reg, &w.accounts, &w.snapshots, &w.churn_events, &first).unwrap())
    });

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = std::env::temp_dir().join(format!("revcast_bench_churn_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let sqlite = rt.block_on(loaded_store(&url, &w));
    g.bench_function("refresh_book_sqlite", |b| {
        b.iter(|| rt.block_on(refresh_churn_scores(&sqlite, &reg)).unwrap())
    });
    if let Ok(url) = std::env::var("REVCAST_TEST_DATABASE_URL") {
        let pg = rt.block_on(postgres_store(&url, &w));
        g.bench_function("refresh_book_postgres", |b| {
            b.iter(|| rt.block_on(refresh_churn_scores(&pg, &reg)).unwrap())
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
