//! Splitting rows into train / calibrate / validate: by time, or seeded and stratified.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::error::{spec_err, Result};
use super::row::TrainingSet;
use super::spec::{SplitOrder, SplitSpec};

/// Row indices of each slice; every row is in exactly one.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: Vec<usize>,
    pub calibrate: Vec<usize>,
    pub validate: Vec<usize>,
    pub method: SplitMethod,
}

/// How a split was made, for the model card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitMethod {
    /// Oldest rows train, the most recent validate.
    Time,
    /// Seeded and stratified by label (rows carry no time).
    StratifiedRandom,
}

/// Splits `set` as the spec says. `Auto` splits by time when every row has a time.
pub fn split(set: &TrainingSet, spec: &SplitSpec, seed: u64) -> Result<Split> {
    let all_timed = set.times.iter().all(Option::is_some);
    match spec.order {
        SplitOrder::Time if !all_timed => Err(spec_err(
            "split.order",
            format!(
                "time order needs a time on every row, {} rows have none",
                set.times.iter().filter(|t| t.is_none()).count()
            ),
        )),
        SplitOrder::Time => Ok(by_time(set, spec)),
        SplitOrder::Auto if all_timed => Ok(by_time(set, spec)),
        _ => Ok(stratified(set, spec, seed)),
    }
}

fn by_time(set: &TrainingSet, spec: &SplitSpec) -> Split {
    let mut idx: Vec<usize> = (0..set.len()).collect();
    // Ties broken by index keep the split deterministic.
    idx.sort_by_key(|&i| (set.times[i], i));
    let (a, b) = cut_points(idx.len(), spec);
    // Rows sharing a time (the snapshots of one deal) stay together: a cut moves past them.
    let past_ties = |k: usize| {
        (k..idx.len())
            .find(|&j| j == 0 || set.times[idx[j]] != set.times[idx[j - 1]])
            .unwrap_or(idx.len())
    };
    let (a, b) = (past_ties(a), past_ties(b));
    let b = b.max(a);
    Split {
        train: idx[..a].to_vec(),
        calibrate: idx[a..b].to_vec(),
        validate: idx[b..].to_vec(),
        method: SplitMethod::Time,
    }
}

fn stratified(set: &TrainingSet, spec: &SplitSpec, seed: u64) -> Split {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Split {
        train: vec![],
        calibrate: vec![],
        validate: vec![],
        method: SplitMethod::StratifiedRandom,
    };
    for class in [false, true] {
        let mut idx: Vec<usize> = (0..set.len()).filter(|&i| set.labels[i] == class).collect();
        idx.shuffle(&mut rng);
        let (a, b) = cut_points(idx.len(), spec);
        out.train.extend_from_slice(&idx[..a]);
        out.calibrate.extend_from_slice(&idx[a..b]);
        out.validate.extend_from_slice(&idx[b..]);
    }
    for v in [&mut out.train, &mut out.calibrate, &mut out.validate] {
        v.sort_unstable();
    }
    out
}

fn cut_points(n: usize, spec: &SplitSpec) -> (usize, usize) {
    let a = (n as f64 * spec.train).round() as usize;
    let b = (n as f64 * (spec.train + spec.calibrate)).round() as usize;
    (a.min(n), b.min(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::row::FeatureRow;
    use crate::ml::spec::ModelKind;
    use chrono::{TimeZone, Utc};

    fn set(n: usize, timed: bool) -> TrainingSet {
        TrainingSet {
            kind: ModelKind::Lead,
            feature_names: vec![],
            rows: vec![FeatureRow { cells: vec![] }; n],
            labels: (0..n).map(|i| i % 3 == 0).collect(),
            // Reverse time order, so a split by index would differ from a split by time.
            times: (0..n)
                .map(|i| {
                    timed.then(|| Utc.timestamp_opt(1_700_000_000 - i as i64 * 60, 0).unwrap())
                })
                .collect(),
            ids: (0..n).map(|i| i.to_string()).collect(),
        }
    }

    const S: SplitSpec = SplitSpec {
        order: SplitOrder::Auto,
        train: 0.6,
        calibrate: 0.2,
        validate: 0.2,
    };

    #[test]
    fn time_split_trains_on_the_past_and_validates_on_the_most_recent() {
        let s = set(100, true);
        let sp = split(&s, &S, 1).unwrap();
        assert_eq!(sp.method, SplitMethod::Time);
        assert_eq!(
            (sp.train.len(), sp.calibrate.len(), sp.validate.len()),
            (60, 20, 20)
        );
        let latest_train = sp.train.iter().map(|&i| s.times[i]).max().unwrap();
        let earliest_val = sp.validate.iter().map(|&i| s.times[i]).min().unwrap();
        assert!(latest_train < earliest_val);
    }

    #[test]
    fn rows_sharing_a_time_stay_in_one_slice() {
        let mut s = set(100, true);
        // Groups of 7 rows share a time, like the snapshots of one deal.
        s.times = (0..100)
            .map(|i| {
                Some(
                    Utc.timestamp_opt(1_700_000_000 + (i / 7) as i64 * 60, 0)
                        .unwrap(),
                )
            })
            .collect();
        let sp = split(&s, &S, 1).unwrap();
        let times = |v: &[usize]| v.iter().map(|&i| s.times[i]).collect::<Vec<_>>();
        let (tr, ca, va) = (times(&sp.train), times(&sp.calibrate), times(&sp.validate));
        assert!(tr.iter().all(|t| !ca.contains(t) && !va.contains(t)));
        assert!(ca.iter().all(|t| !va.contains(t)));
        assert_eq!(sp.train.len() + sp.calibrate.len() + sp.validate.len(), 100);
        // The cuts move forward to the end of a group: 60 -> 63, 80 -> 84.
        assert_eq!((sp.train.len(), sp.calibrate.len()), (63, 21));
    }

    #[test]
    fn random_split_is_stratified_seeded_and_a_partition() {
        let s = set(300, false);
        let a = split(&s, &S, 7).unwrap();
        assert_eq!(a, split(&s, &S, 7).unwrap());
        assert_ne!(a.train, split(&s, &S, 8).unwrap().train);
        let mut all: Vec<usize> =
            [a.train.clone(), a.calibrate.clone(), a.validate.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..300).collect::<Vec<_>>());
        let pos = |v: &[usize]| v.iter().filter(|&&i| s.labels[i]).count();
        assert_eq!(
            (pos(&a.train), pos(&a.calibrate), pos(&a.validate)),
            (60, 20, 20)
        );
    }

    #[test]
    fn time_order_without_times_is_an_error_naming_the_count() {
        let s = set(10, false);
        let spec = SplitSpec {
            order: SplitOrder::Time,
            ..S
        };
        let e = split(&s, &spec, 1).unwrap_err().to_string();
        assert!(e.contains("10 rows"), "{e}");
    }
}
