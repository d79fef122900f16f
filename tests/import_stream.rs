//! `revcast import` on files larger than an HTTP batch, through the binary as a user runs it, on
//! SQLite and (with REVCAST_TEST_DATABASE_URL) PostgreSQL: exact counts, all or nothing, a
//! bounded report of bad lines, `;` and gzip files, line-number ids and lookup defaults.

#[path = "api/helpers.rs"]
#[allow(dead_code, unused_macros, unused_imports)]
mod helpers;

use helpers::{fresh_database, Backend};
use revcast::domain::{Lead, Opportunity, StageEvent};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_revcast");

const DEALS: &str = r#"
entity = "opportunities"
[fields]
id = "id"
owner_id = "owner"
stage = "stage"
amount = { column = "amount", type = "number" }
created_at = { column = "created", type = "timestamp" }
closed_at = { column = "closed", type = "timestamp" }
won = { column = "stage", type = "bool", map = { Won = true, Lost = false }, unmapped = "null" }

[[derived]]
entity = "stage-events"
when = { column = "closed", present = true }
[derived.fields]
opportunity_id = "id"
stage = "stage"
entered_at = { column = "closed", type = "timestamp" }
"#;

/// Deal `i`: every third one closed (won or lost, so it has a stage event); `amount_of` sets its
/// amount.
fn deal(i: usize, amount: f64) -> String {
    let (stage, closed) = match i % 3 {
        0 => ("Won", "2024-03-01"),
        1 => ("Open", ""),
        _ => ("Open", ""),
    };
    let stage = if i % 6 == 3 { "Lost" } else { stage };
    format!(
        "D{i:07},rep{},{stage},{amount},2024-01-0{},{closed}\n",
        i % 40,
        1 + i % 9
    )
}

fn write_deals(path: &Path, n: usize, amount_of: impl Fn(usize) -> f64) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(b"id,owner,stage,amount,created,closed\n")
        .unwrap();
    for i in 0..n {
        w.write_all(deal(i, amount_of(i)).as_bytes()).unwrap();
    }
    w.flush().unwrap();
}

fn import(url: &str, entity: &str, file: &Path, mapping: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args(["import", entity, file.to_str().unwrap(), "--mapping"])
        .arg(mapping)
        .args(["--database-url", url])
        .args(extra)
        .output()
        .expect("revcast runs")
}

fn success(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The counts printed for `entity`: "N rows: I inserted, U updated, C unchanged".
fn counts(stdout: &str, entity: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(entity))
        .unwrap_or_else(|| panic!("no line for {entity} in {stdout}"));
    line.split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ")
}

fn dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("revcast_import")
        .tempdir()
        .unwrap()
}

fn mapping(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("mapping.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn sixty_thousand_deals_import_with_exact_counts(backend: Backend) {
    let Some((store, _db, url)) = fresh_database(backend).await else {
        return;
    };
    let dir = dir();
    let m = mapping(dir.path(), DEALS);
    let first = dir.path().join("deals.csv");
    write_deals(&first, 60_000, |i| 100.0 + i as f64);
    let closed = (0..60_000).filter(|i| i % 3 == 0).count();
    let out = success(&import(&url, "opportunities", &first, &m, &[]));
    assert_eq!(
        counts(&out, "opportunities"),
        "60000 rows: 60000 inserted, 0 updated, 0 unchanged"
    );
    assert_eq!(
        counts(&out, "stage-events"),
        format!("{closed} rows: {closed} inserted, 0 updated, 0 unchanged")
    );
    // 500 new deals, and one in 60 of the old ones with a new amount.
    let second = dir.path().join("deals2.csv");
    write_deals(&second, 60_500, |i| {
        100.0 + i as f64 + if i % 60 == 0 { 1.0 } else { 0.0 }
    });
    let out = success(&import(&url, "opportunities", &second, &m, &[]));
    assert_eq!(
        counts(&out, "opportunities"),
        "60500 rows: 500 inserted, 1000 updated, 59000 unchanged"
    );
    let deals = store.all::<Opportunity>().await.unwrap();
    assert_eq!(deals.len(), 60_500);
    let d60 = deals.iter().find(|d| d.id.as_str() == "D0000060").unwrap();
    assert_eq!(d60.amount.map(|a| a.get()), Some(161.0));
    let events = store.all::<StageEvent>().await.unwrap().len();
    assert_eq!(events, (0..60_500).filter(|i| i % 3 == 0).count());
}

#[tokio::test]
async fn sixty_thousand_deals_import_in_one_go_with_exact_counts_on_sqlite() {
    sixty_thousand_deals_import_with_exact_counts(Backend::Sqlite).await;
}

#[tokio::test]
async fn sixty_thousand_deals_import_in_one_go_with_exact_counts_on_postgres() {
    sixty_thousand_deals_import_with_exact_counts(Backend::Postgres).await;
}

#[tokio::test]
async fn thousands_of_bad_lines_print_the_first_hundred_and_the_total_and_write_nothing() {
    let (store, _db, url) = fresh_database(Backend::Sqlite).await.unwrap();
    let dir = dir();
    let m = mapping(dir.path(), DEALS);
    let file = dir.path().join("bad.csv");
    let mut csv = String::from("id,owner,stage,amount,created,closed\n");
    for i in 0..60_000 {
        if i % 20 == 7 {
            csv.push_str(&format!("D{i},rep1,Open,lots,2024-01-01,\n"));
        } else {
            csv.push_str(&deal(i, 5.0));
        }
    }
    std::fs::write(&file, csv).unwrap();
    let out = import(&url, "opportunities", &file, &m, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let shown: Vec<&str> = err.lines().filter(|l| l.contains(": line ")).collect();
    assert_eq!(shown.len(), 100, "{err}");
    assert!(
        shown[0].ends_with("line 9, amount: `lots` is not a number"),
        "{}",
        shown[0]
    );
    assert!(shown[99].contains("line 1989, amount"), "{}", shown[99]);
    assert!(err.contains("... and 2900 more problem(s)"), "{err}");
    assert!(
        err.contains("3000 problem(s)") && err.contains("nothing was imported"),
        "{err}"
    );
    assert!(store.all::<Opportunity>().await.unwrap().is_empty());
    assert!(store.all::<StageEvent>().await.unwrap().is_empty());
}

#[tokio::test]
async fn semicolon_pipe_and_gzip_files_import_line_ids_and_lookup_defaults_included() {
    let (store, _db, url) = fresh_database(Backend::Sqlite).await.unwrap();
    let dir = dir();
    std::fs::write(dir.path().join("won.csv"), "lead,deal\nweb-3,D1\n").unwrap();
    let m = mapping(
        dir.path(),
        r#"
        entity = "leads"
        [lookups.won]
        file = "won.csv"
        key = "lead"
        found = "true"
        default = "false"
        [fields]
        id = { line = true, prefix = "web-" }
        source = "Origin"
        converted = { line = true, prefix = "web-", lookup = "won", type = "bool" }
        "#,
    );
    let semi = dir.path().join("leads.csv");
    std::fs::write(&semi, "Origin;Note\n\"Ads; paid\";x\nSEO;y\n").unwrap();
    let out = success(&import(&url, "leads", &semi, &m, &[]));
    assert_eq!(
        counts(&out, "leads"),
        "2 rows: 2 inserted, 0 updated, 0 unchanged"
    );
    let leads = store.all::<Lead>().await.unwrap();
    let by_id = |id: &str| leads.iter().find(|l| l.id.as_str() == id).unwrap().clone();
    assert_eq!(by_id("web-2").source.as_deref(), Some("Ads; paid"));
    assert_eq!(
        (by_id("web-2").converted, by_id("web-3").converted),
        (Some(false), Some(true))
    );

    let piped = dir.path().join("leads.txt");
    std::fs::write(&piped, "Origin|Note\nSEO|y\nMail|z\n").unwrap();
    let out = success(&import(&url, "leads", &piped, &m, &["--delimiter", "|"]));
    assert_eq!(
        counts(&out, "leads"),
        "2 rows: 0 inserted, 2 updated, 0 unchanged"
    );

    let gz = dir.path().join("leads.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"Origin,Note\nSEO,y\nMail,z\nEvent,w\n")
        .unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let out = success(&import(&url, "leads", &gz, &m, &[]));
    assert_eq!(
        counts(&out, "leads"),
        "3 rows: 1 inserted, 0 updated, 2 unchanged"
    );
    assert_eq!(store.all::<Lead>().await.unwrap().len(), 3);
}

/// Rows are written as the file is read, so a bad line or a repeated key found after thousands
/// of rows went to the database must still leave it as it was: the stored deals unchanged, no
/// new deal, no stage event.
async fn a_bad_line_after_rows_were_written_leaves_the_database_as_it_was(backend: Backend) {
    let Some((store, _db, url)) = fresh_database(backend).await else {
        return;
    };
    let dir = dir();
    let m = mapping(dir.path(), DEALS);
    let first = dir.path().join("first.csv");
    write_deals(&first, 100, |i| 10.0 + i as f64);
    success(&import(&url, "opportunities", &first, &m, &[]));
    let before = store.all::<Opportunity>().await.unwrap();
    let events = store.all::<StageEvent>().await.unwrap();

    // 20,000 deals with new amounts; a bad amount at line 15,002, or deal 1 again at the end.
    let mut bad_cell = String::from("id,owner,stage,amount,created,closed\n");
    let mut repeated = bad_cell.clone();
    for i in 0..20_000 {
        let row = deal(i, 99.0);
        repeated.push_str(&row);
        bad_cell.push_str(&if i == 15_000 {
            format!("D{i:07},rep1,Open,lots,2024-01-01,\n")
        } else {
            row
        });
    }
    repeated.push_str(&deal(1, 7.0));
    for (name, text, expected) in [
        (
            "bad.csv",
            bad_cell,
            "line 15002, amount: `lots` is not a number",
        ),
        (
            "repeated.csv",
            repeated,
            "line 20002: has the same key `D0000001` as line 3",
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let out = import(&url, "opportunities", &file, &m, &[]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{err}");
        assert!(err.contains("1 problem(s)") && err.contains("nothing was imported"));
        assert_eq!(store.all::<Opportunity>().await.unwrap(), before, "{name}");
        assert_eq!(store.all::<StageEvent>().await.unwrap(), events, "{name}");
    }
}

#[tokio::test]
async fn a_bad_line_after_rows_were_written_leaves_the_database_as_it_was_on_sqlite() {
    a_bad_line_after_rows_were_written_leaves_the_database_as_it_was(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_bad_line_after_rows_were_written_leaves_the_database_as_it_was_on_postgres() {
    a_bad_line_after_rows_were_written_leaves_the_database_as_it_was(Backend::Postgres).await;
}
