//! Explanations in points of score, in words a salesperson reads.
//!
//! Each model splits its output into a bias plus one contribution per encoded column, summed back
//! per original feature:
//! - logistic regression: exact, coefficient x (standardised value - its training mean), in log-odds;
//! - boosted trees: Saabas path attribution of the log-odds;
//! - random forest: Saabas path attribution of the (uncalibrated) probability.
//!
//! Points are score points (probability x 100), measured from the average training record. A
//! log-odds contribution `c` is converted at the record's own probability `p` by the logistic
//! slope: `points = 100 * c * p * (1 - p)` (the first-order change of the score). A forest
//! contribution is already a probability: `points = 100 * c`. The text rounds to whole points.

use serde::{Deserialize, Serialize};

use super::algo::Unit;
use super::row::{Cell, FeatureRow};

/// Factors per direction kept on a score.
pub const TOP_FACTORS: usize = 3;
/// Factors smaller than this many points are not shown.
pub const MIN_POINTS: f64 = 0.5;

/// One reason for a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The feature's name in the spec ("source").
    pub feature: String,
    /// The record's value as read ("webinar", "14", "(missing)").
    pub value: String,
    /// Signed weight in score points (see the module doc), one decimal.
    pub points: f64,
    /// "source = webinar: +12 pts".
    pub text: String,
}

/// Turns per-feature contributions into the top positive and negative factors, largest first.
pub fn factors(
    names: &[String],
    row: &FeatureRow,
    per_feature: &[f64],
    unit: Unit,
    p: f64,
) -> Vec<Factor> {
    let scale = match unit {
        Unit::LogOdds => 100.0 * p * (1.0 - p),
        Unit::Probability => 100.0,
    };
    let mut all: Vec<(usize, f64)> = per_feature
        .iter()
        .map(|c| c * scale)
        .enumerate()
        .filter(|(_, pts)| pts.abs() >= MIN_POINTS)
        .collect();
    all.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    let pos = all.iter().filter(|f| f.1 > 0.0).take(TOP_FACTORS);
    let neg = all.iter().filter(|f| f.1 < 0.0).take(TOP_FACTORS);
    let mut out: Vec<Factor> = pos
        .chain(neg)
        .map(|&(j, pts)| factor(&names[j], row.cells.get(j).unwrap_or(&Cell::Missing), pts))
        .collect();
    out.sort_by(|a, b| b.points.abs().total_cmp(&a.points.abs()));
    out
}

/// Points as a factor's text shows them: signed whole points, and "0" (not "+0" or "-0") for
/// points that round to zero.
pub fn signed_points(points: f64) -> String {
    let rounded = points.round();
    if rounded == 0.0 {
        "0".into()
    } else {
        format!("{rounded:+}")
    }
}

fn factor(name: &str, cell: &Cell, points: f64) -> Factor {
    let value = cell.display();
    Factor {
        feature: name.to_string(),
        text: format!("{name} = {value}: {} pts", signed_points(points)),
        value,
        points: (points * 10.0).round() / 10.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_read_as_points_and_keep_the_largest_each_way() {
        let names: Vec<String> = ["source", "visits", "region", "size", "a", "b", "c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let row = FeatureRow {
            cells: vec![
                Cell::Cat("webinar".into()),
                Cell::Num(14.0),
                Cell::Missing,
                Cell::Num(2.5),
                Cell::Num(1.0),
                Cell::Num(1.0),
                Cell::Num(1.0),
            ],
        };
        let contrib = [0.12, 0.06, -0.03, 0.001, 0.02, 0.01, -0.2];
        let f = factors(&names, &row, &contrib, Unit::Probability, 0.4);
        assert_eq!(f[0].text, "c = 1: -20 pts");
        assert_eq!(f[1].text, "source = webinar: +12 pts");
        assert!(f.iter().any(|x| x.text == "region = (missing): -3 pts"));
        assert_eq!(f.iter().filter(|x| x.points > 0.0).count(), TOP_FACTORS);
        assert!(
            f.iter().all(|x| x.feature != "size"),
            "below {MIN_POINTS} pts is hidden"
        );
        // Log-odds at p = 0.5: slope 0.25, so 0.4 log-odds is 10 points.
        let g = factors(&names[..1], &row, &[0.4], Unit::LogOdds, 0.5);
        assert_eq!(g[0].points, 10.0);
    }

    #[test]
    fn points_that_round_to_zero_print_unsigned() {
        assert_eq!(signed_points(0.4), "0");
        assert_eq!(signed_points(-0.4), "0");
        assert_eq!(signed_points(-0.0), "0");
        assert_eq!(signed_points(12.4), "+12");
        assert_eq!(signed_points(-2.6), "-3");
    }
}
