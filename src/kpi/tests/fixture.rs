//! A small hand-made world for the KPI tests: window 2026-Q1 (90 days), three reps, a dozen
//! leads and deals with their stage history, two quarters of account snapshots, spend.
//! Every expected value in `fixture_world` is worked out by hand from these rows.
//! The tables keep one row per line (`rustfmt::skip`) so they can be read against the comments.

use serde_json::{json, Value};

use crate::domain::{
    parse_batch, Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, Quota, Record, Rep,
    Spend, StageEvent, Timestamp,
};
use crate::kpi::KpiData;

/// Owned rows; `data()` lends them to `compute`.
pub(crate) struct World {
    pub leads: Vec<Lead>,
    pub opps: Vec<Opportunity>,
    pub events: Vec<StageEvent>,
    pub reps: Vec<Rep>,
    pub quotas: Vec<Quota>,
    pub accounts: Vec<Account>,
    pub snapshots: Vec<AccountSnapshot>,
    pub churns: Vec<ChurnEvent>,
    pub spend: Vec<Spend>,
}

impl World {
    pub fn data(&self) -> KpiData<'_> {
        KpiData {
            leads: &self.leads,
            opportunities: &self.opps,
            stage_events: &self.events,
            reps: &self.reps,
            quotas: &self.quotas,
            accounts: &self.accounts,
            snapshots: &self.snapshots,
            churn_events: &self.churns,
            spend: &self.spend,
            gross_margin: Some(0.8),
            conversion_horizon_days: None,
        }
    }
}

/// Parses fixture rows through the same batch parser as the API, so they are valid entities.
pub(crate) fn rows<T: Record>(v: Value) -> Vec<T> {
    let Value::Array(rows) = v else {
        panic!("fixture rows must be an array")
    };
    parse_batch(rows).unwrap_or_else(|p| panic!("fixture rows rejected: {p:?}"))
}

// (id, created, source, owner, converted, first response)
#[rustfmt::skip]
fn leads() -> Vec<Lead> {
    let l = |id: &str, c: &str, src: Option<&str>, owner: &str, conv: Option<bool>, r: Option<&str>| {
        json!({"id": id, "created_at": c, "source": src, "owner_id": owner,
               "converted": conv, "first_response_at": r})
    };
    let mut leads: Vec<Lead> = rows(json!([
        l("L1", "2026-01-05T09:00:00Z", Some("webinar"), "R1", Some(true), Some("2026-01-05T11:00:00Z")),
        l("L2", "2026-01-10T09:00:00Z", Some("webinar"), "R1", Some(false), Some("2026-01-10T13:00:00Z")),
        l("L3", "2026-02-01T09:00:00Z", Some("referral"), "R2", Some(true), Some("2026-02-01T10:00:00Z")),
        l("L4", "2026-02-15T09:00:00Z", Some("referral"), "R2", None, None),
        l("L5", "2026-03-01T09:00:00Z", Some("paid"), "R3", Some(false), Some("2026-03-01T19:00:00Z")),
        l("L6", "2026-03-20T09:00:00Z", None, "R3", Some(true), Some("2026-03-20T15:00:00Z")),
        l("L7", "2025-12-20T09:00:00Z", Some("webinar"), "R1", Some(true), Some("2025-12-24T13:00:00Z")),
        l("L8", "2026-04-02T09:00:00Z", Some("referral"), "R2", Some(true), None),
        json!({"id": "L9", "source": "webinar", "converted": true}),
    ]));
    // Conversion dates: L1 15 days after creation, L3 42 days, L6 2 days.
    for (i, at) in [(0, "2026-01-20T09:00:00Z"), (2, "2026-03-15T09:00:00Z"), (5, "2026-03-22T09:00:00Z")] {
        leads[i].converted_at = Some(Timestamp::parse(at).unwrap());
    }
    leads
}

// (id, owner, account, product, created, expected close, closed, won, amount)
type Deal<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<bool>,
    f64,
);

#[rustfmt::skip]
const DEALS: [Deal; 11] = [
    ("O1", "R1", Some("A1"), Some("Pro"), "2025-12-01", Some("2026-01-31"), Some("2026-01-31"), Some(true), 10000.0),
    ("O2", "R1", Some("A2"), Some("Pro"), "2026-01-10", Some("2026-03-15"), Some("2026-03-11"), Some(true), 20000.0),
    ("O3", "R2", Some("A3"), Some("Basic"), "2026-01-05", Some("2026-02-28"), Some("2026-02-04"), Some(false), 5000.0),
    ("O4", "R2", Some("A4"), Some("Basic"), "2025-11-01", Some("2026-02-28"), Some("2026-02-20"), Some(true), 6000.0),
    ("O5", "R3", Some("A5"), Some("Pro"), "2026-02-01", Some("2026-03-31"), Some("2026-03-03"), Some(false), 8000.0),
    ("O6", "R3", Some("A1"), Some("Pro"), "2025-10-01", Some("2025-12-31"), Some("2025-12-15"), Some(true), 3000.0),
    ("O7", "R1", Some("A6"), Some("Pro"), "2025-12-10", Some("2026-02-15"), None, None, 12000.0),
    ("O8", "R2", Some("A7"), Some("Basic"), "2026-02-10", Some("2026-03-30"), None, None, 7000.0),
    ("O9", "R3", Some("A8"), Some("Pro"), "2025-12-20", Some("2026-05-10"), None, None, 9000.0),
    ("O10", "R2", Some("A9"), None, "2025-12-05", Some("2026-01-31"), Some("2026-01-20"), Some(true), 4000.0),
    ("O11", "R1", None, Some("Basic"), "2026-03-25", None, None, None, 2000.0),
];

fn opps() -> Vec<Opportunity> {
    let deal = |(id, owner, acct, product, created, exp, closed, won, amount): &Deal| {
        let stage = match won {
            Some(true) => "Closed Won",
            Some(false) => "Closed Lost",
            None => "Open",
        };
        json!({"id": id, "owner_id": owner, "account_id": acct, "product": product,
               "created_at": created, "expected_close_date": exp, "closed_at": closed,
               "won": won, "amount": amount, "stage": stage})
    };
    rows(Value::Array(DEALS.iter().map(deal).collect()))
}

#[rustfmt::skip]
const PATHS: [(&str, &[(&str, &str)]); 11] = [
    ("O1", &[("Qualify", "2025-12-01"), ("Propose", "2025-12-20"), ("Negotiate", "2026-01-10"), ("Closed Won", "2026-01-31")]),
    ("O2", &[("Qualify", "2026-01-10"), ("Propose", "2026-01-20"), ("Negotiate", "2026-02-15"), ("Closed Won", "2026-03-11")]),
    ("O3", &[("Qualify", "2026-01-05"), ("Closed Lost", "2026-02-04")]),
    ("O4", &[("Qualify", "2025-11-01"), ("Propose", "2025-12-01"), ("Negotiate", "2026-01-15"), ("Closed Won", "2026-02-20")]),
    ("O5", &[("Qualify", "2026-02-01"), ("Propose", "2026-02-11"), ("Closed Lost", "2026-03-03")]),
    ("O6", &[("Qualify", "2025-10-01"), ("Negotiate", "2025-11-15"), ("Closed Won", "2025-12-15")]),
    ("O7", &[("Qualify", "2025-12-10"), ("Propose", "2026-01-05")]),
    ("O8", &[("Qualify", "2026-02-10")]),
    ("O9", &[("Qualify", "2025-12-20")]),
    ("O10", &[("Qualify", "2025-12-05"), ("Propose", "2025-12-15"), ("Negotiate", "2026-01-05"), ("Closed Won", "2026-01-20")]),
    ("O11", &[("Qualify", "2026-03-25")]),
];

fn events() -> Vec<StageEvent> {
    let out = PATHS
        .iter()
        .flat_map(|(opp, steps)| {
            steps.iter().map(
                move |(stage, at)| json!({"opportunity_id": opp, "stage": stage, "entered_at": at}),
            )
        })
        .collect();
    rows(Value::Array(out))
}

#[rustfmt::skip]
pub(crate) fn world() -> World {
    World {
        leads: leads(),
        opps: opps(),
        events: events(),
        reps: rows(json!([
            {"id": "R1", "name": "Ana", "team": "East", "manager": "Kim", "region": "NA"},
            {"id": "R2", "name": "Bo", "team": "East", "manager": "Kim", "region": "EU"},
            {"id": "R3", "name": "Cy", "manager": "Mia", "region": "EU"},
        ])),
        quotas: rows(json!([
            {"rep_id": "R1", "period": "2026-Q1", "amount": 30000.0},
            {"rep_id": "R1", "period": "2026-Q2", "amount": 40000.0},
            {"rep_id": "R2", "period": "2026-Q1", "amount": 12000.0},
            {"rep_id": "R2", "period": "2026-01", "amount": 5000.0},
            {"rep_id": "R2", "period": "2026-02", "amount": 5000.0},
            {"rep_id": "R2", "period": "2026-03", "amount": 5000.0},
            {"rep_id": "R3", "period": "2026-Q1", "amount": 20000.0},
        ])),
        accounts: accounts(),
        snapshots: snapshots(),
        churns: rows(json!([
            {"account_id": "A3", "churned_at": "2026-02-10", "arr_lost": 7500.0},
            {"account_id": "A5", "churned_at": "2025-12-15", "arr_lost": 4000.0},
            {"account_id": "A7", "churned_at": "2026-03-31"},
            {"account_id": "A9", "churned_at": "2026-04-01", "arr_lost": 4000.0},
        ])),
        spend: rows(json!([
            {"period": "2025-12", "channel": "marketing", "amount": 5000.0},
            {"period": "2026-01", "channel": "marketing", "amount": 3000.0},
            {"period": "2026-02", "channel": "marketing", "amount": 3000.0},
            {"period": "2026-Q1", "channel": "sales", "amount": 9000.0},
            {"period": "2026", "channel": "events", "amount": 3650.0},
        ])),
    }
}

#[rustfmt::skip]
fn accounts() -> Vec<Account> {
    let a = |id: &str, owner: &str, region: &str| {
        json!({"id": id, "name": id, "owner_id": owner, "region": region})
    };
    rows(json!([
        a("A1", "R1", "NA"), a("A2", "R1", "NA"), a("A3", "R2", "EU"), a("A4", "R2", "NA"),
        a("A5", "R3", "EU"), a("A6", "R1", "NA"), a("A7", "R2", "EU"), a("A8", "R3", "EU"),
        a("A9", "R2", "EU"),
    ]))
}

#[rustfmt::skip]
fn snapshots() -> Vec<AccountSnapshot> {
    let s = |id: &str, as_of: &str, arr: f64| json!({"account_id": id, "as_of": as_of, "arr": arr});
    rows(json!([
        s("A1", "2025-12-01", 10000.0), s("A1", "2026-03-01", 13000.0), s("A1", "2026-04-01", 20000.0),
        s("A2", "2026-03-15", 20000.0),
        s("A3", "2025-12-01", 8000.0),
        s("A4", "2026-01-01", 6000.0), s("A4", "2026-02-01", 5000.0),
        s("A5", "2025-11-01", 4000.0),
        s("A6", "2025-12-01", 0.0),
        s("A7", "2026-01-01", 5000.0),
        s("A8", "2025-12-01", 2000.0), s("A8", "2026-02-01", 2000.0),
        s("A9", "2025-12-20", 4000.0),
    ]))
}
