//! Evaluation of [`forecast_series`] on the small public series beside statsforecast's
//! AutoETS and AutoTheta (figures from `training/peers/series_peers.py`, stored in
//! `training/peers/series_peers.json`). Same split and metrics as that script.
//!
//! Run: `cargo test --lib forecast::series_eval -- --ignored --nocapture`
//! (data folder: `$REVCAST_SERIES_DIR`, default `../shared/data/forecasting_small_series`
//! relative to the crate root).

use std::path::PathBuf;

use super::forecast_series;

const SEASON: usize = 12;

fn data_dir() -> PathBuf {
    std::env::var_os("REVCAST_SERIES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/data/forecasting_small_series")
        })
}

/// The second column of a CSV with a header (the first column is the date).
fn load(path: &std::path::Path) -> Vec<f64> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| rec.unwrap()[1].trim().parse::<f64>().unwrap())
        .collect()
}

/// Last 12 values held out, 6 for series under 48 values.
fn split(y: &[f64]) -> (&[f64], &[f64]) {
    let h = if y.len() >= 48 { 12 } else { 6 };
    y.split_at(y.len() - h)
}

/// sMAPE in percent; a term with actual = forecast = 0 counts 0.
fn smape(f: &[f64], a: &[f64]) -> f64 {
    let terms = f.iter().zip(a).map(|(f, a)| {
        let den = f.abs() + a.abs();
        if den == 0.0 {
            0.0
        } else {
            200.0 * (f - a).abs() / den
        }
    });
    terms.sum::<f64>() / a.len() as f64
}

/// MASE scaled by the in-sample seasonal naive error: m = 12 with 36+ training values, else 1.
fn mase(f: &[f64], a: &[f64], train: &[f64]) -> f64 {
    let m = if train.len() >= 3 * SEASON { SEASON } else { 1 };
    let scale = (m..train.len())
        .map(|i| (train[i] - train[i - m]).abs())
        .sum::<f64>()
        / (train.len() - m) as f64;
    f.iter().zip(a).map(|(f, a)| (f - a).abs()).sum::<f64>() / a.len() as f64 / scale
}

#[test]
#[ignore = "reads ../shared/data; run with --ignored"]
fn series_forecast_is_no_worse_than_statsforecast_autoets_on_mean_mase() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("series data folder (set REVCAST_SERIES_DIR)")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "{files:?}");
    let peers: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/training/peers/series_peers.json"
    )))
    .unwrap();
    let mut total = 0.0;
    println!(
        "{:<40} {:>16} {:>8} {:>8} | {:>8} {:>8}",
        "series", "method", "sMAPE", "MASE", "ETS", "Theta"
    );
    for path in &files {
        let y = load(path);
        let (train, test) = split(&y);
        let f = forecast_series(train, test.len(), Some(SEASON)).unwrap();
        let (s, m) = (smape(&f.point, test), mase(&f.point, test, train));
        total += m;
        let name = path.file_stem().unwrap().to_str().unwrap();
        let peer = |p: &str| peers[name][p]["mase"].as_f64().unwrap();
        println!(
            "{name:<40} {:>16} {s:>8.2} {m:>8.3} | {:>8.3} {:>8.3}",
            f.method,
            peer("AutoETS"),
            peer("AutoTheta")
        );
    }
    let ours = total / files.len() as f64;
    let ets = peers["_mean"]["AutoETS"]["mase"].as_f64().unwrap();
    println!(
        "mean MASE: revcast {ours:.3}, AutoETS {ets:.3}, AutoTheta {:.3}",
        peers["_mean"]["AutoTheta"]["mase"]
    );
    assert!(
        ours <= ets,
        "revcast mean MASE {ours:.3} is worse than AutoETS {ets:.3}"
    );
}

/// The M3 competition's series of one sheet: (train, official hold-out) per series, in file order.
fn load_m3(file: &str) -> Vec<(Vec<f64>, Vec<f64>)> {
    let dir = std::env::var_os("REVCAST_M3_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/m3_quarterly_other")
        });
    let path = dir.join(file);
    let gz = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut r = csv::Reader::from_reader(flate2::read::GzDecoder::new(gz));
    let mut out: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let (id, split, value) = (&rec[0], &rec[7], rec[8].parse::<f64>().unwrap());
        if out.last().is_none_or(|s| s.0 != id) {
            out.push((id.to_string(), Vec::new(), Vec::new()));
        }
        let s = out.last_mut().unwrap();
        match split {
            "train" => s.1.push(value),
            _ => s.2.push(value),
        }
    }
    out.into_iter().map(|(_, a, b)| (a, b)).collect()
}

/// Mean sMAPE and MASE (scaled by the in-sample seasonal naive error of lag `m`) over a sheet.
fn m3_scores(series: &[(Vec<f64>, Vec<f64>)], season: Option<usize>, m: usize) -> (f64, f64) {
    let (mut s_sum, mut m_sum) = (0.0, 0.0);
    for (train, test) in series {
        let f = forecast_series(train, test.len(), season).unwrap();
        s_sum += smape(&f.point, test);
        let scale = (m..train.len())
            .map(|i| (train[i] - train[i - m]).abs())
            .sum::<f64>()
            / (train.len() - m) as f64;
        m_sum += f
            .point
            .iter()
            .zip(test)
            .map(|(f, a)| (f - a).abs())
            .sum::<f64>()
            / test.len() as f64
            / scale;
    }
    let n = series.len() as f64;
    (s_sum / n, m_sum / n)
}

/// The M3 quarterly (756 series) and "other" (174) sheets, official hold-outs, against
/// statsforecast's figures on the same splits (in `../shared/data/m3_quarterly_other/SOURCE.md`).
/// Run: `cargo test --release --lib forecast::series_eval::m3 -- --ignored --nocapture`.
#[test]
#[ignore = "reads ../shared/data; run with --ignored"]
fn m3_quarterly_and_other_beside_statsforecast() {
    let quarterly = load_m3("m3_quarterly_long.csv.gz");
    let other = load_m3("m3_other_long.csv.gz");
    assert_eq!((quarterly.len(), other.len()), (756, 174));
    let t = std::time::Instant::now();
    let (qs, qm) = m3_scores(&quarterly, Some(4), 4);
    let (os, om) = m3_scores(&other, None, 1);
    println!(
        "M3 quarterly: sMAPE {qs:.2} MASE {qm:.3} (statsforecast Theta 9.23 / 1.123, AutoETS 9.45 / 1.143)"
    );
    println!("M3 other: sMAPE {os:.2} MASE {om:.3} (statsforecast AutoETS 4.34 / 1.802)");
    println!(
        "930 series in {:.1} s, one after another",
        t.elapsed().as_secs_f64()
    );
    assert!(
        qs <= 9.23,
        "quarterly sMAPE {qs:.2} is worse than Theta's 9.23"
    );
    assert!(
        os <= 4.34,
        "other sMAPE {os:.3} is worse than AutoETS's 4.34"
    );
}

#[test]
fn metrics_match_their_definitions() {
    assert!((smape(&[110.0, 0.0], &[90.0, 0.0]) - 10.0).abs() < 1e-12);
    // Training 1,2,3,4 with m = 1: in-sample naive error 1; forecast error 2.
    assert!((mase(&[7.0], &[5.0], &[1.0, 2.0, 3.0, 4.0]) - 2.0).abs() < 1e-12);
}
