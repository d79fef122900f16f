//! Post-sales KPIs from account snapshots and churn events: churn, retention, expansion, CLV.
//! The conventions (ARR at a date, the start cohort, annualised churn) are in the module docs.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use super::report::{safe_div, Kpi, Unit};
use super::scope::Scope;
use super::Window;
use crate::domain::{AccountSnapshot, Id};

const NO_COHORT: &str = "no account had ARR at the window's start";

/// The accounts active at the window's start and what became of them by its end.
#[derive(Debug, Default, PartialEq)]
struct Cohort {
    accounts: usize,
    arr_start: f64,
    churned: usize,
    churned_arr: f64,
    arr_lost_reported: f64,
    expansion: f64,
    contraction: f64,
}

/// Each account's snapshots (oldest first) and churn events.
pub(crate) struct History<'a> {
    snaps: BTreeMap<&'a Id, Vec<&'a AccountSnapshot>>,
    churns: BTreeMap<&'a Id, Vec<(NaiveDate, f64)>>,
}

impl<'a> History<'a> {
    pub(crate) fn new(s: &Scope<'a>) -> Self {
        let mut snaps: BTreeMap<&Id, Vec<&AccountSnapshot>> = BTreeMap::new();
        for sn in &s.snapshots {
            snaps.entry(&sn.account_id).or_default().push(sn);
        }
        for v in snaps.values_mut() {
            v.sort_by_key(|sn| sn.as_of);
        }
        let mut churns: BTreeMap<&Id, Vec<(NaiveDate, f64)>> = BTreeMap::new();
        for c in &s.churns {
            let lost = c.arr_lost.map_or(0.0, |m| m.get());
            churns
                .entry(&c.account_id)
                .or_default()
                .push((c.churned_at, lost));
        }
        History { snaps, churns }
    }

    /// The latest snapshot on or before `d`.
    fn at(&self, id: &Id, d: NaiveDate) -> Option<&AccountSnapshot> {
        let v = self.snaps.get(id)?;
        let n = v.partition_point(|sn| sn.as_of <= d);
        n.checked_sub(1).map(|i| v[i])
    }

    fn churns_in(&self, id: &Id, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, f64)> {
        let all = self.churns.get(id).map(Vec::as_slice).unwrap_or_default();
        all.iter()
            .copied()
            .filter(|(d, _)| *d >= from && *d < to)
            .collect()
    }

    /// ARR at `d` when the account is active then (positive ARR, no churn since that snapshot).
    fn active_arr(&self, id: &Id, d: NaiveDate) -> Option<f64> {
        let sn = self.at(id, d)?;
        let arr = sn.arr.get();
        (arr > 0.0 && self.churns_in(id, sn.as_of, d).is_empty()).then_some(arr)
    }
}

fn cohort(h: &History, w: &Window) -> Cohort {
    let mut c = Cohort::default();
    let last_day = w.to.checked_sub_days(Days::new(1)).unwrap_or(w.to);
    for id in h.snaps.keys() {
        let Some(start) = h.active_arr(id, w.from) else {
            continue;
        };
        c.accounts += 1;
        c.arr_start += start;
        let churns = h.churns_in(id, w.from, w.to);
        if !churns.is_empty() {
            c.churned += 1;
            c.churned_arr += start;
            c.arr_lost_reported += churns.iter().map(|x| x.1).sum::<f64>();
            continue;
        }
        let end = h.at(id, last_day).map_or(start, |sn| sn.arr.get());
        if end > start {
            c.expansion += end - start;
        } else {
            c.contraction += start - end;
        }
    }
    c
}

const CHURN: &str = "cohort accounts with a churn event in the window / accounts active at the \
                     window's start";
const ARR_CHURN: &str = "ARR at the window's start of the cohort accounts that churned in it / \
                         the cohort's ARR at the start";
const GRR: &str = "(ARR at start - churned ARR - contraction) / ARR at start, over accounts \
                   active at the window's start";
const NRR: &str = "(ARR at start - churned ARR - contraction + expansion) / ARR at start, over \
                   accounts active at the window's start";
const EXPANSION: &str = "ARR growth, from the window's start to its last day, of the accounts \
                         active at the start that did not churn";

/// `h`: the scope's account histories ([`History::new`]).
pub(crate) fn kpis(s: &Scope, h: &History, w: &Window) -> Vec<Kpi> {
    let c = cohort(h, w);
    let base = |name: &str, unit, formula: &str| {
        Kpi::new(name, unit, formula)
            .count("accounts_at_start", c.accounts as f64)
            .count("arr_at_start", c.arr_start)
    };
    let kept = c.arr_start - c.churned_arr - c.contraction;
    vec![
        base("churn_rate", Unit::Ratio, CHURN)
            .count("numerator", c.churned as f64)
            .count("arr_lost_reported", c.arr_lost_reported)
            .ratio(c.churned as f64, c.accounts as f64, NO_COHORT),
        base("arr_churn_rate", Unit::Ratio, ARR_CHURN)
            .count("numerator", c.churned_arr)
            .ratio(c.churned_arr, c.arr_start, NO_COHORT),
        base("gross_revenue_retention", Unit::Ratio, GRR)
            .count("churned_arr", c.churned_arr)
            .count("contraction", c.contraction)
            .ratio(kept, c.arr_start, NO_COHORT),
        base("net_revenue_retention", Unit::Ratio, NRR)
            .count("churned_arr", c.churned_arr)
            .count("contraction", c.contraction)
            .count("expansion", c.expansion)
            .ratio(kept + c.expansion, c.arr_start, NO_COHORT),
        base("expansion_revenue", Unit::Currency, EXPANSION)
            .set((c.accounts > 0).then_some(c.expansion), NO_COHORT),
        clv(&c, w, s.settings.gross_margin),
    ]
}

/// `1 - (1 - c)^(365 / days)`: the window's churn rate compounded to a year.
pub(crate) fn annualise(rate: f64, days: i64) -> Option<f64> {
    let periods = safe_div(365.0, days as f64)?;
    (0.0..=1.0)
        .contains(&rate)
        .then(|| 1.0 - (1.0 - rate).powf(periods))
}

fn clv(c: &Cohort, w: &Window, gross_margin: f64) -> Kpi {
    let k = Kpi::new(
        "clv",
        Unit::Currency,
        "average ARR per account at the window's start x gross margin / annual churn rate, where \
         annual churn = 1 - (1 - window churn rate)^(365 / window days)",
    )
    .count("accounts_at_start", c.accounts as f64)
    .count("gross_margin", gross_margin);
    if !(0.0..=1.0).contains(&gross_margin) {
        return k.set(None, "gross_margin must be between 0 and 1");
    }
    let Some(rate) = safe_div(c.churned as f64, c.accounts as f64) else {
        return k.set(None, NO_COHORT);
    };
    let annual = annualise(rate, w.days()).filter(|a| *a > 0.0);
    let Some(annual) = annual else {
        return k.set(
            None,
            "no account churned in the window, so lifetime is unbounded",
        );
    };
    let avg = c.arr_start / c.accounts as f64;
    k.count("annual_churn_rate", annual)
        .count("average_arr", avg)
        .ratio(avg * gross_margin, annual, "annual churn rate is zero")
}

pub(crate) fn clv_to_cac(clv: &Kpi, cac: &Kpi) -> Kpi {
    let k = Kpi::new("clv_to_cac", Unit::Ratio, "clv / cac");
    match (clv.value, cac.value) {
        (Some(a), Some(b)) => k.ratio(a, b, "cac is zero (spend was zero)"),
        (None, _) => k.set(
            None,
            format!("clv is null: {}", clv.reason.clone().unwrap_or_default()),
        ),
        (_, None) => k.set(
            None,
            format!("cac is null: {}", cac.reason.clone().unwrap_or_default()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::annualise;

    #[test]
    fn annualising_compounds_the_window_rate() {
        let q = annualise(0.05, 91).unwrap();
        assert!((q - (1.0 - 0.95f64.powf(365.0 / 91.0))).abs() < 1e-12);
        assert!(q > 0.18 && q < 0.19, "{q}");
        assert_eq!(annualise(0.0, 30), Some(0.0));
        assert_eq!(annualise(1.0, 30), Some(1.0));
        assert_eq!(annualise(0.1, 0), None);
        assert_eq!(annualise(1.5, 30), None);
    }
}
