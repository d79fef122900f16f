//! Streaming import of a generated opportunities file through the release binary, as a user runs
//! it: `revcast import opportunities FILE --mapping M`. Reports the median wall time of RUNS runs
//! (each on a fresh database), file rows per second, and the peak resident memory of the
//! `revcast` process (`VmHWM` from `/proc/PID/status`, polled every 20 ms until it exits).
//!
//! Peer, in the same run on the same file: the database's own CSV loader into a plain table of
//! text columns, no checks and no upsert (`sqlite3 DB ".import --csv"`, PostgreSQL `\copy` via
//! psql): the floor for getting these bytes into that database.
//!
//! Run: `cargo bench --bench import`. Environment: REVCAST_BENCH_IMPORT_ROWS (default 2,000,000),
//! REVCAST_BENCH_RUNS (default 3), REVCAST_BENCH_DATABASE_URL (a PostgreSQL server URL whose user
//! may create databases; PostgreSQL is skipped without it).

use revcast::store::Store;
use std::io::Write;
use std::path::Path;

#[path = "support/process.rs"]
mod process;
use process::{measure, median};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_revcast");

/// Opportunities only, and the same with a stage event for every closed deal.
const PLAIN: &str = r#"
entity = "opportunities"
[fields]
id = "id"
owner_id = "owner"
account_id = "account"
stage = "stage"
amount = { column = "amount", type = "number" }
created_at = { column = "created", type = "timestamp" }
closed_at = { column = "closed", type = "timestamp" }
won = { column = "stage", type = "bool", map = { Won = true, Lost = false }, unmapped = "null" }
product = "product"
"#;

const EVENTS: &str = r#"
[[derived]]
entity = "stage-events"
when = { column = "closed", present = true }
[derived.fields]
opportunity_id = "id"
stage = "stage"
entered_at = { column = "closed", type = "timestamp" }
"#;

fn generate(path: &Path, rows: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(b"id,owner,account,stage,amount,created,closed,product\n")
        .unwrap();
    let products = ["GTX Basic", "GTX Pro", "MG Special", "GTK 500"];
    for i in 0..rows {
        let (stage, closed) = match i % 4 {
            0 => ("Won", format!("2024-{:02}-{:02}", 7 + i % 6, 1 + i % 28)),
            1 => ("Lost", format!("2024-{:02}-{:02}", 7 + i % 6, 1 + i % 28)),
            _ => ("Engaging", String::new()),
        };
        writeln!(
            w,
            "OPP-{i:08},rep-{:03},acct-{:05},{stage},{}.{:02},2024-{:02}-{:02},{closed},{}",
            i % 300,
            i % 20_000,
            500 + (i * 7919) % 60_000,
            i % 100,
            1 + i % 6,
            1 + i % 28,
            products[i % products.len()]
        )
        .unwrap();
    }
    w.flush().unwrap();
}

/// Builds the peer's command loading a file into the database at a URL.
type PeerCommand = Box<dyn Fn(&str, &Path) -> Command>;

struct Backend {
    name: &'static str,
    /// A fresh database URL for run `i`.
    fresh: Box<dyn Fn(&str) -> String>,
    /// The peer's command loading `file` into the fresh database at `url`.
    peer: PeerCommand,
}

fn sqlite(dir: &Path) -> Backend {
    let dir = dir.to_path_buf();
    Backend {
        name: "sqlite",
        fresh: Box::new(move |tag| format!("sqlite://{}", dir.join(format!("{tag}.db")).display())),
        peer: Box::new(|url, file| {
            let mut c = Command::new("sqlite3");
            c.arg(url.trim_start_matches("sqlite://"))
                .arg(format!(".import --csv {} deals", file.display()));
            c
        }),
    }
}

fn postgres(base: String) -> Backend {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = base.clone();
    Backend {
        name: "postgres",
        fresh: Box::new(move |tag| {
            let name = format!("revcast_bench_import_{tag}_{}", std::process::id());
            rt.block_on(async {
                let admin = Store::connect_lazy(&server).unwrap();
                admin.create_database(&name).await.unwrap();
                admin.close().await;
            });
            let (head, _) = server.rsplit_once('/').unwrap();
            format!("{head}/{name}")
        }),
        peer: Box::new(|url, file| {
            let mut c = Command::new("psql");
            c.args(["-q", url, "-c"]).arg(
                "CREATE TABLE deals (id text, owner text, account text, stage text, amount text, \
                 created text, closed text, product text)",
            );
            c.args([
                "-c",
                &format!("\\copy deals FROM '{}' CSV HEADER", file.display()),
            ]);
            c
        }),
    }
}

fn bench(b: &Backend, variant: &str, mapping: &Path, file: &Path, rows: usize, runs: usize) {
    let (mut ours, mut peers, mut peak) = (Vec::new(), Vec::new(), 0u64);
    // A database name or file from the label: letters and digits only.
    let tag: String = variant
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    for run in 0..runs {
        let url = (b.fresh)(&format!("{tag}_{run}"));
        let (t, rss) = measure(
            Command::new(BIN)
                .args(["import", "opportunities"])
                .arg(file)
                .arg("--mapping")
                .arg(mapping)
                .args(["--database-url", &url]),
        );
        ours.push(t.as_secs_f64());
        peak = peak.max(rss);
        let url = (b.fresh)(&format!("{tag}_peer_{run}"));
        peers.push(measure(&mut (b.peer)(&url, file)).0.as_secs_f64());
    }
    let (t, p) = (median(ours), median(peers));
    println!(
        "{:<9} {:<22} {:>9} {:>8.1} s {:>10.0} rows/s {:>7.0} MB | peer {:>6.1} s {:>10.0} rows/s | ratio {:.2}x",
        b.name,
        variant,
        rows,
        t,
        rows as f64 / t,
        peak as f64 / 1e6,
        p,
        rows as f64 / p,
        t / p
    );
}

fn main() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let rows = env("REVCAST_BENCH_IMPORT_ROWS", 2_000_000);
    let runs = env("REVCAST_BENCH_RUNS", 3).max(1);
    let dir = std::env::temp_dir().join(format!("revcast_bench_import_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    run(&dir, rows, runs);
    let _ = std::fs::remove_dir_all(&dir);
}

fn run(dir: &Path, rows: usize, runs: usize) {
    let file = dir.join("opportunities.csv");
    generate(&file, rows);
    let size = std::fs::metadata(&file).unwrap().len();
    println!(
        "import: {rows} rows, {:.0} MB, median of {runs} runs (peak RSS: the largest of the runs)",
        size as f64 / 1e6
    );
    let plain = dir.join("plain.toml");
    let events = dir.join("events.toml");
    std::fs::write(&plain, PLAIN).unwrap();
    std::fs::write(&events, format!("{PLAIN}{EVENTS}")).unwrap();
    let mut backends = vec![sqlite(dir)];
    if let Ok(url) = std::env::var("REVCAST_BENCH_DATABASE_URL") {
        backends.push(postgres(url));
    }
    for b in &backends {
        bench(b, "opportunities", &plain, &file, rows, runs);
        bench(b, "+ stage events (1/2)", &events, &file, rows, runs);
    }
}
