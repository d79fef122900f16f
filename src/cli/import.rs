//! `revcast import ENTITY FILE --mapping MAPPING.toml`: load a CRM export through a column mapping.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

use super::{connect, DbArgs};
use crate::import::{is_rollup, map_csv, EntityRows, Mapping, SnapshotRollup};
use crate::service::{import_rows, ImportFailure};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The entity the file holds: accounts, leads, opportunities, stage-events, reps, quotas,
    /// account-snapshots, churn-events or spend (the mapping may derive others from it).
    pub entity: String,
    /// The CSV export.
    pub file: PathBuf,
    /// The column mapping (TOML); see training/mappings/README.md.
    #[arg(long)]
    pub mapping: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.mapping)
        .with_context(|| format!("cannot read the mapping {}", args.mapping.display()))?;
    let base = args
        .mapping
        .parent()
        .unwrap_or_else(|| std::path::Path::new("."));
    let batches = if is_rollup(&text) {
        rolled_up(&args, &text, base)?
    } else {
        mapped(&args, &text, base)?
    };
    let store = connect(&args.db).await?;
    match import_rows(&store, batches).await {
        Ok(outcomes) => {
            for o in outcomes {
                let c = o.counts;
                println!(
                    "{:<18} {:>7} rows: {} inserted, {} updated, {} unchanged",
                    o.entity, c.received, c.inserted, c.updated, c.unchanged
                );
            }
            Ok(())
        }
        Err(ImportFailure::BadLines(problems)) => {
            for p in &problems {
                eprintln!("{}: {p}", args.file.display());
            }
            anyhow::bail!(
                "{} problem(s) in {}; nothing was imported",
                problems.len(),
                args.file.display()
            )
        }
        Err(ImportFailure::Service(e)) => Err(e.into()),
    }
}

/// Row by row through a [`Mapping`], with a progress bar.
fn mapped(args: &ImportArgs, text: &str, base: &Path) -> anyhow::Result<Vec<EntityRows>> {
    let mapping = Mapping::from_toml(text, base)
        .with_context(|| format!("bad mapping {}", args.mapping.display()))?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("reading {}", args.file.display()));
    let batches = map_csv(
        &mapping,
        &args.entity,
        std::io::BufReader::new(file),
        &mut |n| bar.set_position(n),
    )
    .with_context(|| format!("cannot import {}", args.file.display()))?;
    bar.finish_and_clear();
    Ok(batches)
}

/// Snapshots computed from several tables through a [`SnapshotRollup`].
fn rolled_up(args: &ImportArgs, text: &str, base: &Path) -> anyhow::Result<Vec<EntityRows>> {
    let rollup = SnapshotRollup::from_toml(text)
        .with_context(|| format!("bad mapping {}", args.mapping.display()))?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    rollup
        .build(&args.entity, std::io::BufReader::new(file), base)
        .with_context(|| format!("cannot import {}", args.file.display()))
}
