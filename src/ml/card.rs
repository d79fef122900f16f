//! The model card: what a model was trained on and how well it did, in Markdown.

use std::fmt::Write;

use super::metrics::Metrics;
use super::model::{SliceCounts, TrainedModel};
use super::spec::FeatureSpec;

impl TrainedModel {
    /// Markdown: data and split, features, validation metrics, reliability table, candidates.
    pub fn model_card(&self) -> String {
        let mut s = String::new();
        let spec = &self.spec;
        let _ = writeln!(
            s,
            "# Model card: {} ({} model)\n",
            spec.name,
            spec.kind.as_str()
        );
        let _ = writeln!(s, "Kept: **{}** calibrated with **{:?}** (lowest validation log loss of {} candidates). Seed {}.\n", self.algorithm().as_str(), self.calibration(), self.candidates.len(), spec.seed);
        let _ = writeln!(s, "## Data\n\nSplit: {:?}.\n\n| slice | rows | positives | rate | first | last |\n|---|---|---|---|---|---|", self.data.split);
        for (name, c) in [
            ("train", &self.data.train),
            ("calibrate", &self.data.calibrate),
            ("validate", &self.data.validate),
        ] {
            slice_row(&mut s, name, c);
        }
        let _ = writeln!(
            s,
            "\n## Features\n\n| name | from | type | coverage |\n|---|---|---|---|"
        );
        for (j, f) in spec.features.iter().enumerate() {
            feature_row(&mut s, f, self.coverage.get(j).map(|c| c.coverage));
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "\n## Warnings\n");
            for w in &self.warnings {
                let _ = writeln!(s, "- {w}");
            }
        }
        let _ = writeln!(s, "\n## Validation metrics\n");
        metrics_table(&mut s, &self.metrics);
        if let Some(l) = &self.latest_slice {
            let _ = writeln!(
                s,
                "\n## Latest slice\n\nValidation rows dated {} or later: {} rows, {} positive. \
                 ROC AUC {:.4} (the whole random slice: {:.4}), log loss {:.4}.{}",
                l.since.date_naive(),
                l.rows,
                l.positives,
                l.roc_auc,
                l.random_roc_auc,
                l.log_loss,
                if (l.roc_auc - l.random_roc_auc).abs() > super::checks::LATEST_AUC_GAP {
                    " **It differs from the random slice by more than 0.05 AUC.**"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(s, "\n## Reliability (validation)\n\n| predicted | mean predicted | observed | rows |\n|---|---|---|---|");
        for b in self.metrics.reliability.iter().filter(|b| b.count > 0) {
            let _ = writeln!(
                s,
                "| {:.1}-{:.1} | {:.3} | {:.3} | {} |",
                b.lower, b.upper, b.mean_predicted, b.observed_rate, b.count
            );
        }
        let _ = writeln!(s, "\n## Candidates compared (validation)\n\n| algorithm | calibration | ROC AUC | PR AUC | log loss | raw log loss | Brier | ECE | top-decile lift |\n|---|---|---|---|---|---|---|---|---|");
        for c in &self.candidates {
            let m = &c.metrics;
            let _ = writeln!(
                s,
                "| {} | {:?} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.2} |",
                c.algorithm.as_str(),
                c.calibration,
                m.roc_auc,
                m.pr_auc,
                m.log_loss,
                c.uncalibrated_log_loss,
                m.brier,
                m.ece,
                m.top_decile_lift
            );
        }
        s
    }
}

fn slice_row(s: &mut String, name: &str, c: &SliceCounts) {
    let rate = c.positives as f64 / c.rows.max(1) as f64;
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_string(), |t| t.date_naive().to_string())
    };
    let _ = writeln!(
        s,
        "| {name} | {} | {} | {:.3} | {} | {} |",
        c.rows,
        c.positives,
        rate,
        day(c.first),
        day(c.last)
    );
}

fn feature_row(s: &mut String, f: &FeatureSpec, coverage: Option<f64>) {
    let derive = f.derive.map_or(String::new(), |d| format!(" ({d:?})"));
    let cov = coverage.map_or("-".to_string(), |c| format!("{:.1}%", c * 100.0));
    let _ = writeln!(
        s,
        "| {} | `{}`{derive} | {:?} | {cov} |",
        f.name, f.from, f.ty
    );
}

fn metrics_table(s: &mut String, m: &Metrics) {
    let _ = writeln!(s, "| metric | value |\n|---|---|");
    for (k, v) in [
        ("roc_auc", m.roc_auc),
        ("pr_auc", m.pr_auc),
        ("log_loss", m.log_loss),
        ("log_loss of the base rate", m.base_rate_log_loss),
        ("brier", m.brier),
        ("ece", m.ece),
        ("top_decile_lift", m.top_decile_lift),
    ] {
        let _ = writeln!(s, "| {k} | {v:.4} |");
    }
    let _ = writeln!(s, "| rows / positives | {} / {} |", m.rows, m.positives);
}
