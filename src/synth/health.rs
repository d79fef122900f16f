//! A customer's monthly health path and the churn hazard it drives.
//!
//! The latent health `x` moves month to month; usage, NPS, CSAT and tickets are noisy readings of
//! it. The churn hazard of the month after a snapshot is a logistic function of those readings
//! (not of `x` itself), so a model that sees the snapshots can in principle learn it.

use chrono::NaiveDate;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::settings::AccountSettings;
use super::util::{add_months, logistic, lognormal, normal, poisson};

/// The readings of one monthly snapshot date and the hazard of the month that follows it.
#[derive(Debug, Clone)]
pub(crate) struct MonthState {
    /// Snapshot date (the first of a month).
    pub date: NaiveDate,
    pub active: i64,
    pub logins: i64,
    pub nps: f64,
    pub csat: f64,
    pub tickets: i64,
    pub resolution_hours: f64,
    /// The next renewal date strictly after `date`.
    pub renewal: NaiveDate,
    /// P(churn in (date, next snapshot date]) given the readings.
    pub hazard: f64,
}

/// What the path needs to know about the customer.
pub(crate) struct PathInput {
    pub since: NaiveDate,
    pub seats: i64,
    pub plan_effect: f64,
    /// First snapshot date (the first of a month, after `since`).
    pub first: NaiveDate,
    /// Last snapshot date to simulate (inclusive).
    pub last: NaiveDate,
    /// Months of usage simulated before `first` (not emitted) so that trends exist from the start.
    pub warm_up: u32,
}

/// Simulates the readings and hazards from `first - warm_up` months to `last`; returns the states
/// from `first` on.
pub(crate) fn path(
    a: &AccountSettings,
    input: &PathInput,
    rng: &mut ChaCha8Rng,
) -> Vec<MonthState> {
    let level = a.health_start + 0.5 * normal(rng);
    let mut x = level + 0.3 * normal(rng);
    let mut trouble_left = 0u32;
    let mut actives: Vec<i64> = Vec::new();
    let mut out = Vec::new();
    let mut date = first_date(input);
    while date <= input.last {
        if trouble_left == 0 && rng.gen_bool(a.trouble_rate) {
            trouble_left = rng.gen_range(3..=8);
        }
        let push = if trouble_left > 0 {
            a.trouble_drift
        } else {
            0.0
        };
        trouble_left = trouble_left.saturating_sub(1);
        x += a.health_reversion * (level - x) + a.health_sd * normal(rng) + push;
        let state = readings(a, input, x, date, &actives, rng);
        actives.push(state.active);
        if date >= input.first {
            out.push(state);
        }
        date = add_months(date, 1);
    }
    out
}

fn first_date(input: &PathInput) -> NaiveDate {
    input
        .first
        .checked_sub_months(chrono::Months::new(input.warm_up))
        .expect("date in range")
}

fn readings(
    a: &AccountSettings,
    input: &PathInput,
    x: f64,
    date: NaiveDate,
    previous: &[i64],
    rng: &mut ChaCha8Rng,
) -> MonthState {
    let seats = input.seats as f64;
    let u = logistic(x);
    let spread = (seats * u * (1.0 - u)).sqrt();
    let active = (seats * u + spread * normal(rng)).round().clamp(0.0, seats) as i64;
    let nps = (10.0 + 35.0 * (x - 0.5) + 12.0 * normal(rng))
        .round()
        .clamp(-100.0, 100.0);
    let csat =
        ((72.0 + 8.0 * (x - 1.0) + 5.0 * normal(rng)).clamp(0.0, 100.0) * 10.0).round() / 10.0;
    let tickets = poisson(rng, 0.8 * seats.powf(0.4) * (-0.5 * (x - 1.0)).exp());
    let resolution_hours =
        (lognormal(rng, 18.0 * (-0.3 * (x - 1.0)).exp(), 0.35) * 10.0).round() / 10.0;
    let renewal = next_renewal(input.since, date);
    let mut state = MonthState {
        date,
        active,
        logins: poisson(rng, active as f64 * 16.0),
        nps,
        csat,
        tickets,
        resolution_hours,
        renewal,
        hazard: 0.0,
    };
    state.hazard = hazard(a, input, &state, previous);
    state
}

/// ln((active + 1) / (active k months earlier + 1)), from the earliest month there is.
fn trend(active: i64, previous: &[i64], k: usize) -> f64 {
    match previous.len() {
        0 => 0.0,
        n => {
            let then = previous[n.saturating_sub(k)];
            ((active as f64 + 1.0) / (then as f64 + 1.0)).ln()
        }
    }
}

/// The monthly churn hazard (see `training/synthetic-truth.md`).
pub(crate) fn hazard(
    a: &AccountSettings,
    input: &PathInput,
    s: &MonthState,
    previous: &[i64],
) -> f64 {
    let utilisation = s.active as f64 / input.seats.max(1) as f64;
    let tenure_years = (s.date - input.since).num_days().max(0) as f64 / 365.25;
    let next = add_months(s.date, 1);
    let renews = s.renewal > s.date && s.renewal <= next;
    let logit = a.hazard_intercept
        + a.coef_trend_30 * trend(s.active, previous, 1)
        + a.coef_trend_90 * trend(s.active, previous, 3)
        + a.coef_utilisation * (utilisation - 0.7)
        + a.coef_nps * s.nps / 100.0
        + a.coef_csat * (s.csat - 70.0) / 10.0
        + a.coef_log_tickets * (s.tickets as f64).ln_1p()
        + a.coef_log_resolution * (s.resolution_hours / 24.0).ln()
        + a.coef_log_tenure * tenure_years.ln_1p()
        + input.plan_effect
        + if renews { a.coef_renewal_month } else { 0.0 };
    logistic(logit)
}

/// The first anniversary of `since` strictly after `date`.
pub(crate) fn next_renewal(since: NaiveDate, date: NaiveDate) -> NaiveDate {
    let mut years = 1;
    loop {
        let r = add_months(since, 12 * years);
        if r > date {
            return r;
        }
        years += 1;
    }
}
