//! The forecast on the synthetic world (`crate::synth`), whose hidden truth says what it should
//! find: a season with a heavy last quarter, deals that slip and are revised, reps who leave.

use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::domain::Opportunity;
use crate::forecast::*;
use crate::synth::{generate, SynthSettings, World};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| generate(&SynthSettings::default(), as_of()))
}

fn forecast_of(period: &str, as_of: NaiveDate) -> Forecast {
    let w = world();
    let input = ForecastInput {
        period: Period::parse(period).unwrap(),
        as_of,
        opportunities: &w.opportunities,
        events: &w.stage_events,
        changes: &w.deal_changes,
        reps: &w.reps,
        group_by: None,
        simulations: 4000,
        seed: 5,
    };
    // The truth's own P(win) of each open deal at its stage is not what a forecast knows; a flat
    // prior keeps this test about the season and the flow of new deals.
    forecast(&input, &|_: &Opportunity| 0.3).unwrap()
}

#[test]
fn next_years_last_quarter_is_forecast_heavier_as_the_season_says() {
    // The truth: leads busy in August-October (season 1.1, 1.3, 1.35) and quiet in May-July
    // (0.9, 0.8, 0.85), about two months from lead to close: the new business closing in Q4
    // comes from months 1.47x as busy as Q3's, before growth and renewals (which have no season).
    let truth = &world().truth.season;
    let busy = |months: [usize; 3]| months.iter().map(|&m| truth[m - 1]).sum::<f64>();
    let truth_ratio = busy([8, 9, 10]) / busy([5, 6, 7]);
    assert!(truth_ratio > 1.4, "{truth_ratio}");
    let q3 = forecast_of("2027-Q3", as_of()).total.p50;
    let q4 = forecast_of("2027-Q4", as_of()).total.p50;
    let ratio = q4 / q3;
    eprintln!("2027-Q4 P50 {q4:.0} / 2027-Q3 P50 {q3:.0} = {ratio:.2} (truth {truth_ratio:.2})");
    // Measured 2026-11-30: 1.15. The forecast follows the season but damps it: renewals (a third
    // or more of the bookings) have no season of their own, and the series engine's combination
    // of methods on 27 months of flow keeps only part of it (the flow factor of Q4 over Q3's is
    // 1.07). The world's own 2025-Q4 booked 1.81x its Q3. A forecast at least 5% heavier (beyond
    // the simulations' noise) and never past the truth by 30% is the bar.
    assert!(
        ratio > 1.05 && ratio < truth_ratio * 1.3,
        "2027-Q4 P50 {q4:.0} / 2027-Q3 P50 {q3:.0} = {ratio:.2}; truth's new business {truth_ratio:.2}"
    );
}

#[test]
fn a_past_forecast_sees_the_amounts_and_owners_of_that_day() {
    // Six months back, the open pipeline is rebuilt from the deal history: a deal revised or
    // handed over since shows its old amount and owner, never today's.
    let w = world();
    let day = as_of() - chrono::Days::new(182);
    let open = pipeline::pipeline_as_of(&w.opportunities, &w.stage_events, &w.deal_changes, day);
    let cutoff = (day + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let mut revised = 0;
    for o in open.iter().filter(|o| o.won.is_none()) {
        let then = w
            .deal_changes
            .iter()
            .rfind(|c| c.opportunity_id == o.id && c.changed_at.get() < cutoff)
            .expect("a deal open that day has a change by then");
        assert_eq!(o.amount, then.amount, "{}", o.id);
        assert_eq!(o.owner_id, then.owner_id, "{}", o.id);
        let now = w.opportunities.iter().find(|n| n.id == o.id).unwrap();
        revised += usize::from(now.amount != then.amount || now.owner_id != then.owner_id);
    }
    assert!(
        revised >= 10,
        "{revised} deals open that day were revised or handed over since"
    );
}
