//! The drift window: the bins of the most recently scored rows, and their PSI report against
//! the training [`Profile`].

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::drift::{psi, Profile, PSI_ALERT};

/// The PSI of one feature (or `score`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeaturePsi {
    pub feature: String,
    /// Population stability index, 0 or more; over 0.2 is a warning.
    pub psi: f64,
}

/// How far the recently scored rows are from the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DriftReport {
    /// Recently scored rows compared (at most the window's capacity).
    pub window_rows: usize,
    /// Training rows they are compared with.
    pub training_rows: usize,
    /// PSI of the calibrated probability.
    pub score_psi: f64,
    /// PSI of each feature, in the spec's order.
    pub features: Vec<FeaturePsi>,
    /// The names (features or `score`) whose PSI is over 0.2.
    pub alerts: Vec<String>,
}

/// The bins of the last `capacity` scored rows, with their counts kept up to date.
#[derive(Debug, Clone)]
pub struct DriftWindow {
    capacity: usize,
    rows: VecDeque<Vec<u8>>,
    /// counts[k][b]: rows in the window whose k-th binned value (features, then score) is b.
    counts: Vec<Vec<u64>>,
}

impl DriftWindow {
    pub fn new(profile: &Profile, capacity: usize) -> DriftWindow {
        let mut counts: Vec<Vec<u64>> = profile
            .features
            .iter()
            .map(|f| vec![0; f.binning.len()])
            .collect();
        counts.push(vec![0; profile.score.binning.len()]);
        DriftWindow {
            capacity: capacity.max(1),
            rows: VecDeque::new(),
            counts,
        }
    }

    /// Bins a scored row and adds it, as [`DriftWindow::push`] of [`Profile::bins_of`] does,
    /// reusing the memory of the row that leaves a full window.
    pub fn push_row(&mut self, profile: &Profile, row: &super::FeatureRow, score: f64) {
        let mut bins = Vec::new();
        if self.rows.len() == self.capacity {
            if let Some(old) = self.rows.pop_front() {
                self.count(&old, false);
                bins = old;
            }
        }
        profile.bins_into(row, score, &mut bins);
        self.count(&bins, true);
        self.rows.push_back(bins);
    }

    /// Adds one row's bins (from [`Profile::bins_of`]); the oldest row leaves a full window.
    pub fn push(&mut self, bins: Vec<u8>) {
        if self.rows.len() == self.capacity {
            if let Some(old) = self.rows.pop_front() {
                self.count(&old, false);
            }
        }
        self.count(&bins, true);
        self.rows.push_back(bins);
    }

    fn count(&mut self, bins: &[u8], add: bool) {
        for (c, &b) in self.counts.iter_mut().zip(bins) {
            if let Some(slot) = c.get_mut(usize::from(b)) {
                *slot = if add {
                    *slot + 1
                } else {
                    slot.saturating_sub(1)
                };
            }
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The PSI of every feature and of the score against `profile`.
    pub fn report(&self, profile: &Profile) -> DriftReport {
        let features: Vec<FeaturePsi> = profile
            .features
            .iter()
            .zip(&self.counts)
            .map(|(f, c)| FeaturePsi {
                feature: f.name.clone(),
                psi: psi(&f.shares, c),
            })
            .collect();
        let score_psi = psi(&profile.score.shares, &self.counts[self.counts.len() - 1]);
        let mut alerts: Vec<String> = features
            .iter()
            .filter(|f| f.psi > PSI_ALERT)
            .map(|f| f.feature.clone())
            .collect();
        if score_psi > PSI_ALERT {
            alerts.push("score".into());
        }
        DriftReport {
            window_rows: self.len(),
            training_rows: profile.rows,
            score_psi,
            features,
            alerts,
        }
    }
}
