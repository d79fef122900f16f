//! `revcast serve` and `revcast demo`.

use chrono::NaiveDate;
use std::sync::Arc;

use super::{connect, DbArgs};
use crate::api::{AppState, Application, Settings};
use crate::ml::ModelKind;
use crate::service::{self, models, Scope};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "REVCAST_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// HTTP worker threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(clap::Args)]
pub struct DemoArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The demo's database; the default file is recreated on every run.
    #[arg(long, env = "REVCAST_DATABASE_URL", default_value = DEMO_DATABASE_URL)]
    pub database_url: String,
    /// Seed of the synthetic world (default: the one in training/synthetic.toml).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The day the synthetic world ends (default: today).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
}

const DEMO_DATABASE_URL: &str = "sqlite://revcast-demo.db";

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = connect(&args.db).await?;
    let settings = Settings {
        workers: args.workers,
        warm_pages: true,
        ..Settings::new(args.bind)
    };
    run(settings, store, None).await
}

/// Serves; with `demo_key`, also prints a one-time sign-in link to the web app for that key.
async fn run(
    settings: Settings,
    store: crate::store::Store,
    demo_key: Option<String>,
) -> anyhow::Result<()> {
    let state = Arc::new(AppState::new(store.clone()));
    if let Err(e) = state.registry.sync(&store).await {
        tracing::warn!(error = %e, "could not load the active models yet");
    }
    let app = Application::build(&settings, state.clone())?;
    let host = settings
        .bind
        .rsplit_once(':')
        .map_or("127.0.0.1", |(h, _)| h);
    tracing::info!(port = app.port(), "serving");
    println!("URL: http://{}:{}", host, app.port());
    if let Some(key) = demo_key {
        let token = state.web.one_time_token(&key);
        let port = app.port();
        println!("Dashboard: http://{host}:{port}/signin/once?token={token}");
    }
    app.run_until_stopped().await?;
    Ok(())
}

pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    if args.database_url == DEMO_DATABASE_URL {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("revcast-demo.db{suffix}"));
        }
    }
    let db = DbArgs {
        database_url: args.database_url.clone(),
    };
    let store = connect(&db).await?;
    let as_of = args
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let summary = service::load_demo_world(&store, args.seed, as_of).await?;
    eprintln!("{summary}");
    let registry = models::ModelRegistry::default();
    for kind in [ModelKind::Lead, ModelKind::Win, ModelKind::Churn] {
        let spec = models::default_spec(kind)?;
        let quiet: models::Progress = std::sync::Arc::new(|_: &str, _: f64| {});
        let o = models::train_kind(&store, &registry, spec, quiet).await?;
        eprintln!(
            "trained {} model {}: {} roc_auc {:.3}, log_loss {:.4}, ece {:.3}",
            o.kind,
            o.version,
            o.algorithm,
            o.metrics["roc_auc"].as_f64().unwrap_or(f64::NAN),
            o.metrics["log_loss"].as_f64().unwrap_or(f64::NAN),
            o.metrics["ece"].as_f64().unwrap_or(f64::NAN)
        );
    }
    // The lists are scored before the URL is printed: a page opened at once must not be empty.
    for (kind, n) in service::score_demo_lists(&store, &registry).await? {
        eprintln!("scored {n} records for the {} list", kind.as_str());
    }
    // The quarter's earlier weeks, forecast as of each, so the fan chart has days to show.
    let quarter = crate::domain::Period::quarter_of(as_of);
    crate::web::ledger::fill_ledger(&store, &registry, quarter, as_of, 7).await?;
    let key = service::create_key(&store, "demo admin", &[Scope::Admin]).await?;
    println!("API key: {}", key.key);
    // The accuracy page's backtest, recorded in the background: serving does not wait for it.
    let recorder = store.clone();
    tokio::spawn(async move {
        let q = service::forecast::BacktestQuery::default();
        if let Err(e) = service::forecast::backtest_and_record(&recorder, &q).await {
            tracing::warn!(error = %e, "the demo's backtest was not recorded");
        }
    });
    let settings = Settings {
        warm_pages: true,
        ..Settings::new(args.bind)
    };
    run(settings, store, Some(key.key)).await
}
