//! `revcast score leads|opportunities|accounts FILE --mapping M [--out scored.csv]`: score a CRM
//! export through an import mapping, without storing it.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

use super::{connect, DbArgs};
use crate::import::{is_rollup, Mapping};
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
    let file = std::fs::File::open(&a.file)
        .with_context(|| format!("cannot open {}", a.file.display()))?;
    let bar = ProgressBar::new(file.metadata().map(|m| m.len()).unwrap_or(0));
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
    let input = std::io::BufReader::with_capacity(1 << 20, file);
    let done = score_file(&registry, &mapping, kind, a.explain, input, out, &mut |n| {
        bar.set_position(n)
    })
    .with_context(|| format!("cannot score {}", a.file.display()))?;
    bar.finish_and_clear();
    for p in &done.problems {
        eprintln!("{}: {p}", a.file.display());
    }
    eprintln!("{} scored", done.scored);
    if !done.problems.is_empty() {
        anyhow::bail!(
            "{} problem(s) in {}; those lines were left out",
            done.problems.len(),
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
