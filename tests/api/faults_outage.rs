//! A PostgreSQL outage on a throwaway cluster this test starts itself (`initdb` and `pg_ctl` on a
//! free port in a temporary directory; the shared server is never touched). While it is down:
//! a request in flight and ingestion answer 503 with `Retry-After`, scoring with a known key keeps
//! answering at once, a key revoked before the outage stays refused, an unknown key is a 503 (not
//! a 401) and `/readyz` fails. After the restart all of it works again.

use revcast::service::{self, models, Scope};
use revcast::store::Store;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::faults_support::{assert_unavailable, free_port, parts, serve_in_process, within};

/// A PostgreSQL cluster in a temporary directory, stopped and removed on drop.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// initdb refuses to run as root: then every command runs as the `postgres` user.
    as_postgres: bool,
}

/// The directory holding `initdb` (and `pg_ctl`): on PATH, else the newest Debian install.
fn postgres_bin() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path).map(|d| d.join("initdb"));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/initdb"));
    let mut found: Vec<PathBuf> = on_path.chain(debian).filter(|p| p.is_file()).collect();
    found.truncate(1);
    let initdb = std::fs::canonicalize(found.pop()?).ok()?;
    Some(initdb.parent()?.to_path_buf())
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl Cluster {
    fn run(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"))
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn init(bin: PathBuf) -> Cluster {
        let dir =
            std::env::temp_dir().join(format!("revcast_pg_{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let chown = Command::new("chown")
                .args(["postgres:", &dir.display().to_string()])
                .status()
                .unwrap();
            assert!(chown.success(), "chown of the cluster directory");
        }
        let cluster = Cluster {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        let out = cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        assert!(out.status.success(), "initdb: {out:?}");
        cluster
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(out.status.success(), "pg_ctl start: {out:?}");
    }

    /// A fast shutdown: sessions are terminated (57P01), as an operator's restart does.
    fn stop(&self, mode: &str) -> std::process::Output {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", mode, "-w", "-t", "60", "stop"],
        )
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop("immediate");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the test needs on the cluster: a lead model and three keys.
struct Fixture {
    address: String,
    scorer: String,
    admin: String,
    revoked: String,
    revoked_id: String,
}

async fn prepare(store: &Store) -> Fixture {
    let w = crate::models::small_world();
    store.upsert(&w.leads).await.unwrap();
    let quiet: models::Progress = Arc::new(|_: &str, _: f64| {});
    let spec = models::default_spec(revcast::ml::ModelKind::Lead).unwrap();
    let registry = models::ModelRegistry::default();
    models::train_kind(store, &registry, spec, quiet)
        .await
        .unwrap();
    let key = |name: &'static str, scope: Scope| async move {
        service::create_key(store, name, &[scope]).await.unwrap()
    };
    let revoked = key("revoked", Scope::Score).await;
    Fixture {
        address: serve_in_process(store).await,
        scorer: key("scorer", Scope::Score).await.key,
        admin: key("admin", Scope::Admin).await.key,
        revoked: revoked.key,
        revoked_id: revoked.info.id,
    }
}

async fn score(client: &reqwest::Client, f: &Fixture, key: &str) -> (u16, Duration) {
    let start = Instant::now();
    let res = client
        .post(format!("{}/v1/score/leads", f.address))
        .bearer_auth(key)
        .json(&json!([{"id": "L-outage", "source": "webinar"}]))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let _ = res.bytes().await;
    (status, start.elapsed())
}

async fn post(client: &reqwest::Client, f: &Fixture, rows: &Value) -> (u16, Option<String>, Value) {
    let res = client
        .post(format!("{}/v1/leads", f.address))
        .bearer_auth(&f.admin)
        .json(rows)
        .send()
        .await
        .unwrap();
    parts(res).await
}

async fn readyz(client: &reqwest::Client, f: &Fixture) -> (u16, Option<String>, Value) {
    parts(
        client
            .get(format!("{}/readyz", f.address))
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_outage_gives_503s_while_known_keys_keep_scoring_and_all_recovers() {
    let Some(bin) = postgres_bin() else {
        eprintln!("initdb not found on PATH or in /usr/lib/postgresql: outage case not run");
        return;
    };
    let cluster = Cluster::init(bin);
    cluster.start();
    let store = Store::connect(&cluster.url())
        .await
        .expect("throwaway cluster");
    let f = prepare(&store).await;
    let client = reqwest::Client::new();
    assert_eq!(score(&client, &f, &f.scorer).await.0, 200);
    assert_eq!(score(&client, &f, &f.revoked).await.0, 200);
    service::revoke_key(&store, &f.revoked_id).await.unwrap();
    let (c, fx) = (&client, &f);
    let refused = within(Duration::from_secs(3), || async move {
        (score(c, fx, &fx.revoked).await.0 == 401).then_some(())
    })
    .await;
    refused.expect("the revoked key still works 3 s after its revocation");

    outage_in_flight(&cluster, &client, &f).await;
    during_outage(&client, &f).await;

    cluster.start();
    let back = within(Duration::from_secs(30), || async move {
        (readyz(c, fx).await.0 == 200).then_some(())
    })
    .await;
    let (_, took) = back.expect("/readyz still fails 30 s after the restart");
    println!("ready again {took:?} after the restart");
    let rows = json!([{"id": "L-after", "source": "web"}]);
    let (status, _, body) = post(&client, &f, &rows).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(score(&client, &f, &f.scorer).await.0, 200);
    assert_eq!(score(&client, &f, &f.revoked).await.0, 401);
    let fresh = service::create_key(&store, "after", &[Scope::Score])
        .await
        .unwrap();
    assert_eq!(score(&client, &f, &fresh.key).await.0, 200);
}

/// A large batch is sent and the database stopped while the server works on it.
async fn outage_in_flight(cluster: &Cluster, client: &reqwest::Client, f: &Fixture) {
    let rows: Vec<Value> = (0..50_000)
        .map(|i| json!({"id": format!("L-flight-{i}"), "source": "web"}))
        .collect();
    let rows = Value::Array(rows);
    let start = Instant::now();
    let (c, a, k) = (client.clone(), f.address.clone(), f.admin.clone());
    let in_flight = tokio::spawn(async move {
        let res = c
            .post(format!("{a}/v1/leads"))
            .bearer_auth(k)
            .json(&rows)
            .send()
            .await;
        (parts(res.unwrap()).await, start.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let stopped = cluster.stop("fast");
    assert!(stopped.status.success(), "pg_ctl stop: {stopped:?}");
    let stop_at = start.elapsed();
    let (answer, took) = in_flight.await.unwrap();
    println!(
        "batch sent at 0, database stopped at {stop_at:?}, answered {} at {took:?}",
        answer.0
    );
    assert!(
        took > Duration::from_millis(150),
        "answered before the stop: {took:?}"
    );
    assert_unavailable("a batch in flight when the database stopped", &answer);
}

async fn during_outage(client: &reqwest::Client, f: &Fixture) {
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let (status, took) = score(client, f, &f.scorer).await;
        assert_eq!(status, 200, "scoring with a known key during the outage");
        slowest = slowest.max(took);
    }
    println!("20 scoring requests during the outage: slowest {slowest:?}");
    assert!(slowest < Duration::from_millis(100), "slowest {slowest:?}");
    assert_eq!(score(client, f, &f.revoked).await.0, 401);

    let unknown = client
        .post(format!("{}/v1/score/leads", f.address))
        .bearer_auth("rvc_never_issued")
        .json(&json!([{"id": "x"}]))
        .send()
        .await
        .unwrap();
    assert_unavailable("an unknown key during the outage", &parts(unknown).await);
    let rows = json!([{"id": "L-down", "source": "web"}]);
    assert_unavailable("ingest during the outage", &post(client, f, &rows).await);
    let start = Instant::now();
    assert_unavailable("/readyz during the outage", &readyz(client, f).await);
    println!("/readyz failed in {:?}", start.elapsed());
}
