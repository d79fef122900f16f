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

fn leads_csv() -> Option<PathBuf> {
    let p = root().join("../shared/data/xeducation_lead_scoring/Leads.csv");
    p.exists().then_some(p).or_else(|| {
        eprintln!("the X Education data is absent: case not run");
        None
    })
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
    let Some(file) = leads_csv() else { return };
    install_lead_model(app).await;
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

    let rows = mapped_rows(&file);
    assert_eq!(rows.len(), 9240);
    let (status, http) = app
        .post_json(
            "/v1/score/leads?explain=all",
            &app.admin_key,
            &Value::Array(rows),
        )
        .await;
    assert_eq!(status, 200, "{http}");
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
    score_file_matches_http,
    the_cli_scores_x_education_as_the_http_endpoint_does
);
