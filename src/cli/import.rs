//! `revcast import ENTITY FILE --mapping MAPPING.toml`: load a CRM export through a column mapping.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{connect, DbArgs};
use crate::import::{is_rollup, CsvFile, EntityRows, Mapping, Problems, SnapshotRollup};
use crate::service::{import_file, import_rows, ImportFailure, ImportOutcome, Progress};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The entity the file holds: accounts, leads, opportunities, stage-events, reps, quotas,
    /// account-snapshots, churn-events or spend (the mapping may derive others from it).
    pub entity: String,
    /// The CSV export, of any size; a gzip-compressed file (`.csv.gz`) is read as it is.
    pub file: PathBuf,
    /// The column mapping (TOML); see training/mappings/README.md.
    #[arg(long)]
    pub mapping: PathBuf,
    /// The cell separator: one character such as `;` or `|`, or `tab`. Default: whichever of
    /// `,` `;` and tab the header line uses most.
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    #[command(flatten)]
    pub db: DbArgs,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "`{s}` is not a separator: give one ASCII character (not a quote) or `tab`"
        )),
    }
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.mapping)
        .with_context(|| format!("cannot read the mapping {}", args.mapping.display()))?;
    let base = args.mapping.parent().unwrap_or_else(|| Path::new("."));
    let result = if is_rollup(&text) {
        let batches = rolled_up(&args, &text, base)?;
        import_rows(&connect(&args.db).await?, batches).await
    } else {
        let mapping = Mapping::from_toml(&text, base)
            .with_context(|| format!("bad mapping {}", args.mapping.display()))?;
        let file = CsvFile::new(&args.file, args.delimiter)
            .with_context(|| format!("cannot import {}", args.file.display()))?;
        let store = connect(&args.db).await?;
        let bar = bar(&file);
        let mapping = Arc::new(mapping);
        let progress: Progress = {
            let bar = bar.clone();
            Arc::new(move |bytes| bar.set_position(bytes))
        };
        let outcome = import_file(&store, mapping, &args.entity, Arc::new(file), progress).await;
        bar.finish_and_clear();
        outcome
    };
    match result {
        Ok(outcomes) => {
            print_counts(&outcomes);
            Ok(())
        }
        Err(ImportFailure::BadLines(problems)) => bad_lines(&args.file, &problems),
        Err(ImportFailure::File(e)) => {
            Err(e).with_context(|| format!("cannot import {}", args.file.display()))
        }
        Err(ImportFailure::Service(e)) => Err(e.into()),
    }
}

fn print_counts(outcomes: &[ImportOutcome]) {
    for o in outcomes {
        let c = o.counts;
        println!(
            "{:<18} {:>7} rows: {} inserted, {} updated, {} unchanged",
            o.entity, c.received, c.inserted, c.updated, c.unchanged
        );
    }
}

/// The first problems, one a line, then how many there are in all.
fn bad_lines(file: &Path, problems: &Problems) -> anyhow::Result<()> {
    for p in &problems.first {
        eprintln!("{}: {p}", file.display());
    }
    let more = problems.total - problems.first.len() as u64;
    if more > 0 {
        eprintln!("{}: ... and {more} more problem(s)", file.display());
    }
    anyhow::bail!(
        "{} problem(s) in {}; nothing was imported",
        problems.total,
        file.display()
    )
}

/// The import's progress bar, on stderr, drawn only when stderr is a terminal.
fn bar(file: &CsvFile) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(file.size()), target());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("importing {}", file.path().display()));
    bar
}

fn target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// Snapshots computed from several tables through a [`SnapshotRollup`]; the rollup needs all
/// the subscriptions at once, so this file is read whole.
fn rolled_up(args: &ImportArgs, text: &str, base: &Path) -> anyhow::Result<Vec<EntityRows>> {
    let rollup = SnapshotRollup::from_toml(text)
        .with_context(|| format!("bad mapping {}", args.mapping.display()))?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    rollup
        .build(&args.entity, std::io::BufReader::new(file), base)
        .with_context(|| format!("cannot import {}", args.file.display()))
}
