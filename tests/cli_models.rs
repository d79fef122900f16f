//! `revcast train` as an admin runs it: what it refuses, what it reports, and training as of a
//! past day.

use revcast::domain::{Id, Timestamp};
use revcast::store::Store;
use revcast::synth::{generate, SynthSettings};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_revcast");

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
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("revcast runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The lines of a training's output that describe the model (not its version id or the gate).
fn model_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| {
            [
                "roc_auc:",
                "log_loss:",
                "brier:",
                "rows:",
                "positives:",
                "coverage:",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn train_help_names_every_kind_and_the_as_of_day() {
    let db = sqlite_db();
    let help = text(&revcast(&db, &["train", "--help"]));
    assert!(help.contains("lead, win or churn"), "{help}");
    assert!(help.contains("--as-of"), "{help}");
    let top = text(&revcast(&db, &["--help"]));
    assert!(top.contains("(lead, win, churn)"), "{top}");
}

#[tokio::test]
async fn train_refuses_a_path_no_row_has_and_reproduces_a_model_as_of_a_day() {
    let db = sqlite_db();
    let mut s = SynthSettings::default();
    s.leads.count = 2500;
    let w = generate(&s, chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    let store = Store::connect(&db.url).await.unwrap();
    store.upsert(&w.reps).await.unwrap();
    store.upsert(&w.accounts).await.unwrap();
    store.upsert(&w.leads).await.unwrap();

    let spec = include_str!("../training/lead.toml")
        .replace("attributes.emails_opened", "attributes.emails.opened");
    let file = db.dir.join("broken.toml");
    std::fs::write(&file, spec).unwrap();
    let out = revcast(&db, &["train", "lead", "--spec", file.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "`attributes.emails.opened`: no row has it; rows have `attributes.emails_opened`"
        ),
        "{}",
        text(&out)
    );

    let first = revcast(&db, &["train", "lead", "--as-of", "2026-06-30"]);
    assert!(first.status.success(), "{}", text(&first));
    let out = text(&first);
    assert!(out.contains("as of: 2026-06-30"), "{out}");
    assert!(out.contains("coverage: visits"), "{out}");
    // Leads created after the day arrive; the model of that day is the same.
    let mut later = w.leads.clone();
    later.retain(|l| l.converted.is_some());
    later.truncate(300);
    for (i, l) in later.iter_mut().enumerate() {
        l.id = Id::parse(format!("later-{i}")).unwrap();
        l.created_at = Some(Timestamp::parse("2026-08-01T09:00:00Z").unwrap());
        l.first_response_at = Some(Timestamp::parse("2026-08-01T10:00:00Z").unwrap());
        l.converted_at = l
            .converted
            .filter(|&c| c)
            .map(|_| Timestamp::parse("2026-09-01T09:00:00Z").unwrap());
    }
    store.upsert(&later).await.unwrap();
    let again = revcast(&db, &["train", "lead", "--as-of", "2026-06-30"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(model_lines(&first), model_lines(&again));
    let gate = text(&again);
    let line = gate
        .lines()
        .find(|l| l.starts_with("gate:"))
        .unwrap_or_else(|| panic!("{gate}"));
    assert_eq!(line.matches("log loss").count(), 2, "both figures: {line}");
    let today = revcast(&db, &["train", "lead"]);
    assert_ne!(model_lines(&first), model_lines(&today), "{}", text(&today));
}
