//! KPIs against quotas: quota attainment and pipeline coverage.

use std::collections::BTreeMap;

use super::report::{safe_div, Kpi, KpiPart, Unit};
use super::scope::{open_at, Scope};
use super::Window;
use crate::domain::{Id, Quota};

const NO_QUOTA: &str = "no quota has a period inside the window";

pub(crate) fn kpis(s: &Scope, w: &Window) -> Vec<Kpi> {
    let quotas = quotas_in(&s.quotas, w);
    vec![coverage(s, w, &quotas), attainment(s, &quotas)]
}

/// Per rep, the quotas whose period lies inside the window, of the longest kind present.
fn quotas_in<'a>(quotas: &[&'a Quota], w: &Window) -> BTreeMap<&'a Id, Vec<&'a Quota>> {
    let mut per: BTreeMap<&Id, Vec<&Quota>> = BTreeMap::new();
    for q in quotas
        .iter()
        .filter(|q| q.period.start() >= w.from && q.period.end() <= w.to)
    {
        per.entry(&q.rep_id).or_default().push(q);
    }
    for qs in per.values_mut() {
        let longest = qs.iter().map(|q| q.period.months()).max().unwrap_or(0);
        qs.retain(|q| q.period.months() == longest);
    }
    per
}

fn attainment(s: &Scope, quotas: &BTreeMap<&Id, Vec<&Quota>>) -> Kpi {
    let mut parts = Vec::new();
    let (mut at_or_above, mut judged) = (0usize, 0usize);
    for (rep, qs) in quotas {
        let target: f64 = qs.iter().map(|q| q.amount.get()).sum();
        let won: f64 = s
            .opps
            .iter()
            .filter(|o| o.won == Some(true) && o.owner_id.as_ref() == Some(*rep))
            .filter(|o| {
                let closed = o.closed_at.map(|c| c.date());
                closed.is_some_and(|d| qs.iter().any(|q| q.period.contains(d)))
            })
            .filter_map(|o| o.amount.map(|a| a.get()))
            .sum();
        let value = safe_div(won, target);
        if let Some(v) = value {
            judged += 1;
            at_or_above += usize::from(v >= 1.0);
        }
        parts.push(
            KpiPart::new(rep.as_str(), value, "the rep's quota is zero")
                .count("won_amount", won)
                .count("quota", target)
                .count("periods", qs.len() as f64),
        );
    }
    let reason = if quotas.is_empty() {
        NO_QUOTA
    } else {
        "every quota inside the window is zero"
    };
    Kpi::new(
        "quota_attainment",
        Unit::Ratio,
        "share of reps whose won amount over their quota periods inside the window is at or above \
         100% of those quotas; per rep: won amount / quota",
    )
    .count("numerator", at_or_above as f64)
    .count("denominator", judged as f64)
    .ratio(at_or_above as f64, judged as f64, reason)
    .parts(parts)
}

fn coverage(s: &Scope, w: &Window, quotas: &BTreeMap<&Id, Vec<&Quota>>) -> Kpi {
    let target: f64 = quotas.values().flatten().map(|q| q.amount.get()).sum();
    let open: Vec<f64> = s
        .opps
        .iter()
        .filter(|o| open_at(o, w.from))
        .filter(|o| o.expected_close_date.is_some_and(|d| w.contains(d)))
        .filter_map(|o| o.amount.map(|a| a.get()))
        .collect();
    let amount: f64 = open.iter().sum();
    let reason = if quotas.is_empty() {
        NO_QUOTA
    } else {
        "the quotas inside the window add up to zero"
    };
    Kpi::new(
        "pipeline_coverage",
        Unit::Ratio,
        "amount of deals open at the window's start and expected to close inside it / the sum of \
         quotas inside the window",
    )
    .count("numerator", amount)
    .count("denominator", target)
    .count("open_opportunities", open.len() as f64)
    .ratio(amount, target, reason)
}
