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

/// At most this many factors per score ([`TOP_FACTORS`] each way).
pub const MAX_FACTORS: usize = 2 * TOP_FACTORS;

/// A factor before it is put in words: the feature (its index in the spec) and its points.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RawFactor {
    pub feature: usize,
    /// Signed score points, unrounded.
    pub points: f64,
}

impl RawFactor {
    /// The points as a factor shows them: one decimal.
    pub fn shown_points(&self) -> f64 {
        (self.points * 10.0).round() / 10.0
    }
}

/// The top factors of one score, largest first, not yet in words (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TopFactors {
    items: [RawFactor; MAX_FACTORS],
    len: u8,
}

impl TopFactors {
    pub fn as_slice(&self) -> &[RawFactor] {
        &self.items[..usize::from(self.len)]
    }

    /// The factors in words, for the feature `names` and the row's cells.
    pub fn in_words(&self, names: &[String], row: &FeatureRow) -> Vec<Factor> {
        self.as_slice()
            .iter()
            .map(|f| factor(&names[f.feature], cell_of(row, f.feature), f.points))
            .collect()
    }
}

fn cell_of(row: &FeatureRow, j: usize) -> &Cell {
    row.cells.get(j).unwrap_or(&Cell::Missing)
}

/// Inserts `f` into the sorted `side` (largest |points| first, then lower index), keeping at most
/// [`TOP_FACTORS`].
fn keep(side: &mut [RawFactor; TOP_FACTORS], len: &mut usize, f: RawFactor) {
    let before = |a: &RawFactor, b: &RawFactor| {
        b.points
            .abs()
            .total_cmp(&a.points.abs())
            .then(a.feature.cmp(&b.feature))
            .is_lt()
    };
    let mut at = *len;
    while at > 0 && before(&f, &side[at - 1]) {
        at -= 1;
    }
    if at >= TOP_FACTORS {
        return;
    }
    let end = (*len).min(TOP_FACTORS - 1);
    side.copy_within(at..end, at + 1);
    side[at] = f;
    *len = (*len + 1).min(TOP_FACTORS);
}

/// The top positive and negative factors of per-feature contributions, largest first (by their
/// shown points; of equal ones, the raising first).
pub fn top_factors(per_feature: &[f64], unit: Unit, p: f64) -> TopFactors {
    let scale = match unit {
        Unit::LogOdds => 100.0 * p * (1.0 - p),
        Unit::Probability => 100.0,
    };
    let (mut pos, mut neg) = (
        [RawFactor::default(); TOP_FACTORS],
        [RawFactor::default(); TOP_FACTORS],
    );
    let (mut npos, mut nneg) = (0, 0);
    for (feature, c) in per_feature.iter().enumerate() {
        let points = c * scale;
        if points.abs() < MIN_POINTS {
            continue;
        }
        let f = RawFactor { feature, points };
        if points > 0.0 {
            keep(&mut pos, &mut npos, f);
        } else if points < 0.0 {
            keep(&mut neg, &mut nneg, f);
        }
    }
    let mut out = TopFactors::default();
    for f in pos[..npos].iter().chain(&neg[..nneg]) {
        // Stable insertion by shown |points|, largest first.
        let mut at = usize::from(out.len);
        while at > 0 && out.items[at - 1].shown_points().abs() < f.shown_points().abs() {
            out.items[at] = out.items[at - 1];
            at -= 1;
        }
        out.items[at] = *f;
        out.len += 1;
    }
    out
}

/// Turns per-feature contributions into the top positive and negative factors, largest first.
pub fn factors(
    names: &[String],
    row: &FeatureRow,
    per_feature: &[f64],
    unit: Unit,
    p: f64,
) -> Vec<Factor> {
    top_factors(per_feature, unit, p).in_words(names, row)
}

/// Points as a factor's text shows them: signed whole points, and "0" (not "+0" or "-0") for
/// points that round to zero.
pub fn signed_points(points: f64) -> String {
    SignedPoints(points).to_string()
}

/// [`signed_points`], written in place.
struct SignedPoints(f64);

impl SignedPoints {
    /// The rounded points as a whole number when they are one below 1e15 (exact in an i64;
    /// `{rounded:+}` prints such a number as `{whole:+}` does), else the rounded float.
    fn whole(&self) -> Result<i64, f64> {
        let rounded = self.0.round();
        if rounded.abs() < 1e15 {
            Ok(rounded as i64)
        } else {
            Err(rounded)
        }
    }

    /// Appends the text to `out`; whole points without `fmt`.
    fn push_to(&self, out: &mut String) {
        match self.whole() {
            Ok(0) => out.push('0'),
            Ok(whole) => {
                if whole > 0 {
                    out.push('+');
                }
                out.push_str(itoa::Buffer::new().format(whole));
            }
            Err(_) => {
                use std::fmt::Write as _;
                let _ = write!(out, "{self}");
            }
        }
    }
}

impl std::fmt::Display for SignedPoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.whole() {
            Ok(0) => f.write_str("0"),
            Ok(whole) => write!(f, "{whole:+}"),
            Err(rounded) => write!(f, "{rounded:+}"),
        }
    }
}

fn factor(name: &str, cell: &Cell, points: f64) -> Factor {
    let value = cell.display();
    Factor {
        feature: name.to_string(),
        text: format!("{name} = {value}: {} pts", SignedPoints(points)),
        value,
        points: (points * 10.0).round() / 10.0,
    }
}

/// A factor put in words as it is written out: serialises exactly as its [`Factor`] does,
/// without building its texts.
#[derive(Debug, Clone, Copy)]
pub struct FactorWords<'a> {
    pub name: &'a str,
    pub cell: &'a Cell,
    pub points: f64,
}

impl<'a> FactorWords<'a> {
    pub fn new(names: &'a [String], row: &'a FeatureRow, f: &RawFactor) -> Self {
        FactorWords {
            name: &names[f.feature],
            cell: cell_of(row, f.feature),
            points: f.points,
        }
    }

    /// Appends [`FactorWords::text`] to `out`, without `fmt` for the common values (see
    /// [`Cell::push_shown`]) and whole points.
    pub fn push_text(&self, out: &mut String) {
        out.push_str(self.name);
        out.push_str(" = ");
        self.cell.push_shown(out);
        out.push_str(": ");
        SignedPoints(self.points).push_to(out);
        out.push_str(" pts");
    }

    /// "source = webinar: +12 pts", written in place.
    pub fn text(&self) -> impl std::fmt::Display + '_ {
        struct Text<'b>(&'b FactorWords<'b>);
        impl std::fmt::Display for Text<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let w = self.0;
                write!(
                    f,
                    "{} = {}: {} pts",
                    w.name,
                    w.cell.shown(),
                    SignedPoints(w.points)
                )
            }
        }
        Text(self)
    }
}

impl Serialize for FactorWords<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Shown<'b>(&'b Cell);
        impl Serialize for Shown<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0.shown())
            }
        }
        struct Words<'b>(&'b FactorWords<'b>);
        impl Serialize for Words<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0.text())
            }
        }
        let mut st = s.serialize_struct("Factor", 4)?;
        st.serialize_field("feature", self.name)?;
        st.serialize_field("value", &Shown(self.cell))?;
        st.serialize_field("points", &((self.points * 10.0).round() / 10.0))?;
        st.serialize_field("text", &Words(self))?;
        st.end()
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
    fn whole_numbers_print_as_float_formatting_prints_them() {
        for x in [
            0.0f64,
            -0.0,
            1.0,
            -3.0,
            14.0,
            123456789.0,
            -999999999999999.0,
            2.5,
            -0.25,
            1e15,
            1e20,
        ] {
            let want = if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{x:.0}")
            } else {
                let s = format!("{x:.2}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            };
            assert_eq!(crate::ml::row::format_number(x), want, "{x}");
            let r = x.round();
            let want = if r == 0.0 {
                "0".to_string()
            } else {
                format!("{r:+}")
            };
            assert_eq!(signed_points(x), want, "{x}");
        }
    }

    #[test]
    fn texts_appended_in_place_read_as_the_displayed_ones() {
        let cells = [
            Cell::Cat("webinar".into()),
            Cell::Missing,
            Cell::Num(14.0),
            Cell::Num(-0.0),
            Cell::Num(2.345),
            Cell::Num(-7.5),
            Cell::Num(1e20),
        ];
        let names = vec!["source".to_string()];
        for cell in cells {
            let row = FeatureRow { cells: vec![cell] };
            for points in [0.0, -0.4, 0.5, 12.4, -2.6, 99.5, 1e16, -1e16, f64::NAN] {
                let words = FactorWords::new(&names, &row, &RawFactor { feature: 0, points });
                let mut text = String::from("before; ");
                words.push_text(&mut text);
                assert_eq!(
                    text,
                    format!("before; {}", words.text()),
                    "{row:?} {points}"
                );
            }
        }
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
