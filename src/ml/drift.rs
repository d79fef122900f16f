//! Drift: how far the rows a model scores have moved from the rows it was trained on, as the
//! population stability index (PSI) of each feature and of the score.
//!
//! Training stores a [`Profile`]: each feature's bins (deciles of a number, the most frequent
//! levels of a category, plus "other" and "missing") and the share of training rows in each. A
//! serving process keeps the bins of its most recently scored rows in a [`DriftWindow`] and
//! compares. PSI = sum over bins of (actual - expected) x ln(actual / expected); by the usual
//! reading, under 0.1 is stable, 0.1 to 0.2 is a shift worth a look, over 0.2 ([`PSI_ALERT`]) a
//! shift that calls for retraining.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::row::{Cell, FeatureRow};
use super::spec::{FeatureType, ModelSpec};

pub use super::drift_window::{DriftReport, DriftWindow, FeaturePsi};

/// A PSI above this is reported as a warning.
pub const PSI_ALERT: f64 = 0.2;
/// Most levels of a categorical feature kept as bins of their own.
const MAX_LEVELS: usize = 10;
/// Shares are floored here so that an empty bin does not make the PSI infinite.
const FLOOR: f64 = 1e-4;

/// How values fall into bins. The last bin is always "missing".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Binning {
    /// Upper edges: a number falls into the first bin whose edge is at or above it, or into the
    /// open bin after the last edge.
    Numeric { edges: Vec<f64> },
    /// One bin per level, then "other".
    Categorical { levels: Vec<String> },
}

impl Binning {
    /// Number of bins, "missing" included.
    pub fn len(&self) -> usize {
        match self {
            Binning::Numeric { edges } => edges.len() + 2,
            Binning::Categorical { levels } => levels.len() + 2,
        }
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn bin(&self, cell: &Cell) -> usize {
        let missing = self.len() - 1;
        match self {
            Binning::Numeric { edges } => cell
                .as_num()
                .map_or(missing, |v| edges.partition_point(|&e| e < v)),
            Binning::Categorical { levels } => {
                let at = |l: &str| levels.iter().position(|x| x == l).unwrap_or(levels.len());
                match cell {
                    Cell::Cat(l) => at(l),
                    Cell::Missing => missing,
                    Cell::Num(_) => cell.as_cat().map_or(missing, |l| at(&l)),
                }
            }
        }
    }

    fn numeric(mut values: Vec<f64>) -> Binning {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let mut edges: Vec<f64> = (1..10)
            .filter(|_| n > 0)
            .map(|q| values[q * n / 10])
            .collect();
        edges.dedup();
        Binning::Numeric { edges }
    }

    fn categorical<'a>(cells: impl Iterator<Item = &'a Cell>) -> Binning {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for l in cells.filter_map(Cell::as_cat) {
            *counts.entry(l).or_default() += 1;
        }
        let mut by: Vec<(String, usize)> = counts.into_iter().collect();
        by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Binning::Categorical {
            levels: by.into_iter().take(MAX_LEVELS).map(|(l, _)| l).collect(),
        }
    }
}

/// One feature's (or the score's) bins and the share of training rows in each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinnedShares {
    pub name: String,
    pub binning: Binning,
    /// Share of the training rows per bin, summing to 1.
    pub shares: Vec<f64>,
}

impl BinnedShares {
    fn fit(name: &str, binning: Binning, cells: &[Cell]) -> BinnedShares {
        let mut counts = vec![0u64; binning.len()];
        cells.iter().for_each(|c| counts[binning.bin(c)] += 1);
        let n = cells.len().max(1) as f64;
        BinnedShares {
            name: name.to_string(),
            shares: counts.iter().map(|&c| c as f64 / n).collect(),
            binning,
        }
    }
}

/// The training distribution of every feature and of the score, stored with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Training rows it was measured on.
    pub rows: usize,
    pub features: Vec<BinnedShares>,
    /// The calibrated probability's bins (deciles of the training rows' scores).
    pub score: BinnedShares,
}

impl Profile {
    /// Bins each feature of `spec` over `rows`, and the score over `scores` (one per row).
    pub fn fit(spec: &ModelSpec, rows: &[&FeatureRow], scores: &[f64]) -> Profile {
        Profile {
            rows: rows.len(),
            features: feature_bins(spec, rows),
            score: score_bins(scores),
        }
    }

    /// The bin of each feature of `row`, then of `score`.
    pub fn bins_of(&self, row: &FeatureRow, score: f64) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.features.len() + 1);
        self.bins_into(row, score, &mut out);
        out
    }

    /// [`Profile::bins_of`] into `out` (cleared first), reusing its memory.
    pub fn bins_into(&self, row: &FeatureRow, score: f64, out: &mut Vec<u8>) {
        out.clear();
        out.extend(
            self.features
                .iter()
                .enumerate()
                .map(|(j, f)| f.binning.bin(row.cells.get(j).unwrap_or(&Cell::Missing)) as u8),
        );
        out.push(self.score.binning.bin(&Cell::Num(score)) as u8);
    }
}

/// Each feature of `spec` binned over `rows`.
pub(crate) fn feature_bins(spec: &ModelSpec, rows: &[&FeatureRow]) -> Vec<BinnedShares> {
    spec.features
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let cells: Vec<Cell> = rows
                .iter()
                .map(|r| r.cells.get(j).cloned().unwrap_or(Cell::Missing))
                .collect();
            let binning = match f.ty {
                FeatureType::Numeric => {
                    Binning::numeric(cells.iter().filter_map(Cell::as_num).collect())
                }
                FeatureType::Categorical => Binning::categorical(cells.iter()),
            };
            BinnedShares::fit(&f.name, binning, &cells)
        })
        .collect()
}

/// The scores binned at their deciles.
pub(crate) fn score_bins(scores: &[f64]) -> BinnedShares {
    let cells: Vec<Cell> = scores.iter().map(|&p| Cell::Num(p)).collect();
    BinnedShares::fit("score", Binning::numeric(scores.to_vec()), &cells)
}

/// PSI between the training shares and the counts of a window; 0 for an empty window.
pub fn psi(expected: &[f64], counts: &[u64]) -> f64 {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return 0.0;
    }
    expected
        .iter()
        .zip(counts)
        .map(|(&e, &c)| {
            let (e, a) = (e.max(FLOOR), (c as f64 / n as f64).max(FLOOR));
            (a - e) * (a / e).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn spec() -> ModelSpec {
        ModelSpec::from_toml(
            "name = \"t\"\nkind = \"lead\"\nseed = 1\ncandidates = [\"logistic\"]\n\
             calibration = [\"platt\"]\n[split]\ntrain = 0.6\ncalibrate = 0.2\nvalidate = 0.2\n\
             [[feature]]\nname = \"visits\"\nfrom = \"attributes.visits\"\ntype = \"numeric\"\n\
             [[feature]]\nname = \"source\"\nfrom = \"source\"\ntype = \"categorical\"\n",
        )
        .unwrap()
    }

    fn rows(rng: &mut ChaCha8Rng, n: usize, shift: f64) -> Vec<FeatureRow> {
        (0..n)
            .map(|_| {
                let v = rng.gen_range(0.0..10.0) + shift;
                let s = if rng.gen_bool(0.3 + shift / 20.0) {
                    "web"
                } else {
                    "ad"
                };
                let missing = rng.gen_bool(0.1);
                FeatureRow {
                    cells: vec![
                        if missing { Cell::Missing } else { Cell::Num(v) },
                        Cell::Cat(s.into()),
                    ],
                }
            })
            .collect()
    }

    #[test]
    fn the_same_population_is_stable_and_a_shifted_one_alerts() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let train = rows(&mut rng, 5000, 0.0);
        let refs: Vec<&FeatureRow> = train.iter().collect();
        let scores: Vec<f64> = (0..5000).map(|i| (i % 100) as f64 / 100.0).collect();
        let profile = Profile::fit(&spec(), &refs, &scores);
        assert!((profile.features[0].shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let mut same = DriftWindow::new(&profile, 3000);
        for (i, r) in rows(&mut rng, 3000, 0.0).iter().enumerate() {
            same.push(profile.bins_of(r, (i % 100) as f64 / 100.0));
        }
        let r = same.report(&profile);
        assert!(r.features.iter().all(|f| f.psi < 0.05), "{r:?}");
        assert!(r.score_psi < 0.05 && r.alerts.is_empty(), "{r:?}");
        let mut moved = DriftWindow::new(&profile, 3000);
        let mut moved_rows = DriftWindow::new(&profile, 3000);
        // More rows than the window: only the last 3000 (all shifted) count.
        for r in rows(&mut rng, 1000, 0.0)
            .iter()
            .chain(&rows(&mut rng, 3000, 5.0))
        {
            moved.push(profile.bins_of(r, 0.9));
            moved_rows.push_row(&profile, r, 0.9);
        }
        let r = moved.report(&profile);
        assert_eq!(moved_rows.report(&profile), r, "push_row bins as push does");
        assert_eq!(r.window_rows, 3000);
        assert!(r.features[0].psi > 0.2, "{r:?}");
        assert_eq!(r.alerts, vec!["visits", "source", "score"], "{r:?}");
    }

    #[test]
    fn an_empty_bin_does_not_make_the_index_infinite() {
        let v = psi(&[0.5, 0.5, 0.0], &[0, 10, 10]);
        assert!(v.is_finite() && v > 1.0, "{v}");
        assert_eq!(psi(&[1.0], &[0]), 0.0);
    }
}
