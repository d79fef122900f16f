//! Quota tests with known distributions.

use super::*;

/// Ten tenured reps, each forecast as P10/P50/P90 = 80/100/120 (a symmetric normal, sd 15.6).
fn team() -> Vec<RepInput> {
    (0..10)
        .map(|i| RepInput {
            rep_id: format!("r{i}"),
            forecast: RepDistribution::Quantiles {
                p10: 80.0,
                p50: 100.0,
                p90: 120.0,
            },
            past_attainment: None,
            open_pipeline: 150.0,
            tenure_months: 24.0,
        })
        .collect()
}

fn plan(target: f64, reps: Vec<RepInput>) -> QuotaPlan {
    recommend(&QuotaInput {
        period: Period::parse("2026-Q1").unwrap(),
        target,
        reps,
    })
    .unwrap()
}

#[test]
fn equal_reps_share_the_target_and_the_share_at_quota_is_the_known_probability() {
    let p = plan(900.0, team());
    assert!(p.reps.iter().all(|r| (r.quota - 90.0).abs() < 1e-9));
    // P(X >= 90) for median 100, sd 20/1.2816: 1 - Phi(-0.6408) = 0.739.
    assert!(
        (p.expected_share_at_quota - 0.7392).abs() < 1e-3,
        "{}",
        p.expected_share_at_quota
    );
    assert_eq!(p.verdict, Verdict::Healthy);
    let total: f64 = p.reps.iter().map(|r| r.quota).sum();
    assert!((total - 900.0).abs() < 1e-6);
}

#[test]
fn a_target_too_high_is_called_out_with_the_healthy_range() {
    let p = plan(1200.0, team());
    assert_eq!(p.verdict, Verdict::TooHard);
    // Healthy: 80% at quota when each quota is P20 = 86.9; 60% when it is P40 = 96.0.
    assert!(
        (p.healthy_targets.0 - 868.7).abs() < 1.0,
        "{:?}",
        p.healthy_targets
    );
    assert!(
        (p.healthy_targets.1 - 960.4).abs() < 1.0,
        "{:?}",
        p.healthy_targets
    );
    assert!(p.explanation.iter().any(|e| e.contains("too high")));
    assert_eq!(plan(600.0, team()).verdict, Verdict::TooEasy);
}

#[test]
fn ramping_reps_get_less_and_strong_past_attainment_gets_more() {
    let mut reps = team();
    reps[0].tenure_months = 1.0;
    reps[0].forecast = RepDistribution::Quantiles {
        p10: 0.0,
        p50: 5.0,
        p90: 10.0,
    };
    reps[1].past_attainment = Some(1.4);
    let p = plan(900.0, reps);
    let q = |i: usize| p.reps[i].quota;
    assert_eq!(p.reps[0].ramp, 0.25);
    // The new rep's capacity is a quarter of a ramped rep's (100), above its own forecast (5).
    assert!(
        (p.reps[0].capacity - 25.0).abs() < 1e-6,
        "{}",
        p.reps[0].capacity
    );
    assert!(q(0) < q(2) && q(1) > q(2));
    assert!((ramp(0.0), ramp(3.0), ramp(8.9), ramp(30.0)) == (0.25, 0.5, 0.75, 1.0));
}

#[test]
fn judging_existing_quotas_flags_hard_and_easy_ones() {
    let reps = team();
    let hard: Vec<(String, f64)> = reps.iter().map(|r| (r.rep_id.clone(), 115.0)).collect();
    let j = judge(&hard, &reps).unwrap();
    assert_eq!(j.verdict, Verdict::TooHard);
    assert!(j.flag.contains("too hard"));
    let easy: Vec<(String, f64)> = reps.iter().map(|r| (r.rep_id.clone(), 50.0)).collect();
    assert_eq!(judge(&easy, &reps).unwrap().verdict, Verdict::TooEasy);
    let stranger = vec![("nobody".to_string(), 10.0)];
    assert_eq!(
        judge(&stranger, &reps),
        Err(QuotaError::UnknownRep("nobody".into()))
    );
}

#[test]
fn bad_input_is_rejected_naming_the_rep() {
    let mut reps = team();
    reps[3].tenure_months = -1.0;
    let e = recommend(&QuotaInput {
        period: Period::parse("2026-Q1").unwrap(),
        target: 900.0,
        reps,
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("r3") && e.to_string().contains("tenure_months"),
        "{e}"
    );
    let e = recommend(&QuotaInput {
        period: Period::parse("2026-Q1").unwrap(),
        target: -5.0,
        reps: team(),
    });
    assert_eq!(e.unwrap_err(), QuotaError::BadTarget(-5.0));
    assert_eq!(
        recommend(&QuotaInput {
            period: Period::parse("2026").unwrap(),
            target: 1.0,
            reps: vec![]
        })
        .unwrap_err(),
        QuotaError::NoReps
    );
}

#[test]
fn quotas_from_a_forecast_grouped_by_owner_sum_to_the_target() {
    use crate::forecast::testworld::{day, world};
    use crate::forecast::{forecast, pipeline_as_of, ForecastInput, GroupBy, StageWinRates};
    let w = world(21, day(2024, 1, 1), 700, 3.0);
    let as_of = day(2025, 10, 5);
    let opps = pipeline_as_of(&w.opps, &w.events, &[], as_of);
    let rates = StageWinRates::learn(&opps, &w.events, as_of);
    let input = ForecastInput {
        period: Period::parse("2025-Q4").unwrap(),
        as_of,
        opportunities: &opps,
        events: &w.events,
        changes: &[],
        reps: &w.reps,
        group_by: Some(GroupBy::Owner),
        simulations: 2000,
        seed: 1,
    };
    let f = forecast(&input, &|o| rates.rate(&o.stage)).unwrap();
    let reps: Vec<RepInput> = f
        .groups
        .iter()
        .map(|g| RepInput {
            rep_id: g.key.clone(),
            forecast: g.quantiles.into(),
            past_attainment: None,
            open_pipeline: g.parts.open_pipeline.amount,
            tenure_months: 24.0,
        })
        .collect();
    let target = f.total.p50;
    let p = plan(target, reps);
    let total: f64 = p.reps.iter().map(|r| r.quota).sum();
    assert!((total - target).abs() < 1e-6 * target);
    // Splitting the team's median by capacity leaves each rep near its own median: about half reach it.
    assert!(
        (0.3..=0.7).contains(&p.expected_share_at_quota),
        "{}",
        p.expected_share_at_quota
    );
    assert!(p.healthy_targets.0 < p.healthy_targets.1 && p.healthy_targets.1 < target);
}
