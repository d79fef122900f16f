//! The shipped mappings run over the real datasets, as a user would import them.
//!
//! The datasets live beside the repository (`../shared/data`): the tests are ignored by a plain
//! `cargo test` and fail when the folder is absent; `.ci/run` runs them with `--ignored`.

use std::path::{Path, PathBuf};

use crate::import::{check_rows, map_csv, EntityRows, Mapping};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");
const MAPPINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/training/mappings");

/// Maps `file` (under the data folder) through `mapping` (a shipped file) as `entity`; None when
/// the data folder is absent.
fn import(mapping: &str, entity: &str, file: &str) -> Option<Vec<EntityRows>> {
    let path = Path::new(DATA).join(file);
    assert!(
        Path::new(DATA).is_dir(),
        "{DATA} is absent: these tests need the datasets beside the repository"
    );
    let text = std::fs::read_to_string(Path::new(MAPPINGS).join(mapping)).unwrap();
    let m = Mapping::from_toml(&text, &PathBuf::from(MAPPINGS)).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    let mut last = 0;
    let out = map_csv(&m, entity, std::fs::File::open(&path).unwrap(), &mut |b| {
        last = b
    })
    .unwrap();
    assert_eq!(last, size, "the last progress call reports the whole file");
    for rows in &out {
        if let Err(p) = check_rows(rows) {
            panic!(
                "{} {}: {} problems, first {:?}",
                file,
                rows.entity,
                p.len(),
                &p[..p.len().min(5)]
            );
        }
    }
    Some(out)
}

fn by_entity<'a>(out: &'a [EntityRows], entity: &str) -> &'a EntityRows {
    out.iter().find(|r| r.entity == entity).unwrap()
}

/// The raw CSV as (header, rows), read independently of the engine.
fn raw(file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(Path::new(DATA).join(file)).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            h.iter()
                .zip(rec.unwrap().iter())
                .map(|(k, v)| (k.into(), v.into()))
                .collect()
        })
        .collect()
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn maven_opportunities_import_whole_with_their_stage_history() {
    let Some(out) = import(
        "maven-opportunities.toml",
        "opportunities",
        "maven_crm_sales_opportunities/sales_pipeline.csv",
    ) else {
        return;
    };
    let raw = raw("maven_crm_sales_opportunities/sales_pipeline.csv");
    let opps = by_entity(&out, "opportunities");
    assert_eq!(out[0].entity, "opportunities");
    assert_eq!(opps.rows.len(), 8800);
    let engaged = raw.iter().filter(|r| !r["engage_date"].is_empty()).count();
    let closed = raw.iter().filter(|r| !r["close_date"].is_empty()).count();
    assert_eq!(by_entity(&out, "stage-events").rows.len(), engaged + closed);
    for (row, src) in opps.rows.iter().zip(&raw) {
        let v = &row.value;
        let amount = v["amount"].as_f64().expect("every deal has an amount");
        let list = v["attributes"]["list_price"].as_f64().unwrap();
        match src["deal_stage"].as_str() {
            "Won" => assert_eq!(amount, src["close_value"].parse::<f64>().unwrap()),
            _ => assert_eq!(
                amount, list,
                "line {}: lost and open deals carry the list price",
                row.line
            ),
        }
        assert!(amount > 0.0, "line {}", row.line);
        assert_eq!(
            v["won"].as_bool(),
            match src["deal_stage"].as_str() {
                "Won" => Some(true),
                "Lost" => Some(false),
                _ => None,
            }
        );
    }
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn maven_stage_events_follow_the_dates_of_the_file() {
    let Some(out) = import(
        "maven-opportunities.toml",
        "opportunities",
        "maven_crm_sales_opportunities/sales_pipeline.csv",
    ) else {
        return;
    };
    let events = by_entity(&out, "stage-events");
    let first = &events.rows[..2];
    // The first data row (line 2) is a won deal: Engaging at engage_date, then Closed Won.
    assert_eq!(first[0].line, 2);
    assert_eq!(first[0].value["stage"], "Engaging");
    assert_eq!(first[0].value["entered_at"], "2016-10-20T00:00:00Z");
    assert_eq!(first[1].value["stage"], "Closed Won");
    assert_eq!(first[1].value["entered_at"], "2017-03-01T00:00:00Z");
    assert!(events
        .rows
        .iter()
        .all(|r| r.value["stage"] != "Prospecting"));
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn maven_accounts_and_reps_import_whole() {
    let Some(accounts) = import(
        "maven-accounts.toml",
        "accounts",
        "maven_crm_sales_opportunities/accounts.csv",
    ) else {
        return;
    };
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].rows.len(), 85);
    assert!(accounts[0]
        .rows
        .iter()
        .all(|r| r.value["industry"] != "technolgy"));
    let acme = &accounts[0].rows[0].value;
    assert_eq!(acme["employees"], 2822);
    assert_eq!(acme["attributes"]["revenue"], 1100.04);
    let reps = import(
        "maven-reps.toml",
        "reps",
        "maven_crm_sales_opportunities/sales_teams.csv",
    )
    .unwrap();
    assert_eq!(reps[0].rows.len(), 35);
    assert_eq!(reps[0].rows[0].value["region"], "Central");
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn xeducation_leads_import_whole_without_leaky_columns() {
    let Some(out) = import(
        "xeducation-leads.toml",
        "leads",
        "xeducation_lead_scoring/Leads.csv",
    ) else {
        return;
    };
    let leads = &out[0].rows;
    assert_eq!(leads.len(), 9240);
    let converted = leads
        .iter()
        .filter(|r| r.value["converted"] == true)
        .count();
    let raw = raw("xeducation_lead_scoring/Leads.csv");
    assert_eq!(
        converted,
        raw.iter().filter(|r| r["Converted"] == "1").count()
    );
    let leaky = [
        "tags",
        "lead_quality",
        "last_activity",
        "last_notable_activity",
        "lead_number",
    ];
    for row in leads {
        let attrs = row.value["attributes"].as_object().unwrap();
        for key in attrs.keys() {
            assert!(
                !leaky.contains(&key.as_str()) && !key.starts_with("asymmetrique"),
                "line {}: {key}",
                row.line
            );
        }
        assert!(attrs.values().all(|v| v != "Select"), "line {}", row.line);
        assert!(!attrs.contains_key("converted") && !attrs.contains_key("prospect_id"));
    }
    assert_eq!(leads[1].value["attributes"]["total_visits"], 5);
    assert_eq!(leads[1].value["attributes"]["page_views_per_visit"], 2.5);
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn telco_customers_become_accounts_snapshots_and_churn_events() {
    let Some(out) = import(
        "telco-customers.toml",
        "accounts",
        "ibm_telco_customer_churn/Telco-Customer-Churn.csv",
    ) else {
        return;
    };
    let raw = raw("ibm_telco_customer_churn/Telco-Customer-Churn.csv");
    let names: Vec<&str> = out.iter().map(|r| r.entity.as_str()).collect();
    assert_eq!(names, ["accounts", "account-snapshots", "churn-events"]);
    let text = std::fs::read_to_string(Path::new(MAPPINGS).join("telco-customers.toml")).unwrap();
    let m = Mapping::from_toml(&text, Path::new(MAPPINGS)).unwrap();
    assert_eq!(m.entities(), names);
    assert_eq!(out[0].rows.len(), 7043);
    assert_eq!(out[1].rows.len(), 7043);
    assert_eq!(
        out[2].rows.len(),
        raw.iter().filter(|r| r["Churn"] == "Yes").count()
    );
    assert_eq!(out[2].rows.len(), 1869);
    for (snap, src) in out[1].rows.iter().zip(&raw) {
        let monthly: f64 = src["MonthlyCharges"].parse().unwrap();
        let arr = snap.value["arr"].as_f64().unwrap();
        assert!((arr - monthly * 12.0).abs() < 0.005, "line {}", snap.line);
        let attrs = snap.value["attributes"].as_object().unwrap();
        assert!(!attrs.contains_key("churn"), "the label is not a feature");
        assert_eq!(
            attrs.contains_key("total_charges"),
            !src["TotalCharges"].trim().is_empty()
        );
    }
    let churned = &out[2].rows[0];
    assert_eq!(churned.value["churned_at"], "2018-02-01");
    let line = churned.line as usize;
    assert_eq!(raw[line - 2]["Churn"], "Yes");
    // tenure 1 month before the 2018-01-01 snapshot
    assert_eq!(out[0].rows[0].value["created_at"], "2017-12-01T00:00:00Z");
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn ravenstack_accounts_import_whole_without_the_label() {
    let Some(out) = import(
        "ravenstack-accounts.toml",
        "accounts",
        "ravenstack_saas_synthetic/ravenstack_accounts.csv",
    ) else {
        return;
    };
    assert_eq!(out[0].rows.len(), 500);
    for row in &out[0].rows {
        let attrs = row.value["attributes"].as_object().unwrap();
        assert!(!attrs.contains_key("churn_flag"), "line {}", row.line);
        assert!(attrs["is_trial"].is_boolean(), "line {}", row.line);
    }
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn ravenstack_churn_events_flag_only_their_duplicate_keys() {
    if !Path::new(DATA).is_dir() {
        return;
    }
    let file = "ravenstack_saas_synthetic/ravenstack_churn_events.csv";
    let text =
        std::fs::read_to_string(Path::new(MAPPINGS).join("ravenstack-churn-events.toml")).unwrap();
    let m = Mapping::from_toml(&text, Path::new(MAPPINGS)).unwrap();
    let out = map_csv(
        &m,
        "churn-events",
        std::fs::File::open(Path::new(DATA).join(file)).unwrap(),
        &mut |_| {},
    )
    .unwrap();
    let raw = raw(file);
    assert_eq!(out[0].rows.len(), raw.len());
    let distinct: std::collections::HashSet<(&str, &str)> = raw
        .iter()
        .map(|r| (r["account_id"].as_str(), r["churn_date"].as_str()))
        .collect();
    let problems = check_rows(&out[0]).unwrap_err();
    assert_eq!(problems.len(), raw.len() - distinct.len());
    assert!(
        problems
            .iter()
            .all(|p| p.field.is_empty() && p.reason.contains("same key")),
        "{problems:?}"
    );
}

#[test]
#[ignore = "prints sample rows: cargo test --lib import::tests::datasets::print_samples -- --ignored --nocapture"]
fn print_samples() {
    for (m, e, f) in [
        (
            "maven-opportunities.toml",
            "opportunities",
            "maven_crm_sales_opportunities/sales_pipeline.csv",
        ),
        (
            "telco-customers.toml",
            "accounts",
            "ibm_telco_customer_churn/Telco-Customer-Churn.csv",
        ),
        (
            "xeducation-leads.toml",
            "leads",
            "xeducation_lead_scoring/Leads.csv",
        ),
    ] {
        let started = std::time::Instant::now();
        let out = import(m, e, f).unwrap();
        println!("{m}: {:?}", started.elapsed());
        for rows in &out {
            println!(
                "{} {}: {}",
                rows.entity,
                rows.rows.len(),
                rows.rows[3].value
            );
        }
    }
}
