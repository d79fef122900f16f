//! `revcast pipeline-changes`: the pipeline waterfall between two days.

use super::{connect, DbArgs};
use crate::forecast::{Step, Waterfall};
use crate::service::forecast::{self, ChangesQuery};

#[derive(clap::Args)]
pub struct ChangesArgs {
    /// The first day (YYYY-MM-DD).
    #[arg(long)]
    pub from: String,
    /// The last day (YYYY-MM-DD); default the last day with data.
    #[arg(long)]
    pub to: Option<String>,
    /// Follow only the deals expected to close in this period (2026-11, 2026-Q4, 2026).
    #[arg(long)]
    pub period: Option<String>,
    /// owner, team, region or product.
    #[arg(long)]
    pub group_by: Option<String>,
    /// Deals listed per step (largest first).
    #[arg(long, default_value_t = 5)]
    pub deals: usize,
    /// Print the whole waterfall, every deal, as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(a: ChangesArgs) -> anyhow::Result<()> {
    let store = connect(&a.db).await?;
    let q = ChangesQuery {
        from: a.from,
        to: a.to,
        period: a.period,
        group_by: crate::service::parse_param("group_by", a.group_by.as_deref())?,
    };
    let r = forecast::pipeline_changes(&store, &q).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let scope = r
        .period
        .as_deref()
        .map_or("all open deals".to_string(), |p| {
            format!("deals closing in {p}")
        });
    println!("pipeline changes {} -> {} ({scope})", r.from, r.to);
    print_waterfall(&r.total, a.deals);
    for g in &r.groups {
        println!("\n{}", g.key);
        print_waterfall(&g.waterfall, a.deals);
    }
    println!("\nnote: {}", r.note);
    Ok(())
}

fn print_waterfall(w: &Waterfall, deals: usize) {
    let rows: [(&str, &str, &Step); 8] = [
        ("open at start", "", &w.open_at_start),
        ("created", "+", &w.created),
        ("pulled in", "+", &w.pulled_in),
        ("won", "-", &w.won),
        ("lost", "-", &w.lost),
        ("pushed out", "-", &w.pushed_out),
        ("amount changes", "+/-", &w.amount_changes),
        ("open at end", "=", &w.open_at_end),
    ];
    for (name, sign, step) in rows {
        println!(
            "{sign:>3} {name:<15} {:>7} deals {:>16.0}",
            step.count, step.amount
        );
        for d in step.deals.iter().take(deals) {
            println!("      {:<24} {:>16.0}", d.id, d.amount);
        }
    }
}
