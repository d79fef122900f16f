//! The first pass of a streaming import on files written to disk: problems counted in full but
//! spelled out for the first lines only, duplicate keys across the file, separators, gzip, the
//! line-number id and lookup defaults.

use serde_json::json;
use std::io::Write;
use std::path::Path;

use crate::import::{check_file, map_csv, CsvFile, Mapping, SHOWN_PROBLEMS};

const REPS: &str = r#"
entity = "reps"
[fields]
id = "name"
name = { value = "A rep" }
team = "team"
"#;

/// A scratch folder removed on drop.
pub(crate) struct TestDir(std::path::PathBuf);

impl TestDir {
    pub(crate) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "revcast-import-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TestDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn mapping(text: &str, dir: &Path) -> Mapping {
    Mapping::from_toml(text, dir).unwrap()
}

#[test]
fn many_bad_lines_are_all_counted_and_the_first_hundred_spelled_out_in_line_order() {
    let dir = TestDir::new();
    let mut csv = String::from("name,team\n");
    for i in 0..5_000 {
        // Every third line lacks its id; every line after 4,000 repeats line 2's id.
        match i {
            _ if i % 3 == 1 => csv.push_str(",East\n"),
            _ if i > 4_000 => csv.push_str("r0,East\n"),
            _ => csv.push_str(&format!("r{i},East\n")),
        }
    }
    let path = write(dir.path(), "reps.csv", &csv);
    let file = CsvFile::new(&path, None).unwrap();
    let report = check_file(&mapping(REPS, dir.path()), "reps", &file, None, &mut |_| {}).unwrap();
    let missing = (0..5_000).filter(|i| i % 3 == 1).count() as u64;
    let repeats = (4_001..5_000).filter(|i| i % 3 != 1).count() as u64;
    assert_eq!(report.problems.total, missing + repeats);
    assert_eq!(report.problems.first.len(), SHOWN_PROBLEMS);
    let lines: Vec<u64> = report.problems.first.iter().map(|p| p.line).collect();
    let expected: Vec<u64> = (0..5_000u64)
        .filter(|i| i % 3 == 1)
        .map(|i| i + 2)
        .take(SHOWN_PROBLEMS)
        .collect();
    assert_eq!(lines, expected);
    assert_eq!(report.problems.first[0].field, "id");
}

#[test]
fn a_repeated_key_names_the_key_and_the_first_line_like_the_in_memory_check() {
    let dir = TestDir::new();
    let path = write(dir.path(), "r.csv", "name,team\na,E\nb,E\na,W\nc,E\nb,E\n");
    let file = CsvFile::new(&path, None).unwrap();
    let report = check_file(&mapping(REPS, dir.path()), "reps", &file, None, &mut |_| {}).unwrap();
    let text: Vec<String> = report
        .problems
        .first
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(
        text,
        [
            "line 4: has the same key `a` as line 2; keep one of them",
            "line 6: has the same key `b` as line 3; keep one of them",
        ]
    );
    assert_eq!(report.rows, [5]);
}

#[test]
fn semicolon_and_gzip_files_check_like_their_plain_comma_twin() {
    let dir = TestDir::new();
    let m = mapping(REPS, dir.path());
    let semi = write(dir.path(), "s.csv", "name;team\n\"x;1\";E\ny;W\n");
    let file = CsvFile::new(&semi, None).unwrap();
    assert_eq!(file.delimiter(), b';');
    let report = check_file(&m, "reps", &file, None, &mut |_| {}).unwrap();
    assert_eq!((report.rows.clone(), report.problems.total), (vec![2], 0));

    let gz_path = dir.path().join("r.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"name,team\na,E\n,W\n").unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let file = CsvFile::new(&gz_path, None).unwrap();
    let mut last = 0;
    let report = check_file(&m, "reps", &file, None, &mut |n| last = n).unwrap();
    assert_eq!(report.rows, [2]);
    assert_eq!(report.problems.total, 1);
    assert_eq!(report.problems.first[0].line, 3);
    assert_eq!(last, file.size(), "progress ends at the compressed size");
}

#[test]
fn the_line_rule_makes_ids_from_line_numbers_with_an_optional_prefix() {
    let m = r#"
        entity = "leads"
        [fields]
        id = { line = true, prefix = "xl-" }
        source = "src"
        [attributes.fields]
        row = { line = true, type = "integer" }
    "#;
    let m = Mapping::from_toml(m, Path::new(".")).unwrap();
    let out = map_csv(
        &m,
        "leads",
        "src\nweb\n\"a\nb\"\nads\n".as_bytes(),
        &mut |_| {},
    )
    .unwrap();
    let v = out[0].values();
    assert_eq!(
        v[0],
        json!({"id": "xl-2", "source": "web", "attributes": {"row": 2}})
    );
    assert_eq!(
        v[1]["id"], "xl-3",
        "a record spanning lines 3-4 takes its first line"
    );
    assert_eq!(v[2]["id"], "xl-5");
    for bad in [
        r#"id = { line = true, column = "src" }"#,
        r#"id = { column = "src", prefix = "x" }"#,
    ] {
        let text = format!("entity = \"leads\"\n[fields]\n{bad}\n");
        let err = Mapping::from_toml(&text, Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("fields.id"), "{err}");
    }
}

#[test]
fn a_lookup_default_fills_keys_the_lookup_file_lacks() {
    let dir = TestDir::new();
    write(dir.path(), "won.csv", "lead,deal\nL1,D9\nL3,D7\n");
    let text = r#"
        entity = "leads"
        [lookups.closed]
        file = "won.csv"
        key = "lead"
        found = "yes"
        default = "no"
        [lookups.deal]
        file = "won.csv"
        key = "lead"
        value = "deal"
        default = ""
        [fields]
        id = "id"
        converted = { column = "id", lookup = "closed", type = "bool" }
        [attributes.fields]
        deal = { column = "id", lookup = "deal" }
    "#;
    let m = mapping(text, dir.path());
    let out = map_csv(&m, "leads", "id\nL1\nL2\nL3\n".as_bytes(), &mut |_| {}).unwrap();
    let v = out[0].values();
    assert_eq!(
        v[0],
        json!({"id": "L1", "converted": true, "attributes": {"deal": "D9"}})
    );
    assert_eq!(
        v[1],
        json!({"id": "L2", "converted": false, "attributes": {}})
    );
    assert_eq!(v[2]["converted"], true);
    let both = text.replace("found = \"yes\"", "found = \"yes\"\nvalue = \"deal\"");
    let err = Mapping::from_toml(&both, dir.path()).unwrap_err();
    assert!(err.to_string().contains("lookups.closed"), "{err}");
}

/// The mapping gives the fast road and the JSON road the same fields, so a row only the JSON
/// road accepts cannot be made from a mapping; should one ever come, it is written with the JSON
/// road's cells, and a row with problems is handed back for them.
#[test]
fn a_row_the_json_road_accepts_becomes_its_cells_and_a_bad_one_comes_back() {
    use crate::domain::{parse_row, Record, Rep};
    use crate::import::entity_kind;
    use crate::import::stream::json_cells;
    use crate::import::MappedRow;
    let kind = entity_kind("reps").unwrap();
    let good = json!({"id": "r1", "name": "A rep", "attributes": {"team": "East"}});
    let row = |value: serde_json::Value| MappedRow {
        line: 2,
        value,
        problems: Vec::new(),
    };
    let rep: Rep = parse_row(good.clone()).unwrap();
    assert_eq!(
        json_cells(&kind, row(good)).unwrap(),
        (rep.key(), rep.into_values())
    );
    let bad = row(json!({"id": "r1"}));
    assert_eq!(json_cells(&kind, bad.clone()).unwrap_err(), bad);
}
