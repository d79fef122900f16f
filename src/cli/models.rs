//! `revcast train` and `revcast models list|promote|rollback|export`.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;

use super::{connect, DbArgs};
use crate::service::models::{self, ModelRegistry, Rescorer};

#[derive(clap::Args)]
pub struct TrainArgs {
    /// lead, win or churn.
    pub kind: String,
    /// A spec file (default: the kind's spec shipped in training/).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Train on what was known at the end of this day, YYYY-MM-DD (default: the data's last
    /// day, not today).
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
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
    let text = match &args.spec {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => None,
    };
    let spec = models::spec_for(kind, text.as_deref())?;
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
    let outcome = models::train_kind_as_of(&store, &registry, spec, args.as_of, progress).await;
    bar.finish_and_clear();
    let outcome = outcome?;
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
    print_checks(&outcome);
    println!("promoted: {} ({})", outcome.promoted, outcome.decision);
    Ok(())
}

/// The data day, each feature's coverage, the warnings and the gate's two figures.
fn print_checks(o: &models::TrainOutcome) {
    if let Some(d) = o.as_of {
        println!("as of: {d}");
    }
    for c in &o.coverage {
        println!(
            "coverage: {:<28} {:>6.1}%  ({})",
            c.feature,
            c.coverage * 100.0,
            c.from
        );
    }
    for w in &o.warnings {
        println!("warning: {w}");
    }
    if let Some(c) = &o.comparison {
        let (a, b) = (&c.figures.challenger, &c.figures.champion);
        println!(
            "gate: {} rows; this version log loss {:.4} roc_auc {:.4}; active {} log loss {:.4} roc_auc {:.4}",
            c.figures.rows, a.log_loss, a.roc_auc, c.champion_version, b.log_loss, b.roc_auc
        );
    }
}

pub async fn run(cmd: ModelsCommand) -> anyhow::Result<()> {
    match cmd {
        ModelsCommand::List { kind, db } => {
            let store = connect(&db).await?;
            let registry = ModelRegistry::default();
            let kind = kind.as_deref().map(models::parse_kind).transpose()?;
            for v in models::list_versions(&store, &registry, kind).await? {
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
                for w in &v.warnings {
                    println!("  warning: {w}");
                }
            }
        }
        ModelsCommand::Promote { id, db } => {
            let store = connect(&db).await?;
            // No rescorer runs here: a serving process rescores when it syncs the promotion.
            let v = models::promote(&store, &ModelRegistry::default(), &Rescorer::default(), &id)
                .await?;
            println!("active: {} ({})", v.id, v.kind);
        }
        ModelsCommand::Rollback { kind, db } => {
            let store = connect(&db).await?;
            let (registry, rescorer) = (ModelRegistry::default(), Rescorer::default());
            let v = models::rollback(&store, &registry, &rescorer, &kind).await?;
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
