//! Readiness and writes when the SQLite file is deleted or read-only under a running server:
//! `/readyz` and ingestion answer 503 with `Retry-After`, never 200 or 500.

use revcast::service::{self, Scope};
use revcast::store::Store;
use serde_json::json;

use crate::faults_support::{assert_unavailable, parts, serve_in_process, within};
use crate::helpers::{fresh_database, Backend};
use std::time::Duration;

async fn get(client: &reqwest::Client, url: String) -> (u16, Option<String>, serde_json::Value) {
    parts(client.get(url).send().await.expect("request")).await
}

/// Ingests a lead not sent before (a row the database must write).
async fn ingest(
    client: &reqwest::Client,
    address: &str,
    key: &str,
) -> (u16, Option<String>, serde_json::Value) {
    let id = format!("L-{}", uuid::Uuid::new_v4().simple());
    let res = client
        .post(format!("{address}/v1/leads"))
        .bearer_auth(key)
        .json(&json!([{"id": id, "source": "web"}]))
        .send()
        .await
        .expect("request");
    parts(res).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_deleted_while_serving_makes_readyz_and_writes_answer_503() {
    let (store, dir, _url) = fresh_database(Backend::Sqlite).await.unwrap();
    let key = service::create_key(&store, "ready", &[Scope::Admin])
        .await
        .unwrap()
        .key;
    let address = serve_in_process(&store).await;
    let client = reqwest::Client::new();
    assert_eq!(get(&client, format!("{address}/readyz")).await.0, 200);
    assert_eq!(ingest(&client, &address, &key).await.0, 200);

    let dir = dir.expect("a SQLite test database lives in a directory");
    std::fs::remove_file(dir.path().join("test.db")).unwrap();
    assert_unavailable("readyz", &get(&client, format!("{address}/readyz")).await);
    // The server notices within a second that the file is gone, and stops using it.
    let (c, a, k) = (&client, &address, &key);
    let refused = within(Duration::from_secs(3), || async move {
        let answer = ingest(c, a, k).await;
        (answer.0 != 200).then_some(answer)
    })
    .await;
    let (answer, took) = refused.expect("writes into the deleted file still succeed after 3 s");
    println!("writes refused {took:?} after the file was deleted");
    assert_unavailable("ingest", &answer);
    let read = client
        .get(format!("{address}/v1/leads?limit=1"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_unavailable("a read", &parts(read).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_sqlite_database_fails_readyz_and_writes_but_serves_reads() {
    let (store, _dir, url) = fresh_database(Backend::Sqlite).await.unwrap();
    let key = service::create_key(&store, "ready", &[Scope::Admin])
        .await
        .unwrap()
        .key;
    store.close().await;
    // Root writes through any file mode, so the database is opened read-only instead: what
    // SQLite does by itself when the file cannot be opened for writing.
    let read_only = Store::connect_lazy(&format!("{url}?mode=ro")).unwrap();
    let address = serve_in_process(&read_only).await;
    let client = reqwest::Client::new();
    let leads = client
        .get(format!("{address}/v1/leads?limit=1"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(leads.status().as_u16(), 200);
    assert_unavailable("readyz", &get(&client, format!("{address}/readyz")).await);
    assert_unavailable("ingest", &ingest(&client, &address, &key).await);
}
