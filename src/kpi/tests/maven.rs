//! revcast's sales KPIs against the pandas peer (`training/peers/kpi_peer.py`) on the Maven CRM
//! sales opportunities. The peer's output is committed as `training/peers/kpi_peer_maven.json`;
//! this test reads the CSVs itself, so it needs no Python. Regenerate the JSON with:
//! `python training/peers/kpi_peer.py ../shared/data/maven_crm_sales_opportunities training/peers/kpi_peer_maven.json`
//!
//! The data is looked up in `$REVCAST_DATA_DIR` (the folder holding the datasets), else in
//! `../shared/data` beside the repository; ignored by a plain `cargo test` and failing when neither
//! exists; `.ci/run` runs it with `--ignored`.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::fixture::rows;
use crate::domain::{Opportunity, Rep};
use crate::kpi::{compute, KpiData, KpiGroup, KpiReport, Window};

const PEER: &str = include_str!("../../../training/peers/kpi_peer_maven.json");

fn data_dir() -> Option<PathBuf> {
    let root = std::env::var_os("REVCAST_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let dir = root.join("maven_crm_sales_opportunities");
    dir.is_dir().then_some(dir)
}

fn read_csv(path: PathBuf) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records().map(|x| x.expect("CSV row")).collect()
}

fn cell(r: &csv::StringRecord, i: usize) -> Option<&str> {
    Some(&r[i]).filter(|s| !s.is_empty())
}

/// Cells 0..=7: opportunity_id, sales_agent, product, account, deal_stage, engage_date,
/// close_date, close_value. Blank cells become nulls.
fn opportunities(dir: PathBuf) -> Vec<Opportunity> {
    let rows_json = read_csv(dir.join("sales_pipeline.csv"))
        .iter()
        .map(|r| {
            let won = match &r[4] {
                "Won" => Some(true),
                "Lost" => Some(false),
                _ => None,
            };
            let amount = cell(r, 7).map(|v| v.parse::<f64>().expect("close_value"));
            json!({"id": &r[0], "owner_id": &r[1], "product": cell(r, 2), "account_id": cell(r, 3),
                   "stage": &r[4], "created_at": cell(r, 5), "closed_at": cell(r, 6),
                   "won": won, "amount": amount})
        })
        .collect();
    rows(Value::Array(rows_json))
}

/// sales_agent, manager, regional_office: the manager is the team (`team` left empty).
fn reps(dir: PathBuf) -> Vec<Rep> {
    let rows_json = read_csv(dir.join("sales_teams.csv"))
        .iter()
        .map(|r| json!({"id": &r[0], "name": &r[0], "manager": &r[1], "region": &r[2]}))
        .collect();
    rows(Value::Array(rows_json))
}

/// Compares one group's (or the total's) KPIs with the peer's.
fn compare(what: &str, peer: &Value, kpis: impl Fn(&str) -> (Option<f64>, f64)) {
    let n = |k: &str| peer[k].as_f64().expect("peer count");
    let (win, closed) = kpis("win_rate");
    assert_eq!(closed, n("won") + n("lost"), "{what}: closed deals");
    let checks = [
        ("win_rate", win, 1e-9),
        ("average_deal_size", kpis("average_deal_size").0, 1e-6),
        ("sales_cycle_days", kpis("sales_cycle_days").0, 1e-6),
    ];
    for (name, ours, tol) in checks {
        let theirs = peer[name].as_f64();
        match (ours, theirs) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() <= tol,
                "{what} {name}: revcast {a}, pandas {b}"
            ),
            _ => assert_eq!(ours, theirs, "{what} {name}: one side is null"),
        }
    }
}

fn kpi_of<'r>(
    r: &'r KpiReport,
    group: Option<&'r str>,
) -> impl Fn(&str) -> (Option<f64>, f64) + 'r {
    move |name| {
        let k = match group {
            Some(g) => r.group_kpi(g, name),
            None => r.get(name),
        };
        let k = k.unwrap_or_else(|| panic!("no {name} for {group:?}"));
        (k.value, k.counts.get("denominator").copied().unwrap_or(0.0))
    }
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn sales_kpis_agree_with_pandas_on_maven_by_rep_team_and_region() {
    let dir = data_dir().expect("maven_crm_sales_opportunities not found; set REVCAST_DATA_DIR");
    let peer: Value = serde_json::from_str(PEER).expect("peer JSON");
    let (opps, reps) = (opportunities(dir.clone()), reps(dir));
    assert_eq!(opps.len(), 8800, "the Maven pipeline has 8,800 deals");
    let data = KpiData {
        opportunities: &opps,
        reps: &reps,
        ..KpiData::default()
    };
    let window: Window = serde_json::from_value(peer["window"].clone()).expect("peer window");
    let total = compute(&data, window, None);
    compare("overall", &peer["overall"], kpi_of(&total, None));
    for (group, field) in [
        (KpiGroup::Rep, "by_rep"),
        (KpiGroup::Team, "by_team"),
        (KpiGroup::Region, "by_region"),
    ] {
        let r = compute(&data, window, Some(group));
        let expected = peer[field].as_object().expect("peer groups");
        assert!(
            expected.len() >= 3,
            "{field}: too few groups to mean anything"
        );
        let keys: Vec<&str> = r.groups.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(
            keys,
            expected.keys().map(String::as_str).collect::<Vec<_>>(),
            "{field}: group keys"
        );
        for (key, p) in expected {
            compare(&format!("{field} {key}"), p, kpi_of(&r, Some(key)));
        }
    }
}
