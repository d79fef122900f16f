//! The hidden stage process of one deal: durations, per-stage pass probabilities, the outcome,
//! quarter-end pushes and the rep's expected close dates (with their slips).

use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::settings::OpportunitySettings;
use super::util::{
    add_months, in_last_month_of_quarter, logistic, lognormal, midnight, plus_days, quarter_start,
};
use crate::domain::{days_between, month_end, DealType};

/// What the process needs to know about a deal at creation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DealDraft {
    pub created: DateTime<Utc>,
    pub amount: f64,
    pub product: usize,
    pub deal_type: DealType,
    /// The owner's stage-pass logit shift at creation (skill plus ramp penalty).
    pub skill: f64,
}

/// A moment the deal's tracked fields changed (created, entered a stage, slipped, revised).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Revision {
    pub at: DateTime<Utc>,
    /// Index of the open stage the deal is in.
    pub stage: usize,
    pub expected: NaiveDate,
    pub amount: f64,
}

/// The deal's whole simulated life, before it is cut at `as_of`.
pub(crate) struct DealPath {
    /// Entry time of each open stage reached, with the expected close date set on entry.
    pub entries: Vec<(DateTime<Utc>, NaiveDate)>,
    /// Every change while open, oldest first (the first at creation); all before `closed`.
    pub revisions: Vec<Revision>,
    /// True probability of passing each open stage (the last: winning), fixed at creation.
    pub pass: Vec<f64>,
    pub won: bool,
    pub closed: DateTime<Utc>,
    /// When the deal would close if it passed every stage (for deals that must end before a churn).
    pub full_end: DateTime<Utc>,
}

impl DealPath {
    /// The amount the deal closes with (its last revision).
    pub fn final_amount(&self) -> f64 {
        self.revisions.last().map_or(0.0, |r| r.amount)
    }
}

/// Simulates the deal to its close, however far after `as_of` that is.
pub(crate) fn simulate(d: &DealDraft, o: &OpportunitySettings, rng: &mut ChaCha8Rng) -> DealPath {
    let product = &o.products[d.product];
    let rel_amount = (d.amount / product.median_amount).max(1e-6);
    let type_effect = match d.deal_type {
        DealType::New => o.deal_type_effect.new,
        DealType::Renewal => o.deal_type_effect.renewal,
        DealType::Upsell => o.deal_type_effect.upsell,
    };
    let stretch = rel_amount.powf(o.duration_amount_elasticity);
    // Durations are drawn first and independently of the outcome, so the pass probabilities,
    // which depend on the age at each stage entry, are all fixed at creation.
    let durations: Vec<f64> = o
        .stage_median_days
        .iter()
        .map(|m| lognormal(rng, m * stretch, o.stage_sigma).max(0.5))
        .collect();
    let mut age = 0.0;
    let mut pass = Vec::with_capacity(durations.len());
    for (k, dur) in durations.iter().enumerate() {
        let overdue = (age - o.age_threshold_days).max(0.0) / 30.0;
        let logit = o.stage_logit[k]
            + product.effect
            + type_effect
            + d.skill
            + o.coef_log_amount * rel_amount.ln()
            + o.coef_age_per_30d * overdue;
        pass.push(logistic(logit));
        age += dur;
    }
    let full_end = plus_days(d.created, age);
    let (reached, won, natural_close) = outcome(d.created, &durations, &pass, rng);
    let closed = quarter_end_push(natural_close, o.quarter_end_pull, rng);
    let (entries, revisions) = timeline(d, &durations[..reached], closed, o, rng);
    DealPath {
        entries,
        revisions,
        pass,
        won,
        closed,
        full_end,
    }
}

/// Walks the stages: returns how many open stages were entered, whether it won, and when it closed.
fn outcome(
    created: DateTime<Utc>,
    durations: &[f64],
    pass: &[f64],
    rng: &mut ChaCha8Rng,
) -> (usize, bool, DateTime<Utc>) {
    let mut t = created;
    for (k, (dur, p)) in durations.iter().zip(pass).enumerate() {
        if !rng.gen_bool(*p) {
            // A lost deal dies part-way through the stage it failed.
            return (k + 1, false, plus_days(t, dur * rng.gen_range(0.3..1.0)));
        }
        t = plus_days(t, *dur);
    }
    (durations.len(), true, t)
}

/// Quarter-end push: a close outside the last month of its quarter may be dragged into the
/// quarter's last three weeks (only later, never earlier).
fn quarter_end_push(t: DateTime<Utc>, pull: f64, rng: &mut ChaCha8Rng) -> DateTime<Utc> {
    let d = t.date_naive();
    if in_last_month_of_quarter(d) || !rng.gen_bool(pull) {
        return t;
    }
    let quarter_end = midnight(add_months(quarter_start(d), 3));
    let window_start = plus_days(quarter_end, -21.0);
    let span = days_between(window_start, quarter_end);
    plus_days(window_start, rng.gen_range(0.0..span)).max(t)
}

/// The expected close dates and amounts the rep keeps while the deal is open.
///
/// The first expected close date is optimistic (`close_date_optimism` times the typical cycle).
/// When a stage is entered and the remaining typical time no longer fits before it, it slips to
/// the end of the month that does fit; on entering a later stage the amount may be revised. When
/// the date passes with the deal still open, the rep pushes it to the end of the next month
/// within ten days with probability `stale_close_date_fix`, else it stays past due and is tried
/// again a month later: deals slip, some more than once. Dates are ends of months, as reps pick
/// them. Returns the stage entries (time, expected close date then) and every revision.
fn timeline(
    d: &DealDraft,
    durations: &[f64],
    closed: DateTime<Utc>,
    o: &OpportunitySettings,
    rng: &mut ChaCha8Rng,
) -> (Vec<(DateTime<Utc>, NaiveDate)>, Vec<Revision>) {
    let typical: f64 = o.stage_median_days.iter().sum();
    let guess = typical * o.close_date_optimism * lognormal(rng, 1.0, 0.25);
    let mut expected = month_end(plus_days(d.created, guess).date_naive());
    let mut amount = d.amount;
    let mut entries = Vec::with_capacity(durations.len());
    let mut revisions = Vec::with_capacity(durations.len() + 2);
    let mut t = d.created;
    for (k, dur) in durations.iter().enumerate() {
        let remaining: f64 = o.stage_median_days[k..].iter().sum::<f64>() * o.close_date_optimism;
        let needed = plus_days(t, remaining).date_naive();
        if needed > expected {
            expected = month_end(needed);
        }
        if k > 0 && rng.gen_bool(o.amount_revision_rate) {
            let factor = lognormal(rng, o.amount_revision_median, o.amount_revision_sigma);
            amount = ((amount * factor / 100.0).round() * 100.0).max(100.0);
        }
        entries.push((t, expected));
        let at = t;
        revisions.push(Revision {
            at,
            stage: k,
            expected,
            amount,
        });
        let next = if k + 1 < durations.len() {
            plus_days(t, *dur)
        } else {
            closed
        };
        let mut due = midnight(expected) + chrono::Duration::days(1);
        while due < next {
            let attempt = plus_days(due, rng.gen_range(0.0..10.0));
            if attempt >= next {
                break;
            }
            if rng.gen_bool(o.stale_close_date_fix) {
                expected = month_end(add_months(attempt.date_naive(), 1));
                revisions.push(Revision {
                    at: attempt,
                    stage: k,
                    expected,
                    amount,
                });
                due = midnight(expected) + chrono::Duration::days(1);
            } else {
                due = plus_days(attempt, 30.0);
            }
        }
        t = plus_days(t, *dur);
    }
    (entries, revisions)
}
