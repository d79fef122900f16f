//! One regression tree on the rows' gradients, grown depth-first from gradient/hessian
//! histograms of the binned rows: a node's histogram is summed over the smaller child only,
//! the larger child's is the parent's minus it. A node that cannot split gets no histogram.

use std::ops::Range;

use super::bins::Binned;
use super::histogram::{accumulate, column_histogram, subtract, Histogram};
use crate::ml::algo::tree::{Node, Tree, LEAF};

/// What a tree is grown with (see [`super::BoostingParams`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Growth {
    pub max_depth: usize,
    /// Positive.
    pub l2: f64,
    /// At least 0.
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

    /// Whether a node with these sums, at this depth, could split: above the last depth, and
    /// with hessian for two leaves of `min_leaf_weight`. A node refused here would find no
    /// split, so leaving it without a histogram changes no tree: when `h < 2 * min`, a left
    /// share `min <= l <= h` leaves `h - l < min`, and that difference is exact in floating
    /// point (Sterbenz: `l` is within a factor 2 of `h`).
    fn can_split(&self, [_, h]: [f64; 2], depth: usize) -> bool {
        depth < self.max_depth && h >= 2.0 * self.min_leaf_weight
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

/// The rows and gradients one tree is grown on, and the tree so far.
struct Job<'r> {
    /// Reordered as nodes split, so that each node's rows are one range of it.
    rows: &'r mut [u32],
    /// Gradient and hessian of every row, by row number.
    gh: &'r [[f32; 2]],
    grown: Grown,
}

impl<'r> Job<'r> {
    fn new(rows: &'r mut [u32], gh: &'r [[f32; 2]]) -> Job<'r> {
        let tree = Tree { nodes: vec![] };
        let (rules, leaves) = (vec![], vec![]);
        Job {
            rows,
            gh,
            grown: Grown {
                tree,
                rules,
                leaves,
            },
        }
    }
}

/// A node of the tree not yet split or made a leaf.
struct Pending {
    node: usize,
    /// Its rows, a range of [`Job::rows`].
    range: Range<usize>,
    /// Its histogram; `None` when it cannot split ([`Growth::can_split`]).
    hist: Option<Histogram>,
    /// Gradient and hessian sums of its rows.
    sums: [f64; 2],
    depth: usize,
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
    /// Histograms no node holds, kept for the next ones.
    spare: Vec<Histogram>,
    /// The rows going right while partitioning.
    scratch: Vec<u32>,
    /// One column's sums per bin while looking for a split.
    bins: Vec<[f64; 2]>,
}

impl<'a> Grower<'a> {
    pub fn new(binned: &'a Binned, growth: Growth) -> Grower<'a> {
        Grower {
            binned,
            growth,
            spare: vec![],
            scratch: vec![],
            bins: vec![],
        }
    }

    /// Grows a tree on `rows` (reordered so that each leaf's rows are together); `gh` holds the
    /// gradient and hessian of every row.
    pub fn grow(&mut self, rows: &mut [u32], gh: &[[f32; 2]]) -> Grown {
        let mut job = Job::new(rows, gh);
        let mut stack = vec![self.root(&mut job)];
        // Right child pushed first: nodes split depth-first, left before right, which keeps
        // the node numbers and the order of the leaves of the recursive grower this replaced.
        while let Some(pending) = stack.pop() {
            if let Some([left, right]) = self.split(&mut job, pending) {
                stack.push(right);
                stack.push(left);
            }
        }
        job.grown
    }

    /// The root node of all the job's rows.
    fn root(&mut self, job: &mut Job) -> Pending {
        let sums = job.rows.iter().fold([0.0, 0.0], |[g, h], &r| {
            let [rg, rh] = job.gh[r as usize];
            [g + f64::from(rg), h + f64::from(rh)]
        });
        let hist = self
            .growth
            .can_split(sums, 0)
            .then(|| self.accumulated(job.rows, job.gh));
        Pending {
            node: self.push_node(&mut job.grown, sums),
            range: 0..job.rows.len(),
            hist,
            sums,
            depth: 0,
        }
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

    /// Splits the node at its best split and returns its two children, or makes it a leaf.
    fn split(&mut self, job: &mut Job, p: Pending) -> Option<[Pending; 2]> {
        let found = p.hist.as_ref().and_then(|h| self.best_split(h, p.sums));
        let (split, hist) = match (found, p.hist) {
            (Some(split), Some(hist)) => (split, hist),
            (_, hist) => {
                self.spare.extend(hist);
                job.grown.leaves.push((p.node, p.range));
                return None;
            }
        };
        let binned = self.binned;
        let column = &binned.columns[split.column];
        let rule = Rule {
            bundle: column.place.bundle,
            left: std::array::from_fn(|v| column.place.bin(v as u8) <= split.bin),
        };
        let mid = p.range.start + self.partition(&mut job.rows[p.range.clone()], &rule);
        let sums = [
            split.left,
            [p.sums[0] - split.left[0], p.sums[1] - split.left[1]],
        ];
        let ids = sums.map(|s| self.push_node(&mut job.grown, s));
        job.grown.tree.nodes[p.node] = Node {
            feature: column.index as u32,
            threshold: column.cuts[split.bin],
            left: ids[0] as u32,
            right: ids[1] as u32,
            ..job.grown.tree.nodes[p.node]
        };
        job.grown.rules[p.node] = Some(rule);
        let ranges = [p.range.start..mid, mid..p.range.end];
        let depth = p.depth + 1;
        let wanted = sums.map(|s| self.growth.can_split(s, depth));
        let [left, right] = self.child_histograms(job, hist, &ranges, wanted);
        let [l, r] = ranges;
        Some([
            Pending {
                node: ids[0],
                range: l,
                hist: left,
                sums: sums[0],
                depth,
            },
            Pending {
                node: ids[1],
                range: r,
                hist: right,
                sums: sums[1],
                depth,
            },
        ])
    }

    /// The histograms of the children that are `wanted`, from their parent's: the smaller
    /// child's summed over its rows, the larger one's the parent's minus it. A larger child
    /// that can split needs the smaller one's histogram even when the smaller cannot.
    fn child_histograms(
        &mut self,
        job: &Job,
        mut parent: Histogram,
        ranges: &[Range<usize>; 2],
        wanted: [bool; 2],
    ) -> [Option<Histogram>; 2] {
        // The left child on a tie, as before children could go without a histogram.
        let small = usize::from(ranges[0].len() > ranges[1].len());
        let mut out = [None, None];
        if wanted.contains(&true) {
            let hist = self.accumulated(&job.rows[ranges[small].clone()], job.gh);
            if wanted[1 - small] {
                subtract(&mut parent, &hist);
            }
            out[small] = Some(hist);
            out[1 - small] = Some(parent);
        } else {
            self.spare.push(parent);
        }
        for (hist, want) in out.iter_mut().zip(wanted) {
            if !want {
                self.spare.extend(hist.take());
            }
        }
        out
    }

    /// The histogram of `rows`, in a spare buffer when there is one.
    fn accumulated(&mut self, rows: &[u32], gh: &[[f32; 2]]) -> Histogram {
        let mut hist = self
            .spare
            .pop()
            .unwrap_or_else(|| vec![[[0.0; 2]; 256]; self.binned.bundles]);
        accumulate(self.binned, &mut hist, rows, gh);
        hist
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

    /// The split of most gain over the node's own score that leaves both sides at least
    /// `min_leaf_weight` of hessian; `None` when no split gains.
    fn best_split(&mut self, hist: &Histogram, sums: [f64; 2]) -> Option<Split> {
        let (binned, growth) = (self.binned, self.growth);
        let parent = growth.score(sums);
        let min = growth.min_leaf_weight;
        let mut best: Option<Split> = None;
        for (c, column) in binned.columns.iter().enumerate() {
            column_histogram(column, &hist[column.place.bundle], sums, &mut self.bins);
            let mut left = [0.0, 0.0];
            for (bin, cell) in self.bins.iter().enumerate().take(self.bins.len() - 1) {
                left = [left[0] + cell[0], left[1] + cell[1]];
                let right = [sums[0] - left[0], sums[1] - left[1]];
                if left[1] < min || right[1] < min {
                    continue;
                }
                let gain = growth.score(left) + growth.score(right) - parent;
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

#[cfg(test)]
mod tests;
