//! `revcast quotas`: recommended quotas for a company target, and the stored quotas judged.

use super::{connect, DbArgs};
use crate::service::models::ModelRegistry;
use crate::service::quotas::{self, QuotaQuery};

#[derive(clap::Args)]
pub struct QuotaArgs {
    /// 2026-11, 2026-Q4 or 2026.
    #[arg(long)]
    pub period: String,
    /// The company target for the period.
    #[arg(long)]
    pub target: f64,
    /// The day the reps' forecasts are made (YYYY-MM-DD); default the last day with data.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Print the whole response as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(a: QuotaArgs) -> anyhow::Result<()> {
    let store = connect(&a.db).await?;
    let registry = ModelRegistry::default();
    registry.sync(&store).await?;
    let q = QuotaQuery {
        period: a.period,
        target: Some(a.target),
        as_of: a.as_of,
    };
    let r = quotas::recommend(&store, &registry, &q).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let plan = &r.plan;
    println!(
        "quotas for {} (target {:.0}, as of {})",
        plan.period, plan.target, r.as_of
    );
    println!(
        "{:<16} {:>6} {:>14} {:>8}",
        "rep", "ramp", "quota", "P(reach)"
    );
    for rep in &plan.reps {
        println!(
            "{:<16} {:>6.2} {:>14.0} {:>7.0}%",
            rep.rep_id,
            rep.ramp,
            rep.quota,
            rep.p_reach * 100.0
        );
    }
    println!(
        "expected share at quota {:.0}% ({:?}); healthy targets {:.0} .. {:.0}",
        plan.expected_share_at_quota * 100.0,
        plan.verdict,
        plan.healthy_targets.0,
        plan.healthy_targets.1
    );
    for line in &plan.explanation {
        println!("  {line}");
    }
    match (&r.judgement, &r.judgement_note) {
        (Some(j), _) => println!(
            "stored quotas: expected share at quota {:.0}%: {}",
            j.expected_share_at_quota * 100.0,
            j.flag
        ),
        (None, Some(note)) => println!("stored quotas: {note}"),
        _ => {}
    }
    Ok(())
}
