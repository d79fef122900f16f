//! `revcast kpis`: the funnel KPIs over a window, as a table or JSON.

use super::{connect, DbArgs};
use crate::service::kpis::{self, KpiQuery};

#[derive(clap::Args)]
pub struct KpiArgs {
    /// First day (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Day after the window (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Instead of from/to: 2026-11, 2026-Q4 or 2026.
    #[arg(long)]
    pub period: Option<String>,
    /// rep, team, region, source or product.
    #[arg(long)]
    pub group_by: Option<String>,
    /// Print the whole report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(a: KpiArgs) -> anyhow::Result<()> {
    let store = connect(&a.db).await?;
    let q = KpiQuery {
        from: a.from,
        to: a.to,
        period: a.period,
        group_by: crate::service::parse_param("group_by", a.group_by.as_deref())?,
    };
    let report = kpis::kpis(&store, &q).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let rows = |kpis: &[crate::kpi::Kpi], prefix: &str| {
        for k in kpis {
            let value = match k.value {
                Some(v) => format!("{v:.4}"),
                None => format!("null ({})", k.reason.as_deref().unwrap_or("no data")),
            };
            println!("{prefix}{:<30} {value}", k.name);
        }
    };
    println!(
        "window {} .. {} (exclusive)",
        report.window.from, report.window.to
    );
    rows(&report.kpis, "");
    for g in &report.groups {
        println!("\n[{}]", g.key);
        rows(&g.kpis, "  ");
    }
    Ok(())
}
