//! Pipeline changes between two days, as a waterfall: the open pipeline at the start, what was
//! created, pulled into the period, won, lost, pushed out of it or revised, and the open pipeline
//! at the end. This is what a forecast call walks through ("what moved since last week?").
//!
//! Each day's pipeline is rebuilt as it stood then ([`pipeline_as_of`]: stage events and deal
//! history), so the waterfall of past days does not see later values. The steps add up:
//! `start + created + pulled_in - won - lost - pushed_out + amount_changes = end`, in count
//! (without the revisions) and in amount. A deal that leaves the scope leaves at its amount of
//! the end day (the won amount, for a won deal); what its amount did before is in
//! `amount_changes`, as it is for deals in the scope on both days.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

use super::pipeline::pipeline_as_of;
use crate::domain::{DealChange, Money, Opportunity, Period, StageEvent};

/// One deal in a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StepDeal {
    pub id: String,
    /// What the deal adds to the step: its amount, or for `amount_changes` the signed revision.
    pub amount: f64,
    pub owner_id: Option<String>,
    pub stage: String,
    /// Its expected close date at the start (absent when it did not exist or had none).
    pub close_date_at_start: Option<NaiveDate>,
    /// Its expected close date at the end (or the day it closed).
    pub close_date_at_end: Option<NaiveDate>,
}

/// A step of the waterfall: how many deals, their amount, and the deals (largest first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Step {
    pub count: usize,
    pub amount: f64,
    pub deals: Vec<StepDeal>,
}

impl Step {
    fn push(&mut self, d: StepDeal) {
        self.count += 1;
        self.amount += d.amount;
        self.deals.push(d);
    }

    fn sort(&mut self) {
        self.deals.sort_by(|a, b| {
            b.amount
                .abs()
                .total_cmp(&a.amount.abs())
                .then_with(|| a.id.cmp(&b.id))
        });
    }
}

/// The waterfall of one scope (the total or one group).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Waterfall {
    /// Open at the end of `from` (closing in the period, when one is given).
    pub open_at_start: Step,
    /// Created after `from`, open at the end of `to` in the scope.
    pub created: Step,
    /// Open at the start but outside the period, moved into it by `to`.
    pub pulled_in: Step,
    /// Won between the two days (at the won amount).
    pub won: Step,
    /// Lost between the two days.
    pub lost: Step,
    /// Still open at `to` but expected to close after the period (or with no date any more).
    pub pushed_out: Step,
    /// Revisions of the amount of deals in the scope at the start, up to `to` or their exit.
    pub amount_changes: Step,
    /// Open at the end of `to` in the scope.
    pub open_at_end: Step,
}

/// Picks one step of a waterfall.
type StepOf = fn(&mut Waterfall) -> &mut Step;

/// Where a deal stood on a day, as the waterfall needs it.
struct Seen<'a> {
    deal: &'a Opportunity,
    in_scope: bool,
}

/// How a day's deal is placed.
fn in_scope(o: &Opportunity, period: Option<Period>) -> bool {
    o.is_open()
        && match period {
            None => true,
            Some(p) => o.expected_close_date.is_some_and(|d| p.contains(d)),
        }
}

fn amount(o: &Opportunity) -> f64 {
    o.amount.map_or(0.0, Money::get)
}

/// The waterfall between the end of `from` and the end of `to` (`from < to`), of the deals
/// expected to close in `period` (all open deals without one), for the total and for each
/// group `group_of` gives a deal (as it stood at `to`).
pub fn pipeline_changes(
    opps: &[Opportunity],
    events: &[StageEvent],
    changes: &[DealChange],
    from: NaiveDate,
    to: NaiveDate,
    period: Option<Period>,
    group_of: Option<&dyn Fn(&Opportunity) -> String>,
) -> (Waterfall, BTreeMap<String, Waterfall>) {
    let start = pipeline_as_of(opps, events, changes, from);
    let end = pipeline_as_of(opps, events, changes, to);
    let at_start: HashMap<&str, Seen> = start
        .iter()
        .map(|o| {
            let seen = Seen {
                deal: o,
                in_scope: in_scope(o, period),
            };
            (o.id.as_str(), seen)
        })
        .collect();
    let mut total = Waterfall::default();
    let mut groups: BTreeMap<String, Waterfall> = BTreeMap::new();
    for e in &end {
        let s = at_start.get(e.id.as_str());
        let (was, is) = (s.is_some_and(|s| s.in_scope), in_scope(e, period));
        if !was && !is {
            continue;
        }
        let entry = |amount: f64| StepDeal {
            id: e.id.to_string(),
            amount,
            owner_id: e.owner_id.as_ref().map(|i| i.to_string()),
            stage: e.stage.clone(),
            close_date_at_start: s.and_then(|s| s.deal.expected_close_date),
            close_date_at_end: if e.is_open() {
                e.expected_close_date
            } else {
                e.closed_at.map(|t| t.date())
            },
        };
        let mut placed: Vec<(StepOf, StepDeal)> = Vec::new();
        if was {
            let start_amount = amount(s.expect("was in scope").deal);
            placed.push((|w| &mut w.open_at_start, entry(start_amount)));
            let revision = amount(e) - start_amount;
            if revision != 0.0 {
                placed.push((|w| &mut w.amount_changes, entry(revision)));
            }
            if !is {
                let step: StepOf = match e.won {
                    Some(true) => |w| &mut w.won,
                    Some(false) => |w| &mut w.lost,
                    None => |w| &mut w.pushed_out,
                };
                placed.push((step, entry(amount(e))));
            }
        } else {
            let step: StepOf = match s {
                Some(_) => |w| &mut w.pulled_in,
                None => |w| &mut w.created,
            };
            placed.push((step, entry(amount(e))));
        }
        if is {
            placed.push((|w| &mut w.open_at_end, entry(amount(e))));
        }
        let group = group_of.map(|g| g(e));
        for (step, deal) in placed {
            if let Some(g) = &group {
                step(groups.entry(g.clone()).or_default()).push(deal.clone());
            }
            step(&mut total).push(deal);
        }
    }
    for w in std::iter::once(&mut total).chain(groups.values_mut()) {
        for s in [
            &mut w.open_at_start,
            &mut w.created,
            &mut w.pulled_in,
            &mut w.won,
            &mut w.lost,
            &mut w.pushed_out,
            &mut w.amount_changes,
            &mut w.open_at_end,
        ] {
            s.sort();
        }
    }
    (total, groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Id, Timestamp};
    use crate::forecast::testworld::{day, event, opp, world};

    fn adds_up(w: &Waterfall) -> (f64, f64) {
        let got = w.open_at_start.amount + w.created.amount + w.pulled_in.amount
            - w.won.amount
            - w.lost.amount
            - w.pushed_out.amount
            + w.amount_changes.amount;
        (got, w.open_at_end.amount)
    }

    fn counts_add_up(w: &Waterfall) -> bool {
        w.open_at_start.count + w.created.count + w.pulled_in.count
            == w.open_at_end.count + w.won.count + w.lost.count + w.pushed_out.count
    }

    #[test]
    fn each_kind_of_move_lands_in_its_step() {
        let q = Period::parse("2026-Q2").unwrap();
        let (from, to) = (day(2026, 4, 10), day(2026, 4, 20));
        let mut deals = Vec::new();
        let mut events = Vec::new();
        // stays in the quarter; its amount rises from 100 to 150 on 04-15
        deals.push(opp("stay", "r1", day(2026, 3, 1), None, 150.0));
        events.push(event("stay", "s1", day(2026, 3, 1), Some(day(2026, 5, 1))));
        // won on 04-12
        deals.push(opp(
            "won",
            "r1",
            day(2026, 3, 1),
            Some((day(2026, 4, 12), true)),
            200.0,
        ));
        events.push(event("won", "s1", day(2026, 3, 1), Some(day(2026, 4, 30))));
        // lost on 04-18
        deals.push(opp(
            "lost",
            "r2",
            day(2026, 3, 1),
            Some((day(2026, 4, 18), false)),
            300.0,
        ));
        events.push(event("lost", "s1", day(2026, 3, 1), Some(day(2026, 6, 1))));
        // pushed to July on 04-16
        deals.push(opp("push", "r2", day(2026, 3, 1), None, 400.0));
        events.push(event("push", "s1", day(2026, 3, 1), Some(day(2026, 6, 20))));
        events.push(event(
            "push",
            "s2",
            day(2026, 4, 16),
            Some(day(2026, 7, 15)),
        ));
        // pulled in from July on 04-14
        deals.push(opp("pull", "r1", day(2026, 3, 1), None, 500.0));
        events.push(event("pull", "s1", day(2026, 3, 1), Some(day(2026, 7, 10))));
        events.push(event(
            "pull",
            "s2",
            day(2026, 4, 14),
            Some(day(2026, 6, 10)),
        ));
        // created on 04-15
        deals.push(opp("new", "r2", day(2026, 4, 15), None, 600.0));
        events.push(event("new", "s1", day(2026, 4, 15), Some(day(2026, 5, 20))));
        // outside the quarter on both days
        deals.push(opp("out", "r1", day(2026, 3, 1), None, 700.0));
        events.push(event("out", "s1", day(2026, 3, 1), Some(day(2026, 9, 1))));
        let change = |on: NaiveDate, amount: f64| DealChange {
            opportunity_id: Id::parse("stay").unwrap(),
            changed_at: Timestamp::from_date(on),
            amount: Some(Money::parse(amount).unwrap()),
            expected_close_date: Some(day(2026, 5, 1)),
            stage: "s1".into(),
            forecast_category: None,
            owner_id: Some(Id::parse("r1").unwrap()),
        };
        let history = vec![
            change(day(2026, 3, 1), 100.0),
            change(day(2026, 4, 15), 150.0),
        ];
        let by_owner = |o: &Opportunity| o.owner_id.as_ref().unwrap().to_string();
        let (w, groups) = pipeline_changes(
            &deals,
            &events,
            &history,
            from,
            to,
            Some(q),
            Some(&by_owner),
        );
        let ids = |s: &Step| s.deals.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&w.open_at_start), ["push", "lost", "won", "stay"]);
        assert_eq!(w.open_at_start.amount, 1000.0);
        assert_eq!(ids(&w.created), ["new"]);
        assert_eq!(ids(&w.pulled_in), ["pull"]);
        assert_eq!(
            (ids(&w.won), w.won.amount),
            (vec!["won".to_string()], 200.0)
        );
        assert_eq!(ids(&w.lost), ["lost"]);
        assert_eq!(ids(&w.pushed_out), ["push"]);
        assert_eq!(
            (ids(&w.amount_changes), w.amount_changes.amount),
            (vec!["stay".to_string()], 50.0)
        );
        assert_eq!(ids(&w.open_at_end), ["new", "pull", "stay"]);
        let (got, want) = adds_up(&w);
        assert_eq!(got, want);
        assert!(counts_add_up(&w));
        assert_eq!(groups.len(), 2);
        for g in groups.values() {
            let (got, want) = adds_up(g);
            assert_eq!(got, want);
            assert!(counts_add_up(g));
        }
        assert_eq!(groups["r1"].pulled_in.amount, 500.0);
        assert_eq!(groups["r2"].created.amount, 600.0);
    }

    #[test]
    fn the_steps_add_up_on_a_simulated_world() {
        let w = world(3, day(2025, 1, 1), 400, 2.0);
        for (from, to, period) in [
            (day(2025, 3, 1), day(2025, 5, 1), Some("2025-Q2")),
            (day(2025, 6, 1), day(2025, 9, 15), None),
            (day(2025, 7, 1), day(2025, 8, 1), Some("2025-Q3")),
        ] {
            let period = period.map(|p| Period::parse(p).unwrap());
            let (t, _) = pipeline_changes(&w.opps, &w.events, &[], from, to, period, None);
            let (got, want) = adds_up(&t);
            assert!((got - want).abs() < 1e-6 * want.max(1.0), "{got} vs {want}");
            assert!(counts_add_up(&t));
            assert!(t.open_at_start.count > 0 && t.won.count + t.lost.count > 0);
            // The end equals the open pipeline of a forecast made at `to`.
            let end: f64 = pipeline_as_of(&w.opps, &w.events, &[], to)
                .iter()
                .filter(|o| in_scope(o, period))
                .map(amount)
                .sum();
            assert!((t.open_at_end.amount - end).abs() < 1e-6 * end.max(1.0));
        }
    }
}
