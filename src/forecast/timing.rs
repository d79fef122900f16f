//! Close timing learned from history: P(a won deal closes inside a window of days from as_of).
//!
//! Two empirical estimates, each conditioned on the deal still being open at as_of:
//! - **time to close by stage**: days `d` from entering a stage to closing, over the stage entries
//!   of deals won so far, with the time `t` they stayed in that stage; a deal that entered its
//!   stage `a` days ago and is still in it closes in `[lo, hi)` days with probability
//!   #{t >= a and a+lo <= d < a+hi} / #{t >= a};
//! - **slip of the expected close date**: close date minus the expected close date recorded on
//!   each stage event of won deals; a deal expected on `E` closes in the window with probability
//!   #{as_of-E+lo <= s < as_of-E+hi} / #{s >= as_of-E}.
//!
//! The two are averaged when both have support: the first knows how long stages take, the second
//! what the rep expects and how far such expectations usually miss.

use chrono::NaiveDate;
use std::collections::HashMap;

use super::stages::closed_by;
use crate::domain::{Opportunity, StageEvent};

/// Fewest survivors a conditional estimate needs; an older deal is treated as the 5th-oldest seen.
const MIN_SUPPORT: usize = 5;

/// A window of days counted from as_of, half-open: a close `lo <= days < hi` from as_of is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub lo: i64,
    pub hi: i64,
}

/// What is known of an open deal on as_of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenState<'a> {
    pub stage: &'a str,
    /// Days since the deal entered its current stage, >= 0.
    pub days_in_stage: i64,
    /// Days from the expected close date to as_of (positive: already past it).
    pub days_past_expected: Option<i64>,
}

/// The learned timing distributions (days, sorted ascending).
#[derive(Debug, Clone, Default)]
pub(crate) struct CloseTiming {
    /// Per stage: (days in the stage, days to close), longest stay first.
    by_stage: HashMap<String, Vec<(i64, i64)>>,
    pooled: Vec<i64>,
    slips: Vec<i64>,
}

impl CloseTiming {
    /// Learns from deals won on or before `as_of` and their events known on that date.
    ///
    /// Only deals already won can be timed, and of the stages entered lately only the quick
    /// ones have closed yet: learning from them would make closes look sooner than they are.
    /// So only stage entries older than the 95th percentile of durations are used (all of them
    /// when that leaves fewer than a third, or fewer than 20).
    pub fn learn(
        opps: &[Opportunity],
        known: &HashMap<&str, Vec<&StageEvent>>,
        as_of: NaiveDate,
    ) -> Self {
        let obs = observations(opps, known, as_of);
        let mut durations: Vec<i64> = obs.iter().map(|o| o.days).collect();
        durations.sort_unstable();
        let p95 = durations
            .get(durations.len() * 95 / 100)
            .copied()
            .unwrap_or(0);
        let cutoff = as_of - chrono::Days::new(p95.max(0) as u64);
        let old = obs.iter().filter(|o| o.entered <= cutoff).count();
        let keep_all = old < 20 || old * 3 < obs.len();
        let mut t = CloseTiming::default();
        for o in obs.iter().filter(|o| keep_all || o.entered <= cutoff) {
            if let Some(stage) = o.stage {
                t.by_stage
                    .entry(stage.to_string())
                    .or_default()
                    .push((o.in_stage, o.days));
            }
            t.pooled.push(o.days);
            t.slips.extend(o.slip);
        }
        t.by_stage
            .values_mut()
            .for_each(|v| v.sort_unstable_by(|a, b| b.cmp(a)));
        t.pooled.sort_unstable();
        t.slips.sort_unstable();
        t
    }

    /// P(closes inside `w` | won, open at as_of), 0..=1. `memo` caches the by-stage estimate
    /// (a linear scan) per stage and age; use one memo per window.
    pub fn p_in_window<'a>(&self, deal: &OpenState<'a>, w: Window, memo: &mut Memo<'a>) -> f64 {
        if w.hi <= w.lo.max(0) {
            return 0.0;
        }
        let by_stage = *memo
            .entry((deal.stage, deal.days_in_stage))
            .or_insert_with(|| {
                let obs = self.by_stage.get(deal.stage)?;
                in_stage_conditional(obs, deal.days_in_stage, w)
            });
        let by_slip = deal
            .days_past_expected
            .and_then(|a| conditional(&self.slips, a, w, MIN_SUPPORT));
        match (by_stage, by_slip) {
            (Some(a), Some(b)) => 0.5 * (a + b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => conditional(&self.pooled, deal.days_in_stage, w, 1).unwrap_or(0.0),
        }
    }
}

/// Cache of by-stage estimates, keyed by stage and days in it.
pub(crate) type Memo<'a> = HashMap<(&'a str, i64), Option<f64>>;

/// #{t >= a, a+lo <= d < a+hi} / #{t >= a} over (t, d) sorted by t descending, with `a` capped
/// so that at least [`MIN_SUPPORT`] entries stayed that long; None with fewer entries than that.
fn in_stage_conditional(obs: &[(i64, i64)], age: i64, w: Window) -> Option<f64> {
    if obs.len() < MIN_SUPPORT {
        return None;
    }
    let age = age.min(obs[MIN_SUPPORT - 1].0);
    let stayed = &obs[..obs.partition_point(|o| o.0 >= age)];
    let (lo, hi) = (age + w.lo.max(0), age + w.hi);
    let inside = stayed.iter().filter(|o| o.1 >= lo && o.1 < hi).count();
    Some(inside as f64 / stayed.len() as f64)
}

/// One stage entry of a won deal: when, how many days to the close, and the slip of the
/// expected close date recorded then.
struct Obs<'a> {
    stage: Option<&'a str>,
    entered: NaiveDate,
    /// Days until the next stage entry (or the close, for the last).
    in_stage: i64,
    days: i64,
    slip: Option<i64>,
}

fn observations<'a>(
    opps: &'a [Opportunity],
    known: &HashMap<&str, Vec<&'a StageEvent>>,
    as_of: NaiveDate,
) -> Vec<Obs<'a>> {
    let mut out = Vec::new();
    for o in opps.iter().filter(|o| o.won == Some(true)) {
        let Some(closed) = closed_by(o, as_of) else {
            continue;
        };
        let evs = known.get(o.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        for (i, e) in evs.iter().enumerate() {
            let entered = e.entered_at.date();
            let left = evs
                .get(i + 1)
                .map_or(closed, |n| n.entered_at.date().min(closed));
            let slip = e.expected_close_date.map(|x| (closed - x).num_days());
            let (in_stage, days) = (
                (left - entered).num_days().max(0),
                (closed - entered).num_days().max(0),
            );
            out.push(Obs {
                stage: Some(&e.stage),
                entered,
                in_stage,
                days,
                slip,
            });
        }
        if let (true, Some(c)) = (evs.is_empty(), o.created_at) {
            let slip = o.expected_close_date.map(|x| (closed - x).num_days());
            let entered = c.date();
            let days = (closed - entered).num_days().max(0);
            out.push(Obs {
                stage: None,
                entered,
                in_stage: days,
                days,
                slip,
            });
        }
    }
    out
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
#[path = "timing_tests.rs"]
mod tests;
