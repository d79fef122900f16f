//! API keys under change from other processes: a revocation is seen within one second, a key
//! created elsewhere works at once.

use revcast::service::{self, Scope};
use std::time::Duration;

use crate::faults_support::{cli, serve_in_process, within};
use crate::helpers::{fresh_database, Backend};

async fn status_with(client: &reqwest::Client, address: &str, key: &str) -> u16 {
    client
        .get(format!("{address}/v1/leads?limit=1"))
        .bearer_auth(key)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn a_key_revoked_by_the_cli_in_another_process_is_refused_within_one_second(
    backend: Backend,
) {
    let Some((store, _dir, url)) = fresh_database(backend).await else {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run");
        return;
    };
    let address = serve_in_process(&store).await;
    let client = reqwest::Client::new();
    let doomed = service::create_key(&store, "doomed", &[Scope::Read])
        .await
        .unwrap();
    let other = service::create_key(&store, "other", &[Scope::Read])
        .await
        .unwrap();
    // Used once so that it is in the server's memory, then left for the refresh to pick it up.
    assert_eq!(status_with(&client, &address, &doomed.key).await, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(status_with(&client, &address, &doomed.key).await, 200);

    let out = cli(&url, &["keys", "revoke", &doomed.info.id]);
    assert!(out.status.success(), "{out:?}");
    let (c, a, k) = (&client, &address, &doomed.key);
    let refused = within(Duration::from_secs(3), || async move {
        (status_with(c, a, k).await == 401).then_some(())
    })
    .await;
    let (_, took) = refused.expect("the revoked key still works 3 s after `keys revoke` returned");
    println!("{backend:?}: revoked key refused {took:?} after `revcast keys revoke` returned");
    assert!(took < Duration::from_secs(1), "refused only after {took:?}");
    assert_eq!(status_with(&client, &address, &other.key).await, 200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(status_with(&client, &address, &doomed.key).await, 401);
}

async fn a_key_created_by_another_process_works_on_its_first_request(backend: Backend) {
    let Some((store, _dir, url)) = fresh_database(backend).await else {
        eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run");
        return;
    };
    let address = serve_in_process(&store).await;
    let client = reqwest::Client::new();
    assert_eq!(status_with(&client, &address, "rvc_unknown").await, 401);
    let out = cli(
        &url,
        &["keys", "create", "--name", "fresh", "--scopes", "read"],
    );
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let key = stdout.lines().last().expect("the key on the last line");
    assert_eq!(status_with(&client, &address, key).await, 200);
}

mod revocation {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        a_key_revoked_by_the_cli_in_another_process_is_refused_within_one_second(Backend::Sqlite)
            .await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        a_key_revoked_by_the_cli_in_another_process_is_refused_within_one_second(Backend::Postgres)
            .await
    }
}

mod creation {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        a_key_created_by_another_process_works_on_its_first_request(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        a_key_created_by_another_process_works_on_its_first_request(Backend::Postgres).await
    }
}
