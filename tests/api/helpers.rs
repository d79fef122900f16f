//! Test harness: the real app on a random port, against a fresh SQLite file or a fresh PostgreSQL
//! database (when `REVCAST_TEST_DATABASE_URL` is set; unreachable then means the test fails).

use revcast::api::{AppState, Application, Settings};
use revcast::service::{self, Scope};
use revcast::store::Store;
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub store: Store,
    /// A key with every scope.
    pub admin_key: String,
    pub client: reqwest::Client,
    /// The database's URL, for a second handle on it.
    pub url: String,
    _dir: Option<TempDir>,
}

/// A directory removed on drop.
pub use tempfile::TempDir;

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A fresh, migrated store, or None when PostgreSQL is not configured for the tests.
pub async fn fresh_store(backend: Backend) -> Option<(Store, Option<TempDir>)> {
    fresh_database(backend).await.map(|(s, d, _)| (s, d))
}

/// A fresh, migrated store and its URL.
pub async fn fresh_database(backend: Backend) -> Option<(Store, Option<TempDir>, String)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::Builder::new()
                .prefix("revcast_test")
                .tempdir()
                .expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            let store = Store::connect(&url).await.expect("sqlite store");
            Some((store, Some(dir), url))
        }
        Backend::Postgres => {
            let base = std::env::var("REVCAST_TEST_DATABASE_URL").ok()?;
            let name = unique("revcast_test");
            let admin = Store::connect_lazy(&base).expect("postgres url");
            admin
                .create_database(&name)
                .await
                .unwrap_or_else(|e| panic!("REVCAST_TEST_DATABASE_URL is set but unusable: {e}"));
            admin.close().await;
            let url = with_database(&base, &name);
            let store = Store::connect(&url).await.expect("postgres store");
            Some((store, None, url))
        }
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, Settings::new("127.0.0.1:0")).await
}

pub async fn spawn_with(backend: Backend, settings: Settings) -> Option<TestApp> {
    let (store, dir, url) = fresh_database(backend).await?;
    let key = service::create_key(&store, "test admin", &[Scope::Admin])
        .await
        .expect("admin key");
    let app =
        Application::build(&settings, Arc::new(AppState::new(store.clone()))).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        address,
        store,
        admin_key: key.key,
        client: reqwest::Client::new(),
        url,
        _dir: dir,
    })
}

impl TestApp {
    pub async fn key_with(&self, scopes: &[Scope]) -> String {
        service::create_key(&self.store, "test", scopes)
            .await
            .expect("key")
            .key
    }

    pub async fn post_json(&self, path: &str, key: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{}", self.address, path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request");
        read(res).await
    }

    pub async fn post_raw(&self, path: &str, key: &str, body: &str) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{}", self.address, path))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        read(res).await
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(format!("{}{}", self.address, path));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        read(req.send().await.expect("request")).await
    }

    pub async fn ingest(&self, entity: &str, rows: Value) -> Value {
        let (status, body) = self
            .post_json(&format!("/v1/{entity}"), &self.admin_key, &rows)
            .await;
        assert_eq!(status, 200, "ingest {entity}: {body}");
        body
    }
}

async fn read(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts the one error contract and returns the error object.
pub fn error_of(status: u16, body: &Value, expected_status: u16, code: &str) -> Value {
    assert_eq!(status, expected_status, "{body}");
    let e = &body["error"];
    assert_eq!(e["code"], code, "{body}");
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(e["details"].is_array(), "{body}");
    e.clone()
}

/// Runs one async test case against SQLite, and against PostgreSQL when configured.
/// `both_backends!(ignore = "why", name, case)` marks both `#[ignore]` (a case that needs data
/// from outside the repository; `.ci/run` runs it with `--ignored` when the data is there).
#[macro_export]
macro_rules! both_backends {
    (ignore = $why:literal, $name:ident, $case:path) => {
        $crate::both_backends!(@cases [#[ignore = $why]] $name, $case);
    };
    ($name:ident, $case:path) => {
        $crate::both_backends!(@cases [] $name, $case);
    };
    (@cases [$(#[$attr:meta])*] $name:ident, $case:path) => {
        mod $name {
            use super::*;
            #[tokio::test]
            $(#[$attr])*
            async fn on_sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite)
                    .await
                    .expect("sqlite always runs");
                $case(&app).await;
            }
            #[tokio::test]
            $(#[$attr])*
            async fn on_postgres() {
                match $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                    Some(app) => $case(&app).await,
                    None => eprintln!("REVCAST_TEST_DATABASE_URL not set: PostgreSQL case not run"),
                }
            }
        }
    };
}
