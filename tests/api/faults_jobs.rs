//! Training jobs and the training lock across processes: a server killed (kill -9) while it
//! trains leaves a job that the next start marks failed, and a lock nobody holds; the CLI's
//! training is refused while a server trains on the same database.

use revcast::service::{self, Scope};
use revcast::store::{Store, INTERRUPTED};
use serde_json::Value;
use std::time::Duration;

use crate::faults_support::{cli, serve, within, Server};
use crate::helpers::{fresh_database, Backend};

/// A database with enough leads that a lead training takes a while, and an admin key.
async fn loaded(
    backend: Backend,
) -> Option<(Store, Option<crate::helpers::TempDir>, String, String)> {
    let (store, dir, url) = fresh_database(backend).await?;
    let w = crate::models::small_world();
    store.upsert(&w.leads).await.expect("leads stored");
    let key = service::create_key(&store, "jobs", &[Scope::Admin])
        .await
        .unwrap()
        .key;
    Some((store, dir, url, key))
}

/// Starts a lead training through `server`; returns the job id.
async fn start_training(client: &reqwest::Client, server: &Server, key: &str) -> String {
    let res = client
        .post(format!("{}/v1/models/lead/train", server.address))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    let job: Value = res.json().await.unwrap();
    job["id"].as_str().unwrap().to_string()
}

async fn job(client: &reqwest::Client, server: &Server, key: &str, id: &str) -> Value {
    let res = client
        .get(format!("{}/v1/jobs/{id}", server.address))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.unwrap()
}

async fn a_job_whose_server_was_killed_is_marked_failed_at_the_next_start(backend: Backend) {
    let Some((store, _dir, url, key)) = loaded(backend).await else {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run");
        return;
    };
    let client = reqwest::Client::new();
    let mut first = serve(&url).await;
    let id = start_training(&client, &first, &key).await;
    first.kill_9();
    let left = store.job(&id).await.unwrap().expect("the job row");
    assert_eq!(left.status, "running", "the training ended before the kill");

    let second = serve(&url).await;
    let (c, s, k, i) = (&client, &second, &key, &id);
    let failed = within(Duration::from_secs(10), || async move {
        let j = job(c, s, k, i).await;
        (j["status"] == "failed").then_some(j)
    })
    .await;
    let (j, took) = failed.expect("the killed job is still running 10 s after the restart");
    println!("{backend:?}: killed job marked failed {took:?} after the restart");
    assert_eq!(j["error"], INTERRUPTED, "{j}");
    // The dead process's lock died with it: the restarted server trains at once.
    let again = start_training(&client, &second, &key).await;
    assert_ne!(again, id);
}

async fn the_cli_training_is_refused_while_a_server_trains_on_the_same_database(backend: Backend) {
    let Some((store, _dir, url, key)) = loaded(backend).await else {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run");
        return;
    };
    let client = reqwest::Client::new();
    let server = serve(&url).await;
    let id = start_training(&client, &server, &key).await;
    let out = cli(&url, &["train", "lead"]);
    let still = store.job(&id).await.unwrap().expect("the job row");
    assert_eq!(
        still.status, "running",
        "the server's training ended before the CLI's try"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the CLI trained beside the server");
    assert!(stderr.contains("a training is already running"), "{stderr}");
    let (c, s, k, i) = (&client, &server, &key, &id);
    let done = within(Duration::from_secs(120), || async move {
        let j = job(c, s, k, i).await;
        (j["status"] != "running").then_some(j)
    })
    .await;
    let (j, _) = done.expect("the server's training did not end in 120 s");
    assert_eq!(j["status"], "succeeded", "{j}");
    // The server records the job's end, then releases the lock: a training started right after
    // "succeeded" waits that moment out instead of being refused.
    let out = cli(&url, &["train", "lead"]);
    assert!(
        out.status.success(),
        "the CLI is refused after the server's training: {out:?}"
    );
}

mod killed_training {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        a_job_whose_server_was_killed_is_marked_failed_at_the_next_start(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        a_job_whose_server_was_killed_is_marked_failed_at_the_next_start(Backend::Postgres).await
    }
}

mod cli_training_lock {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        the_cli_training_is_refused_while_a_server_trains_on_the_same_database(Backend::Sqlite)
            .await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        the_cli_training_is_refused_while_a_server_trains_on_the_same_database(Backend::Postgres)
            .await
    }
}
