//! Pre-sales KPIs: leads by source, lead conversion, first-response time.

use std::collections::BTreeMap;

use super::report::{median, Kpi, KpiPart, Unit};
use super::scope::Scope;
use super::{Window, UNASSIGNED};
use crate::domain::Lead;

const NO_LEADS: &str = "no leads created in the window";

pub(crate) fn kpis(s: &Scope, w: &Window) -> Vec<Kpi> {
    let created: Vec<&Lead> = s
        .leads
        .iter()
        .copied()
        .filter(|l| l.created_at.is_some_and(|t| w.contains(t.date())))
        .collect();
    let undated = s.leads.iter().filter(|l| l.created_at.is_none()).count();
    vec![
        by_source(&created).count("skipped_without_created_at", undated as f64),
        conversion(&created, s.settings.conversion_horizon_days),
        first_response(&created),
    ]
}

fn by_source(created: &[&Lead]) -> Kpi {
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for l in created {
        *per.entry(l.source.as_deref().unwrap_or(UNASSIGNED))
            .or_default() += 1;
    }
    let parts = per
        .iter()
        .map(|(src, n)| KpiPart::new(*src, Some(*n as f64), NO_LEADS))
        .collect();
    let n = created.len() as f64;
    Kpi::new(
        "leads_by_source",
        Unit::Count,
        "leads created in the window, in total and per source",
    )
    .count("leads", n)
    .set((n > 0.0).then_some(n), NO_LEADS)
    .parts(parts)
}

/// Converted, and within `horizon` days of creation when a horizon is given.
fn converted_within(l: &Lead, horizon: Option<u32>) -> bool {
    let Some(days) = horizon else {
        return l.converted == Some(true);
    };
    match (l.converted, l.created_at, l.converted_at) {
        (Some(true), Some(c), Some(at)) => {
            (at.get() - c.get()).num_seconds() <= i64::from(days) * 86_400
        }
        _ => false,
    }
}

fn conversion(created: &[&Lead], horizon: Option<u32>) -> Kpi {
    let converted = created
        .iter()
        .filter(|l| converted_within(l, horizon))
        .count();
    let undecided = created.iter().filter(|l| l.converted.is_none()).count();
    Kpi::new(
        "lead_conversion_rate",
        Unit::Ratio,
        "leads created in the window that converted (ever, or within the horizon of \
         horizon_days after creation) / leads created in the window",
    )
    .count("horizon_days", horizon.map_or(0.0, f64::from))
    .count("numerator", converted as f64)
    .count("denominator", created.len() as f64)
    .count("undecided", undecided as f64)
    .ratio(converted as f64, created.len() as f64, NO_LEADS)
}

fn first_response(created: &[&Lead]) -> Kpi {
    let hours: Vec<f64> = created
        .iter()
        .filter_map(|l| {
            let (c, r) = (l.created_at?.get(), l.first_response_at?.get());
            Some((r - c).num_seconds() as f64 / 3600.0)
        })
        .collect();
    let reason = if created.is_empty() {
        NO_LEADS
    } else {
        "no lead created in the window has a first_response_at"
    };
    Kpi::new(
        "median_first_response_hours",
        Unit::Hours,
        "median of first_response_at - created_at, in hours, over leads created in the window",
    )
    .count("n", hours.len() as f64)
    .count("without_response", (created.len() - hours.len()) as f64)
    .set(median(&hours), reason)
}
