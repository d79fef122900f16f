//! Tests that the hidden model shows in the data: realistic rates, an informative and calibrated
//! truth, quarter-end seasonality, rep skill, usage decline before churn.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;

use super::{as_of, world};
use crate::domain::{AccountSnapshot, DealType};
use crate::synth::*;

/// ROC AUC of `scores` against `labels` by the rank-sum formula, ties getting their mean rank.
fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let j = (i..order.len())
            .find(|&j| scores[order[j]] != scores[order[i]])
            .unwrap_or(order.len());
        for &k in &order[i..j] {
            ranks[k] = (i + j + 1) as f64 / 2.0;
        }
        i = j;
    }
    let pos = labels.iter().filter(|&&l| l).count() as f64;
    let neg = labels.len() as f64 - pos;
    let rank_sum: f64 = ranks
        .iter()
        .zip(labels)
        .filter(|(_, &l)| l)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Asserts the mean predicted probability is within 4 standard errors of the realised rate.
fn assert_calibrated(what: &str, p: &[f64], y: &[bool]) {
    let n = p.len() as f64;
    let mean_p = p.iter().sum::<f64>() / n;
    let rate = y.iter().filter(|&&v| v).count() as f64 / n;
    let se = (p.iter().map(|q| q * (1.0 - q)).sum::<f64>()).sqrt() / n;
    assert!(
        (mean_p - rate).abs() < 4.0 * se,
        "{what}: mean truth {mean_p:.3}, realised {rate:.3}, se {se:.4}"
    );
}

#[test]
fn auc_of_the_rank_function_is_right_on_small_cases() {
    assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true]), 1.0);
    assert_eq!(auc(&[0.4, 0.3, 0.2, 0.1], &[false, false, true, true]), 0.0);
    assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &[false, true, false, true]), 0.5);
    assert_eq!(
        auc(&[0.1, 0.3, 0.2, 0.4], &[false, false, true, true]),
        0.75
    );
}

#[test]
fn the_lead_truth_is_informative_but_not_perfect_and_calibrated() {
    let w = world();
    let decided: Vec<_> = w.leads.iter().filter(|l| l.converted.is_some()).collect();
    let p: Vec<f64> = decided
        .iter()
        .map(|l| w.truth.lead_conversion[l.id.as_str()])
        .collect();
    let y: Vec<bool> = decided.iter().map(|l| l.converted == Some(true)).collect();
    let a = auc(&p, &y);
    assert!((0.68..0.92).contains(&a), "lead truth AUC {a}");
    assert_calibrated("lead conversion", &p, &y);
    let rate = y.iter().filter(|&&v| v).count() as f64 / y.len() as f64;
    assert!((0.10..=0.25).contains(&rate), "lead conversion rate {rate}");
}

/// Deals created at least `days` before as_of (nearly all closed, so outcomes are not censored).
fn old_closed_deals(days: i64) -> Vec<&'static crate::domain::Opportunity> {
    let w = world();
    let limit = as_of() - Duration::days(days);
    w.opportunities
        .iter()
        .filter(|o| o.created_at.unwrap().date() < limit && o.won.is_some())
        .collect()
}

#[test]
fn the_win_truth_is_informative_calibrated_and_sharpens_with_each_stage() {
    let w = world();
    let deals = old_closed_deals(300);
    let y: Vec<bool> = deals.iter().map(|o| o.won == Some(true)).collect();
    let p: Vec<f64> = deals
        .iter()
        .map(|o| w.truth.win_at_creation[o.id.as_str()])
        .collect();
    let a = auc(&p, &y);
    assert!((0.62..0.95).contains(&a), "win truth AUC at creation {a}");
    assert_calibrated("win at creation", &p, &y);
    // Among deals that reached the third stage, P(win | stage 2 passed) is calibrated too.
    let stage = &SynthSettings::default().opportunities.stages[2];
    let reached: Vec<_> = deals
        .iter()
        .filter(|o| {
            w.stage_events
                .iter()
                .any(|e| e.opportunity_id == o.id && &e.stage == stage)
        })
        .collect();
    let p2: Vec<f64> = reached
        .iter()
        .map(|o| w.truth.true_win_probability(o.id.as_str(), 2).unwrap())
        .collect();
    let y2: Vec<bool> = reached.iter().map(|o| o.won == Some(true)).collect();
    assert_calibrated("win after two stages", &p2, &y2);
    for (id, p0) in &w.truth.win_at_creation {
        let p1 = w.truth.true_win_probability(id, 1).unwrap();
        assert!(*p0 <= p1 && p1 <= 1.0, "{id}: {p0} then {p1}");
    }
}

#[test]
fn win_rates_cycles_and_amounts_are_realistic() {
    let closed = old_closed_deals(0);
    let won: Vec<_> = closed.iter().filter(|o| o.won == Some(true)).collect();
    let rate = won.len() as f64 / closed.len() as f64;
    assert!((0.20..=0.35).contains(&rate), "win rate {rate}");
    let mut cycle: Vec<i64> = won
        .iter()
        .map(|o| (o.closed_at.unwrap().get() - o.created_at.unwrap().get()).num_days())
        .collect();
    cycle.sort_unstable();
    let median = cycle[cycle.len() / 2];
    assert!(
        (30..=150).contains(&median),
        "median sales cycle {median} days"
    );
    let median_amount = |product: &str| {
        let mut v: Vec<f64> = closed
            .iter()
            .filter(|o| o.product.as_deref() == Some(product) && o.deal_type == Some(DealType::New))
            .map(|o| o.amount.unwrap().get())
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    assert!(median_amount("Core") < median_amount("Analytics"));
    assert!(median_amount("Analytics") < median_amount("Platform"));
}

#[test]
fn more_deals_close_in_the_last_month_of_a_quarter() {
    let closed = old_closed_deals(0);
    let last = closed
        .iter()
        .filter(|o| o.closed_at.unwrap().date().month().is_multiple_of(3))
        .count();
    let share = last as f64 / closed.len() as f64;
    assert!(
        share > 0.4,
        "share of closes in a quarter's last month {share}"
    );
}

#[test]
fn strong_reps_win_more_often_than_weak_reps() {
    let w = world();
    let (strong, weak) = (
        SynthSettings::default().reps.strong_skill,
        SynthSettings::default().reps.weak_skill,
    );
    let rate_of = |skill: f64| {
        let reps: Vec<&String> = w
            .truth
            .rep_skill
            .iter()
            .filter(|(_, s)| **s == skill)
            .map(|(id, _)| id)
            .collect();
        let closed: Vec<_> = old_closed_deals(0)
            .into_iter()
            .filter(|o| {
                reps.iter()
                    .any(|r| o.owner_id.as_ref().unwrap().as_str() == r.as_str())
            })
            .collect();
        closed.iter().filter(|o| o.won == Some(true)).count() as f64 / closed.len() as f64
    };
    let (good, bad) = (rate_of(strong), rate_of(weak));
    assert!(
        good > bad + 0.1,
        "strong reps win {good:.3}, weak reps {bad:.3}"
    );
}

/// Snapshots whose 90-day horizon has passed by `as_of`, with their observed churn label.
fn labelled_snapshots() -> (Vec<&'static AccountSnapshot>, Vec<bool>) {
    let w = world();
    let horizon = as_of() - Duration::days(92);
    let churned: BTreeMap<_, _> = w
        .churn_events
        .iter()
        .map(|c| (c.account_id.as_str(), c.churned_at))
        .collect();
    let rows: Vec<_> = w.snapshots.iter().filter(|s| s.as_of <= horizon).collect();
    let label = |s: &AccountSnapshot| {
        churned
            .get(s.account_id.as_str())
            .is_some_and(|d| *d > s.as_of && *d <= s.as_of + chrono::Months::new(3))
    };
    let y = rows.iter().map(|s| label(s)).collect();
    (rows, y)
}

#[test]
fn the_churn_truth_is_informative_and_calibrated() {
    let w = world();
    let (rows, y) = labelled_snapshots();
    let p: Vec<f64> = rows
        .iter()
        .map(|s| w.truth.churn_90d[&(s.account_id.to_string(), s.as_of)])
        .collect();
    let a = auc(&p, &y);
    assert!((0.65..0.97).contains(&a), "churn truth AUC {a}");
    assert_calibrated("churn within 90 days", &p, &y);
}

#[test]
fn accounts_churn_at_a_realistic_rate_and_more_after_usage_falls() {
    let w = world();
    let (rows, y) = labelled_snapshots();
    let active: BTreeMap<_, _> = w
        .snapshots
        .iter()
        .map(|s| ((s.account_id.as_str(), s.as_of), s.active_users.unwrap()))
        .collect();
    let falling = |s: &AccountSnapshot| {
        let before = active.get(&(s.account_id.as_str(), s.as_of - chrono::Months::new(3)));
        before.is_some_and(|b| (s.active_users.unwrap() as f64) < 0.85 * *b as f64)
    };
    let rate = |want: bool| {
        let ys: Vec<bool> = rows
            .iter()
            .zip(&y)
            .filter(|(s, _)| falling(s) == want)
            .map(|(_, l)| *l)
            .collect();
        ys.iter().filter(|&&l| l).count() as f64 / ys.len() as f64
    };
    assert!(
        rate(true) > 2.0 * rate(false),
        "churn after falling usage {}, else {}",
        rate(true),
        rate(false)
    );
    // Annual churn: of the accounts with a snapshot a year ago, the share that churned since.
    let year_ago = util::first_of_month(as_of() - Duration::days(365));
    let base: Vec<_> = w.snapshots.iter().filter(|s| s.as_of == year_ago).collect();
    let churned: BTreeSet<_> = w.churn_events.iter().map(|c| &c.account_id).collect();
    let lost = base
        .iter()
        .filter(|s| churned.contains(&s.account_id))
        .count();
    let annual = lost as f64 / base.len() as f64;
    assert!(
        (0.08..=0.15).contains(&annual),
        "annual churn {annual} of {} accounts",
        base.len()
    );
}
