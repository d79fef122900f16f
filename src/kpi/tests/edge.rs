//! Empty inputs, empty windows, bad requests, invariants of the report.

use chrono::NaiveDate;

use super::fixture::world;
use crate::kpi::{compute, learn_stage_order, KpiData, KpiError, KpiGroup, KpiReport, Window};

const ALL: [&str; 19] = [
    "leads_by_source",
    "lead_conversion_rate",
    "median_first_response_hours",
    "stage_conversion",
    "median_days_in_stage",
    "win_rate",
    "sales_cycle_days",
    "average_deal_size",
    "pipeline_coverage",
    "quota_attainment",
    "pipeline_velocity",
    "cac",
    "churn_rate",
    "arr_churn_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "expansion_revenue",
    "clv",
    "clv_to_cac",
];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Serialises the report and checks that every KPI value is a finite number or a null with a
/// reason, and that no count is missing a number.
fn assert_json_is_clean(r: &KpiReport) -> serde_json::Value {
    let text = serde_json::to_string(r).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut all = vec![&json["kpis"]];
    all.extend(
        json["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| &g["kpis"]),
    );
    for kpis in all {
        for k in kpis.as_array().unwrap() {
            match &k["value"] {
                serde_json::Value::Null => assert!(k["reason"].is_string(), "{k}"),
                v => assert!(
                    v.as_f64().unwrap().is_finite() && k.get("reason").is_none(),
                    "{k}"
                ),
            }
            for c in k["counts"].as_object().unwrap().values() {
                assert!(c.as_f64().is_some_and(f64::is_finite), "{k}");
            }
        }
    }
    json
}

#[test]
fn empty_data_gives_every_kpi_null_with_a_reason() {
    let r = compute(
        &KpiData::default(),
        Window::new(d(2026, 1, 1), d(2026, 4, 1)).unwrap(),
        None,
    );
    let names: Vec<&str> = r.kpis.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ALL);
    for k in &r.kpis {
        assert_eq!(k.value, None, "{} has a value without data", k.name);
        assert!(!k.reason.as_deref().unwrap_or("").is_empty(), "{}", k.name);
    }
    assert_eq!(
        r.get("win_rate").unwrap().reason.as_deref(),
        Some("no opportunities closed in the window")
    );
    assert_json_is_clean(&r);
    let grouped = compute(&KpiData::default(), r.window, Some(KpiGroup::Rep));
    assert!(grouped.groups.is_empty());
}

#[test]
fn an_empty_window_gives_nulls_even_with_data() {
    let w = world();
    let r = compute(
        &w.data(),
        Window::new(d(2026, 2, 1), d(2026, 2, 1)).unwrap(),
        Some(KpiGroup::Team),
    );
    assert!(!r.groups.is_empty());
    for k in &r.kpis {
        assert_eq!(k.value, None, "{}", k.name);
        assert!(
            k.reason.as_deref().unwrap().contains("window is empty"),
            "{k:?}"
        );
    }
    // In groups, "not defined per team" may explain a null first; either way there is a reason.
    for k in r.groups.iter().flat_map(|g| &g.kpis) {
        assert!(k.value.is_none() && k.reason.is_some(), "{k:?}");
    }
    assert_json_is_clean(&r);
    // An inverted window built by hand is treated the same way, without a panic.
    let inverted = Window {
        from: d(2026, 4, 1),
        to: d(2026, 1, 1),
    };
    assert!(compute(&w.data(), inverted, None)
        .kpis
        .iter()
        .all(|k| k.value.is_none()));
}

#[test]
fn every_grouping_of_the_fixture_serialises_cleanly_and_round_trips() {
    let w = world();
    let win = Window::new(d(2025, 10, 1), d(2026, 7, 1)).unwrap();
    for g in [
        None,
        Some(KpiGroup::Rep),
        Some(KpiGroup::Team),
        Some(KpiGroup::Region),
        Some(KpiGroup::Source),
        Some(KpiGroup::Product),
    ] {
        let r = compute(&w.data(), win, g);
        assert_json_is_clean(&r);
        let back: KpiReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}

#[test]
fn group_counts_add_up_to_the_total() {
    let w = world();
    let win = Window::new(d(2026, 1, 1), d(2026, 4, 1)).unwrap();
    let total = compute(&w.data(), win, None);
    for g in [
        KpiGroup::Rep,
        KpiGroup::Team,
        KpiGroup::Region,
        KpiGroup::Product,
    ] {
        let r = compute(&w.data(), win, Some(g));
        for (name, count) in [
            ("win_rate", "denominator"),
            ("average_deal_size", "total_amount"),
        ] {
            let sum: f64 = r
                .groups
                .iter()
                .map(|x| x.kpis.iter().find(|k| k.name == name).unwrap().counts[count])
                .sum();
            assert_eq!(sum, total.get(name).unwrap().counts[count], "{g} {name}");
        }
    }
}

#[test]
fn results_do_not_depend_on_the_order_of_the_rows() {
    let w = world();
    let win = Window::new(d(2026, 1, 1), d(2026, 4, 1)).unwrap();
    let a = compute(&w.data(), win, Some(KpiGroup::Rep));
    let mut r = world();
    r.events.reverse();
    r.opps.reverse();
    r.leads.reverse();
    r.snapshots.reverse();
    r.quotas.reverse();
    assert_eq!(compute(&r.data(), win, Some(KpiGroup::Rep)), a);
    let order = learn_stage_order(&r.events, &r.opps);
    assert_eq!(order.terminal, ["Closed Lost", "Closed Won"]);
}

#[test]
fn bad_requests_are_refused_with_the_field_named() {
    let e = Window::new(d(2026, 4, 1), d(2026, 1, 1)).unwrap_err();
    assert!(matches!(e, KpiError::WindowOrder { .. }));
    assert!(e.to_string().contains("`from` (2026-04-01)"), "{e}");
    let e = "owner".parse::<KpiGroup>().unwrap_err();
    assert!(
        e.to_string().contains("`owner`") && e.to_string().contains("rep, team"),
        "{e}"
    );
    assert_eq!(" Team ".parse::<KpiGroup>().unwrap(), KpiGroup::Team);
    let mut w = world();
    let mut data = w.data();
    data.gross_margin = Some(1.5);
    let r = compute(
        &data,
        Window::new(d(2026, 1, 1), d(2026, 4, 1)).unwrap(),
        None,
    );
    assert!(r
        .get("clv")
        .unwrap()
        .reason
        .as_deref()
        .unwrap()
        .contains("gross_margin"));
    w.spend.clear();
    let r = compute(
        &w.data(),
        Window::new(d(2026, 1, 1), d(2026, 4, 1)).unwrap(),
        None,
    );
    assert!(r
        .get("cac")
        .unwrap()
        .reason
        .as_deref()
        .unwrap()
        .contains("no spend"));
    assert!(r
        .get("clv_to_cac")
        .unwrap()
        .reason
        .as_deref()
        .unwrap()
        .starts_with("cac is null"));
}
