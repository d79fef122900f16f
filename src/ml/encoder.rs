//! The fitted feature encoder: from feature rows to a dense numeric matrix.
//!
//! Numeric features: missing values take the training median, then the value is standardised by
//! the training mean and standard deviation; a 0/1 "missing" column is added when training had
//! missing values. Categorical features: one 0/1 column per level seen at least `min_count`
//! times in training (missing is a level of its own, "(missing)"), and one "other" column for
//! rare levels and for levels never seen in training. Scoring never fails on a value.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::domain::IdHashing;

use super::row::{Cell, FeatureRow};
use super::spec::{FeatureSpec, FeatureType};

/// The level name a missing categorical value takes.
pub const MISSING_LEVEL: &str = "(missing)";

/// A dense row-major matrix of encoded rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Matrix {
            rows: idx.len(),
            cols: self.cols,
            data,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Encoding {
    Numeric {
        col: usize,
        median: f64,
        mean: f64,
        std: f64,
        missing_col: Option<usize>,
    },
    Categorical {
        /// Looked up once per row and categorical feature while scoring: hashed with the
        /// cheap id hash (SipHash was 4-5% of `revcast score`'s instructions here).
        levels: HashMap<String, usize, IdHashing>,
        other_col: usize,
    },
}

/// Encodes rows of the spec's features into numbers; fitted on the training slice only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    encodings: Vec<Encoding>,
    /// A readable name per encoded column: `visits`, `visits (missing)`, `source=webinar`, `source=(other)`.
    pub columns: Vec<String>,
    /// The feature (index into the spec's features) each column belongs to.
    pub column_feature: Vec<usize>,
    /// Mean of each encoded column over the training rows: the "average record" explanations
    /// are measured from.
    pub column_mean: Vec<f64>,
}

impl Encoder {
    /// Learns medians, scales and frequent levels from the training rows.
    pub fn fit(features: &[FeatureSpec], rows: &[&FeatureRow]) -> Encoder {
        let mut enc = Encoder {
            encodings: vec![],
            columns: vec![],
            column_feature: vec![],
            column_mean: vec![],
        };
        for (j, f) in features.iter().enumerate() {
            let cells = rows.iter().map(|r| &r.cells[j]);
            let e = match f.ty {
                FeatureType::Numeric => enc.fit_numeric(j, &f.name, cells),
                FeatureType::Categorical => enc.fit_categorical(j, f, cells),
            };
            enc.encodings.push(e);
        }
        // Column means over the training rows, one encoded row at a time.
        let cols = enc.width();
        let (mut sum, mut buf) = (vec![0.0; cols], vec![0.0; cols]);
        for r in rows {
            enc.encode_into(r, &mut buf);
            sum.iter_mut().zip(&buf).for_each(|(s, v)| *s += v);
        }
        let n = rows.len().max(1) as f64;
        enc.column_mean = sum.into_iter().map(|s| s / n).collect();
        enc
    }

    fn push_col(&mut self, feature: usize, name: String) -> usize {
        self.columns.push(name);
        self.column_feature.push(feature);
        self.columns.len() - 1
    }

    fn fit_numeric<'a>(
        &mut self,
        j: usize,
        name: &str,
        cells: impl Iterator<Item = &'a Cell>,
    ) -> Encoding {
        let (mut vals, mut missing) = (Vec::new(), 0usize);
        for c in cells {
            match c.as_num() {
                Some(x) => vals.push(x),
                None => missing += 1,
            }
        }
        vals.sort_by(f64::total_cmp);
        let median = if vals.is_empty() {
            0.0
        } else {
            vals[vals.len() / 2]
        };
        let (mean, sd) = mean_and_sd(&vals, median, missing);
        let std = if sd > 1e-12 { sd } else { 1.0 };
        let col = self.push_col(j, name.to_string());
        let missing_col = (missing > 0).then(|| self.push_col(j, format!("{name} (missing)")));
        Encoding::Numeric {
            col,
            median,
            mean,
            std,
            missing_col,
        }
    }

    fn fit_categorical<'a>(
        &mut self,
        j: usize,
        f: &FeatureSpec,
        cells: impl Iterator<Item = &'a Cell>,
    ) -> Encoding {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for c in cells {
            *counts
                .entry(c.as_cat().unwrap_or_else(|| MISSING_LEVEL.to_string()))
                .or_default() += 1;
        }
        let mut frequent: Vec<(String, usize)> = counts
            .into_iter()
            .filter(|(_, n)| *n >= f.min_count.max(1))
            .collect();
        // Most frequent first, ties by name: the column order must not depend on hashing.
        frequent.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let levels = frequent
            .into_iter()
            .map(|(l, _)| (l.clone(), self.push_col(j, format!("{}={l}", f.name))))
            .collect();
        let other_col = self.push_col(j, format!("{}=(other)", f.name));
        Encoding::Categorical { levels, other_col }
    }

    /// Number of encoded columns.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Writes one row's encoding into `out` (length [`Encoder::width`]).
    pub fn encode_into(&self, row: &FeatureRow, out: &mut [f64]) {
        out.fill(0.0);
        for (i, e) in self.encodings.iter().enumerate() {
            let cell = row.cells.get(i).unwrap_or(&Cell::Missing);
            match e {
                Encoding::Numeric {
                    col,
                    median,
                    mean,
                    std,
                    missing_col,
                } => {
                    let x = cell.as_num();
                    let v = x.unwrap_or(*median);
                    let z = (v - mean) / std;
                    // `v - mean` overflows only for values near ±1e308; `std` is then large.
                    out[*col] = if z.is_finite() {
                        z
                    } else {
                        v / std - mean / std
                    };
                    if let (Some(m), None) = (missing_col, x) {
                        out[*m] = 1.0;
                    }
                }
                Encoding::Categorical { levels, other_col } => {
                    let hit = match cell {
                        Cell::Cat(s) => levels.get(s.as_str()),
                        Cell::Missing => levels.get(MISSING_LEVEL),
                        Cell::Num(_) => cell.as_cat().and_then(|s| levels.get(&s)),
                    };
                    out[*hit.unwrap_or(other_col)] = 1.0;
                }
            }
        }
    }

    /// Encodes every row. Rows shorter than the spec's features read the rest as missing.
    /// The rows `idx` of `rows`, encoded in that order.
    pub fn transform_selected(&self, rows: &[FeatureRow], idx: &[usize]) -> Matrix {
        let cols = self.width();
        let mut data = vec![0.0; idx.len() * cols];
        for (&i, out) in idx.iter().zip(data.chunks_mut(cols.max(1))) {
            self.encode_into(&rows[i], out);
        }
        Matrix {
            rows: idx.len(),
            cols,
            data,
        }
    }

    pub fn transform(&self, rows: &[FeatureRow]) -> Matrix {
        let cols = self.width();
        let mut data = vec![0.0; rows.len() * cols];
        for (row, out) in rows.iter().zip(data.chunks_mut(cols.max(1))) {
            self.encode_into(row, out);
        }
        Matrix {
            rows: rows.len(),
            cols,
            data,
        }
    }
}

/// Mean and standard deviation of `vals` and `missing` more values at `median` (imputed
/// values count as they will be encoded). Both are finite for finite values: when the plain
/// sums overflow (values near ±1e308) they are taken over the values divided by the largest
/// magnitude, and scaled back. Ordinary values take the plain sums, to the bit as before.
fn mean_and_sd(vals: &[f64], median: f64, missing: usize) -> (f64, f64) {
    let n = (vals.len() + missing).max(1) as f64;
    let over = |s: f64| {
        let mean = (vals.iter().map(|x| x / s).sum::<f64>() + median / s * missing as f64) / n;
        let var = (vals.iter().map(|x| (x / s - mean).powi(2)).sum::<f64>()
            + (median / s - mean).powi(2) * missing as f64)
            / n;
        (mean, var.sqrt())
    };
    // Dividing by 1 changes no bit.
    let (mean, sd) = over(1.0);
    if mean.is_finite() && sd.is_finite() {
        return (mean, sd);
    }
    let s = vals.iter().fold(0.0, |m: f64, x| m.max(x.abs()));
    let (mean, sd) = over(s);
    // Both are at most `s` exactly; rounding must not carry them past the largest f64.
    let most = f64::MAX;
    ((mean * s).clamp(-most, most), (sd * s).min(most))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, ty: FeatureType, min_count: usize) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            from: format!("attributes.{name}"),
            ty,
            derive: None,
            min_count,
        }
    }

    #[test]
    fn imputes_standardises_one_hots_and_buckets_the_unknown() {
        let feats = [
            spec("visits", FeatureType::Numeric, 1),
            spec("source", FeatureType::Categorical, 2),
        ];
        let row = |v: Cell, s: &str| FeatureRow {
            cells: vec![v, Cell::text(s, &[])],
        };
        let rows = [
            row(Cell::Num(1.0), "web"),
            row(Cell::Num(3.0), "web"),
            row(Cell::Missing, "ad"),
            row(Cell::Num(5.0), ""),
        ];
        let rows: Vec<&FeatureRow> = rows.iter().collect();
        let e = Encoder::fit(&feats, &rows);
        assert_eq!(
            e.columns,
            ["visits", "visits (missing)", "source=web", "source=(other)"]
        );
        // Median of 1, 3, 5 is 3; the missing row counts at 3, so mean 3 and std sqrt(2).
        let mut out = vec![0.0; e.width()];
        e.encode_into(&row(Cell::Missing, "web"), &mut out);
        assert_eq!(out, [0.0, 1.0, 1.0, 0.0]);
        e.encode_into(&row(Cell::Num(5.0), "never seen"), &mut out);
        assert!((out[0] - 2.0 / 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(&out[1..], [0.0, 0.0, 1.0]);
        // "ad" (seen once) and missing (seen once) are below min_count 2: the other bucket.
        e.encode_into(&row(Cell::Num(3.0), "ad"), &mut out);
        assert_eq!(&out[2..], [0.0, 1.0]);
        assert_eq!(e.column_mean[2], 0.5);
        assert_eq!(e, Encoder::fit(&feats, &rows), "deterministic");
    }

    fn numeric(values: &[Cell]) -> (Encoder, Vec<FeatureRow>) {
        let feats = [spec("amount", FeatureType::Numeric, 1)];
        let rows: Vec<FeatureRow> = values
            .iter()
            .map(|v| FeatureRow {
                cells: vec![v.clone()],
            })
            .collect();
        let e = Encoder::fit(&feats, &rows.iter().collect::<Vec<_>>());
        (e, rows)
    }

    #[test]
    fn values_near_the_largest_f64_encode_finite_and_in_order() {
        let big = [1.5e308, f64::MAX, -f64::MAX, -1.5e308, 1e300, 0.0, 1.5e308];
        let mut cells: Vec<Cell> = big.iter().map(|&v| Cell::Num(v)).collect();
        cells.push(Cell::Missing);
        let (e, rows) = numeric(&cells);
        let Encoding::Numeric { mean, std, .. } = &e.encodings[0] else {
            panic!("numeric")
        };
        assert!(
            mean.is_finite() && std.is_finite() && *std > 1e300,
            "{mean} {std}"
        );
        let x = e.transform(&rows);
        assert!(x.data.iter().all(|v| v.is_finite()), "{:?}", x.data);
        assert!(e.column_mean.iter().all(|v| v.is_finite()));
        // The standardised values keep the order of the values.
        let z: Vec<f64> = (0..big.len()).map(|i| x.row(i)[0]).collect();
        for (i, j) in [(1, 0), (0, 4), (4, 5), (5, 3), (3, 2)] {
            assert!(z[i] > z[j], "{:?}", z);
        }
        // Values around 1e200 overflow only the squares.
        let (e, rows) = numeric(&[Cell::Num(1e200), Cell::Num(-3e200), Cell::Num(2e200)]);
        let x = e.transform(&rows);
        assert!(
            x.data.iter().all(|v| v.is_finite() && v.abs() < 2.0),
            "{:?}",
            x.data
        );
        assert!(x.row(2)[0] > x.row(0)[0] && x.row(0)[0] > x.row(1)[0]);
    }

    #[test]
    fn ordinary_values_encode_to_the_bit_as_the_plain_formulas_give() {
        let vals = [3.25, -17.0, 1e6, 0.1, 42.0, 7.7, 0.1];
        let mut cells: Vec<Cell> = vals.iter().map(|&v| Cell::Num(v)).collect();
        cells.extend([Cell::Missing, Cell::Missing]);
        let (e, rows) = numeric(&cells);
        // The formulas the encoder had before it guarded against overflow (over sorted values).
        let mut sorted = vals.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let n = 9.0;
        let mean = (sorted.iter().sum::<f64>() + median * 2.0) / n;
        let var = (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
            + (median - mean).powi(2) * 2.0)
            / n;
        let std = var.sqrt();
        let x = e.transform(&rows);
        for (i, cell) in cells.iter().enumerate() {
            let want = (cell.as_num().unwrap_or(median) - mean) / std;
            assert_eq!(x.row(i)[0].to_bits(), want.to_bits(), "row {i}");
        }
    }
}
