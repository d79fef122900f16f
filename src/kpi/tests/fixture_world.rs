//! Every KPI on the hand-made world of `fixture`, window 2026-Q1 = [2026-01-01, 2026-04-01),
//! 90 days. The expected numbers are worked out by hand in the comments.

use chrono::NaiveDate;

use super::fixture::world;
use crate::kpi::{compute, compute_each, KpiGroup, KpiReport, Window, UNASSIGNED};

fn q1() -> Window {
    let d = |m| NaiveDate::from_ymd_opt(2026, m, 1).unwrap();
    Window::new(d(1), d(4)).unwrap()
}

fn value(r: &KpiReport, name: &str) -> f64 {
    let k = r.get(name).unwrap_or_else(|| panic!("no KPI {name}"));
    k.value
        .unwrap_or_else(|| panic!("{name} is null: {:?}", k.reason))
}

fn part(r: &KpiReport, name: &str, key: &str) -> Option<f64> {
    let k = r.get(name).unwrap();
    k.breakdown.iter().find(|p| p.key == key).unwrap().value
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: got {actual}, expected {expected}"
    );
}

#[test]
fn lead_kpis_match_the_hand_computation() {
    let w = world();
    let r = compute(&w.data(), q1(), None);
    // L1..L6 are created in Q1 (L7 in December, L8 in April, L9 has no date).
    close(value(&r, "leads_by_source"), 6.0, "leads");
    close(
        part(&r, "leads_by_source", "webinar").unwrap(),
        2.0,
        "webinar",
    );
    close(
        part(&r, "leads_by_source", "referral").unwrap(),
        2.0,
        "referral",
    );
    close(
        part(&r, "leads_by_source", UNASSIGNED).unwrap(),
        1.0,
        "no source",
    );
    // Converted: L1, L3, L6 -> 3 / 6 (L4 undecided counts as not converted).
    close(value(&r, "lead_conversion_rate"), 0.5, "conversion");
    // Within 30 days of creation: L1 (15 days) and L6 (2 days), not L3 (42 days) -> 2 / 6.
    let mut data = w.data();
    data.conversion_horizon_days = Some(30);
    let r30 = compute(&data, q1(), None);
    close(
        value(&r30, "lead_conversion_rate"),
        2.0 / 6.0,
        "conversion within 30 days",
    );
    // Response hours: L1 2, L2 4, L3 1, L5 10, L6 6 -> sorted 1 2 4 6 10 -> median 4.
    close(
        value(&r, "median_first_response_hours"),
        4.0,
        "first response",
    );
}

#[test]
fn sales_kpis_match_the_hand_computation() {
    let w = world();
    let r = compute(&w.data(), q1(), None);
    // Closed in Q1: O1 W, O2 W, O3 L, O4 W, O5 L, O10 W (O6 closed in December) -> 4 / 6.
    close(value(&r, "win_rate"), 4.0 / 6.0, "win rate");
    // Won cycles: O1 Dec 1 -> Jan 31 = 61, O2 Jan 10 -> Mar 11 = 60, O4 Nov 1 -> Feb 20 = 111,
    // O10 Dec 5 -> Jan 20 = 46; sorted 46 60 61 111 -> median (60 + 61) / 2.
    close(value(&r, "sales_cycle_days"), 60.5, "cycle");
    // (10000 + 20000 + 6000 + 4000) / 4.
    close(value(&r, "average_deal_size"), 10_000.0, "deal size");
    // Open on Apr 1: O7, O8, O9, O11 = 4 -> 4 x 2/3 x 10000 / 60.5 per day.
    close(
        value(&r, "pipeline_velocity"),
        4.0 * (2.0 / 3.0) * 10_000.0 / 60.5,
        "velocity",
    );
    // Open on Jan 1 and expected in Q1: O1 10000, O4 6000, O7 12000, O10 4000 = 32000;
    // quotas: R1 30000, R2 12000 (its quarter; the months are not added), R3 20000 = 62000.
    close(
        value(&r, "pipeline_coverage"),
        32_000.0 / 62_000.0,
        "coverage",
    );
    // R1 won 30000 / 30000 = 1.0 (at quota), R2 10000 / 12000, R3 0 / 20000 -> 1 of 3 reps.
    close(value(&r, "quota_attainment"), 1.0 / 3.0, "attainment");
    close(part(&r, "quota_attainment", "R1").unwrap(), 1.0, "R1");
    close(
        part(&r, "quota_attainment", "R2").unwrap(),
        10.0 / 12.0,
        "R2",
    );
    close(part(&r, "quota_attainment", "R3").unwrap(), 0.0, "R3");
    // Spend: Jan 3000 + Feb 3000 + Q1 9000 + the year's 3650 x 90/365 = 900 -> 15900 (December
    // is outside). New customers: A2, A4, A9 (A1 first won in December) -> 15900 / 3.
    close(value(&r, "cac"), 5_300.0, "cac");
}

#[test]
fn funnel_learns_the_stage_order_and_matches_the_hand_computation() {
    let w = world();
    let r = compute(&w.data(), q1(), None);
    let conv = r.get("stage_conversion").unwrap();
    let stages: Vec<&str> = conv.breakdown.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        stages,
        ["Qualify", "Propose", "Negotiate"],
        "closed stages are terminal"
    );
    // Qualify in Q1: O2, O3, O5, O8, O11; advanced O2, O5 -> 2 / 5.
    close(
        part(&r, "stage_conversion", "Qualify").unwrap(),
        0.4,
        "qualify",
    );
    // Propose in Q1: O2, O5, O7; advanced O2 -> 1 / 3.
    close(
        part(&r, "stage_conversion", "Propose").unwrap(),
        1.0 / 3.0,
        "propose",
    );
    // Negotiate in Q1: O1, O2, O4, O10, all won.
    close(
        part(&r, "stage_conversion", "Negotiate").unwrap(),
        1.0,
        "negotiate",
    );
    // First event in Q1: O2, O3, O5, O8, O11; won: O2 -> 1 / 5.
    close(value(&r, "stage_conversion"), 0.2, "overall");
    // Qualify: O2 10, O3 30, O5 10 -> 10. Propose: O2 26, O5 20 -> 23.
    // Negotiate: O1 21, O2 24, O4 36, O10 15 -> 22.5. Pooled 10 10 15 20 21 24 26 30 36 -> 21.
    close(
        part(&r, "median_days_in_stage", "Qualify").unwrap(),
        10.0,
        "qualify days",
    );
    close(
        part(&r, "median_days_in_stage", "Propose").unwrap(),
        23.0,
        "propose days",
    );
    close(
        part(&r, "median_days_in_stage", "Negotiate").unwrap(),
        22.5,
        "negotiate days",
    );
    close(value(&r, "median_days_in_stage"), 21.0, "pooled days");
}

#[test]
fn revenue_kpis_match_the_hand_computation() {
    let w = world();
    let r = compute(&w.data(), q1(), None);
    // Cohort on Jan 1: A1 10000, A3 8000, A4 6000, A7 5000, A8 2000, A9 4000 = 35000 over 6
    // (A2 starts in March, A5 churned in December, A6 has ARR 0).
    // Churned in Q1: A3 (Feb 10) and A7 (Mar 31); A9's churn on Apr 1 is outside.
    close(value(&r, "churn_rate"), 2.0 / 6.0, "churn rate");
    close(
        value(&r, "arr_churn_rate"),
        13_000.0 / 35_000.0,
        "arr churn",
    );
    // A1 grows 10000 -> 13000 (its April snapshot is after the window), A4 shrinks 6000 -> 5000.
    close(value(&r, "expansion_revenue"), 3_000.0, "expansion");
    // (35000 - 13000 - 1000) / 35000 and (35000 - 13000 - 1000 + 3000) / 35000.
    close(value(&r, "gross_revenue_retention"), 0.6, "grr");
    close(
        value(&r, "net_revenue_retention"),
        24_000.0 / 35_000.0,
        "nrr",
    );
    // CLV: 35000/6 x 0.8 / (1 - (1 - 1/3)^(365/90)); (2/3)^4.0556 ~ 0.1931, so ~ 5784.
    let annual = 1.0 - (2.0f64 / 3.0).powf(365.0 / 90.0);
    let clv = 35_000.0 / 6.0 * 0.8 / annual;
    assert!((5_700.0..5_850.0).contains(&clv), "hand estimate {clv}");
    close(value(&r, "clv"), clv, "clv");
    close(value(&r, "clv_to_cac"), clv / 5_300.0, "clv/cac");
    let k = r.get("churn_rate").unwrap();
    close(
        k.counts["arr_lost_reported"],
        7_500.0,
        "reported loss (A7 has none)",
    );
}

#[test]
fn grouped_reports_split_the_deals_and_say_what_does_not_apply() {
    let w = world();
    let by_team = compute(&w.data(), q1(), Some(KpiGroup::Team));
    let v = |r: &KpiReport, g: &str, n: &str| r.group_kpi(g, n).unwrap().value;
    // East = R1 + R2: O1 W, O2 W, O3 L, O4 W, O10 W -> 4 / 5; R3 has no team, its manager Mia: O5 L.
    close(v(&by_team, "East", "win_rate").unwrap(), 0.8, "East");
    close(v(&by_team, "Mia", "win_rate").unwrap(), 0.0, "Mia");
    assert_eq!(v(&by_team, "East", "cac"), None, "spend is not per team");
    // Products: Pro O1 W, O2 W, O5 L -> 2/3; Basic O3 L, O4 W -> 1/2; O10 has none.
    let by_product = compute(&w.data(), q1(), Some(KpiGroup::Product));
    close(v(&by_product, "Pro", "win_rate").unwrap(), 2.0 / 3.0, "Pro");
    close(v(&by_product, "Basic", "win_rate").unwrap(), 0.5, "Basic");
    close(
        v(&by_product, UNASSIGNED, "win_rate").unwrap(),
        1.0,
        "no product",
    );
    assert_eq!(v(&by_product, "Pro", "lead_conversion_rate"), None);
    let by_rep = compute(&w.data(), q1(), Some(KpiGroup::Rep));
    // Sources: webinar L1 converted, L2 not -> 1/2; win rate is not defined per source.
    let by_source = compute(&w.data(), q1(), Some(KpiGroup::Source));
    close(
        v(&by_source, "webinar", "lead_conversion_rate").unwrap(),
        0.5,
        "webinar",
    );
    let k = by_source.group_kpi("webinar", "win_rate").unwrap();
    assert!(k.reason.as_deref().unwrap().contains("per source"), "{k:?}");
    // R3's own deals never pass Propose and Negotiate together; the order comes from all deals.
    let r3 = by_rep.group_kpi("R3", "stage_conversion").unwrap();
    let stages: Vec<&str> = r3.breakdown.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(stages, ["Qualify", "Propose", "Negotiate"]);
    // Accounts follow their owner: R2 owns A3 (churned), A4, A7 (churned), A9 -> 2 / 4.
    close(v(&by_rep, "R2", "churn_rate").unwrap(), 0.5, "R2 churn");
    // The overall KPIs do not change with the grouping.
    assert_eq!(by_rep.kpis, compute(&w.data(), q1(), None).kpis);
}

#[test]
fn several_windows_at_once_are_each_window_alone() {
    let w = world();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let windows = [
        Window::new(day(2025, 10, 1), day(2026, 1, 1)).unwrap(),
        q1(),
        Window::new(day(2026, 2, 1), day(2026, 3, 15)).unwrap(),
        Window::new(day(2026, 3, 1), day(2026, 3, 1)).unwrap(),
    ];
    for g in [
        None,
        Some(KpiGroup::Rep),
        Some(KpiGroup::Team),
        Some(KpiGroup::Product),
    ] {
        let each = compute_each(&w.data(), &windows, g);
        assert_eq!(each.len(), windows.len());
        for (r, window) in each.iter().zip(windows) {
            // Debug text: a NaN equals itself there.
            let alone = compute(&w.data(), window, g);
            assert_eq!(format!("{r:?}"), format!("{alone:?}"), "{g:?} {window:?}");
        }
        assert_ne!(format!("{:?}", each[0].kpis), format!("{:?}", each[1].kpis));
    }
}
