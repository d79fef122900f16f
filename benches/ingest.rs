//! Bulk ingestion throughput through HTTP: 10,000-row batches of leads, on SQLite and (when
//! `REVCAST_TEST_DATABASE_URL` points at a PostgreSQL server) PostgreSQL.
//!
//! Run: `cargo bench --bench ingest`. The server and the client share this machine's cores; the
//! figure is end to end: JSON over loopback, parsing and validation, one transaction per batch.

use revcast::api::{AppState, Application, Settings};
use revcast::service::{self, Scope};
use revcast::store::Store;
use std::sync::Arc;
use std::time::Instant;

const BATCH: usize = 10_000;
const BATCHES: usize = 8;

fn lead_batch(batch: usize) -> String {
    let sources = [
        "webinar",
        "referral",
        "paid_search",
        "organic",
        "event",
        "partner",
    ];
    let rows: Vec<serde_json::Value> = (0..BATCH)
        .map(|i| {
            let n = batch * BATCH + i;
            serde_json::json!({
                "id": format!("L-{n:08}"),
                "account_id": format!("A-{:05}", n % 5000),
                "created_at": format!("2026-{:02}-{:02}T{:02}:15:00Z", 1 + n % 12, 1 + n % 28, n % 24),
                "source": sources[n % sources.len()],
                "owner_id": format!("R-{:02}", n % 24),
                "status": "open",
                "first_response_at": format!("2026-{:02}-{:02}T{:02}:45:00Z", 1 + n % 12, 1 + n % 28, n % 24),
                "attributes": {"visits": n % 17, "pages_per_visit": 2.5, "emails_opened": n % 5,
                                "webinar_attended": n.is_multiple_of(3), "industry": "retail"}
            })
        })
        .collect();
    serde_json::to_string(&rows).unwrap()
}

async fn run(name: &str, store: Store) {
    let key = service::create_key(&store, "bench", &[Scope::Ingest])
        .await
        .unwrap()
        .key;
    let app = Application::build(
        &Settings::new("127.0.0.1:0"),
        Arc::new(AppState::new(store)),
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{}/v1/leads", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let bodies: Vec<String> = (0..BATCHES).map(lead_batch).collect();
    let post = |body: String| {
        let req = client
            .post(&url)
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body);
        async move {
            let t = Instant::now();
            let res = req.send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
            BATCH as f64 / t.elapsed().as_secs_f64()
        }
    };
    let mut inserts = Vec::new();
    for b in &bodies {
        inserts.push(post(b.clone()).await);
    }
    let mut repeats = Vec::new();
    for b in &bodies {
        repeats.push(post(b.clone()).await);
    }
    report(name, "new rows", &mut inserts);
    report(name, "same batch again (unchanged)", &mut repeats);
}

fn report(backend: &str, what: &str, rates: &mut [f64]) {
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = rates[rates.len() / 2];
    println!(
        "ingest leads {backend:<8} {what:<30} median {median:>9.0} rows/s  (min {:.0}, max {:.0}, {} batches of {BATCH})",
        rates[0],
        rates[rates.len() - 1],
        rates.len()
    );
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("revcast_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    run("sqlite", Store::connect(&url).await.unwrap()).await;
    if let Ok(base) = std::env::var("REVCAST_TEST_DATABASE_URL") {
        let name = format!("revcast_bench_{}", std::process::id());
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
