//! `revcast churn-risk`: the accounts to save first.

use super::{connect, DbArgs};
use crate::service::churn::{self, ChurnQuery};

#[derive(clap::Args)]
pub struct ChurnArgs {
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub segment: Option<String>,
    #[arg(long)]
    pub min_arr: Option<f64>,
    #[arg(long)]
    pub renewal_within_days: Option<i64>,
    /// revenue_at_risk (default) or probability.
    #[arg(long)]
    pub order: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(a: ChurnArgs) -> anyhow::Result<()> {
    let store = connect(&a.db).await?;
    let registry = crate::service::models::ModelRegistry::default();
    registry.sync(&store).await?;
    churn::refresh_churn_scores(&store, &registry).await?;
    let q = ChurnQuery {
        limit: a.limit,
        after: None,
        owner: a.owner,
        segment: a.segment,
        min_arr: a.min_arr,
        renewal_within_days: a.renewal_within_days,
        order: crate::service::parse_param("order", a.order.as_deref())?.unwrap_or_default(),
    };
    let page = churn::churn_risk_list(&store, &q).await?;
    println!(
        "{:<14} {:>7} {:>12} {:>14} {:<12} drivers",
        "account", "p", "arr", "at risk", "renewal"
    );
    for r in page.data {
        let drivers: Vec<&str> = r.drivers.iter().map(|d| d.text.as_str()).collect();
        println!(
            "{:<14} {:>7.3} {:>12.0} {:>14.0} {:<12} {}",
            r.account_id,
            r.probability,
            r.arr,
            r.revenue_at_risk,
            r.renewal_date
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
            drivers.join("; ")
        );
    }
    Ok(())
}
