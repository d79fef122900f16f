//! What each mapping rule does to a cell, on small hand-written files.

use serde_json::{json, Value};
use std::path::Path;

use crate::import::spec::snake_case;
use crate::import::{map_csv, EntityRows, Mapping};

fn run(mapping: &str, csv: &[u8]) -> Vec<EntityRows> {
    let m = Mapping::from_toml(mapping, Path::new(".")).unwrap();
    map_csv(&m, &m.entity.clone(), csv, &mut |_| {}).unwrap()
}

/// The main entity's rows as JSON values.
fn values(mapping: &str, csv: &str) -> Vec<Value> {
    run(mapping, csv.as_bytes())[0].values()
}

#[test]
fn value_maps_keep_drop_or_reject_unknown_cells() {
    let m = r#"
        entity = "opportunities"
        [fields]
        id = "id"
        stage = { column = "s", map = { Won = "Closed Won" } }
        won = { column = "s", type = "bool", map = { Won = true, Lost = false }, unmapped = "null" }
        forecast_category = { column = "f", map = { c = "commit" }, unmapped = "error" }
    "#;
    let rows = run(m, b"id,s,f\n1,Won,c\n2,Open,x\n");
    let v = rows[0].values();
    assert_eq!(
        v[0],
        json!({"id": "1", "stage": "Closed Won", "won": true, "forecast_category": "commit"})
    );
    assert_eq!(v[1], json!({"id": "2", "stage": "Open"}));
    let p = &rows[0].rows[1].problems;
    assert_eq!((p[0].line, p[0].field.as_str()), (3, "forecast_category"));
    assert!(
        p[0].reason.contains("`x` is not one of: c"),
        "{}",
        p[0].reason
    );
}

#[test]
fn null_tokens_apply_everywhere_and_per_field() {
    let m = r#"
        entity = "leads"
        null = ["", "Select"]
        [fields]
        id = "id"
        source = { column = "src", null = ["n/a"] }
        status = { column = "st", map = { unknown = "" } }
    "#;
    let v = values(m, "id,src,st\n1, Select ,unknown\n2,n/a,open\n3,   ,x\n");
    assert_eq!(v[0], json!({"id": "1"}));
    assert_eq!(v[1], json!({"id": "2", "status": "open"}));
    assert_eq!(v[2], json!({"id": "3", "status": "x"}));
}

#[test]
fn when_picks_the_field_or_its_otherwise() {
    let m = r#"
        entity = "opportunities"
        [fields]
        id = "id"
        stage = "s"
        amount = { column = "val", type = "number", when = { column = "s", in = ["Won"] }, otherwise = { value = 0 } }
        product = { column = "p", when = { column = "s", not_in = ["Lost"] } }
    "#;
    let v = values(m, "id,s,val,p\n1,Won,10,a\n2,Lost,0,a\n3,Open,,b\n");
    assert_eq!(v[0]["amount"], 10.0);
    assert_eq!(v[1]["amount"], 0);
    assert_eq!(v[1].get("product"), None);
    assert_eq!(v[2]["product"], "b");
}

#[test]
fn lookups_replace_the_cell_with_the_second_files_value() {
    let dir = std::env::temp_dir().join(format!("revcast-import-lookup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("prices.csv"),
        "product,price\nGTX Pro,4821\nMG,55\n",
    )
    .unwrap();
    let m = r#"
        entity = "opportunities"
        [lookups.list]
        file = "prices.csv"
        key = "product"
        value = "price"
        [fields]
        id = "id"
        stage = { value = "Open" }
        amount = { column = "p", map = { GTXPro = "GTX Pro" }, lookup = "list", type = "number", scale = 2 }
    "#;
    let mapping = Mapping::from_toml(m, &dir).unwrap();
    let out = map_csv(
        &mapping,
        "opportunities",
        &b"id,p\n1,GTXPro\n2,MG\n3,Nope\n"[..],
        &mut |_| {},
    )
    .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let v = out[0].values();
    assert_eq!(
        (v[0]["amount"].as_f64(), v[1]["amount"].as_f64()),
        (Some(9642.0), Some(110.0))
    );
    let p = &out[0].rows[2].problems[0];
    assert_eq!((p.line, p.field.as_str()), (4, "amount"));
    assert!(
        p.reason.contains("`Nope`") && p.reason.contains("`list`"),
        "{}",
        p.reason
    );
}

#[test]
fn numbers_scale_and_round_and_dates_shift() {
    let m = r#"
        entity = "account-snapshots"
        [fields]
        account_id = "id"
        arr = { column = "monthly", type = "number", scale = 12, round = 2 }
        as_of = { value = "2018-01-31", type = "date", add_months = { column = "back", times = -1 } }
        renewal_date = { column = "start", type = "date", format = "%m/%d/%Y", add_days = 30 }
    "#;
    let v = values(m, "id,monthly,back,start\nA,29.85,1,12/15/2017\nB,10,,\n");
    assert_eq!(v[0]["arr"], 358.2);
    assert_eq!(v[0]["as_of"], "2017-12-31");
    assert_eq!(v[0]["renewal_date"], "2018-01-14");
    assert_eq!(v[1]["arr"], 120.0);
    assert_eq!(
        v[1].get("as_of"),
        None,
        "an offset from a blank cell leaves the date unknown"
    );
}

#[test]
fn constants_take_their_toml_type() {
    let m = r#"
        entity = "leads"
        [fields]
        id = "id"
        converted = { value = false }
        created_at = { value = "2026-01-05", type = "timestamp" }
    "#;
    let v = values(m, "id\nL1\n");
    assert_eq!(
        v[0],
        json!({"id": "L1", "converted": false, "created_at": "2026-01-05T00:00:00Z"})
    );
}

#[test]
fn unmapped_attributes_skip_used_and_excluded_columns() {
    let m = r#"
        entity = "leads"
        null = ["", "Select"]
        [fields]
        id = "Prospect ID"
        source = "Lead Source"
        [attributes]
        unmapped = true
        keys = "snake"
        exclude = ["Tags", "Asymmetrique *"]
        [attributes.fields]
        visits = { column = "TotalVisits", type = "integer" }
    "#;
    let csv = "Prospect ID,Lead Source,TotalVisits,Tags,Asymmetrique Activity Score,Page Views Per Visit,City\n\
               p1,Google,5,Will revert,15,2.5,Select\n";
    let v = values(m, csv);
    assert_eq!(
        v[0]["attributes"],
        json!({"visits": 5, "page_views_per_visit": 2.5})
    );
}

#[test]
fn two_columns_with_one_attribute_key_are_refused() {
    let m = r#"
        entity = "leads"
        [fields]
        id = "id"
        [attributes]
        unmapped = true
        keys = "snake"
    "#;
    let mapping = Mapping::from_toml(m, Path::new(".")).unwrap();
    let err = map_csv(
        &mapping,
        "leads",
        &b"id,Lead Source,lead_source\n1,a,b\n"[..],
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("`lead_source`"), "{err}");
}

#[test]
fn derived_entities_of_one_kind_share_a_bucket_in_line_order() {
    let m = r#"
        entity = "opportunities"
        [fields]
        id = "id"
        stage = "s"
        [[derived]]
        entity = "stage-events"
        when = { column = "e", present = true }
        [derived.fields]
        opportunity_id = "id"
        stage = { value = "Engaging" }
        entered_at = { column = "e", type = "timestamp" }
        [[derived]]
        entity = "stage-events"
        when = { column = "c", present = true }
        [derived.fields]
        opportunity_id = "id"
        stage = "s"
        entered_at = { column = "c", type = "timestamp" }
    "#;
    let out = run(
        m,
        b"id,s,e,c\n1,Won,2026-01-01,2026-02-01\n2,Prospecting,,\n3,Engaging,2026-01-03,\n",
    );
    assert_eq!(out.len(), 2);
    let seen: Vec<(u64, &str)> = out[1]
        .rows
        .iter()
        .map(|r| (r.line, r.value["stage"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(2, "Engaging"), (2, "Won"), (4, "Engaging")]);
}

#[test]
fn a_line_that_is_not_utf8_is_reported_and_the_rest_imported() {
    let m = "entity = \"leads\"\n[fields]\nid = \"id\"\nsource = \"s\"";
    let out = run(m, b"id,s\n1,web\n2,caf\xE9\n3,mail\n");
    let lines: Vec<u64> = out[0].rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4]);
    assert_eq!(out[0].rows[1].problems[0].line, 3);
    assert!(out[0].rows[2].problems.is_empty());
}

#[test]
fn progress_reports_growing_byte_counts_ending_at_the_size() {
    let m =
        Mapping::from_toml("entity = \"leads\"\n[fields]\nid = \"id\"", Path::new(".")).unwrap();
    let csv: String = std::iter::once("id\n".to_string())
        .chain((0..2500).map(|i| format!("L{i}\n")))
        .collect();
    let mut seen = Vec::new();
    map_csv(&m, "leads", csv.as_bytes(), &mut |b| seen.push(b)).unwrap();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), csv.len() as u64);
}

#[test]
fn snake_case_splits_words_and_camel_humps() {
    assert_eq!(snake_case("Lead Origin"), "lead_origin");
    assert_eq!(snake_case("TotalVisits"), "total_visits");
    assert_eq!(snake_case("customerID"), "customer_id");
    assert_eq!(
        snake_case("How did you hear about X Education"),
        "how_did_you_hear_about_x_education"
    );
    assert_eq!(
        snake_case("Asymmetrique Activity Index "),
        "asymmetrique_activity_index"
    );
}
