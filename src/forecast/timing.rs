//! Close timing learned from history: for an open deal, how its chance of winning has faded with
//! its age, and P(closes inside a window of days from as_of | it is won).
//!
//! Two estimates, each conditioned on what is known of the deal on as_of:
//! - **by stage**: a survival model ([`Survival`]) of the deals that entered the deal's stage,
//!   won, lost or still open, counted from the entry, among those that stayed in the stage at
//!   least about as long as this deal has (age classes of [`AGE_CLASSES`]). It gives
//!   P(won | open at this age) and P(won inside the window | open at this age). Deals without
//!   a stage history use the same model of all deals counted from their creation;
//! - **slip of the expected close date**: close date minus the expected close date recorded on
//!   each stage event of won deals; a deal expected on `E` closes in the window with probability
//!   #{as_of-E+lo <= s < as_of-E+hi} / #{s >= as_of-E}, given that it is won.
//!
//! P(in window | won) is the mean of the two when both have support. The age fades the caller's
//! P(win): its odds are moved by the odds of P(won | open at this age) against P(won | entered
//! the stage), because a win model (or a stage's win rate) speaks of a deal entering its stage,
//! and a deal still open long after the others closed is mostly one that will never close.

use chrono::NaiveDate;
use std::collections::HashMap;

use super::stages::closed_by;
use super::survival::{Obs, Outcome, Survival};
use crate::domain::{EventsByDeal, Opportunity};

/// Fewest observations an estimate needs; an older deal is compared with the 5 oldest.
const MIN_SUPPORT: usize = 5;
/// Days in the stage from which a deal is compared only with deals that stayed as long.
const AGE_CLASSES: [i64; 12] = [0, 7, 14, 30, 60, 90, 120, 180, 270, 365, 540, 730];
/// Bounds on the probabilities whose odds are compared (a share of 0 has no finite odds).
const ODDS_FLOOR: f64 = 1e-3;

/// A window of days counted from as_of, half-open: a close `lo <= days < hi` from as_of is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub lo: i64,
    pub hi: i64,
}

/// What is known of an open deal on as_of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenState<'a> {
    /// The current stage; None for a deal without stage history (timed from its creation).
    pub stage: Option<&'a str>,
    /// Days since the deal entered its current stage (or was created), counted to the day after
    /// as_of, >= 0.
    pub days_in_stage: i64,
    /// Days from the expected close date to as_of (positive: already past it).
    pub days_past_expected: Option<i64>,
}

/// What the timing says of one open deal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timing {
    /// P(closes inside the window | won), 0..=1.
    pub p_in: f64,
    /// Log-odds to add to the deal's P(win) for its age (<= 0 for a deal open longer than most).
    pub age_log_odds: f64,
}

/// Survival models of one population by age class: (first day of the class, model).
type ByAge = Vec<(i64, Survival)>;

/// The learned timing distributions.
#[derive(Debug, Clone, Default)]
pub(crate) struct CloseTiming {
    by_stage: HashMap<String, ByAge>,
    pooled: ByAge,
    /// Slips of won deals (days, sorted ascending).
    slips: Vec<i64>,
}

impl CloseTiming {
    /// Learns from the deals as they stood on `as_of` and their events known on that date:
    /// closes on or before `as_of` are outcomes, every other deal is still open (censored).
    /// `data_start` is when a deal without a creation date or stage history counts from.
    pub fn learn(
        opps: &[Opportunity],
        known: &EventsByDeal,
        as_of: NaiveDate,
        data_start: NaiveDate,
    ) -> Self {
        let t0 = as_of.succ_opt().unwrap_or(as_of);
        let mut by_stage: HashMap<&str, Vec<Obs>> = HashMap::new();
        let (mut pooled, mut slips) = (Vec::new(), Vec::new());
        for o in opps {
            let closed = closed_by(o, as_of).map(|d| (d, o.won == Some(true)));
            let evs = known.get(o.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let created = o
                .created_at
                .map(|c| c.date())
                .or(evs.first().map(|e| e.entered_at.date()))
                .unwrap_or(data_start);
            pooled.push(observe(created, None, closed, t0));
            for (i, e) in evs.iter().enumerate() {
                let entered = e.entered_at.date();
                if closed.is_some_and(|(d, _)| entered >= d) {
                    break;
                }
                let next = evs.get(i + 1).map(|n| n.entered_at.date());
                by_stage
                    .entry(e.stage.as_str())
                    .or_default()
                    .push(observe(entered, next, closed, t0));
                if let (Some((d, true)), Some(x)) = (closed, e.expected_close_date) {
                    slips.push((d - x).num_days());
                }
            }
            if let (true, Some((d, true)), Some(x)) =
                (evs.is_empty(), closed, o.expected_close_date)
            {
                slips.push((d - x).num_days());
            }
        }
        slips.sort_unstable();
        CloseTiming {
            by_stage: by_stage
                .into_iter()
                .map(|(s, obs)| (s.to_string(), by_age(&obs)))
                .collect(),
            pooled: by_age(&pooled),
            slips,
        }
    }

    /// P(in `w` | won) and the age's log-odds for a deal open on as_of.
    pub fn assess(&self, deal: &OpenState, w: Window) -> Timing {
        if w.hi <= w.lo.max(0) {
            return Timing {
                p_in: 0.0,
                age_log_odds: self.age_only(deal),
            };
        }
        let model = self.model_for(deal);
        let by_stage = model.map(|(by, m)| (by, m.won_from(deal.days_in_stage, w.lo, w.hi)));
        let by_slip = deal
            .days_past_expected
            .and_then(|a| conditional(&self.slips, a, w, MIN_SUPPORT));
        let stage_in = by_stage.and_then(|(_, (ever, inside))| (ever > 0.0).then(|| inside / ever));
        let p_in = match (stage_in, by_slip) {
            (Some(a), Some(b)) => 0.5 * (a + b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => 0.0,
        };
        Timing {
            p_in: p_in.clamp(0.0, 1.0),
            age_log_odds: by_stage.map_or(0.0, |(base, (ever, _))| logit(ever) - logit(base)),
        }
    }

    fn age_only(&self, deal: &OpenState) -> f64 {
        self.model_for(deal).map_or(0.0, |(base, m)| {
            logit(m.won_from(deal.days_in_stage, 0, 0).0) - logit(base)
        })
    }

    /// The deal's population (its stage's, else all deals from creation) and, in it, the model
    /// of the oldest age class the deal has reached, with P(won | entered) of the population.
    fn model_for(&self, deal: &OpenState) -> Option<(f64, &Survival)> {
        let stage = deal.stage.and_then(|s| self.by_stage.get(s));
        let classes = stage.filter(|c| !c.is_empty()).unwrap_or(&self.pooled);
        let (_, first) = classes.first()?;
        let base = first.won_from(0, 0, 0).0;
        let (_, m) = classes
            .iter()
            .rev()
            .find(|(from, _)| *from <= deal.days_in_stage)?;
        Some((base, m))
    }
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(ODDS_FLOOR, 1.0 - ODDS_FLOOR);
    (p / (1.0 - p)).ln()
}

/// One deal seen from `start` (and left the state on `next`, if known), closed or still open.
fn observe(
    start: NaiveDate,
    next: Option<NaiveDate>,
    closed: Option<(NaiveDate, bool)>,
    t0: NaiveDate,
) -> Obs {
    let (end, outcome) = match closed {
        Some((d, true)) => (d, Outcome::Won),
        Some((d, false)) => (d, Outcome::Lost),
        None => (t0, Outcome::Open),
    };
    let days = (end - start)
        .num_days()
        .max(i64::from(outcome == Outcome::Open));
    let stayed = next.map_or(days, |n| (n.min(end) - start).num_days().max(0));
    Obs {
        days,
        stayed,
        outcome,
    }
}

/// A model per age class with enough deals that stayed that long.
fn by_age(obs: &[Obs]) -> ByAge {
    AGE_CLASSES
        .iter()
        .copied()
        .zip(Survival::learn_each(obs, &AGE_CLASSES))
        .take_while(|(_, s)| s.support() >= MIN_SUPPORT as u32)
        .collect()
}

/// #{age+lo <= d < age+hi} / #{d >= age} over sorted `d`, with `age` capped so that at least
/// `min_support` values survive; None when there are fewer values than that.
fn conditional(sorted: &[i64], age: i64, w: Window, min_support: usize) -> Option<f64> {
    if sorted.len() < min_support.max(1) {
        return None;
    }
    let age = age.min(sorted[sorted.len() - min_support.max(1)]);
    let survivors = sorted.len() - sorted.partition_point(|&d| d < age);
    let lo = sorted.partition_point(|&d| d < age + w.lo.max(0));
    let hi = sorted.partition_point(|&d| d < age + w.hi);
    Some(hi.saturating_sub(lo) as f64 / survivors as f64)
}

#[cfg(test)]
#[path = "tests/timing.rs"]
mod tests;
