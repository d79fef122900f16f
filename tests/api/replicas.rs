//! Two `revcast serve` processes on one PostgreSQL: a version promoted through one is served by
//! the other within 10 seconds.

use revcast::service::{self, models, Scope};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::{fresh_database, Backend};

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn serve(url: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_revcast"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned at once, so the process is killed and reaped however this test ends.
    let server = Server(child, format!("http://127.0.0.1:{port}"));
    for _ in 0..100 {
        if reqwest::get(format!("{}/healthz", server.1)).await.is_ok() {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("revcast serve did not come up");
}

async fn served_version(client: &reqwest::Client, server: &Server, key: &str) -> String {
    let res = client
        .post(format!("{}/v1/score/leads", server.1))
        .bearer_auth(key)
        .json(&json!([{"id": "probe", "source": "webinar"}]))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["data"][0]["model_version"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_version_promoted_through_one_replica_is_served_by_the_other_within_10_seconds() {
    let Some((store, _dir, url)) = fresh_database(Backend::Postgres).await else {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: replica case not run");
        return;
    };
    let w = super::models::small_world();
    store.upsert(&w.leads).await.unwrap();
    let registry = models::ModelRegistry::default();
    let quiet: models::Progress = Arc::new(|_: &str, _: f64| {});
    let spec = models::default_spec(revcast::ml::ModelKind::Lead).unwrap();
    let first = models::train_kind(&store, &registry, spec.clone(), quiet.clone())
        .await
        .unwrap();
    let second = models::train_kind(&store, &registry, spec, quiet)
        .await
        .unwrap();
    models::promote(
        &store,
        &registry,
        &models::Rescorer::default(),
        &first.version,
    )
    .await
    .unwrap();
    let key = service::create_key(&store, "replicas", &[Scope::Admin])
        .await
        .unwrap()
        .key;

    let (a, b) = (serve(&url).await, serve(&url).await);
    let client = reqwest::Client::new();
    assert_eq!(served_version(&client, &b, &key).await, first.version);
    let res = client
        .post(format!("{}/v1/models/{}/promote", a.1, second.version))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let start = Instant::now();
    while served_version(&client, &b, &key).await != second.version {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "replica b still serves the old version"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "replica b served the promoted version after {:?}",
        start.elapsed()
    );
}
