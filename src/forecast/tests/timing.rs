//! Tests of the close-timing model.

use super::*;
use crate::domain::StageEvent;
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

fn learn(opps: &[Opportunity], evs: &[StageEvent], as_of: NaiveDate) -> CloseTiming {
    let known = StageEvent::by_deal(evs, |e| e.entered_at.date() <= as_of);
    CloseTiming::learn(opps, &known, as_of, day(2026, 1, 1))
}

fn demo(days_in_stage: i64, days_past_expected: Option<i64>) -> OpenState<'static> {
    OpenState {
        stage: Some("demo"),
        days_in_stage,
        days_past_expected,
    }
}

#[test]
fn recovers_the_conditional_close_probability_by_stage() {
    let (opps, evs) = uniform_history();
    let t = learn(&opps, &evs, day(2026, 6, 1));
    // Durations 10..=49, all won; given d >= 20 (30 of them), 20 <= d < 30 holds for 10.
    let got = t.assess(&demo(20, None), Window { lo: 0, hi: 10 });
    assert!((got.p_in - 10.0 / 30.0).abs() < 1e-12, "{got:?}");
    // Every deal that stayed 20 days won: the age does not change the odds.
    assert!(got.age_log_odds.abs() < 1e-12, "{got:?}");
    assert_eq!(
        t.assess(&demo(20, None), Window { lo: 0, hi: 1000 }).p_in,
        1.0
    );
    assert_eq!(
        t.assess(&demo(20, None), Window { lo: 40, hi: 30 }).p_in,
        0.0
    );
}

#[test]
fn slip_estimate_is_averaged_in_when_the_expected_date_is_known() {
    let (opps, evs) = uniform_history();
    let t = learn(&opps, &evs, day(2026, 6, 1));
    // Slips are -10..=29; a deal 5 days past its expected date: s >= 5 (25 values), 5 <= s < 15: 10.
    let p = t.assess(&demo(20, Some(5)), Window { lo: 0, hi: 10 }).p_in;
    assert!((p - 0.5 * (10.0 / 30.0 + 10.0 / 25.0)).abs() < 1e-12, "{p}");
}

#[test]
fn deals_won_after_as_of_are_open_on_as_of_and_not_learned_as_closes() {
    let (opps, evs) = uniform_history();
    // Only the closes on days 10..=30 are known; the other 19 deals were still open.
    let t = learn(&opps, &evs, day(2026, 1, 31));
    assert_eq!(t.slips.len(), 21);
    assert!(t.slips.iter().all(|&s| s <= 10));
}

/// The defect of the stale deals: a deal far older than every won deal was treated as the
/// 5th-oldest won deal and closed inside a day with P = 10/11 (inside two days with P = 1).
#[test]
fn a_stale_deal_is_mostly_one_that_never_closes() {
    let (mut opps, mut evs) = uniform_history();
    // 60 deals entered demo a year before as_of and never closed; 20 were lost after 60 days.
    let start = day(2025, 6, 1);
    for i in 0..80 {
        let id = format!("s{i}");
        let closed = (i >= 60).then(|| (start + chrono::Days::new(60), false));
        opps.push(opp(&id, "o", start, closed, 10.0));
        evs.push(event(&id, "demo", start, None));
    }
    let as_of = day(2026, 6, 1);
    let t = learn(&opps, &evs, as_of);
    let stale = demo((as_of - start).num_days() + 1, None);
    let got = t.assess(&stale, Window { lo: 0, hi: 1 });
    let p_win = crate::forecast::deals::fade(0.5, got.age_log_odds);
    assert!(p_win * got.p_in < 0.01, "{got:?} p_win {p_win}");
    let two_days = t.assess(&stale, Window { lo: 0, hi: 2 });
    assert!(p_win * two_days.p_in < 0.01, "{two_days:?}");
    // A fresh deal of the same stage keeps most of its odds and its timing.
    let fresh = t.assess(&demo(1, None), Window { lo: 0, hi: 60 });
    assert!(
        fresh.p_in > 0.9 && fresh.age_log_odds.abs() < 0.2,
        "{fresh:?}"
    );
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
    let t = learn(&opps, &evs, day(2026, 6, 1));
    // 10 days in demo: only the slow half stayed that long; they close 30 days later.
    assert_eq!(
        t.assess(&demo(10, None), Window { lo: 0, hi: 20 }).p_in,
        0.0
    );
    assert_eq!(
        t.assess(&demo(10, None), Window { lo: 0, hi: 31 }).p_in,
        1.0
    );
}
