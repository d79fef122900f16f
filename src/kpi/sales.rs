//! Sales KPIs: win rate, sales cycle, deal size, pipeline velocity and CAC.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::report::{mean, median, safe_div, Kpi, Unit};
use super::scope::{open_at, Scope};
use super::Window;
use crate::domain::days_between;
use crate::domain::{Id, Opportunity, Spend};

const NO_CLOSED: &str = "no opportunities closed in the window";
const NO_WON: &str = "no opportunities won in the window";

pub(crate) fn kpis(s: &Scope, w: &Window) -> Vec<Kpi> {
    let closed: Vec<&Opportunity> = s
        .opps
        .iter()
        .copied()
        .filter(|o| o.won.is_some() && o.closed_at.is_some_and(|c| w.contains(c.date())))
        .collect();
    let won: Vec<&Opportunity> = closed
        .iter()
        .copied()
        .filter(|o| o.won == Some(true))
        .collect();
    let win = win_rate(&closed, won.len());
    let cycle = sales_cycle(&won);
    let size = deal_size(&won);
    let velocity = velocity(&s.opps, w, &win, &size, &cycle);
    let mut out = vec![win, cycle, size];
    out.extend(super::targets::kpis(s, w));
    out.push(velocity);
    out.push(cac(s, w));
    out
}

fn win_rate(closed: &[&Opportunity], won: usize) -> Kpi {
    Kpi::new(
        "win_rate",
        Unit::Ratio,
        "won / (won + lost) over opportunities closed in the window (open ones excluded)",
    )
    .count("numerator", won as f64)
    .count("denominator", closed.len() as f64)
    .count("lost", (closed.len() - won) as f64)
    .ratio(won as f64, closed.len() as f64, NO_CLOSED)
}

fn sales_cycle(won: &[&Opportunity]) -> Kpi {
    let days: Vec<f64> = won
        .iter()
        .filter_map(|o| Some(days_between(o.created_at?.get(), o.closed_at?.get())))
        .collect();
    let reason = if won.is_empty() {
        NO_WON
    } else {
        "no deal won in the window has a created_at"
    };
    Kpi::new(
        "sales_cycle_days",
        Unit::Days,
        "median of closed_at - created_at, in days, over deals won in the window",
    )
    .count("n", days.len() as f64)
    .count(
        "skipped_without_created_at",
        (won.len() - days.len()) as f64,
    )
    .set(median(&days), reason)
}

fn deal_size(won: &[&Opportunity]) -> Kpi {
    let amounts: Vec<f64> = won.iter().filter_map(|o| Some(o.amount?.get())).collect();
    let reason = if won.is_empty() {
        NO_WON
    } else {
        "no deal won in the window has an amount"
    };
    Kpi::new(
        "average_deal_size",
        Unit::Currency,
        "mean amount of deals won in the window",
    )
    .count("n", amounts.len() as f64)
    .count("total_amount", amounts.iter().sum::<f64>())
    .count("skipped_without_amount", (won.len() - amounts.len()) as f64)
    .set(mean(&amounts), reason)
}

fn velocity(opps: &[&Opportunity], w: &Window, win: &Kpi, size: &Kpi, cycle: &Kpi) -> Kpi {
    let open = opps.iter().filter(|o| open_at(o, w.to)).count() as f64;
    let k = Kpi::new(
        "pipeline_velocity",
        Unit::CurrencyPerDay,
        "(deals open at the window's end x win_rate x average_deal_size) / sales_cycle_days: \
         revenue per day",
    )
    .count("open_opportunities", open);
    let missing = [win, size, cycle].into_iter().find(|k| k.value.is_none());
    match (win.value, size.value, cycle.value, missing) {
        (Some(wr), Some(ds), Some(cd), _) => {
            let reason = "the sales cycle is zero days (deals won the day they were created)";
            k.set(safe_div(open * wr * ds, cd), reason)
        }
        (.., Some(m)) => {
            let why = m.reason.clone().unwrap_or_default();
            k.set(None, format!("{} is null: {why}", m.name))
        }
        _ => k.set(None, "an input is null"),
    }
}

/// Share of a spend row's period that lies inside the window, by days.
fn spend_in_window(sp: &Spend, w: &Window) -> f64 {
    let (ps, pe) = (sp.period.start(), sp.period.end());
    let overlap = (pe.min(w.to) - ps.max(w.from)).num_days().max(0) as f64;
    let len = (pe - ps).num_days() as f64;
    sp.amount.get() * safe_div(overlap, len).unwrap_or(0.0)
}

fn spend_overlaps(sp: &Spend, w: &Window) -> bool {
    sp.period.start() < w.to && sp.period.end() > w.from
}

fn cac(s: &Scope, w: &Window) -> Kpi {
    let rows: Vec<f64> = s.spend.iter().map(|sp| spend_in_window(sp, w)).collect();
    let spend: f64 = rows.iter().sum();
    let mut first_win: BTreeMap<&Id, NaiveDate> = BTreeMap::new();
    for o in s.opps.iter().filter(|o| o.won == Some(true)) {
        if let (Some(a), Some(c)) = (&o.account_id, o.closed_at) {
            let e = first_win.entry(a).or_insert(c.date());
            *e = (*e).min(c.date());
        }
    }
    let new = first_win.values().filter(|d| w.contains(**d)).count() as f64;
    let k = Kpi::new(
        "cac",
        Unit::Currency,
        "sales and marketing spend in the window (periods prorated by days) / new customers \
         (accounts whose first won deal closed in the window)",
    )
    .count("numerator", spend)
    .count("denominator", new)
    .count(
        "spend_rows",
        rows.iter().filter(|v| **v > 0.0).count() as f64,
    );
    if !s.spend.iter().any(|sp| spend_overlaps(sp, w)) {
        return k.set(
            None,
            "no spend recorded for a period overlapping the window",
        );
    }
    k.ratio(spend, new, "no new customers won in the window")
}
