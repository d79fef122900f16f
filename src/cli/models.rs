//! `revcast train` and `revcast models list|promote|rollback|export`.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;

use super::{connect, DbArgs};
use crate::ml::ModelSpec;
use crate::service::models::{self, ModelRegistry};

#[derive(clap::Args)]
pub struct TrainArgs {
    /// lead or win.
    pub kind: String,
    /// A spec file (default: the kind's spec shipped in training/).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(clap::Subcommand)]
pub enum ModelsCommand {
    /// List versions with their validation metrics.
    List {
        #[arg(long)]
        kind: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Put a version into service by hand.
    Promote {
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Re-activate the previously active version of a kind.
    Rollback {
        kind: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write models/<kind>/<version>/ with the artifact and a model card (default: the active versions).
    Export {
        /// Version ids; all active versions when none.
        ids: Vec<String>,
        #[arg(long, default_value = "models")]
        dir: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn train(args: TrainArgs) -> anyhow::Result<()> {
    let kind = models::parse_kind(&args.kind)?;
    let spec = match &args.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            ModelSpec::from_toml(&text).with_context(|| format!("bad spec {}", path.display()))?
        }
        None => models::default_spec(kind)?,
    };
    if spec.kind != kind {
        anyhow::bail!(
            "the spec trains a {} model, not {}",
            spec.kind.as_str(),
            kind.as_str()
        );
    }
    let store = connect(&args.db).await?;
    let registry = ModelRegistry::default();
    registry.sync(&store).await?;
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("{msg:40} [{bar:40}] {percent}% {elapsed}")
            .expect("static template"),
    );
    let pb = bar.clone();
    let progress: models::Progress = Arc::new(move |step: &str, f: f64| {
        pb.set_message(step.to_string());
        pb.set_position((f.clamp(0.0, 1.0) * 1000.0) as u64);
    });
    let outcome = models::train_kind(&store, &registry, spec, progress).await?;
    bar.finish_and_clear();
    models::refresh_scores(&store, &registry, kind).await?;
    let m = &outcome.metrics;
    println!("version: {}", outcome.version);
    println!(
        "algorithm: {} ({} calibration)",
        outcome.algorithm, outcome.calibration
    );
    for name in [
        "roc_auc",
        "pr_auc",
        "log_loss",
        "base_rate_log_loss",
        "brier",
        "ece",
        "top_decile_lift",
        "rows",
        "positives",
    ] {
        println!("{name}: {}", m[name]);
    }
    println!("promoted: {} ({})", outcome.promoted, outcome.decision);
    Ok(())
}

pub async fn run(cmd: ModelsCommand) -> anyhow::Result<()> {
    match cmd {
        ModelsCommand::List { kind, db } => {
            let store = connect(&db).await?;
            for v in models::list_versions(&store, kind.as_deref()).await? {
                let m = &v.metrics["validation"];
                println!(
                    "{:<32} {:<6} {:<9} {:<14} roc_auc {:.3} log_loss {:.4} ece {:.3}",
                    v.id,
                    v.kind,
                    v.status,
                    v.algorithm,
                    m["roc_auc"].as_f64().unwrap_or(f64::NAN),
                    m["log_loss"].as_f64().unwrap_or(f64::NAN),
                    m["ece"].as_f64().unwrap_or(f64::NAN)
                );
            }
        }
        ModelsCommand::Promote { id, db } => {
            let store = connect(&db).await?;
            let v = models::promote(&store, &ModelRegistry::default(), &id).await?;
            println!("active: {} ({})", v.id, v.kind);
        }
        ModelsCommand::Rollback { kind, db } => {
            let store = connect(&db).await?;
            let v = models::rollback(&store, &ModelRegistry::default(), &kind).await?;
            println!("active again: {} ({})", v.id, v.kind);
        }
        ModelsCommand::Export { ids, dir, db } => {
            let store = connect(&db).await?;
            let ids = if ids.is_empty() {
                store
                    .active_versions()
                    .await?
                    .into_iter()
                    .map(|(_, id)| id)
                    .collect()
            } else {
                ids
            };
            for id in ids {
                let folder = models::export_version(&store, &id, &dir).await?;
                println!("wrote {}", folder.display());
            }
        }
    }
    Ok(())
}
