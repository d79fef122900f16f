//! Bad mappings and bad files: every problem named by key, column, line and field.

use std::path::Path;

use crate::import::{check_rows, map_csv, EntityRows, ImportError, LineProblem, Mapping};

const DEALS: &str = r#"
entity = "opportunities"
[fields]
id = "Deal"
stage = "Stage"
amount = { column = "Value", type = "number" }
created_at = { column = "Opened", type = "timestamp", format = "%d/%m/%Y" }
won = { column = "Won?", type = "bool" }
closed_at = { column = "Closed", type = "timestamp", format = "%d/%m/%Y" }
"#;

fn mapping(text: &str) -> Result<Mapping, ImportError> {
    Mapping::from_toml(text, Path::new("."))
}

fn run(m: &Mapping, entity: &str, csv: &str) -> Result<Vec<EntityRows>, ImportError> {
    map_csv(m, entity, csv.as_bytes(), &mut |_| {})
}

fn problems(csv: &str) -> Vec<(u64, String)> {
    let out = run(&mapping(DEALS).unwrap(), "opportunities", csv).unwrap();
    let all: Vec<LineProblem> = check_rows(&out[0]).err().unwrap_or_default();
    all.into_iter().map(|p| (p.line, p.field)).collect()
}

#[test]
fn every_bad_cell_is_reported_by_line_and_field() {
    let csv = "Deal,Stage,Value,Opened,Won?,Closed\n\
               D1,Open,100,01/02/2026,,\n\
               D2,Open,lots,01/02/2026,,\n\
               D3,Open,5,2026-02-30,,\n\
               D4,Won,5,01/02/2026,perhaps,03/02/2026\n\
               D5,Won,-3,01/02/2026,yes,\n\
               D6,Open,7,01/02/2026,,\n";
    assert_eq!(
        problems(csv),
        [
            (3, "amount".to_string()),
            (4, "created_at".to_string()),
            (5, "won".to_string()),
            (6, "amount".to_string()),
            (6, "closed_at".to_string()),
        ]
    );
}

#[test]
fn cell_problems_say_what_was_wrong_with_the_value() {
    let csv = "Deal,Stage,Value,Opened,Won?,Closed\nD2,Open,lots,31/13/2026,,\n";
    let out = run(&mapping(DEALS).unwrap(), "opportunities", csv).unwrap();
    let p = &out[0].rows[0].problems;
    assert!(
        p[0].reason.contains("`lots` is not a number"),
        "{}",
        p[0].reason
    );
    assert!(p[1].reason.contains("%d/%m/%Y"), "{}", p[1].reason);
    assert_eq!(
        p[1].to_string(),
        format!("line 2, created_at: {}", p[1].reason)
    );
}

#[test]
fn quoted_fields_bom_and_crlf_keep_line_numbers_right() {
    let csv = "\u{feff}Deal,Stage,Value,Opened,Won?,Closed\r\n\
               \"D1, the big one\",\"Open\nstill\",100,01/02/2026,,\r\n\
               D2,Open,x,01/02/2026,,\r\n";
    let out = run(&mapping(DEALS).unwrap(), "opportunities", csv).unwrap();
    assert_eq!(out[0].rows[0].value["id"], "D1, the big one");
    assert_eq!(
        out[0].rows[1].line, 4,
        "the quoted newline spans lines 2 and 3"
    );
    assert_eq!(problems(csv), [(4, "amount".to_string())]);
}

#[test]
fn a_row_with_the_wrong_number_of_cells_is_a_line_problem() {
    let csv = "Deal,Stage,Value,Opened,Won?,Closed\nD1,Open,1,01/02/2026\nD2,Open,2,01/02/2026,,\n";
    let out = run(&mapping(DEALS).unwrap(), "opportunities", csv).unwrap();
    assert_eq!(out[0].rows.len(), 2);
    let p = check_rows(&out[0]).unwrap_err();
    assert_eq!((p[0].line, p[0].field.as_str()), (2, ""));
    assert!(
        p[0].reason.contains("4 cells") && p[0].reason.contains("6"),
        "{}",
        p[0].reason
    );
}

#[test]
fn a_missing_mapped_column_is_a_file_error_naming_it() {
    let csv = "Deal,Stage,Opened,Won?,Closed\nD1,Open,01/02/2026,,\n";
    let err = run(&mapping(DEALS).unwrap(), "opportunities", csv).unwrap_err();
    assert!(
        matches!(&err, ImportError::MissingColumn { column, key, .. } if column == "Value" && key == "fields.amount")
    );
    assert!(err.to_string().contains("`Value`"), "{err}");
}

#[test]
fn the_entity_named_must_be_the_mappings() {
    let err = run(&mapping(DEALS).unwrap(), "leads", "Deal\n").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("`leads`") && msg.contains("`opportunities`"),
        "{msg}"
    );
}

#[test]
fn bad_mappings_fail_on_load_naming_the_key() {
    let cases = [
        ("entity = \"deals\"\n[fields]\nid = \"x\"", "entity", "deals"),
        ("entity = \"leads\"\n[fields]\nid = \"x\"\ncolour = \"c\"", "fields.colour", "colour"),
        ("entity = \"leads\"\n[fields]\ncreated_at = { column = \"d\", type = \"timestamp\", format = \"%Q\" }", "fields.created_at.format", "%Q"),
        ("entity = \"leads\"\n[fields]\nsource = { column = \"s\", lookup = \"nope\" }", "fields.source.lookup", "nope"),
        ("entity = \"leads\"\n[fields]\nsource = { column = \"s\", scale = 2 }", "fields.source.scale", "number"),
        ("entity = \"leads\"\n[fields]\nsource = { value = \"s\", column = \"t\" }", "fields.source", "not both"),
        ("entity = \"leads\"\n[[derived]]\nentity = \"churn\"\n[derived.fields]\nx = \"y\"\n[fields]\nid = \"x\"", "derived[0].entity", "churn"),
    ];
    for (text, key, named) in cases {
        let msg = mapping(text).unwrap_err().to_string();
        assert!(
            msg.contains(&format!("`{key}`")) && msg.contains(named),
            "{key}: {msg}"
        );
    }
    let msg = mapping("entity = \"leads\"\n[fields]\nid = { colum = \"x\" }")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("colum"), "{msg}");
}

#[test]
fn a_missing_lookup_file_names_the_lookup_and_path() {
    let text = "entity = \"leads\"\n[lookups.prices]\nfile = \"no-such.csv\"\nkey = \"k\"\nvalue = \"v\"\n[fields]\nid = \"x\"";
    let msg = mapping(text).unwrap_err().to_string();
    assert!(
        msg.contains("prices") && msg.contains("no-such.csv"),
        "{msg}"
    );
}

#[test]
fn entity_rules_are_checked_by_the_domain_after_mapping() {
    // Well-formed cells, but a closed date before the creation date.
    let csv =
        "Deal,Stage,Value,Opened,Won?,Closed\nD1,Won,1,05/02/2026,yes,01/02/2026\n,Open,1,,,\n";
    assert_eq!(
        problems(csv),
        [(2, "closed_at".to_string()), (3, "id".to_string())]
    );
}

#[test]
fn two_lines_with_one_key_are_reported_on_the_later_line() {
    let csv = "Deal,Stage,Value,Opened,Won?,Closed\nD1,Open,1,,,\nD2,Open,1,,,\nD1,Open,2,,,\nD1,Open,3,,,\n";
    let out = run(&mapping(DEALS).unwrap(), "opportunities", csv).unwrap();
    let p = check_rows(&out[0]).unwrap_err();
    let seen: Vec<u64> = p.iter().map(|p| p.line).collect();
    assert_eq!(seen, [4, 5]);
    assert!(
        p[1].reason.contains("`D1`") && p[1].reason.contains("line 2"),
        "{}",
        p[1].reason
    );
}
