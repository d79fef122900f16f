//! Concurrent ingestion through HTTP, with a lead model active (so every batch also triggers the
//! background rescoring that writes the prioritized list) and a client scoring single leads the
//! whole time: 80 batches of 1,000 leads sent by 1 client, then by 8 clients at once, on SQLite and
//! (when `REVCAST_TEST_DATABASE_URL` points at a PostgreSQL server) PostgreSQL.
//!
//! Run: `cargo bench --bench ingest_concurrent`. Prints, per backend and client count: rows/s over
//! the whole load, median and p99 of the batch latency, the p99 of the scoring requests made
//! during the load, and how many requests failed (must be 0).

use revcast::api::{AppState, Application, Settings};
use revcast::service::models::train_kind;
use revcast::service::{self, Scope};
use revcast::store::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCHES: usize = 80;
const ROWS: usize = 1000;
/// Pause between two scoring requests of the scoring client.
const SCORE_EVERY: Duration = Duration::from_millis(10);

fn lead_batch(run: &str, batch: usize) -> String {
    let sources = ["webinar", "referral", "paid_search", "organic", "event"];
    let rows: Vec<serde_json::Value> = (0..ROWS)
        .map(|i| {
            let n = batch * ROWS + i;
            serde_json::json!({
                "id": format!("{run}-{n:07}"),
                "created_at": format!("2025-{:02}-{:02}T10:00:00Z", 1 + n % 12, 1 + n % 28),
                "source": sources[n % sources.len()],
                "owner_id": format!("R-{}", n % 7),
                "attributes": {"visits": n % 17, "company_size": 100 + n % 900}
            })
        })
        .collect();
    serde_json::to_string(&rows).unwrap()
}

fn percentile(xs: &mut [f64], q: f64) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[((xs.len() as f64 - 1.0) * q).round() as usize]
}

struct Load {
    rows_per_s: f64,
    batch_ms: Vec<f64>,
    score_ms: Vec<f64>,
    failures: usize,
}

async fn load(base: &str, key: &str, run: &str, clients: usize) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let scorer = {
        let (stop, url, key) = (
            stop.clone(),
            format!("{base}/v1/score/leads"),
            key.to_string(),
        );
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut ms, mut failures) = (Vec::new(), 0);
            let body = r#"[{"id":"probe","source":"referral","attributes":{"visits":9}}]"#;
            while !stop.load(Ordering::Relaxed) && ms.len() < 100_000 {
                let t = Instant::now();
                let res = client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => ms.push(t.elapsed().as_secs_f64() * 1e3),
                    _ => failures += 1,
                }
                tokio::time::sleep(SCORE_EVERY).await;
            }
            (ms, failures)
        })
    };
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (url, key, run) = (format!("{base}/v1/leads"), key.to_string(), run.to_string());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut ms, mut failures) = (Vec::new(), 0);
            for b in (c..BATCHES).step_by(clients) {
                let body = lead_batch(&run, b);
                let t = Instant::now();
                let res = client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                if res.status().is_success() {
                    ms.push(t.elapsed().as_secs_f64() * 1e3);
                } else {
                    failures += 1;
                    eprintln!("batch {b}: {} {}", res.status(), res.text().await.unwrap());
                }
            }
            (ms, failures)
        }));
    }
    let (mut batch_ms, mut failures) = (Vec::new(), 0);
    for t in tasks {
        let (ms, f) = t.await.unwrap();
        batch_ms.extend(ms);
        failures += f;
    }
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (score_ms, score_failures) = scorer.await.unwrap();
    Load {
        rows_per_s: (BATCHES * ROWS) as f64 / elapsed,
        batch_ms,
        score_ms,
        failures: failures + score_failures,
    }
}

const BENCH_SPEC: &str = r#"
name = "bench-lead"
kind = "lead"
seed = 7
candidates = ["logistic"]
calibration = ["platt"]
[split]
train = 0.6
calibrate = 0.2
validate = 0.2
[[feature]]
name = "source"
from = "source"
type = "categorical"
[[feature]]
name = "visits"
from = "attributes.visits"
type = "numeric"
[[feature]]
name = "company size"
from = "attributes.company_size"
type = "numeric"
"#;

async fn run(name: &str, store: Store) {
    let (leads, _) = revcast::ml::synth::leads(5_000, 0, 7);
    store.upsert(&leads).await.unwrap();
    // The features the synthetic leads carry: the shipped spec's others are refused as missing.
    let spec = revcast::ml::ModelSpec::from_toml(BENCH_SPEC).unwrap();
    let state = Arc::new(AppState::new(store.clone()));
    train_kind(
        &store,
        &state.registry,
        spec,
        Arc::new(|_: &str, _: f64| {}),
    )
    .await
    .unwrap();
    let key = service::create_key(&store, "bench", &[Scope::Admin])
        .await
        .unwrap()
        .key;
    let app = Application::build(&Settings::new("127.0.0.1:0"), state).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    for clients in [1, 8] {
        let mut l = load(&base, &key, &format!("C{clients}"), clients).await;
        println!(
            "ingest {name:<8} {clients} client(s): {:>7.0} rows/s  batch median {:>6.1} ms  p99 {:>7.1} ms  \
             scoring p99 {:>6.1} ms over {} requests  failures {}",
            l.rows_per_s,
            percentile(&mut l.batch_ms, 0.5),
            percentile(&mut l.batch_ms, 0.99),
            percentile(&mut l.score_ms, 0.99),
            l.score_ms.len(),
            l.failures
        );
    }
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("revcast_bench_cc_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    run("sqlite", Store::connect(&url).await.unwrap()).await;
    if let Ok(base) = std::env::var("REVCAST_TEST_DATABASE_URL") {
        let name = format!("revcast_bench_cc_{}", std::process::id());
        let admin = Store::connect_lazy(&base).unwrap();
        admin.create_database(&name).await.unwrap();
        let url = match base.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{name}"),
            None => base.clone(),
        };
        run("postgres", Store::connect(&url).await.unwrap()).await;
    } else {
        println!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL not measured");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
