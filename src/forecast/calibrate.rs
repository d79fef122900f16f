//! Calibration of a forecast's range on the errors of past forecasts (split conformal).
//!
//! The simulated range knows the chance in each deal and the uncertainty of the learned
//! parameters, not how wrong the model itself is (a quarter unlike the past ones, a pipeline
//! that shifts). So the forecast of each of the last periods of the same kind that are over by
//! as_of is replayed as of the same number of days before its end, on the data as it stood then,
//! and scored: how far its actual fell from its P50, in units of the distance from the P50 to
//! its P90 (actual above) or to its P10 (actual below). The k-th smallest of the n scores is the
//! factor by which P10 and P90 are moved away from (or toward) the P50. In a stable process a
//! new actual then falls inside the range with probability k / (n + 1); k is the rank that makes
//! this nearest 80%, round(0.8 (n + 1)). The textbook rank ceil(0.8 (n + 1)) guarantees at least
//! 80% but, with the four to eight past forecasts there are, it is the largest score or next to
//! it, and the ranges held 92% and 100% of the synthetic world's quarterly and monthly replays:
//! wider than honest.
//!
//! A past period is scored only if it lies inside the data (one that began before the data's
//! first day has only part of its actual) and its replay day knew a won deal (before that, a
//! young CRM's only closed deals are quick losses and the replay forecasts nothing): with four to
//! six past forecasts the rank is the largest score, so one such replay, missing by thousands of
//! times its range of width one, set every later range to the widest calibration.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use super::backtest::WinModel;
use super::engine::forecast_with;
use super::groups::won_in;
use super::pipeline::{data_start, DealIndex};
use super::types::{Forecast, ForecastInput, Quantiles};
use super::ForecastError;
use crate::domain::{IdHasher, Opportunity, Period, StageEvent};

/// Past periods replayed, at most.
const LOOKBACK: usize = 8;
/// Fewest scored past forecasts for a calibration; with fewer, the range is left as simulated.
pub const MIN_PAST_FORECASTS: usize = 3;
/// Simulations of each replay (the scores need the P10, P50 and P90, not their tails).
const REPLAY_SIMULATIONS: usize = 2_000;
/// The share of actuals the range is meant to hold.
const TARGET: f64 = 0.8;
/// The widest calibration: a replay whose range was nearly empty would otherwise blow it up.
const MAX_FACTOR: f64 = 10.0;
/// Replays a [`Replays`] keeps; past it, it starts afresh.
const KEPT_REPLAYS: usize = 1_024;

/// Past forecasts already replayed, each kept under a fingerprint of everything it read (its
/// period and day, the seed, the deals as they stood that day, the stage events known by then).
/// A CRM sync changes today's records, not what was known on a past day, so after it the
/// replays of a calibration are found here instead of being made again; a write that does
/// change a past day (a deal closed back-dated, a stage event filed late) changes the fingerprint.
///
/// A replay's result also depends on its `p_win_for`: share one `Replays` only between
/// calibrations whose `p_win_for` is the same rule of the data as it stood on the day (the
/// service's stage win rates).
#[derive(Debug, Default)]
pub struct Replays {
    kept: Mutex<HashMap<u64, Quantiles>>,
}

impl Replays {
    fn get(&self, key: u64) -> Option<Quantiles> {
        self.kept.lock().ok()?.get(&key).copied()
    }

    fn keep(&self, key: u64, q: Quantiles) {
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() >= KEPT_REPLAYS {
                kept.clear();
            }
            kept.insert(key, q);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.kept.lock().map_or(0, |k| k.len())
    }
}

/// How a forecast's P10..P90 were calibrated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Calibration {
    /// Past forecasts scored: the last periods of the same kind over by as_of, each replayed as
    /// of the same number of days before its end.
    pub past_forecasts: usize,
    /// Days before the period's end the forecast and the replays were made.
    pub days_before_end: i64,
    /// The factor applied to the distances from P50 to P10 and to P90, 0..=10 (1 when not
    /// calibrated; above 1 widens the range, below 1 narrows it).
    pub factor: f64,
    /// Share (0..=1) of the past forecasts whose simulated P10..P90 held the actual.
    pub simulated_coverage: Option<f64>,
    /// How it was done, or why the range was left as simulated.
    pub note: String,
}

/// Replays the past periods of `input` (made on `input.as_of` from what was known then) and
/// calibrates `f`'s total and groups. `p_win_for(day)` must use only history up to `day`.
/// A period already over by as_of is left alone. With `replays`, the past forecasts already
/// made from the same data are taken from it, and the new ones kept there (see [`Replays`]).
pub fn calibrate(
    f: &mut Forecast,
    input: &ForecastInput,
    p_win_for: &PWinFor<'_>,
    replays: Option<&Replays>,
) -> Result<(), ForecastError> {
    let run = Run {
        input,
        p_win_for,
        replays,
    };
    let days_before_end = (input.period.end() - input.as_of).num_days();
    if days_before_end <= 1 {
        return Ok(());
    }
    let mut scores = past_scores(&run, input.period, &|_| days_before_end)?;
    let mut kind = "of this kind";
    if scores.len() < MIN_PAST_FORECASTS && input.period.months() > 1 {
        // Too few past periods of this kind (a year of quarters): the months replayed as of the
        // same share of their length before their end. The scores are in units of each
        // forecast's own range, so they carry over from months to longer periods.
        let share = days_before_end as f64 / days_in(input.period) as f64;
        let lead = |m: Period| ((share * days_in(m) as f64).round() as i64).max(2);
        let months = past_scores(&run, Period::month_of(input.as_of), &lead)?;
        if months.len() >= MIN_PAST_FORECASTS {
            scores = months;
            kind = "of past months (too few past periods of this kind), each made the same share of its month";
        }
    }
    let n = scores.len();
    let mut c = Calibration {
        past_forecasts: n,
        days_before_end,
        factor: 1.0,
        simulated_coverage: (n > 0)
            .then(|| scores.iter().filter(|s| **s <= 1.0).count() as f64 / n as f64),
        note: format!(
            "fewer than {MIN_PAST_FORECASTS} past forecasts of this kind could be replayed: \
             the range is the simulated one"
        ),
    };
    if n >= MIN_PAST_FORECASTS {
        let mut sorted = scores;
        sorted.sort_by(f64::total_cmp);
        let rank = ((TARGET * (n + 1) as f64).round() as usize).clamp(1, n);
        c.factor = sorted[rank - 1].min(MAX_FACTOR);
        c.note = format!(
            "P10 and P90 moved from the P50 by a factor {:.2}, the {rank}th smallest of the {n} \
             errors of the past forecasts {kind} made {days_before_end} days before their \
             period's end (in units of their own P50-to-P10 or P50-to-P90 distance)",
            c.factor
        );
    }
    let closed = f.parts.closed;
    apply(&mut f.total, c.factor, closed);
    for g in &mut f.groups {
        apply(&mut g.quantiles, c.factor, g.parts.closed);
    }
    f.calibration = Some(c);
    Ok(())
}

/// P10 and P90 moved by `factor` from the P50; never below what is already booked.
fn apply(q: &mut Quantiles, factor: f64, booked: f64) {
    q.p10 = (q.p50 - factor * (q.p50 - q.p10)).max(booked).min(q.p50);
    q.p90 = (q.p50 + factor * (q.p90 - q.p50)).max(q.p50);
}

fn days_in(p: Period) -> i64 {
    (p.end() - p.start()).num_days().max(1)
}

/// The score of each past forecast that could be replayed (oldest periods last): the periods
/// of `latest`'s kind before it that are over by as_of, each replayed `lead(period)` days before
/// its end. The replays are independent: they run on the available cores, and are then read in
/// order as one after another would (the first with nothing won yet ends the list).
fn past_scores(
    run: &Run<'_, '_>,
    latest: Period,
    lead: &dyn Fn(Period) -> i64,
) -> Result<Vec<f64>, ForecastError> {
    let input = run.input;
    // A period that began before the data's first day has only part of its actual in the data.
    let first_day = data_start(input.opportunities, input.events);
    let mut replays = Vec::new();
    let mut past = latest.previous();
    for _ in 0..LOOKBACK * 2 {
        if replays.len() >= LOOKBACK || first_day.is_none_or(|d| past.start() < d) {
            break;
        }
        let Some(as_of) = past.end().checked_sub_days(Days::new(lead(past) as u64)) else {
            break;
        };
        if past.end() <= input.as_of + Days::new(1) {
            replays.push((past, as_of));
        }
        past = past.previous();
    }
    if replays.is_empty() {
        return Ok(Vec::new());
    }
    let index = DealIndex::new(input.opportunities, input.events, input.changes);
    // The stage events in time order (stable: events of one moment keep their order), so that
    // the events known on a day are a prefix.
    let mut events = input.events.to_vec();
    events.sort_by_key(|e| e.entered_at);
    let results = crate::parallel::by_chunks(&replays, 2, |part| {
        part.iter()
            .map(|&(period, as_of)| replay(run, &index, &events, period, as_of))
            .collect()
    });
    let mut scores = Vec::new();
    for ((period, _), result) in replays.iter().zip(results) {
        match result {
            Ok(q) => scores.push(score(
                &q,
                won_in(input.opportunities, &HashMap::new(), *period, None, ""),
            )),
            // Nothing won yet by that day: that forecast had nothing to learn a win from.
            Err(ForecastError::NoHistory { .. }) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(scores)
}

/// A win model for each replayed day (see [`calibrate`]); called from the replays' threads.
pub type PWinFor<'a> = dyn Fn(NaiveDate) -> WinModel + Sync + 'a;

/// One calibration's inputs.
struct Run<'i, 'a> {
    input: &'i ForecastInput<'a>,
    p_win_for: &'i PWinFor<'i>,
    replays: Option<&'i Replays>,
}

/// The forecast of `period` made on `as_of` from the data as it stood then (see [`Replays`]).
fn replay(
    run: &Run<'_, '_>,
    index: &DealIndex,
    events_in_time_order: &[StageEvent],
    period: Period,
    as_of: NaiveDate,
) -> Result<Quantiles, ForecastError> {
    let opps = index.pipeline_as_of(run.input.opportunities, as_of);
    let known = events_in_time_order.partition_point(|e| e.entered_at.date() <= as_of);
    // Only what a replay reads: ungrouped, so neither the reps nor the deal history (already
    // folded into `opps`) take part.
    let past = ForecastInput {
        period,
        as_of,
        opportunities: &opps,
        events: &events_in_time_order[..known],
        changes: &[],
        reps: &[],
        group_by: None,
        simulations: REPLAY_SIMULATIONS,
        seed: run.input.seed,
    };
    let made = || Ok(forecast_with(&past, &*(run.p_win_for)(as_of), false)?.total);
    let Some(replays) = run.replays else {
        return made();
    };
    let key = fingerprint(&past);
    if let Some(q) = replays.get(key) {
        return Ok(q);
    }
    let q = made()?;
    replays.keep(key, q);
    Ok(q)
}

/// A fingerprint of everything a replay reads. Every field of a deal and of a stage event is
/// named, so that a field added to either fails to compile here until it is hashed too.
/// Hashed eight bytes a step through SplitMix64's finaliser ([`IdHasher`]), with a fixed key:
/// about a quarter of SipHash's work, and no input here is chosen by someone to collide.
fn fingerprint(past: &ForecastInput) -> u64 {
    let mut h = IdHasher::with_key(0x7265_7661_6374_3131);
    (past.period, past.as_of, past.simulations, past.seed).hash(&mut h);
    past.opportunities.len().hash(&mut h);
    for o in past.opportunities {
        let Opportunity {
            id,
            account_id,
            owner_id,
            created_at,
            stage,
            amount,
            expected_close_date,
            closed_at,
            won,
            forecast_category,
            product,
            deal_type,
            attributes,
        } = o;
        (id, account_id, owner_id, created_at, stage).hash(&mut h);
        amount.map(|a| a.get().to_bits()).hash(&mut h);
        (expected_close_date, closed_at, won, forecast_category).hash(&mut h);
        (product, deal_type, attributes).hash(&mut h);
    }
    past.events.len().hash(&mut h);
    for e in past.events {
        let StageEvent {
            opportunity_id,
            stage,
            entered_at,
            expected_close_date,
        } = e;
        (opportunity_id, stage, entered_at, expected_close_date).hash(&mut h);
    }
    h.finish()
}

/// How far `actual` fell outside the P50, in units of the P50's distance to P90 (above) or P10
/// (below), that distance taken as at least 1% of the P50 (a range of nearly zero width would
/// give any miss an endless score).
fn score(q: &Quantiles, actual: f64) -> f64 {
    let (gap, half) = if actual >= q.p50 {
        (actual - q.p50, q.p90 - q.p50)
    } else {
        (q.p50 - actual, q.p50 - q.p10)
    };
    let half = half.max(0.01 * q.p50.abs()).max(1.0);
    gap.max(0.0) / half
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_moves_by_the_factor_and_stays_above_the_booked_amount() {
        let mut q = Quantiles {
            p10: 80.0,
            p50: 100.0,
            p90: 130.0,
            mean: 101.0,
        };
        apply(&mut q, 2.0, 50.0);
        assert_eq!((q.p10, q.p50, q.p90), (60.0, 100.0, 160.0));
        apply(&mut q, 5.0, 50.0);
        assert_eq!((q.p10, q.p90), (50.0, 400.0));
        assert_eq!(score(&q, 100.0), 0.0);
        assert_eq!(score(&q, 250.0), 0.5);
        assert_eq!(score(&q, 0.0), 2.0);
    }
}
