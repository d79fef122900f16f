//! The model card: a Markdown page on what a version learned from, how it was judged, and how
//! honest its probabilities are.

use chrono::{DateTime, Utc};
use std::fmt::Write;

use crate::ml::{Metrics, TrainedModel};

fn counts(w: &mut String, name: &str, c: &crate::ml::SliceCounts) {
    let window = match (c.first, c.last) {
        (Some(a), Some(b)) => format!("{} .. {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")),
        _ => "(no dates)".into(),
    };
    let _ = writeln!(w, "| {name} | {} | {} | {window} |", c.rows, c.positives);
}

fn metric_rows(w: &mut String, m: &Metrics) {
    let _ = writeln!(w, "| metric | value |\n|---|---|");
    for (name, v) in [
        ("roc_auc", m.roc_auc),
        ("pr_auc", m.pr_auc),
        ("log_loss", m.log_loss),
        ("base-rate log loss (the bar)", m.base_rate_log_loss),
        ("brier", m.brier),
        ("ece", m.ece),
        ("top_decile_lift", m.top_decile_lift),
    ] {
        let _ = writeln!(w, "| {name} | {v:.4} |");
    }
    let _ = writeln!(w, "| rows / positives | {} / {} |", m.rows, m.positives);
}

/// Renders the card of `model`, stored as version `id`.
pub fn model_card(model: &TrainedModel, id: &str, trained_at: DateTime<Utc>) -> String {
    let mut w = String::new();
    let spec = &model.spec;
    let _ = writeln!(w, "# Model card: {id}\n");
    let _ = writeln!(
        w,
        "- kind: `{}` (spec `{}`), trained {}\n- kept: `{}` with `{:?}` calibration, seed {}\n",
        spec.kind.as_str(),
        spec.name,
        trained_at.format("%Y-%m-%d %H:%M UTC"),
        model.algorithm().as_str(),
        model.calibration(),
        spec.seed
    );
    let _ = writeln!(w, "## Data\n\nSplit: `{:?}`.\n", model.data.split);
    let _ = writeln!(
        w,
        "| slice | rows | positives | window |\n|---|---|---|---|"
    );
    counts(&mut w, "train", &model.data.train);
    counts(&mut w, "calibrate", &model.data.calibrate);
    counts(&mut w, "validate", &model.data.validate);
    let _ = writeln!(w, "\n## Features\n\n| name | from | type |\n|---|---|---|");
    for f in &spec.features {
        let _ = writeln!(w, "| {} | `{}` | {:?} |", f.name, f.from, f.ty);
    }
    let _ = writeln!(w, "\n## Validation metrics\n");
    metric_rows(&mut w, &model.metrics);
    let _ = writeln!(
        w,
        "\n## Reliability (validation)\n\nOf the rows scored in each band, the share that turned out positive.\n\n| predicted | rows | mean predicted | observed |\n|---|---|---|---|"
    );
    for b in &model.metrics.reliability {
        let _ = writeln!(
            w,
            "| {:.1}..{:.1} | {} | {:.3} | {:.3} |",
            b.lower, b.upper, b.count, b.mean_predicted, b.observed_rate
        );
    }
    let _ = writeln!(
        w,
        "\n## Candidates compared (validation, after calibration)\n\n| algorithm | calibration | roc_auc | log_loss | ece | uncalibrated log_loss |\n|---|---|---|---|---|---|"
    );
    for c in &model.candidates {
        let _ = writeln!(
            w,
            "| {} | {:?} | {:.4} | {:.4} | {:.4} | {:.4} |",
            c.algorithm.as_str(),
            c.calibration,
            c.metrics.roc_auc,
            c.metrics.log_loss,
            c.metrics.ece,
            c.uncalibrated_log_loss
        );
    }
    w
}
