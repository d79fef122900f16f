//! Tests of the close-timing model.

use super::*;
use crate::forecast::stages::events_known_on;
use crate::forecast::testworld::{day, event, opp};

/// Won deals that entered "demo" on Jan 1 and closed 10..=49 days later (one per day),
/// each expected to close on day 20.
fn uniform_history() -> (Vec<Opportunity>, Vec<StageEvent>) {
    let start = day(2026, 1, 1);
    let mut opps = Vec::new();
    let mut evs = Vec::new();
    for d in 10..50 {
        let id = format!("w{d}");
        let closed = start + chrono::Days::new(d);
        opps.push(opp(&id, "o", start, Some((closed, true)), 10.0));
        evs.push(event(
            &id,
            "demo",
            start,
            Some(start + chrono::Days::new(20)),
        ));
    }
    (opps, evs)
}

#[test]
fn recovers_the_conditional_close_probability_by_stage() {
    let (opps, evs) = uniform_history();
    let as_of = day(2026, 6, 1);
    let t = CloseTiming::learn(&opps, &events_known_on(&evs, as_of), as_of);
    let deal = OpenState {
        stage: "demo",
        days_in_stage: 20,
        days_past_expected: None,
    };
    // Durations 10..=49; given d >= 20 (30 of them), 20 <= d < 30 holds for 10.
    let p = t.p_in_window(&deal, Window { lo: 0, hi: 10 }, &mut Memo::new());
    assert!((p - 10.0 / 30.0).abs() < 1e-12, "{p}");
    assert_eq!(
        t.p_in_window(&deal, Window { lo: 0, hi: 1000 }, &mut Memo::new()),
        1.0
    );
    assert_eq!(
        t.p_in_window(&deal, Window { lo: 40, hi: 30 }, &mut Memo::new()),
        0.0
    );
}

#[test]
fn slip_estimate_is_averaged_in_when_the_expected_date_is_known() {
    let (opps, evs) = uniform_history();
    let as_of = day(2026, 6, 1);
    let t = CloseTiming::learn(&opps, &events_known_on(&evs, as_of), as_of);
    // Slips are -10..=29; a deal 5 days past its expected date: s >= 5 (25 values), 5 <= s < 15: 10.
    let deal = OpenState {
        stage: "demo",
        days_in_stage: 20,
        days_past_expected: Some(5),
    };
    let p = t.p_in_window(&deal, Window { lo: 0, hi: 10 }, &mut Memo::new());
    assert!((p - 0.5 * (10.0 / 30.0 + 10.0 / 25.0)).abs() < 1e-12, "{p}");
}

#[test]
fn deals_won_after_as_of_are_not_learned_from() {
    let (opps, evs) = uniform_history();
    let as_of = day(2026, 1, 31); // only closes on days 10..=30 are known
    let t = CloseTiming::learn(&opps, &events_known_on(&evs, as_of), as_of);
    assert_eq!(t.pooled.len(), 21);
    assert!(t.pooled.iter().all(|&d| d <= 30));
}

#[test]
fn very_old_deals_use_the_oldest_survivors_instead_of_dividing_by_zero() {
    let (opps, evs) = uniform_history();
    let as_of = day(2026, 6, 1);
    let t = CloseTiming::learn(&opps, &events_known_on(&evs, as_of), as_of);
    let deal = OpenState {
        stage: "demo",
        days_in_stage: 400,
        days_past_expected: None,
    };
    let p = t.p_in_window(&deal, Window { lo: 0, hi: 3 }, &mut Memo::new());
    // Treated as 45 days in stage: of 45..=49, three close within 3 days.
    assert!((p - 3.0 / 5.0).abs() < 1e-12, "{p}");
}

#[test]
fn a_deal_long_in_its_stage_is_compared_with_deals_that_stayed_as_long() {
    // Won deals: half left "demo" after 2 days and closed 5 days after entering it; half
    // stayed 30 days in "demo" and closed on day 40.
    let start = day(2026, 1, 1);
    let (mut opps, mut evs) = (Vec::new(), Vec::new());
    for i in 0..20u64 {
        let id = format!("w{i}");
        let (left, closed) = if i % 2 == 0 { (2, 5) } else { (30, 40) };
        opps.push(opp(
            &id,
            "o",
            start,
            Some((start + chrono::Days::new(closed), true)),
            1.0,
        ));
        evs.push(event(&id, "demo", start, None));
        evs.push(event(
            &id,
            "proposal",
            start + chrono::Days::new(left),
            None,
        ));
    }
    let as_of = day(2026, 6, 1);
    let t = CloseTiming::learn(&opps, &events_known_on(&evs, as_of), as_of);
    // 10 days in demo: only the slow half stayed that long; they close 30 days later.
    let deal = OpenState {
        stage: "demo",
        days_in_stage: 10,
        days_past_expected: None,
    };
    assert_eq!(
        t.p_in_window(&deal, Window { lo: 0, hi: 20 }, &mut Memo::new()),
        0.0
    );
    assert_eq!(
        t.p_in_window(&deal, Window { lo: 0, hi: 31 }, &mut Memo::new()),
        1.0
    );
}
