//! The `revcast` binary as a user runs it: import of the bundled real datasets, keys, the demo.

use revcast::domain::{Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, Rep, StageEvent};
use revcast::store::Store;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_revcast");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn data(rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("{} is absent: dataset case not run", p.display());
        None
    }
}

struct Db {
    url: String,
    dir: PathBuf,
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sqlite_db() -> Db {
    let dir = std::env::temp_dir().join(format!("revcast_cli_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    Db {
        url: format!("sqlite://{}", dir.join("cli.db").display()),
        dir,
    }
}

fn revcast(db: &Db, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("REVCAST_DATABASE_URL", &db.url)
        .current_dir(root())
        .output()
        .expect("revcast runs")
}

fn import(db: &Db, entity: &str, file: &Path, mapping: &str) -> String {
    let out = revcast(
        db,
        &[
            "import",
            entity,
            file.to_str().unwrap(),
            "--mapping",
            &format!("training/mappings/{mapping}"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "import {entity} failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn the_real_datasets_import_with_the_right_counts_and_a_second_import_adds_nothing() {
    let (Some(pipeline), Some(accounts), Some(teams), Some(leads), Some(telco)) = (
        data("maven_crm_sales_opportunities/sales_pipeline.csv"),
        data("maven_crm_sales_opportunities/accounts.csv"),
        data("maven_crm_sales_opportunities/sales_teams.csv"),
        data("xeducation_lead_scoring/Leads.csv"),
        data("ibm_telco_customer_churn/Telco-Customer-Churn.csv"),
    ) else {
        return;
    };
    let db = sqlite_db();
    import(&db, "accounts", &accounts, "maven-accounts.toml");
    import(&db, "reps", &teams, "maven-reps.toml");
    let first = import(&db, "opportunities", &pipeline, "maven-opportunities.toml");
    assert!(first.contains("8800 rows: 8800 inserted"), "{first}");
    let again = import(&db, "opportunities", &pipeline, "maven-opportunities.toml");
    assert!(
        again.contains("8800 rows: 0 inserted, 0 updated, 8800 unchanged"),
        "{again}"
    );
    import(&db, "leads", &leads, "xeducation-leads.toml");
    import(&db, "accounts", &telco, "telco-customers.toml");

    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(store.all::<Opportunity>().await.unwrap().len(), 8_800);
    assert_eq!(store.all::<Rep>().await.unwrap().len(), 35);
    assert_eq!(store.all::<Lead>().await.unwrap().len(), 9_240);
    assert_eq!(store.all::<Account>().await.unwrap().len(), 85 + 7_043);
    assert_eq!(store.all::<AccountSnapshot>().await.unwrap().len(), 7_043);
    assert_eq!(store.all::<ChurnEvent>().await.unwrap().len(), 1_869);
    let events = store.all::<StageEvent>().await.unwrap();
    assert!(
        events.len() > 8_000,
        "stage events derived from engage and close dates: {}",
        events.len()
    );
    let leaky = [
        "tags",
        "lead_quality",
        "last_activity",
        "last_notable_activity",
    ];
    for l in store.all::<Lead>().await.unwrap().iter().take(500) {
        for k in l.attributes.keys() {
            let k = k.to_lowercase();
            assert!(
                !leaky.iter().any(|x| k.contains(x)) && !k.contains("asymmetrique"),
                "leaky column {k} imported"
            );
        }
    }
}

#[tokio::test]
async fn ravenstack_subscriptions_usage_and_tickets_roll_up_into_monthly_snapshots() {
    let (Some(accounts), Some(subscriptions)) = (
        data("ravenstack_saas_synthetic/ravenstack_accounts.csv"),
        data("ravenstack_saas_synthetic/ravenstack_subscriptions.csv"),
    ) else {
        return;
    };
    let db = sqlite_db();
    import(&db, "accounts", &accounts, "ravenstack-accounts.toml");
    let first = import(
        &db,
        "account-snapshots",
        &subscriptions,
        "ravenstack-snapshots.toml",
    );
    assert!(first.contains("5254 rows: 5254 inserted"), "{first}");
    let again = import(
        &db,
        "account-snapshots",
        &subscriptions,
        "ravenstack-snapshots.toml",
    );
    assert!(again.contains("5254 unchanged"), "{again}");
    let store = Store::connect(&db.url).await.unwrap();
    let snaps = store.all::<AccountSnapshot>().await.unwrap();
    assert_eq!(snaps.len(), 5_254);
    assert!(snaps
        .iter()
        .all(|s| s.logins.is_some() && s.open_tickets.is_some()));
    // An entity other than the rollup's is refused by name.
    let out = revcast(
        &db,
        &[
            "import",
            "accounts",
            subscriptions.to_str().unwrap(),
            "--mapping",
            "training/mappings/ravenstack-snapshots.toml",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("account-snapshots"),
        "{err}"
    );
}

#[test]
fn a_file_with_bad_lines_names_every_line_and_imports_nothing() {
    let db = sqlite_db();
    let csv = db.dir.join("bad.csv");
    std::fs::write(
        &csv,
        "sales_agent,manager,regional_office\nAnn,Bo,East\n,Bo,East\nCy,Di,West\n,Di,West\n",
    )
    .unwrap();
    let out = revcast(
        &db,
        &[
            "import",
            "reps",
            csv.to_str().unwrap(),
            "--mapping",
            "training/mappings/maven-reps.toml",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("line 5"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let out = revcast(&db, &["keys", "list"]);
    assert!(out.status.success());
}

#[test]
fn keys_are_printed_once_listed_without_the_key_and_revoked() {
    let db = sqlite_db();
    let out = revcast(
        &db,
        &[
            "keys",
            "create",
            "--name",
            "crm",
            "--scopes",
            "score,ingest",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let key = stdout.lines().last().unwrap().to_string();
    assert!(key.starts_with("rvc_") && key.len() > 60, "{stdout}");
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .to_string();
    let list = String::from_utf8_lossy(&revcast(&db, &["keys", "list"]).stdout).to_string();
    assert!(
        list.contains(&id) && list.contains("score,ingest") && !list.contains(&key),
        "{list}"
    );
    assert!(revcast(&db, &["keys", "revoke", &id]).status.success());
    let list = String::from_utf8_lossy(&revcast(&db, &["keys", "list"]).stdout).to_string();
    assert!(
        list.lines()
            .any(|l| l.contains(&id) && l.contains("UTC") && !l.ends_with('-')),
        "{list}"
    );
    let bad = revcast(&db, &["keys", "create", "--name", "x", "--scopes", "root"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scope"));
}

#[tokio::test]
async fn the_demo_prints_its_url_and_key_and_serves_scores() {
    let db = sqlite_db();
    let mut child = Command::new(BIN)
        .args(["demo", "--bind", "127.0.0.1:0", "--database-url", &db.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut key) = (None, None);
    while url.is_none() || key.is_none() {
        let line = lines.next().expect("demo output").unwrap();
        if let Some(u) = line.strip_prefix("URL: ") {
            url = Some(u.to_string());
        }
        if let Some(k) = line.strip_prefix("API key: ") {
            key = Some(k.to_string());
        }
    }
    let (url, key) = (url.unwrap(), key.unwrap());
    let client = reqwest::Client::new();
    // Every list is scored before the URL is printed: the churn list is full at once.
    let churn: serde_json::Value = client
        .get(format!("{url}/v1/churn-risk?limit=5"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(churn["data"].as_array().map(Vec::len), Some(5), "{churn}");
    let mut listed = serde_json::Value::Null;
    for _ in 0..50 {
        let res = client
            .get(format!("{url}/v1/leads/prioritized?limit=5"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        listed = res.json().await.unwrap();
        if listed["data"].as_array().is_some_and(|a| a.len() == 5) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let top = listed["data"].as_array().expect("a call list");
    assert_eq!(top.len(), 5, "{listed}");
    let scores: Vec<u64> = top.iter().map(|r| r["score"].as_u64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    assert!(top[0]["positive_factors"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));
}

#[test]
fn backtest_replays_maven_quarters_and_forecast_series_reads_a_csv() {
    let (Some(pipeline), Some(series)) = (
        data("maven_crm_sales_opportunities/sales_pipeline.csv"),
        data("forecasting_small_series/shampoo_sales_sktime.csv"),
    ) else {
        return;
    };
    let db = sqlite_db();
    import(&db, "opportunities", &pipeline, "maven-opportunities.toml");
    let out = revcast(
        &db,
        &["backtest", "--periods", "2", "--step", "6", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let periods: Vec<&str> = v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        periods,
        ["2017-Q3", "2017-Q4"],
        "the data ends on 2017-12-31"
    );
    let rows = v["report"]["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        4,
        "2 quarters x (6, 12 weeks before the end): {v}"
    );
    for r in rows {
        let q = |k: &str| r[k].as_f64().unwrap();
        assert!(q("p10") <= q("p50") && q("p50") <= q("p90"), "{r}");
        assert!(
            q("actual") > 0.0 && r["as_of"].as_str().unwrap() < "2017-12-31",
            "{r}"
        );
    }
    assert_eq!(v["report"]["summary"]["rows"], 4);

    let run = |args: &[&str]| revcast(&db, args);
    let file = series.to_str().unwrap();
    let out = run(&["forecast-series", file, "--horizon", "4", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["observations"].as_u64(), v["season"].as_u64()),
        (Some(36), Some(12))
    );
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    assert_eq!(
        points[0]["date"], "1994-01-01",
        "the month after the last one"
    );
    let out = run(&["forecast-series", file, "--horizon", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("horizon"));
}

#[tokio::test]
async fn the_access_log_names_each_request_and_a_stopped_server_loses_none() {
    let db = sqlite_db();
    let log = db.dir.join("serve.log");
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db.url])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("serve prints its URL").unwrap();
        if let Some(u) = line.strip_prefix("URL: ") {
            break u.to_string();
        }
    };
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{url}{path}")).send();
    assert_eq!(get("/healthz").await.unwrap().status().as_u16(), 200);
    assert_eq!(
        get("/v1/leads?limit=3").await.unwrap().status().as_u16(),
        401
    );
    // Stopped at once (SIGTERM): the access line kept in memory is written on the way out.
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(&log).unwrap();
    let access: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("revcast::access"))
        .collect();
    assert_eq!(access.len(), 1, "the probe is not logged:\n{text}");
    assert!(
        access[0].contains(
            "  INFO revcast::access: request method=GET uri=/v1/leads?limit=3 status=401 micros="
        ),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colours in a file:\n{text}");
}
