//! `revcast score` on a real CRM export gives the scores the HTTP endpoint gives for the same rows.

use revcast::import::{map_csv, Mapping};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::both_backends;
use crate::bulk::{install_lead_model, lead_artifact};
use crate::helpers::TestApp;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const MAPPING: &str = "training/mappings/xeducation-leads.toml";

/// The X Education export: `$REVCAST_DATA_DIR/xeducation_lead_scoring/Leads.csv`, else the data
/// folder beside the repository.
fn leads_csv() -> PathBuf {
    let data = std::env::var_os("REVCAST_DATA_DIR")
        .map_or_else(|| root().join("../shared/data"), PathBuf::from);
    let p = data.join("xeducation_lead_scoring/Leads.csv");
    assert!(
        p.exists(),
        "{} is absent: set REVCAST_DATA_DIR to the data folder",
        p.display()
    );
    p
}

/// The file's rows as the import maps them, as JSON leads.
fn mapped_rows(file: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(root().join(MAPPING)).unwrap();
    let mapping = Mapping::from_toml(&text, &root().join("training/mappings")).unwrap();
    let batches = map_csv(
        &mapping,
        "leads",
        std::fs::File::open(file).unwrap(),
        &mut |_| {},
    )
    .unwrap();
    batches
        .into_iter()
        .find(|b| b.entity == "leads")
        .unwrap()
        .values()
}

async fn the_cli_scores_x_education_as_the_http_endpoint_does(app: &TestApp) {
    let file = leads_csv();
    // The HTTP scores first: the CLI run takes seconds, and the client's pooled connection
    // would by then have outlived the server's keep-alive.
    let rows = mapped_rows(&file);
    assert_eq!(rows.len(), 9240);
    install_lead_model(app).await;
    let (status, http) = app
        .post_json(
            "/v1/score/leads?explain=all",
            &app.admin_key,
            &Value::Array(rows),
        )
        .await;
    assert_eq!(status, 200, "{http}");
    let dir = std::env::temp_dir().join(format!("revcast_score_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("scored.csv");
    let run = Command::new(env!("CARGO_BIN_EXE_revcast"))
        .args([
            "score",
            "leads",
            file.to_str().unwrap(),
            "--mapping",
            MAPPING,
            "--explain",
            "all",
        ])
        .args([
            "--model",
            lead_artifact().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["id", "score", "probability", "grade", "factors"]
    );
    let cli: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let _ = std::fs::remove_dir_all(&dir);

    let http = http["data"].as_array().unwrap();
    assert_eq!(
        cli.len(),
        http.len(),
        "one score per line, in the file's order"
    );
    for (c, h) in cli.iter().zip(http) {
        assert_eq!(&c[0], h["id"].as_str().unwrap());
        assert_eq!(
            c[1].parse::<u64>().unwrap(),
            h["score"].as_u64().unwrap(),
            "{}",
            &c[0]
        );
        assert_eq!(
            c[2].parse::<f64>().unwrap(),
            h["probability"].as_f64().unwrap(),
            "{}",
            &c[0]
        );
        assert_eq!(&c[3], h["grade"].as_str().unwrap());
        let texts: Vec<&str> = ["positive_factors", "negative_factors"]
            .iter()
            .flat_map(|k| h[k].as_array().unwrap())
            .map(|f| f["text"].as_str().unwrap())
            .collect();
        assert_eq!(&c[4], texts.join("; "), "{}", &c[0]);
    }
}
both_backends!(
    ignore =
        "reads the X Education export beside the repository (../shared/data or REVCAST_DATA_DIR)",
    score_file_matches_http,
    the_cli_scores_x_education_as_the_http_endpoint_does
);

/// The lines of `stderr` that report a problem of `file`.
fn problem_lines(stderr: &[u8], file: &Path) -> Vec<String> {
    let prefix = format!("{}: line ", file.display());
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(str::to_string)
        .collect()
}

#[test]
fn bad_lines_are_reported_as_the_import_reports_them_and_the_others_scored() {
    let dir = std::env::temp_dir().join(format!("revcast_score_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("leads.csv");
    // Line 3: not a yes/no; line 4: no id; line 5: a quoted cell spanning two lines.
    std::fs::write(
        &file,
        "Prospect ID,Lead Origin,Lead Source,Converted,TotalVisits\n\
         A1,API,Google,1,3\n\
         A2,API,Google,maybe,4\n\
         ,API,Direct Traffic,0,1\n\
         A4,\"Landing Page\nSubmission\",Reference,0,9\n\
         A5,API,Olark Chat,0,2\n",
    )
    .unwrap();
    let out = dir.join("scored.csv");
    let mapping = root().join(MAPPING);
    let score = Command::new(env!("CARGO_BIN_EXE_revcast"))
        .args(["score", "leads", file.to_str().unwrap(), "--mapping"])
        .args([mapping.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--model", lead_artifact().to_str().unwrap()])
        .output()
        .unwrap();
    let import = Command::new(env!("CARGO_BIN_EXE_revcast"))
        .args(["import", "leads", file.to_str().unwrap(), "--mapping"])
        .arg(mapping.to_str().unwrap())
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("import.db").display()))
        .output()
        .unwrap();
    let scored = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    assert!(!score.status.success(), "bad lines make the command fail");
    let reported = problem_lines(&score.stderr, &file);
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert!(reported[0].contains("line 3, converted: "), "{reported:?}");
    assert!(reported[1].contains("line 4, id: "), "{reported:?}");
    assert_eq!(reported, problem_lines(&import.stderr, &file));
    let ids: Vec<String> = csv::Reader::from_reader(scored.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(ids, ["A1", "A4", "A5"], "{scored}");
}
