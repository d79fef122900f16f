//! Marketing spend per lead source and the sales team's cost, per month.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand_chacha::ChaCha8Rng;

use super::reps::Staff;
use super::settings::SynthSettings;
use super::util::{add_months, first_of_month, lognormal};
use super::Span;
use crate::domain::{Lead, Money, Period, Spend};

/// Channel name of the sales team's cost.
pub const SALES_TEAM_CHANNEL: &str = "sales_team";

/// For each month from the history's start to `as_of`'s month: each paid source costs its leads
/// times `cost_per_lead` (with 10% noise), and the sales team costs `monthly_cost` per employed rep.
pub(crate) fn spend(
    s: &SynthSettings,
    staff: &Staff,
    leads: &[Lead],
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> Vec<Spend> {
    let mut counts: BTreeMap<(NaiveDate, &str), usize> = BTreeMap::new();
    for lead in leads {
        if let (Some(t), Some(src)) = (lead.created_at, lead.source.as_deref()) {
            *counts.entry((first_of_month(t.date()), src)).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    let mut month = span.start;
    while month <= span.as_of {
        let period = Period::month_of(month);
        for src in s.leads.sources.iter().filter(|x| x.cost_per_lead > 0.0) {
            let n = counts
                .get(&(month, src.name.as_str()))
                .copied()
                .unwrap_or(0);
            let amount = (n as f64 * src.cost_per_lead * lognormal(rng, 1.0, 0.1)).round();
            out.push(row(period, &src.name, amount));
        }
        let employed = staff
            .info
            .iter()
            .filter(|r| r.hired < add_months(month, 1))
            .count();
        out.push(row(
            period,
            SALES_TEAM_CHANNEL,
            employed as f64 * s.reps.monthly_cost,
        ));
        month = add_months(month, 1);
    }
    out
}

fn row(period: Period, channel: &str, amount: f64) -> Spend {
    Spend {
        period,
        channel: channel.to_string(),
        amount: Money::parse(amount).expect("spend is finite and positive"),
    }
}
