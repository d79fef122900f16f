//! One regression tree on the rows' gradients, grown depth-first from gradient/hessian
//! histograms of the binned rows: a node's histogram is summed over the smaller child only,
//! the larger child's is the parent's minus it.

use std::ops::Range;

use super::bins::{Binned, Column};
use crate::ml::algo::tree::{Node, Tree, LEAF};

/// Gradient and hessian sums per bundle value, one table per bundle.
type Histogram = Vec<[[f64; 2]; 256]>;

/// What a tree is grown with (see [`super::BoostingParams`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Growth {
    pub max_depth: usize,
    pub l2: f64,
    pub min_leaf_weight: f64,
    pub learning_rate: f64,
}

impl Growth {
    /// A node's output: its Newton step, shrunk.
    fn value(&self, [g, h]: [f64; 2]) -> f64 {
        -g / (h + self.l2) * self.learning_rate
    }

    fn score(&self, [g, h]: [f64; 2]) -> f64 {
        g * g / (h + self.l2)
    }
}

/// How an inner node sends a binned row: left when `left[row[bundle]]`.
#[derive(Debug, Clone)]
struct Rule {
    bundle: usize,
    left: [bool; 256],
}

/// A grown tree, with what the booster needs to update its training predictions.
pub(super) struct Grown {
    pub tree: Tree,
    /// Per node, the rule of an inner node (`None` for a leaf).
    rules: Vec<Option<Rule>>,
    /// Each leaf and its rows, a range of the rows the tree was grown on (reordered).
    pub leaves: Vec<(usize, Range<usize>)>,
}

impl Grown {
    /// The leaf a binned row falls in; the same leaf as the tree's thresholds give its values.
    pub fn leaf(&self, row: &[u8]) -> usize {
        let mut n = 0;
        while let Some(rule) = &self.rules[n] {
            let node = &self.tree.nodes[n];
            n = if rule.left[row[rule.bundle] as usize] {
                node.left
            } else {
                node.right
            } as usize;
        }
        n
    }
}

struct Split {
    column: usize,
    /// The last bin that goes left.
    bin: usize,
    left: [f64; 2],
    gain: f64,
}

pub(super) struct Grower<'a> {
    binned: &'a Binned,
    growth: Growth,
    spare: Vec<Histogram>,
    scratch: Vec<u32>,
}

impl<'a> Grower<'a> {
    pub fn new(binned: &'a Binned, growth: Growth) -> Grower<'a> {
        Grower {
            binned,
            growth,
            spare: vec![],
            scratch: vec![],
        }
    }

    /// Grows a tree on `rows` (reordered so that each leaf's rows are together); `gh` holds the
    /// gradient and hessian of every row.
    pub fn grow(&mut self, rows: &mut [u32], gh: &[[f32; 2]]) -> Grown {
        let mut grown = Grown {
            tree: Tree { nodes: vec![] },
            rules: vec![],
            leaves: vec![],
        };
        let sums = rows.iter().fold([0.0, 0.0], |[g, h], &r| {
            let [rg, rh] = gh[r as usize];
            [g + f64::from(rg), h + f64::from(rh)]
        });
        let mut hist = self.histogram();
        self.accumulate(&mut hist, rows, gh);
        self.push_node(&mut grown, sums);
        self.grow_node(&mut grown, 0, rows, 0..rows.len(), hist, sums, 0, gh);
        grown
    }

    fn push_node(&self, grown: &mut Grown, sums: [f64; 2]) -> usize {
        grown.tree.nodes.push(Node {
            feature: 0,
            threshold: 0.0,
            left: LEAF,
            right: LEAF,
            value: self.growth.value(sums),
        });
        grown.rules.push(None);
        grown.tree.nodes.len() - 1
    }

    #[allow(clippy::too_many_arguments)]
    fn grow_node(
        &mut self,
        grown: &mut Grown,
        node: usize,
        rows: &mut [u32],
        range: Range<usize>,
        mut hist: Histogram,
        sums: [f64; 2],
        depth: usize,
        gh: &[[f32; 2]],
    ) {
        let split = (depth < self.growth.max_depth)
            .then(|| self.best_split(&hist, sums))
            .flatten();
        let Some(split) = split else {
            self.spare.push(hist);
            grown.leaves.push((node, range));
            return;
        };
        let column = &self.binned.columns[split.column];
        let rule = Rule {
            bundle: column.place.bundle,
            left: std::array::from_fn(|v| column.place.bin(v as u8) <= split.bin),
        };
        let mid = range.start + self.partition(&mut rows[range.clone()], &rule);
        let right_sums = [sums[0] - split.left[0], sums[1] - split.left[1]];
        let (l, r) = (
            self.push_node(grown, split.left),
            self.push_node(grown, right_sums),
        );
        grown.tree.nodes[node] = Node {
            feature: column.index as u32,
            threshold: column.cuts[split.bin],
            left: l as u32,
            right: r as u32,
            ..grown.tree.nodes[node]
        };
        grown.rules[node] = Some(rule);
        let (left_rows, right_rows) = (range.start..mid, mid..range.end);
        let mut small = self.histogram();
        let left_smaller = left_rows.len() <= right_rows.len();
        let smaller = if left_smaller {
            &left_rows
        } else {
            &right_rows
        };
        self.accumulate(&mut small, &rows[smaller.clone()], gh);
        subtract(&mut hist, &small);
        let (left_hist, right_hist) = if left_smaller {
            (small, hist)
        } else {
            (hist, small)
        };
        let d = depth + 1;
        self.grow_node(grown, l, rows, left_rows, left_hist, split.left, d, gh);
        self.grow_node(grown, r, rows, right_rows, right_hist, right_sums, d, gh);
    }

    fn histogram(&mut self) -> Histogram {
        self.spare
            .pop()
            .unwrap_or_else(|| vec![[[0.0; 2]; 256]; self.binned.bundles])
    }

    fn accumulate(&self, hist: &mut Histogram, rows: &[u32], gh: &[[f32; 2]]) {
        for table in hist.iter_mut() {
            table.fill([0.0; 2]);
        }
        let nb = self.binned.bundles;
        for &r in rows {
            let r = r as usize;
            let [g, h] = gh[r].map(f64::from);
            for (table, &v) in hist.iter_mut().zip(&self.binned.data[r * nb..(r + 1) * nb]) {
                let cell = &mut table[v as usize];
                cell[0] += g;
                cell[1] += h;
            }
        }
    }

    /// Moves the rows that go left first, keeping the order on each side; returns their count.
    fn partition(&mut self, rows: &mut [u32], rule: &Rule) -> usize {
        self.scratch.clear();
        let mut n = 0;
        for i in 0..rows.len() {
            let r = rows[i];
            if rule.left[self.binned.row(r as usize)[rule.bundle] as usize] {
                rows[n] = r;
                n += 1;
            } else {
                self.scratch.push(r);
            }
        }
        rows[n..].copy_from_slice(&self.scratch);
        n
    }

    fn best_split(&self, hist: &Histogram, sums: [f64; 2]) -> Option<Split> {
        let parent = self.growth.score(sums);
        let mut best: Option<Split> = None;
        for (c, column) in self.binned.columns.iter().enumerate() {
            let bins = column_histogram(column, &hist[column.place.bundle], sums);
            let mut left = [0.0, 0.0];
            for (bin, cell) in bins.iter().enumerate().take(bins.len() - 1) {
                left = [left[0] + cell[0], left[1] + cell[1]];
                let right = [sums[0] - left[0], sums[1] - left[1]];
                let min = self.growth.min_leaf_weight;
                if left[1] < min || right[1] < min {
                    continue;
                }
                let gain = self.growth.score(left) + self.growth.score(right) - parent;
                if gain > best.as_ref().map_or(0.0, |b| b.gain) {
                    best = Some(Split {
                        column: c,
                        bin,
                        left,
                        gain,
                    });
                }
            }
        }
        best
    }
}

/// A column's sums per bin, read from its bundle's table; its default bin holds what the
/// column's other bins leave of the node's sums.
fn column_histogram(column: &Column, table: &[[f64; 2]; 256], sums: [f64; 2]) -> Vec<[f64; 2]> {
    let p = column.place;
    let mut bins = Vec::with_capacity(p.bins);
    bins.extend_from_slice(&table[p.offset..p.offset + p.default]);
    bins.push([0.0, 0.0]);
    bins.extend_from_slice(&table[p.offset + p.default..p.offset + p.bins - 1]);
    let others = bins
        .iter()
        .fold([0.0, 0.0], |a, c| [a[0] + c[0], a[1] + c[1]]);
    bins[p.default] = [sums[0] - others[0], sums[1] - others[1]];
    bins
}

fn subtract(from: &mut Histogram, other: &Histogram) {
    for (a, b) in from.iter_mut().flatten().zip(other.iter().flatten()) {
        a[0] -= b[0];
        a[1] -= b[1];
    }
}
