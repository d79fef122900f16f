//! Many series in one call: the M3 quarterly and "other" series (930, `../shared/data/m3_quarterly_other`)
//! and 1,500 generated monthly series of 120 points, forecast by `forecast_batch` (all cores),
//! beside the same series forecast one at a time on one thread. Prints the medians, the speed-up,
//! whether every forecast is identical, and the M3 accuracy (sMAPE and MASE as statsforecast's
//! M3 evaluation computes them: sMAPE = 200 * mean(|y - f| / (|y| + |f|)), a 0/0 term 0, per
//! series, then the mean over series; MASE on the seasonal naive in-sample error, m = 4 for
//! quarterly and 1 for "other").
//!
//! Run: `cargo bench --bench series_batch` (`REVCAST_M3_DIR` overrides the data folder;
//! `ROUNDS` the timed rounds, default 3).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use revcast::forecast::forecast_series;
use revcast::service::forecast::{forecast_batch, LongSeries, SeriesBatch, Times};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const HORIZON: usize = 8;

struct M3 {
    group: &'static str,
    season: usize,
    series: Vec<LongSeries>,
    tests: Vec<Vec<f64>>,
}

fn m3_dir() -> PathBuf {
    std::env::var_os("REVCAST_M3_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/m3_quarterly_other")
        })
}

/// A series' (t, value) points: training, then hold-out.
type Split = (Vec<(u64, f64)>, Vec<(u64, f64)>);

/// One M3 sheet: per series (in id order) the training values and the hold-out.
fn load_m3(file: &str, group: &'static str, season: usize) -> M3 {
    let path = m3_dir().join(file);
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .read_to_string(&mut text)
    .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (id, t, split, value) = (col("series_id"), col("t"), col("split"), col("value"));
    let mut by_id: BTreeMap<String, Split> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let e = by_id.entry(rec[id].to_string()).or_default();
        let point = (rec[t].parse().unwrap(), rec[value].parse().unwrap());
        if &rec[split] == "train" {
            e.0.push(point)
        } else {
            e.1.push(point)
        }
    }
    let mut m3 = M3 {
        group,
        season,
        series: vec![],
        tests: vec![],
    };
    for (id, (mut train, mut test)) in by_id {
        train.sort_by_key(|p| p.0);
        test.sort_by_key(|p| p.0);
        m3.series.push(LongSeries {
            id,
            times: Times::Steps(train.iter().map(|p| p.0).collect()),
            values: train.iter().map(|p| p.1).collect(),
            season: Some(season),
        });
        m3.tests.push(test.iter().map(|p| p.1).collect());
    }
    m3
}

fn smape(f: &[f64], y: &[f64]) -> f64 {
    let terms = f.iter().zip(y).map(|(f, y)| {
        let den = f.abs() + y.abs();
        if den == 0.0 {
            0.0
        } else {
            (f - y).abs() / den
        }
    });
    200.0 * terms.sum::<f64>() / y.len() as f64
}

fn mase(f: &[f64], y: &[f64], train: &[f64], m: usize) -> f64 {
    let scale = (m..train.len())
        .map(|i| (train[i] - train[i - m]).abs())
        .sum::<f64>()
        / (train.len() - m) as f64;
    f.iter().zip(y).map(|(f, y)| (f - y).abs()).sum::<f64>() / y.len() as f64 / scale
}

/// 1,500 monthly series of 120 points: level, trend, a yearly pattern and noise, each its own.
fn generated() -> Vec<LongSeries> {
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_130);
    (0..1500)
        .map(|k| {
            let level = rng.gen_range(50.0..5000.0);
            let trend = rng.gen_range(-0.004..0.01) * level;
            let amp = rng.gen_range(0.0..0.3) * level;
            let noise = rng.gen_range(0.01..0.1) * level;
            let phase = rng.gen_range(0..12);
            let values = (0..120)
                .map(|i| {
                    let season =
                        amp * (std::f64::consts::TAU * ((i + phase) % 12) as f64 / 12.0).sin();
                    (level + trend * i as f64 + season + noise * rng.gen_range(-1.0..1.0)).max(0.0)
                })
                .collect();
            LongSeries {
                id: format!("g{k}"),
                times: Times::Steps((1..=120).collect()),
                values,
                season: Some(12),
            }
        })
        .collect()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Median of `rounds` batch calls, one timed pass one series at a time, and whether they agree.
fn run(name: &str, series: &[LongSeries], horizon: usize, rounds: usize) -> SeriesBatch {
    let mut times = Vec::new();
    let mut batch = None;
    for _ in 0..rounds {
        let t = Instant::now();
        batch = Some(forecast_batch(series, horizon, None).expect("every series forecasts"));
        times.push(t.elapsed());
    }
    let batch = batch.unwrap();
    let t = Instant::now();
    let alone: Vec<_> = series
        .iter()
        .map(|s| forecast_series(&s.values, horizon, s.season.filter(|&m| m > 0)).unwrap())
        .collect();
    let one_by_one = t.elapsed();
    let same = alone.iter().zip(&batch.series).all(|(a, b)| {
        a.method == b.method && a.point == b.points.iter().map(|p| p.point).collect::<Vec<_>>()
    });
    let med = median(times);
    println!(
        "{name}: {} series, batch median {:.2} s over {rounds} rounds ({:.0} series/s); one at a time on one thread {:.2} s ({:.2}x); identical forecasts: {same}",
        series.len(),
        med.as_secs_f64(),
        series.len() as f64 / med.as_secs_f64(),
        one_by_one.as_secs_f64(),
        one_by_one.as_secs_f64() / med.as_secs_f64(),
    );
    assert!(same, "the batch must equal one-at-a-time forecasts");
    batch
}

fn accuracy(m3: &M3, batch: &SeriesBatch, offset: usize) {
    let n = m3.series.len() as f64;
    let (mut s, mut m) = (0.0, 0.0);
    for (i, (series, test)) in m3.series.iter().zip(&m3.tests).enumerate() {
        let f: Vec<f64> = batch.series[offset + i]
            .points
            .iter()
            .map(|p| p.point)
            .collect();
        s += smape(&f, test);
        m += mase(&f, test, &series.values, m3.season.max(1));
    }
    println!(
        "  M3 {:<9} {:>4} series: sMAPE {:.2}  MASE {:.3}",
        m3.group,
        m3.series.len(),
        s / n,
        m / n
    );
}

fn main() {
    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    println!("threads: {}", revcast::forecast::available_threads());
    let quarterly = load_m3("m3_quarterly_long.csv.gz", "quarterly", 4);
    // "Other" has no dates and no season (statsforecast's reference ran it with season 1).
    let other = load_m3("m3_other_long.csv.gz", "other", 0);
    let mut all: Vec<LongSeries> = quarterly.series.clone();
    all.extend(other.series.iter().cloned());
    let batch = run("M3 quarterly + other", &all, HORIZON, rounds);
    accuracy(&quarterly, &batch, 0);
    accuracy(&other, &batch, quarterly.series.len());
    println!("  statsforecast reference (SOURCE.md): quarterly AutoETS 9.45 / 1.143, AutoTheta 9.26 / 1.103; other AutoETS 4.34 / 1.802, AutoTheta 4.81 / 2.014");
    run("generated monthly", &generated(), 12, rounds);
}
