//! Per served model: the counters of unrecognised fields and missing features over the scoring
//! requests, and the drift window of the most recently scored records.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::domain::Attributes;
use crate::ml::score_warnings::{counted_warnings, score_warnings};
use crate::ml::{DriftReport, DriftWindow, FeatureRow, ScoreWarnings};

use super::registry::ActiveModel;

/// Records scored by request that the drift window remembers.
pub const DRIFT_WINDOW: usize = 5000;

/// What one served version has seen since it went into service in this process.
#[derive(Default)]
pub struct Monitor {
    unrecognised: AtomicU64,
    missing: AtomicU64,
    scored: AtomicU64,
    window: Mutex<Option<DriftWindow>>,
}

/// Counter totals of a monitor.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonitorCounts {
    /// Records scored by request.
    pub scored: u64,
    /// Unrecognised field occurrences.
    pub unrecognised_fields: u64,
    /// Missing feature occurrences.
    pub missing_features: u64,
}

impl Monitor {
    /// Counts a scored batch and remembers its bins; returns the batch's warnings.
    pub fn observe<'a>(
        &self,
        m: &ActiveModel,
        attributes: impl Iterator<Item = &'a Attributes>,
        rows: &[FeatureRow],
        probabilities: impl Iterator<Item = f64>,
    ) -> ScoreWarnings {
        let w = score_warnings(&m.model.spec, attributes, rows);
        self.count(m, w, rows, probabilities)
    }

    /// [`Monitor::observe`] of a batch whose unread attributes are already counted (see
    /// [`counted_warnings`]): the same counts, window and warnings.
    pub fn observe_counted<K: AsRef<str>>(
        &self,
        m: &ActiveModel,
        unread: impl Iterator<Item = (K, usize)>,
        rows: &[FeatureRow],
        probabilities: impl Iterator<Item = f64>,
    ) -> ScoreWarnings {
        let w = counted_warnings(&m.model.spec, unread, rows);
        self.count(m, w, rows, probabilities)
    }

    fn count(
        &self,
        m: &ActiveModel,
        w: ScoreWarnings,
        rows: &[FeatureRow],
        probabilities: impl Iterator<Item = f64>,
    ) -> ScoreWarnings {
        self.unrecognised
            .fetch_add(w.unrecognised_total() as u64, Ordering::Relaxed);
        self.missing
            .fetch_add(w.missing_total() as u64, Ordering::Relaxed);
        self.scored.fetch_add(rows.len() as u64, Ordering::Relaxed);
        if let Some(profile) = &m.model.profile {
            let mut guard = self.window.lock().unwrap_or_else(|e| e.into_inner());
            let window = guard.get_or_insert_with(|| DriftWindow::new(profile, DRIFT_WINDOW));
            // Only the last DRIFT_WINDOW rows of a large batch can stay in the window.
            let skip = rows.len().saturating_sub(DRIFT_WINDOW);
            for (r, p) in rows.iter().zip(probabilities).skip(skip) {
                window.push_row(profile, r, p);
            }
        }
        w
    }

    pub fn counts(&self) -> MonitorCounts {
        MonitorCounts {
            scored: self.scored.load(Ordering::Relaxed),
            unrecognised_fields: self.unrecognised.load(Ordering::Relaxed),
            missing_features: self.missing.load(Ordering::Relaxed),
        }
    }

    /// The PSI report of the window against the model's training profile; `None` for a model
    /// trained before profiles were stored.
    pub fn drift(&self, m: &ActiveModel) -> Option<DriftReport> {
        let profile = m.model.profile.as_ref()?;
        let guard = self.window.lock().unwrap_or_else(|e| e.into_inner());
        Some(match guard.as_ref() {
            Some(w) => w.report(profile),
            None => DriftWindow::new(profile, DRIFT_WINDOW).report(profile),
        })
    }
}
