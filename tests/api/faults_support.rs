//! What the fault tests share: a `revcast serve` child process, the `revcast` CLI, an in-process
//! server on a database whose URL the test knows, and bounded polling.

use revcast::api::{AppState, Application, Settings};
use revcast::store::Store;
use serde_json::Value;
use std::future::Future;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_revcast");

/// A `revcast serve` child process, killed and reaped on drop.
pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// kill -9: the process gets no chance to clean up.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `revcast serve` on `url` and waits (at most 20 s) until it answers.
pub async fn serve(url: &str) -> Server {
    let port = free_port();
    let child = Command::new(BIN)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("REVCAST_DATABASE_URL", url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("revcast serve starts");
    let server = Server {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if reqwest::get(format!("{}/healthz", server.address))
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("revcast serve did not come up in 20 s");
}

/// Runs the `revcast` CLI on the database at `url`.
pub fn cli(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("REVCAST_DATABASE_URL", url)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("revcast runs")
}

/// The real app in this process on `store`, with the active models loaded; returns its address.
pub async fn serve_in_process(store: &Store) -> String {
    let state = Arc::new(AppState::new(store.clone()));
    state.registry.sync(store).await.expect("models load");
    let app = Application::build(&Settings::new("127.0.0.1:0"), state).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    address
}

/// Polls `check` every 20 ms until it returns Some, for at most `limit`; returns the value and
/// the time it took, or None when the time ran out.
pub async fn within<T, F, Fut>(limit: Duration, mut check: F) -> Option<(T, Duration)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    for _ in 0..10_000 {
        if let Some(v) = check().await {
            return Some((v, start.elapsed()));
        }
        if start.elapsed() >= limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Status, `Retry-After` header and JSON body of a response.
pub async fn parts(res: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = res.text().await.unwrap_or_default();
    (
        status,
        retry,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Asserts a 503 with `Retry-After` and the error body of an unavailable database.
pub fn assert_unavailable(what: &str, (status, retry, body): &(u16, Option<String>, Value)) {
    assert_eq!(*status, 503, "{what}: {body}");
    let seconds: u64 = retry
        .as_deref()
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no Retry-After in seconds: {retry:?}"));
    assert!((1..=30).contains(&seconds), "{what}: Retry-After {seconds}");
    assert_eq!(
        body["error"]["code"], "database_unavailable",
        "{what}: {body}"
    );
    assert!(body["error"]["details"].is_array(), "{what}: {body}");
}
