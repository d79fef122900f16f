//! Validation metrics of a probability model: ranking, calibration and lift.

use serde::{Deserialize, Serialize};

/// One bin of the reliability curve (10 equal-width bins of predicted probability).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Bin bounds, e.g. 0.1..0.2 (the last bin includes 1.0).
    pub lower: f64,
    pub upper: f64,
    /// Mean predicted probability in the bin (0 when empty).
    pub mean_predicted: f64,
    /// Share of positives in the bin (0 when empty).
    pub observed_rate: f64,
    pub count: usize,
}

/// Metrics of probabilities against outcomes on one slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Area under the ROC curve, 0..=1 (0.5 = random; ties count half).
    pub roc_auc: f64,
    /// Area under the precision-recall curve (average precision), 0..=1.
    pub pr_auc: f64,
    /// Mean negative log-likelihood, nats; lower is better.
    pub log_loss: f64,
    /// Log loss of always predicting the slice's base rate: the bar to beat.
    pub base_rate_log_loss: f64,
    /// Mean squared error of the probability, 0..=1.
    pub brier: f64,
    /// Expected calibration error: count-weighted mean |predicted - observed| over 10 equal-width bins.
    pub ece: f64,
    /// Positive rate among the top 10% of rows by probability, divided by the base rate.
    pub top_decile_lift: f64,
    pub reliability: Vec<ReliabilityBin>,
    pub rows: usize,
    pub positives: usize,
}

/// Computes every metric. `p` and `y` have the same, non-zero length.
pub fn compute(p: &[f64], y: &[bool]) -> Metrics {
    let positives = y.iter().filter(|&&v| v).count();
    let base = positives as f64 / y.len().max(1) as f64;
    let reliability = reliability(p, y);
    let n = y.len().max(1) as f64;
    Metrics {
        roc_auc: roc_auc(p, y),
        pr_auc: pr_auc(p, y),
        log_loss: log_loss(p, y),
        base_rate_log_loss: log_loss(&vec![base; y.len()], y),
        brier: p
            .iter()
            .zip(y)
            .map(|(p, &v)| (p - f64::from(u8::from(v))).powi(2))
            .sum::<f64>()
            / n,
        ece: reliability
            .iter()
            .map(|b| b.count as f64 * (b.mean_predicted - b.observed_rate).abs())
            .sum::<f64>()
            / n,
        top_decile_lift: top_decile_lift(p, y, base),
        reliability,
        rows: y.len(),
        positives,
    }
}

/// Mean log loss; probabilities are clipped to [1e-15, 1 - 1e-15].
pub fn log_loss(p: &[f64], y: &[bool]) -> f64 {
    let s: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &v)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if v {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    s / y.len().max(1) as f64
}

/// Indices sorted by probability, highest first (ties by index, for determinism).
fn by_score_desc(p: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    idx
}

/// Mann-Whitney AUC with average ranks for ties; 0.5 when one class is absent.
pub fn roc_auc(p: &[f64], y: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += (i..=j).filter(|&k| y[idx[k]]).count() as f64 * avg_rank;
        i = j + 1;
    }
    let pos = y.iter().filter(|&&v| v).count() as f64;
    let neg = y.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Average precision: the mean of the precision at each positive, ties taken as a group.
pub fn pr_auc(p: &[f64], y: &[bool]) -> f64 {
    let idx = by_score_desc(p);
    let pos = y.iter().filter(|&&v| v).count() as f64;
    if pos == 0.0 {
        return 0.0;
    }
    let (mut tp, mut seen, mut ap, mut i) = (0.0, 0.0, 0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let group_tp = (i..=j).filter(|&k| y[idx[k]]).count() as f64;
        tp += group_tp;
        seen += (j - i + 1) as f64;
        ap += group_tp / pos * (tp / seen);
        i = j + 1;
    }
    ap
}

fn top_decile_lift(p: &[f64], y: &[bool], base: f64) -> f64 {
    if base == 0.0 || p.is_empty() {
        return 0.0;
    }
    let idx = by_score_desc(p);
    let k = (p.len() as f64 / 10.0).ceil() as usize;
    let hits = idx[..k].iter().filter(|&&i| y[i]).count() as f64;
    hits / k as f64 / base
}

/// 10 equal-width bins; a probability of exactly 1.0 falls in the last.
pub fn reliability(p: &[f64], y: &[bool]) -> Vec<ReliabilityBin> {
    let mut acc = [(0.0f64, 0usize, 0usize); 10];
    for (&pi, &yi) in p.iter().zip(y) {
        let b = ((pi * 10.0).floor() as usize).min(9);
        acc[b].0 += pi;
        acc[b].1 += usize::from(yi);
        acc[b].2 += 1;
    }
    acc.iter()
        .enumerate()
        .map(|(b, &(s, pos, n))| ReliabilityBin {
            lower: b as f64 / 10.0,
            upper: (b + 1) as f64 / 10.0,
            mean_predicted: if n > 0 { s / n as f64 } else { 0.0 },
            observed_rate: if n > 0 { pos as f64 / n as f64 } else { 0.0 },
            count: n,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const Y: [bool; 4] = [false, false, true, true];

    #[test]
    fn auc_of_perfect_reversed_and_tied_rankings() {
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &Y), 1.0);
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &Y), 0.0);
        assert_eq!(roc_auc(&[0.5; 4], &Y), 0.5);
        // One positive above one negative, below the other: 3 of 4 pairs ordered.
        assert_eq!(roc_auc(&[0.1, 0.6, 0.5, 0.9], &Y), 0.75);
    }

    #[test]
    fn pr_auc_log_loss_brier_by_hand() {
        assert_eq!(pr_auc(&[0.1, 0.2, 0.8, 0.9], &Y), 1.0);
        // Ranking pos, neg, pos, neg: precision 1 at the first positive, 2/3 at the second.
        let ap = pr_auc(&[0.9, 0.8, 0.7, 0.1], &[true, false, true, false]);
        assert!((ap - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        let ll = log_loss(&[0.5, 0.5, 0.8, 0.2], &Y);
        let by_hand = (2.0 * 2f64.ln() - 0.8f64.ln() - 0.2f64.ln()) / 4.0;
        assert!((ll - by_hand).abs() < 1e-12);
        let m = compute(&[0.0, 0.5, 1.0, 0.5], &Y);
        assert!((m.brier - (0.0 + 0.25 + 0.0 + 0.25) / 4.0).abs() < 1e-12);
        assert!((m.base_rate_log_loss - 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn ece_and_reliability_by_hand() {
        // Bin 1 (0.1..0.2): predicted 0.15 twice, observed 0 of 2; bin 8: 0.85 twice, 2 of 2.
        let m = compute(&[0.15, 0.15, 0.85, 0.85], &Y);
        assert!((m.ece - 0.15).abs() < 1e-12);
        assert_eq!(m.reliability.len(), 10);
        assert_eq!(m.reliability[1].count, 2);
        assert_eq!(m.reliability[8].observed_rate, 1.0);
        assert_eq!(reliability(&[1.0], &[true])[9].count, 1);
    }

    #[test]
    fn top_decile_lift_by_hand() {
        // 20 rows, 4 positives (base 0.2); the top 2 rows are both positive: lift 1 / 0.2 = 5.
        let p: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
        let y: Vec<bool> = (0..20).map(|i| i >= 18 || i == 3 || i == 5).collect();
        assert!((compute(&p, &y).top_decile_lift - 5.0).abs() < 1e-12);
    }
}
