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
        let n = (vals.len() + missing).max(1) as f64;
        // Imputed values count at the median, as they will be encoded.
        let mean = (vals.iter().sum::<f64>() + median * missing as f64) / n;
        let var = (vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
            + (median - mean).powi(2) * missing as f64)
            / n;
        let std = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
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
                    out[*col] = (x.unwrap_or(*median) - mean) / std;
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
}
