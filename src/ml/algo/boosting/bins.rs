//! Encoded columns cut into at most 255 bins each, and columns that are never away from their
//! most common bin in the same row bundled into one byte per row, as LightGBM's exclusive
//! feature bundling does: a one-hot group of 8 columns costs one histogram update per row, not 8.

use super::err;
use crate::ml::encoder::Matrix;
use crate::ml::error::Result;

/// Most bins a column is cut into.
pub(super) const MAX_BINS: usize = 255;
/// Bins a bundle can hold: its byte's values.
const BUNDLE_BINS: usize = 256;

/// Where a column's bins live in its bundle. A row whose bundle value is in
/// `offset..offset + bins - 1` is in one of the column's other bins (in order, skipping
/// `default`); any other value means the column's row is in `default`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    pub bundle: usize,
    pub offset: usize,
    pub default: usize,
    pub bins: usize,
}

impl Place {
    /// The column's bin for a bundle value.
    pub fn bin(&self, v: u8) -> usize {
        let v = v as usize;
        if v < self.offset || v >= self.offset + self.bins - 1 {
            self.default
        } else if v - self.offset < self.default {
            v - self.offset
        } else {
            v - self.offset + 1
        }
    }

    /// The bundle value of one of the column's bins other than `default`.
    fn value(&self, bin: usize) -> u8 {
        let rank = if bin < self.default { bin } else { bin - 1 };
        (self.offset + rank) as u8
    }
}

/// A column that can be split: its thresholds and where its bins are.
#[derive(Debug, Clone)]
pub(super) struct Column {
    /// The encoded column.
    pub index: usize,
    /// Ascending; bin `k` holds the values `x` with `cuts[k - 1] <= x < cuts[k]`.
    pub cuts: Vec<f64>,
    pub place: Place,
}

/// The binned rows, one byte per bundle, row after row.
pub(super) struct Binned {
    pub bundles: usize,
    pub data: Vec<u8>,
    /// Columns of a single value are left out: they cannot split.
    pub columns: Vec<Column>,
}

impl Binned {
    /// Bins the columns of `x`, refusing a value that is not a finite number, naming its
    /// column and row. Refused, not binned: serving sends NaN right at every split
    /// (`x < threshold` is false) where binning would put it below every cut, and the encoder
    /// gives finite values for the finite numbers it reads, so such a value is a fault to
    /// name, not something to learn from.
    pub fn new(x: &Matrix) -> Result<Binned> {
        if let Some(i) = x.data.iter().position(|v| !v.is_finite()) {
            let (row, column, v) = (i / x.cols, i % x.cols, x.data[i]);
            return Err(err(format!(
                "encoded column {column} of row {row} is {v}, not a finite number"
            )));
        }
        let mut cols: Vec<(usize, Vec<f64>, Vec<u8>)> = (0..x.cols)
            .filter_map(|c| {
                let values: Vec<f64> = x.data.iter().skip(c).step_by(x.cols).copied().collect();
                let cuts = cuts(&values);
                let bins = values.iter().map(|v| bin_of(&cuts, *v)).collect();
                (!cuts.is_empty()).then_some((c, cuts, bins))
            })
            .collect();
        let (places, nb) = bundle(x.rows, &cols);
        let mut data = vec![0u8; x.rows * nb];
        let columns = cols
            .drain(..)
            .zip(places)
            .map(|((index, cuts, bins), place)| {
                for (r, &bin) in bins.iter().enumerate() {
                    if bin as usize != place.default {
                        data[r * nb + place.bundle] = place.value(bin as usize);
                    }
                }
                Column { index, cuts, place }
            })
            .collect();
        Ok(Binned {
            bundles: nb,
            data,
            columns,
        })
    }

    /// Row `r`'s bundle values.
    pub fn row(&self, r: usize) -> &[u8] {
        &self.data[r * self.bundles..(r + 1) * self.bundles]
    }
}

/// Places each column (index, cuts, bin of each row) in a bundle; returns the places and the
/// number of bundles.
fn bundle(rows: usize, cols: &[(usize, Vec<f64>, Vec<u8>)]) -> (Vec<Place>, usize) {
    let defaults: Vec<usize> = cols
        .iter()
        .map(|(_, c, b)| most_common(b, c.len() + 1))
        .collect();
    // The rows where each column is away from its most common bin.
    let away: Vec<Vec<usize>> = cols
        .iter()
        .zip(&defaults)
        .map(|((_, _, bins), &d)| (0..rows).filter(|&r| bins[r] as usize != d).collect())
        .collect();
    // Densest first: dense columns open bundles that sparse ones can then join.
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(away[i].len()), i));
    let mut bundles: Vec<Bundle> = vec![];
    let mut places = vec![None; cols.len()];
    for i in order {
        let bins = cols[i].1.len() + 1;
        let free = bundles.iter().position(|b| b.fits(bins, &away[i]));
        let b = free.unwrap_or_else(|| {
            bundles.push(Bundle::new(rows));
            bundles.len() - 1
        });
        places[i] = Some(bundles[b].add(b, bins, defaults[i], &away[i]));
    }
    let places = places
        .into_iter()
        .map(|p| p.expect("every column is placed"));
    (places.collect(), bundles.len())
}

/// A bundle being filled: its bins so far and the rows where one of its columns is away from
/// its default bin.
struct Bundle {
    bins: usize,
    taken: Vec<u64>,
}

impl Bundle {
    fn new(rows: usize) -> Bundle {
        Bundle {
            bins: 1,
            taken: vec![0; rows.div_ceil(64)],
        }
    }

    fn fits(&self, bins: usize, away: &[usize]) -> bool {
        self.bins + bins - 1 <= BUNDLE_BINS
            && away
                .iter()
                .all(|&r| self.taken[r / 64] & (1 << (r % 64)) == 0)
    }

    fn add(&mut self, bundle: usize, bins: usize, default: usize, away: &[usize]) -> Place {
        for &r in away {
            self.taken[r / 64] |= 1 << (r % 64);
        }
        let place = Place {
            bundle,
            offset: self.bins,
            default,
            bins,
        };
        self.bins += bins - 1;
        place
    }
}

fn bin_of(cuts: &[f64], v: f64) -> u8 {
    cuts.partition_point(|&c| c <= v) as u8
}

fn most_common(bins: &[u8], n: usize) -> usize {
    let mut counts = vec![0usize; n];
    for &b in bins {
        counts[b as usize] += 1;
    }
    (0..n)
        .max_by_key(|&k| (counts[k], std::cmp::Reverse(k)))
        .unwrap_or(0)
}

/// Thresholds between a column's values: one between each pair of neighbouring values when
/// there are at most [`MAX_BINS`] of them, else about equal-count bins (a value is never
/// split across two bins, so a frequent value gets a bin of its own). The values are finite
/// (see [`Binned::new`]), so `==` finds every repeat.
fn cuts(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let mut distinct: Vec<(f64, usize)> = vec![];
    for v in sorted {
        match distinct.last_mut() {
            Some((last, n)) if *last == v => *n += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let per_bin = if distinct.len() <= MAX_BINS {
        0
    } else {
        values.len().div_ceil(MAX_BINS - 1)
    };
    let mut out = vec![];
    let mut in_bin = 0;
    for pair in distinct.windows(2) {
        in_bin += pair[0].1;
        if in_bin >= per_bin {
            out.push(between(pair[0].0, pair[1].0));
            in_bin = 0;
        }
    }
    out
}

/// A threshold `t` with `a < t <= b`.
fn between(a: f64, b: f64) -> f64 {
    let mid = a + (b - a) / 2.0;
    if mid > a && mid <= b {
        mid
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(cols: usize, data: Vec<f64>) -> Matrix {
        Matrix {
            rows: data.len() / cols,
            cols,
            data,
        }
    }

    #[test]
    fn every_row_reads_back_the_bin_of_its_value() {
        // A one-hot pair, a dense column of many values and a constant column.
        let rows = 2000;
        let data: Vec<f64> = (0..rows)
            .flat_map(|r| {
                let hot = (r % 3 == 0) as u8 as f64;
                [hot, 1.0 - hot, ((r * 7919) % 1013) as f64 / 7.0, 4.0]
            })
            .collect();
        let x = matrix(4, data);
        let b = Binned::new(&x).unwrap();
        assert_eq!(b.columns.len(), 3, "the constant column is left out");
        for c in &b.columns {
            assert!(
                c.cuts.len() < MAX_BINS,
                "column {}: {} cuts",
                c.index,
                c.cuts.len()
            );
            for r in 0..rows {
                let v = x.row(r)[c.index];
                let bin = c.place.bin(b.row(r)[c.place.bundle]);
                assert_eq!(
                    bin,
                    bin_of(&c.cuts, v) as usize,
                    "column {} row {r}",
                    c.index
                );
                assert!(bin == 0 || c.cuts[bin - 1] <= v);
                assert!(bin == c.cuts.len() || v < c.cuts[bin]);
            }
        }
    }

    #[test]
    fn exclusive_columns_share_a_bundle_and_overlapping_ones_do_not() {
        let rows = 300;
        let data: Vec<f64> = (0..rows)
            .flat_map(|r| {
                let k = r % 3;
                // Columns 0-2 one-hot; column 3 overlaps column 0.
                [
                    (k == 0) as u8,
                    (k == 1) as u8,
                    (k == 2) as u8,
                    (r % 2 == 0) as u8,
                ]
                .map(f64::from)
            })
            .collect();
        let b = Binned::new(&matrix(4, data)).unwrap();
        let bundle = |i: usize| {
            b.columns
                .iter()
                .find(|c| c.index == i)
                .unwrap()
                .place
                .bundle
        };
        assert_eq!(bundle(1), bundle(2));
        assert_ne!(bundle(0), bundle(3));
        assert_eq!(b.bundles, 2);
    }

    #[test]
    fn many_values_are_cut_into_equal_count_bins_with_a_frequent_value_alone() {
        let mut values: Vec<f64> = (0..10_000).map(|i| i as f64).collect();
        values.extend(std::iter::repeat_n(0.0, 5_000));
        let c = cuts(&values);
        // 0 alone, then 1..=9999 in bins of 60 (15,000 / 254 rounded up), the last one open.
        assert_eq!(c.len(), 1 + 9_998 / 60, "{c:?}");
        assert_eq!(c[0], 0.5, "0 has a bin of its own");
        let counts: Vec<usize> = c
            .windows(2)
            .map(|w| values.iter().filter(|&&v| w[0] <= v && v < w[1]).count())
            .collect();
        assert!(counts.iter().all(|&n| n == 60), "{counts:?}");
    }

    #[test]
    fn a_value_that_is_not_finite_is_refused_with_its_column_and_row() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut data = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
            data[3] = bad;
            let e = Binned::new(&matrix(2, data)).err().expect("refused");
            let text = e.to_string();
            assert!(text.contains("column 1 of row 1 is"), "{text}");
        }
        // All-NaN columns too, which would otherwise be cut at NaN.
        assert!(Binned::new(&matrix(1, vec![f64::NAN; 4])).is_err());
    }
}
