//! `revcast score leads|opportunities|accounts FILE --mapping M [--out scored.csv]`: score a CRM
//! export through an import mapping, without storing it.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

use super::{connect, DbArgs};
use crate::import::{is_rollup, CsvFile, Mapping};
use crate::ml::TrainedModel;
use crate::service::bulk_scoring::Explain;
use crate::service::models::{ActiveModel, ModelRegistry};
use crate::service::score_file::{score_file, FileKind};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    Leads,
    Opportunities,
    Accounts,
}

#[derive(clap::Args)]
pub struct ScoreArgs {
    /// What the file holds.
    pub kind: KindArg,
    /// The CSV export.
    pub file: PathBuf,
    /// The column mapping the import uses (TOML; see training/mappings/README.md).
    #[arg(long)]
    pub mapping: PathBuf,
    /// Write the scores here (CSV) instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Factors per score: none, top3 (default) or all.
    #[arg(long, default_value = "top3", value_parser = parse_explain)]
    pub explain: Explain,
    /// A model artifact written by `revcast models export` (`artifact.json`); default: the
    /// database's active model of the kind.
    #[arg(long)]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
}

fn parse_explain(s: &str) -> Result<Explain, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}`: use none, top3 or all"))
}

fn kind_of(k: KindArg) -> FileKind {
    match k {
        KindArg::Leads => FileKind::Leads,
        KindArg::Opportunities => FileKind::Opportunities,
        KindArg::Accounts => FileKind::Accounts,
    }
}

pub async fn run(a: ScoreArgs) -> anyhow::Result<()> {
    let kind = kind_of(a.kind);
    let text = std::fs::read_to_string(&a.mapping)
        .with_context(|| format!("cannot read the mapping {}", a.mapping.display()))?;
    if is_rollup(&text) {
        anyhow::bail!(
            "a rollup mapping reads several files; score the snapshots it imports instead"
        );
    }
    let base = a.mapping.parent().unwrap_or_else(|| Path::new("."));
    let mapping = Mapping::from_toml(&text, base)
        .with_context(|| format!("bad mapping {}", a.mapping.display()))?;
    let registry = registry(&a).await?;
    let file = CsvFile::new(&a.file, None)?;
    let bar = ProgressBar::new(file.size());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("scoring {}", a.file.display()));
    let out: Box<dyn std::io::Write> = match &a.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let started = std::time::Instant::now();
    let done = score_file(&registry, &mapping, kind, a.explain, &file, out, &mut |n| {
        bar.set_position(n)
    })
    .with_context(|| format!("cannot score {}", a.file.display()))?;
    bar.finish_and_clear();
    let problems = &done.problems;
    for p in &problems.first {
        eprintln!("{}: {p}", a.file.display());
    }
    let more = problems.total - problems.first.len() as u64;
    if more > 0 {
        eprintln!("{}: ... and {more} more problem(s)", a.file.display());
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} scored in {secs:.2} s ({:.0} rows/s)",
        done.scored,
        done.scored as f64 / secs.max(1e-9)
    );
    if problems.total > 0 {
        anyhow::bail!(
            "{} problem(s) in {}; those lines were left out, the others were scored",
            problems.total,
            a.file.display()
        );
    }
    Ok(())
}

/// The model to score with: the exported artifact given, or the database's active one.
async fn registry(a: &ScoreArgs) -> anyhow::Result<ModelRegistry> {
    let registry = ModelRegistry::default();
    let Some(path) = &a.model else {
        let store = connect(&a.db).await?;
        registry.sync(&store).await?;
        return Ok(registry);
    };
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let model = TrainedModel::from_bytes(&bytes)
        .with_context(|| format!("{} is not a model artifact", path.display()))?;
    let version = path
        .parent()
        .and_then(|p| p.file_name())
        .map_or("file".to_string(), |n| n.to_string_lossy().into_owned());
    registry.install(model.spec.kind, ActiveModel { version, model });
    Ok(registry)
}
