//! `revcast forecast`, `revcast backtest` and `revcast forecast-series`.

use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

use super::{connect, DbArgs};
use crate::forecast::Quantiles;
use crate::service::forecast::{self, BacktestQuery, ForecastQuery};
use crate::service::models::ModelRegistry;

#[derive(clap::Args)]
pub struct ForecastArgs {
    /// 2026-11, 2026-Q4 or 2026.
    #[arg(long)]
    pub period: String,
    /// The day the forecast is made (YYYY-MM-DD); default the last day with data.
    #[arg(long)]
    pub as_of: Option<String>,
    /// owner, team, region or product.
    #[arg(long)]
    pub group_by: Option<String>,
    /// Monte Carlo draws (default 10,000).
    #[arg(long)]
    pub simulations: Option<usize>,
    /// Print the whole forecast as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

fn q(x: &Quantiles) -> String {
    format!(
        "P10 {:>14.0}  P50 {:>14.0}  P90 {:>14.0}  mean {:>14.0}",
        x.p10, x.p50, x.p90, x.mean
    )
}

pub async fn run(a: ForecastArgs) -> anyhow::Result<()> {
    let store = connect(&a.db).await?;
    let registry = ModelRegistry::default();
    registry.sync(&store).await?;
    let query = ForecastQuery {
        period: a.period,
        as_of: a.as_of,
        group_by: crate::service::parse_param("group_by", a.group_by.as_deref())?,
        simulations: a.simulations,
    };
    let r = forecast::forecast(&store, &registry, &query).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    print_forecast(&r);
    Ok(())
}

fn print_forecast(r: &forecast::ForecastResponse) {
    let f = &r.forecast;
    let p = &f.parts;
    println!(
        "forecast {} as of {} (P(win) from {})",
        f.period,
        f.as_of,
        match (&r.p_win_source, &r.win_model_version) {
            (forecast::PWinSource::WinModel, Some(v)) => format!("win model {v}"),
            _ => "the stage win rates".to_string(),
        }
    );
    if let Some(note) = &r.p_win_note {
        println!("note: {note}");
    }
    if let Some(note) = &f.undated_note {
        println!("note: {note}");
    }
    println!("total        {}", q(&f.total));
    if let Some(c) = &f.calibration {
        println!(
            "calibration  {} past forecasts: {}",
            c.past_forecasts, c.note
        );
    }
    println!("closed       {:>14.0}", p.closed);
    println!(
        "open         {} deals, amount {:.0}, CRM-weighted {:.0}, expected {:.0}",
        p.open_pipeline.count,
        p.open_pipeline.amount,
        p.open_pipeline.crm_weighted,
        p.open_pipeline.expected
    );
    println!("not created  expected {:.0}", p.not_yet_created.expected);
    println!(
        "categories   commit {:.0}, best case {:.0}, pipeline {:.0}",
        p.categories.commit, p.categories.best_case, p.categories.pipeline
    );
    match (&f.run_rate, &f.run_rate_note) {
        (Some(rr), _) => println!("run rate     {:.0} ({})", rr.period_total, rr.method),
        (None, Some(note)) => println!("run rate     none: {note}"),
        _ => {}
    }
    for g in &f.groups {
        println!("  {:<24} {}", g.key, q(&g.quantiles));
    }
}

#[derive(clap::Args)]
pub struct BacktestArgs {
    /// How many past periods (the latest ones over).
    #[arg(long, default_value_t = 8)]
    pub periods: usize,
    /// Weeks between replays: as of STEP, 2 x STEP, ... weeks before each period's end.
    #[arg(long, default_value_t = 4)]
    pub step: u32,
    /// month, quarter or year.
    #[arg(long, default_value = "quarter")]
    pub kind: String,
    /// Print the whole report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn backtest(a: BacktestArgs) -> anyhow::Result<()> {
    let store = connect(&a.db).await?;
    let query = BacktestQuery {
        periods: a.periods,
        step_weeks: a.step,
        kind: a.kind,
    };
    let out = forecast::backtest_and_record(&store, &query).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_backtest(&out);
    Ok(())
}

fn print_backtest(out: &forecast::BacktestOutcome) {
    println!(
        "backtest on data ending {}; P(win) from stage win rates known on each as-of day",
        out.data_end
    );
    println!(
        "{:<8} {:<10} {:>5} {:>13} {:>13} {:>13} {:>13} {:>13} {:>8} {:>7} {:>5} {:>13}",
        "period",
        "as_of",
        "weeks",
        "p10",
        "p50",
        "p90",
        "actual",
        "error",
        "error%",
        "covered",
        "calib",
        "crm_weighted"
    );
    for r in &out.report.rows {
        let pct = r
            .abs_pct_error
            .map_or("-".to_string(), |e| format!("{:.1}%", e * 100.0));
        println!(
            "{:<8} {:<10} {:>5} {:>13.0} {:>13.0} {:>13.0} {:>13.0} {:>13.0} {:>8} {:>7} {:>5} {:>13.0}",
            r.period.to_string(),
            r.as_of.to_string(),
            r.weeks_before_end,
            r.p10,
            r.p50,
            r.p90,
            r.actual,
            r.error,
            pct,
            if r.covered { "yes" } else { "no" },
            r.calibrated_on,
            r.crm_weighted
        );
    }
    for (p, w, why) in &out.report.skipped {
        println!("skipped {p} at {w} weeks: {why}");
    }
    let s = &out.report.summary;
    println!(
        "\n{} replays: P10..P90 coverage {:.0}% (simulated range before calibration {:.0}%), P50 mean abs error {:.0}, CRM-weighted mean abs error {:.0}, bias {:.0}",
        s.rows, s.coverage * 100.0, s.simulated_coverage * 100.0, s.mae_p50, s.mae_crm_weighted, s.bias
    );
    println!("(calib: how many past forecasts each replay's range was calibrated on)");
}

#[derive(clap::Args)]
pub struct SeriesArgs {
    /// A CSV file: one series (first column a date, second a value; a header row is skipped), or a
    /// long table of many series with a header naming `series_id`, `date` (or `t`) and `value`.
    pub file: PathBuf,
    /// Steps to forecast, 1..=120.
    #[arg(long)]
    pub horizon: usize,
    /// The season length (12 for monthly data); default inferred from the dates, 0 for none.
    /// Required for a long table numbered by `t`.
    #[arg(long)]
    pub season: Option<usize>,
    /// Print the result as JSON (a long table prints CSV otherwise).
    #[arg(long)]
    pub json: bool,
    /// Write the result to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn series(a: SeriesArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("could not read {}", a.file.display()))?;
    let mut out: Box<dyn std::io::Write> = match &a.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("could not create {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    if forecast::is_long_header(text.lines().next().unwrap_or("")) {
        return many_series(&text, &a, out);
    }
    let one = forecast::series_from_csv(&text, a.horizon, a.season)?;
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&one)?)?;
        return Ok(());
    }
    print_series(&one, &mut out)?;
    Ok(())
}

fn print_series(
    one: &forecast::SeriesOutcome,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} values, season {:?}, method {}",
        one.observations, one.season, one.forecast.method
    )?;
    writeln!(
        out,
        "{:<10} {:>14} {:>14} {:>14}",
        "date", "lower (P10)", "point", "upper (P90)"
    )?;
    for p in &one.points {
        writeln!(
            out,
            "{:<10} {:>14.3} {:>14.3} {:>14.3}",
            p.date.to_string(),
            p.lower,
            p.point,
            p.upper
        )?;
    }
    Ok(())
}

/// A long table: every series forecast in parallel, one CSV (or JSON) for all.
fn many_series(text: &str, a: &SeriesArgs, mut out: Box<dyn std::io::Write>) -> anyhow::Result<()> {
    let series = forecast::read_long_csv(text.as_bytes())?;
    let batch = forecast::forecast_batch(&series, a.horizon, a.season).map_err(|e| match e {
        crate::service::ServiceError::Invalid(problems) => anyhow::anyhow!(
            "{} series cannot be forecast, nothing was written:\n{}",
            problems.len(),
            problems
                .iter()
                .map(|p| format!("  series {} ({}): {}", p.index + 1, p.field, p.reason))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => other.into(),
    })?;
    if a.json {
        serde_json::to_writer(&mut out, &batch)?;
        writeln!(out)?;
    } else {
        forecast::write_batch_csv(&batch, &mut out)?;
    }
    out.flush()?;
    Ok(())
}
