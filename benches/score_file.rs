//! `revcast score leads FILE --mapping M --model A` on a generated file of a million rows, through
//! the release binary as a user runs it (issue 12: >= 200,000 rows/s in bounded memory).
//!
//! The file repeats the X Education export's 9,240 leads (`xeducation_lead_scoring/Leads.csv` in
//! the data folder) with fresh ids until it has ROWS rows; they are scored through
//! `training/mappings/xeducation-leads.toml` with the committed boosted-trees lead model
//! (`models/lead/*/artifact.json`), no database. Reports, per explain level, the median wall time
//! of RUNS runs, rows per second and the peak resident memory of the `revcast` process (`VmHWM`,
//! polled every 20 ms). With REVCAST_BENCH_BASELINE_BIN (another build of `revcast`), the same
//! runs alternate between the two binaries, so both figures come from one run.
//!
//! Run: `cargo bench --bench score_file`. Environment: REVCAST_BENCH_SCORE_ROWS (default
//! 1,000,000), REVCAST_BENCH_RUNS (default 3), REVCAST_DATA_DIR (default `../shared/data`).

use std::path::{Path, PathBuf};

#[path = "support/process.rs"]
mod process;
use process::{measure, median};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_revcast");

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `rows` rows: the export's rows in turn, each with a fresh `Prospect ID`.
fn generate(source: &Path, path: &Path, rows: usize) {
    let mut reader = csv::Reader::from_path(source).unwrap();
    let header = reader.headers().unwrap().clone();
    let id = header.iter().position(|h| h == "Prospect ID").unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(&header).unwrap();
    for i in 0..rows {
        let r = &records[i % records.len()];
        let fresh = format!("gen-{i:07}");
        let row: Vec<&str> = r
            .iter()
            .enumerate()
            .map(|(j, v)| if j == id { fresh.as_str() } else { v })
            .collect();
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

fn artifact() -> PathBuf {
    std::fs::read_dir(root().join("models/lead"))
        .unwrap()
        .map(|e| e.unwrap().path().join("artifact.json"))
        .find(|p| p.exists())
        .expect("a committed lead model")
}

fn main() {
    let rows = env_or("REVCAST_BENCH_SCORE_ROWS", 1_000_000);
    let runs = env_or("REVCAST_BENCH_RUNS", 3).max(1);
    let data = std::env::var_os("REVCAST_DATA_DIR")
        .map_or_else(|| root().join("../shared/data"), PathBuf::from);
    let source = data.join("xeducation_lead_scoring/Leads.csv");
    if !source.exists() {
        eprintln!(
            "{} is absent: set REVCAST_DATA_DIR; nothing measured",
            source.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leads.csv");
    generate(&source, &file, rows);
    let mapping = root().join("training/mappings/xeducation-leads.toml");
    let model = artifact();
    let mut bins = vec![("revcast".to_string(), BIN.to_string())];
    if let Ok(b) = std::env::var("REVCAST_BENCH_BASELINE_BIN") {
        bins.push(("baseline".to_string(), b));
    }
    println!("{rows} rows, {runs} runs; the median run per binary and explain level");
    println!("| binary | explain | median s (runs) | rows/s | peak RSS MB |");
    println!("|---|---|---|---|---|");
    for explain in ["none", "top3", "all"] {
        let mut secs: Vec<Vec<f64>> = vec![Vec::new(); bins.len()];
        let mut peaks: Vec<u64> = vec![0; bins.len()];
        for _ in 0..runs {
            for (k, (_, bin)) in bins.iter().enumerate() {
                let out = dir.path().join("scores.csv");
                let (t, peak) = measure(
                    Command::new(bin)
                        .args(["score", "leads"])
                        .arg(&file)
                        .arg("--mapping")
                        .arg(&mapping)
                        .arg("--model")
                        .arg(&model)
                        .args(["--explain", explain, "--out"])
                        .arg(&out),
                );
                secs[k].push(t.as_secs_f64());
                peaks[k] = peaks[k].max(peak);
            }
        }
        for (k, (name, _)) in bins.iter().enumerate() {
            let runs: Vec<String> = secs[k].iter().map(|s| format!("{s:.2}")).collect();
            let m = median(secs[k].clone());
            println!(
                "| {name} | {explain} | {m:.2} ({}) | {:.0} | {:.0} |",
                runs.join(", "),
                rows as f64 / m,
                peaks[k] as f64 / 1e6
            );
        }
    }
}
