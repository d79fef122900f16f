//! Gradient and hessian sums of binned rows, per bundle value: what a node's best split is
//! read from.

use super::bins::{Binned, Column};

/// Gradient and hessian sums per bundle value, one table per bundle.
pub(super) type Histogram = Vec<[[f64; 2]; 256]>;

/// Overwrites `hist` (one table per bundle of `binned`) with the sums over `rows` of `gh`, the
/// gradient and hessian of every row by row number.
pub(super) fn accumulate(binned: &Binned, hist: &mut Histogram, rows: &[u32], gh: &[[f32; 2]]) {
    for table in hist.iter_mut() {
        table.fill([0.0; 2]);
    }
    let nb = binned.bundles;
    for &r in rows {
        let r = r as usize;
        let [g, h] = gh[r].map(f64::from);
        for (table, &v) in hist.iter_mut().zip(&binned.data[r * nb..(r + 1) * nb]) {
            let cell = &mut table[v as usize];
            cell[0] += g;
            cell[1] += h;
        }
    }
}

/// Writes into `bins` a column's sums per bin, read from its bundle's table; its default bin
/// holds what the column's other bins leave of the node's sums.
pub(super) fn column_histogram(
    column: &Column,
    table: &[[f64; 2]; 256],
    sums: [f64; 2],
    bins: &mut Vec<[f64; 2]>,
) {
    let p = column.place;
    bins.clear();
    bins.extend_from_slice(&table[p.offset..p.offset + p.default]);
    bins.push([0.0, 0.0]);
    bins.extend_from_slice(&table[p.offset + p.default..p.offset + p.bins - 1]);
    let others = bins
        .iter()
        .fold([0.0, 0.0], |a, c| [a[0] + c[0], a[1] + c[1]]);
    bins[p.default] = [sums[0] - others[0], sums[1] - others[1]];
}

/// Takes `other` from `from`, cell by cell: a sibling's histogram from its parent's.
pub(super) fn subtract(from: &mut Histogram, other: &Histogram) {
    for (a, b) in from.iter_mut().flatten().zip(other.iter().flatten()) {
        a[0] -= b[0];
        a[1] -= b[1];
    }
}
