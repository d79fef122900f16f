//! Snapshots rolled up from subscriptions, usage and tickets: a hand-made fixture with every
//! figure worked out by hand, bad cells across the files, and the shipped RavenStack mapping.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

use crate::domain::AccountSnapshot;
use crate::import::{check_rows, is_rollup, ImportError, SnapshotRollup};

const MAPPING: &str = r#"
entity = "account-snapshots"
[rollup]
every = "month"
until = "2024-03-31"
[subscriptions]
account = "account"
id = "sub"
start = "start"
end = "end"
arr = "arr"
seats = "seats"
plan = "plan"
term = "billing"
terms = { monthly = 1, annual = 12 }
[usage]
file = "usage.csv"
subscription = "sub"
date = "day"
count = "uses"
feature = "feature"
errors = "errors"
[tickets]
file = "tickets.csv"
account = "account"
opened = "opened"
closed = "closed"
resolution_hours = "hours"
satisfaction = "stars"
satisfaction_scale = 20
"#;

const SUBSCRIPTIONS: &str = "\
sub,account,start,end,arr,seats,plan,billing
s1,A,2024-01-15,,1200,5,Basic,annual
s2,A,2024-02-10,2024-03-20,600,2,Pro,monthly
s3,B,2024-03-05,2024-03-25,900,1,Basic,monthly
";

const USAGE: &str = "\
sub,day,uses,feature,errors
s1,2024-01-20,3,f0,0
s1,2024-02-25,4,f1,2
s2,2024-03-15,5,f2,1
s3,2024-03-10,7,f1,0
";

const TICKETS: &str = "\
account,opened,closed,hours,stars
A,2024-02-01,2024-02-03 12:00:00,48,4
A,2024-03-30,,,
";

/// A folder holding the usage and ticket files; removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(usage: &str, tickets: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!(
            "revcast_rollup_{}_{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("usage.csv"), usage).unwrap();
        std::fs::write(dir.join("tickets.csv"), tickets).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn build(mapping: &str, subs: &str, usage: &str, tickets: &str) -> Result<Vec<Value>, ImportError> {
    let dir = Dir::new(usage, tickets);
    let r = SnapshotRollup::from_toml(mapping)?;
    let out = r.build("account-snapshots", subs.as_bytes(), &dir.0)?;
    assert_eq!(out.len(), 1);
    check_rows(&out[0]).expect("every rolled-up row is a valid snapshot");
    Ok(out[0].values())
}

#[test]
fn rollup_mappings_are_told_apart_from_row_mappings() {
    assert!(is_rollup(MAPPING));
    let row_mapping = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("training/mappings/telco-customers.toml"),
    )
    .unwrap();
    assert!(!is_rollup(&row_mapping));
}

#[test]
fn month_end_snapshots_add_up_the_active_subscriptions_usage_and_tickets() {
    let rows = build(MAPPING, SUBSCRIPTIONS, USAGE, TICKETS).unwrap();
    // B's only subscription starts and ends inside March: no month end sees it active.
    let expected = [
        json!({"account_id": "A", "as_of": "2024-01-31", "arr": 1200.0, "seats": 5, "plan": "Basic",
               "renewal_date": "2025-01-15", "logins": 3, "open_tickets": 0,
               "attributes": {"active_subscriptions": 1, "features_used_30d": 1,
                              "usage_errors_30d": 0, "tickets_90d": 0}}),
        // s2 has started: ARR and seats add up, the plan is the newest subscription's, and the
        // next renewal is s2's monthly one. The ticket closed on Feb 3 gives resolution and CSAT.
        json!({"account_id": "A", "as_of": "2024-02-29", "arr": 1800.0, "seats": 7, "plan": "Pro",
               "renewal_date": "2024-03-10", "logins": 4, "open_tickets": 0,
               "ticket_resolution_hours": 48.0, "csat": 80.0,
               "attributes": {"active_subscriptions": 2, "features_used_30d": 1,
                              "usage_errors_30d": 2, "tickets_90d": 1}}),
        // s2 ended on Mar 20; its usage on Mar 15 still counts for the account. The Mar 30 ticket
        // is open; the Feb 3 closure is outside 30 days for resolution but inside 90 for CSAT.
        json!({"account_id": "A", "as_of": "2024-03-31", "arr": 1200.0, "seats": 5, "plan": "Basic",
               "renewal_date": "2025-01-15", "logins": 5, "open_tickets": 1, "csat": 80.0,
               "attributes": {"active_subscriptions": 1, "features_used_30d": 1,
                              "usage_errors_30d": 1, "tickets_90d": 2}}),
    ];
    assert_eq!(rows, expected);
    let parsed: Vec<AccountSnapshot> = crate::domain::parse_batch(rows).unwrap();
    assert_eq!(parsed[1].arr.get(), 1800.0);
}

#[test]
fn without_until_the_last_snapshot_is_the_last_month_end_the_data_reaches() {
    let mapping = MAPPING.replace("until = \"2024-03-31\"\n", "");
    // The latest date in any table is Mar 30: March's month end is after it.
    let rows = build(&mapping, SUBSCRIPTIONS, USAGE, TICKETS).unwrap();
    let dates: Vec<&str> = rows.iter().map(|r| r["as_of"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2024-01-31", "2024-02-29"]);
}

#[test]
fn every_bad_cell_of_every_file_is_named_and_nothing_is_built() {
    let subs = SUBSCRIPTIONS
        .replace("2024-02-10", "2024-02-31")
        .replace(",annual", ",weekly");
    let usage = USAGE.replace("s3,2024-03-10", "s9,2024-03-10");
    let tickets = TICKETS.replace(",48,4", ",48,6");
    let Err(ImportError::BadCells(bad)) = build(MAPPING, &subs, &usage, &tickets) else {
        panic!("bad cells must fail the import");
    };
    let said: Vec<String> = bad.iter().map(|(f, p)| format!("{f}: {p}")).collect();
    assert_eq!(
        said,
        [
            "subscriptions: line 2, billing: unknown term `weekly`; the mapping knows annual, monthly",
            "subscriptions: line 3, start: `2024-02-31` is not a date (YYYY-MM-DD)",
            "usage: line 5, sub: no subscription `s9` in the imported file",
            "tickets: line 2, stars: scaled satisfaction 120 is above 100; check satisfaction_scale",
        ]
    );
}

#[test]
fn a_missing_column_or_an_ambiguous_usage_key_is_refused_by_name() {
    let usage = USAGE.replace("uses", "count");
    let err = build(MAPPING, SUBSCRIPTIONS, &usage, TICKETS).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no column `uses`") && text.contains("usage (usage.count)"),
        "{text}"
    );

    let both = MAPPING.replace(
        "subscription = \"sub\"",
        "subscription = \"sub\"\naccount = \"a\"",
    );
    let err = SnapshotRollup::from_toml(&both).unwrap_err().to_string();
    assert!(
        err.contains("exactly one of `account` and `subscription`"),
        "{err}"
    );

    let err = SnapshotRollup::from_toml(&MAPPING.replace("\"month\"", "\"week\"")).unwrap_err();
    assert!(err.to_string().contains("rollup.every"), "{err}");
}

#[test]
#[ignore = "reads ../shared/data; .ci/run runs it with --ignored"]
fn ravenstack_tables_become_monthly_snapshots() {
    let data =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/ravenstack_saas_synthetic");
    assert!(data.is_dir(), "{} is absent", data.display());
    let mappings = Path::new(env!("CARGO_MANIFEST_DIR")).join("training/mappings");
    let text = std::fs::read_to_string(mappings.join("ravenstack-snapshots.toml")).unwrap();
    let r = SnapshotRollup::from_toml(&text).unwrap();
    let subs = std::fs::File::open(data.join("ravenstack_subscriptions.csv")).unwrap();
    let out = r.build("account-snapshots", subs, &mappings).unwrap();
    check_rows(&out[0]).unwrap();
    let snaps: Vec<AccountSnapshot> = crate::domain::parse_batch(out[0].values()).unwrap();
    // Figures from an independent pass over the CSVs (pandas), for one account and overall.
    assert_eq!(snaps.len(), RAVENSTACK_SNAPSHOTS);
    let first = snaps
        .iter()
        .find(|s| s.account_id.as_str() == "A-2e4581")
        .unwrap();
    assert_eq!(first.as_of.to_string(), RAVENSTACK_A2E4581_FIRST.0);
    assert_eq!(first.arr.get(), RAVENSTACK_A2E4581_FIRST.1);
}

/// Month ends from 2023 to 2024-12-31 (the latest date in the tables) with an active subscription.
const RAVENSTACK_SNAPSHOTS: usize = 5254;
const RAVENSTACK_A2E4581_FIRST: (&str, f64) = ("2024-10-31", 12936.0);
