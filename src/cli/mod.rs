//! The `revcast` command line (clap). Each command parses its arguments and calls the same service
//! functions as the HTTP API.

mod churn;
mod forecast;
mod import;
mod keys;
mod kpis;
mod logs;
mod models;
mod pipeline;
mod quotas;
mod score;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

use crate::store::DEFAULT_DATABASE_URL;

#[derive(Parser)]
#[command(
    name = "revcast",
    version,
    about = "Revenue intelligence from CRM history"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives: `sqlite://FILE` (embedded, created on first start) or `postgres://...`.
#[derive(clap::Args, Clone, Debug)]
pub struct DbArgs {
    #[arg(long, env = "REVCAST_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve(serve::ServeArgs),
    /// Create a fresh database filled with a synthetic CRM world, print the URL and an admin key, serve.
    Demo(serve::DemoArgs),
    /// Load a CRM export (CSV) through a column mapping.
    Import(import::ImportArgs),
    /// Train a model kind (lead, win, churn) on the stored data; promote it if not worse than the active one.
    Train(models::TrainArgs),
    /// The model registry: list, promote, rollback, export.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// The churn-risk list: accounts to save first, by revenue at risk.
    ChurnRisk(churn::ChurnArgs),
    /// Funnel KPIs over a window, optionally by rep, team, region, source or product.
    Kpis(kpis::KpiArgs),
    /// Revenue forecast of a period with P10/P50/P90, parts and groups (stored in the accuracy ledger).
    Forecast(forecast::ForecastArgs),
    /// Replay the forecast of past periods as of past dates and score it against what closed
    /// (recorded: the web app's accuracy page shows the latest of each kind).
    Backtest(forecast::BacktestArgs),
    /// Forecast a series from a CSV file (first column a date, second a value).
    ForecastSeries(forecast::SeriesArgs),
    /// The pipeline waterfall between two days: created, pulled in, won, lost, pushed out, revised.
    PipelineChanges(pipeline::ChangesArgs),
    /// Score a CRM export (CSV) through an import mapping, without storing it.
    Score(score::ScoreArgs),
    /// Recommended quotas for a company target, and the stored quotas of the period judged.
    Quotas(quotas::QuotaArgs),
    /// Manage API keys (only their SHA-256 is stored).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Print the OpenAPI document (YAML), as checked in at api-spec/openapi.yaml.
    Openapi,
}

/// Parses the command line, runs the command, and turns errors into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    logs::init();
    let result = actix_web::rt::System::new().block_on(run(cli));
    logs::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::serve(args).await,
        Command::Demo(args) => serve::demo(args).await,
        Command::Keys(cmd) => keys::run(cmd).await,
        Command::Import(args) => import::run(args).await,
        Command::Kpis(args) => kpis::run(args).await,
        Command::ChurnRisk(args) => churn::run(args).await,
        Command::Forecast(args) => forecast::run(args).await,
        Command::Backtest(args) => forecast::backtest(args).await,
        Command::ForecastSeries(args) => forecast::series(args),
        Command::PipelineChanges(args) => pipeline::run(args).await,
        Command::Quotas(args) => quotas::run(args).await,
        Command::Score(args) => score::run(args).await,
        Command::Train(args) => models::train(args).await,
        Command::Models(cmd) => models::run(cmd).await,
        Command::Openapi => {
            print!("{}", crate::api::openapi::spec_yaml());
            Ok(())
        }
    }
}

/// Connects to the database named by the arguments and runs its migrations.
pub(crate) async fn connect(db: &DbArgs) -> anyhow::Result<crate::store::Store> {
    use anyhow::Context;
    crate::store::Store::connect(&db.database_url)
        .await
        .context("could not open the database")
}
