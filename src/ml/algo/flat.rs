//! The trees of an ensemble laid out for inference, built once when a model is fitted or
//! loaded. Each tree is padded to a complete binary tree of the ensemble's depth (a leaf above
//! that depth becomes a split that every row passes through to the right), so a walk is
//! `depth` steps with no leaf test, and several trees are walked side by side. Each leaf keeps
//! its path's Saabas steps (the split's feature and the change of output to the child, times
//! the ensemble's scale): attribution is one precomputed add per split. The stored
//! [`TreeEnsemble`] (the artifact's form) does not change; an ensemble deeper than
//! [`MAX_DEPTH`] is served by its stored form.

use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::tree::{Tree, TreeEnsemble, LEAF};
use crate::ml::error::{MlError, Result};

/// The deepest ensemble laid out complete: 2^6 leaves a tree, each with its path of 6 steps.
pub const MAX_DEPTH: usize = 6;

/// Trees walked side by side: independent walks overlap their loads.
const LANES: usize = 8;

/// A split of the complete form: a row goes to the right child unless `x[feature] < threshold`
/// (a padding split's threshold is NaN: every row goes right).
#[derive(Debug, Clone, Copy)]
struct Split {
    threshold: f64,
    feature: u32,
}

/// One step of a leaf's path: attribution adds `step` to `feature`.
#[derive(Debug, Clone, Copy)]
struct Step {
    feature: u32,
    step: f64,
}

/// The trees padded to complete binary trees of `depth`, in the trees' order; node `i`'s
/// children are `2i + 1` and `2i + 2`.
#[derive(Debug, Clone)]
struct Complete {
    depth: usize,
    trees: usize,
    /// `2^depth - 1` per tree.
    splits: Vec<Split>,
    /// `2^depth` per tree: the leaves' values.
    leaves: Vec<f64>,
    /// `depth` per leaf: its path from the root.
    paths: Vec<Step>,
}

impl Complete {
    fn splits_per_tree(&self) -> usize {
        (1 << self.depth) - 1
    }

    /// The leaves (0..2^depth) that trees `first..first + N` lead `x` to.
    #[inline]
    fn reach<const N: usize>(&self, first: usize, x: &[f64]) -> [usize; N] {
        let per = self.splits_per_tree();
        let splits = &self.splits[first * per..(first + N) * per];
        let mut at = [0usize; N];
        for _ in 0..self.depth {
            for (k, i) in at.iter_mut().enumerate() {
                let s = &splits[k * per + *i];
                let left = x[s.feature as usize] < s.threshold;
                *i = 2 * *i + 2 - usize::from(left);
            }
        }
        at.map(|i| i - per)
    }

    /// Calls `leaf(tree, leaf)` for every tree in order with the leaf `x` reaches.
    #[inline]
    fn each_leaf(&self, x: &[f64], mut leaf: impl FnMut(usize, usize)) {
        let full = self.trees - self.trees % LANES;
        for first in (0..full).step_by(LANES) {
            for (k, j) in self.reach::<LANES>(first, x).into_iter().enumerate() {
                leaf(first + k, j);
            }
        }
        for t in full..self.trees {
            leaf(t, self.reach::<1>(t, x)[0]);
        }
    }

    /// The sum of the leaves `x` reaches, added in the trees' order as `Iterator::sum` adds.
    fn leaf_sum(&self, x: &[f64], out: Option<&mut [f64]>) -> f64 {
        let per = 1 << self.depth;
        // `sum` folds from its value of nothing (-0.0), adding in order.
        let mut sum: f64 = std::iter::empty::<f64>().sum();
        match out {
            None => self.each_leaf(x, |t, j| sum += self.leaves[t * per + j]),
            Some(out) => self.each_leaf(x, |t, j| {
                let at = t * per + j;
                sum += self.leaves[at];
                for s in &self.paths[at * self.depth..(at + 1) * self.depth] {
                    out[s.feature as usize] += s.step;
                }
            }),
        }
        sum
    }
}

/// A [`TreeEnsemble`] as a model serves it: the stored trees (what is saved and compared) with
/// their complete form. It (de)serialises as the [`TreeEnsemble`] alone and reads as one
/// (`Deref`).
#[derive(Debug, Clone)]
pub struct ServedEnsemble {
    trees: TreeEnsemble,
    /// None when the trees are deeper than [`MAX_DEPTH`].
    complete: Option<Complete>,
    /// 1 for a sum of trees, 1 / trees for an average.
    scale: f64,
}

impl ServedEnsemble {
    /// The ensemble output for one encoded row: [`TreeEnsemble::output`], to the bit.
    pub fn output(&self, x: &[f64]) -> f64 {
        match &self.complete {
            Some(c) => self.trees.base + self.scale * c.leaf_sum(x, None),
            None => self.trees.output(x),
        }
    }

    /// [`TreeEnsemble::output_attributed`], to the bit: the output, and each split's change of
    /// value added to its feature in `out`, in the same order.
    pub fn output_attributed(&self, x: &[f64], out: &mut [f64]) -> f64 {
        match &self.complete {
            Some(c) => self.trees.base + self.scale * c.leaf_sum(x, Some(out)),
            None => self.trees.output_attributed(x, out),
        }
    }
}

/// The deepest path of `t` (0 for a lone leaf); an error when a child is missing or a path
/// loops.
fn depth(k: usize, t: &Tree) -> Result<usize> {
    let bad = |why: String| MlError::Artifact(format!("tree {k}: {why}"));
    let mut deepest = 0;
    let mut todo = vec![(0u32, 0usize)];
    while let Some((i, d)) = todo.pop() {
        let n = t
            .nodes
            .get(i as usize)
            .ok_or_else(|| bad(format!("node {i} is missing")))?;
        if d >= t.nodes.len() {
            return Err(bad("a path loops".into()));
        }
        deepest = deepest.max(d);
        if n.left != LEAF {
            todo.extend([(n.left, d + 1), (n.right, d + 1)]);
        }
    }
    Ok(deepest)
}

/// Lays out checked trees no deeper than the complete form's depth.
struct Layout {
    c: Complete,
    scale: f64,
    /// The feature a padding split reads (one that splits somewhere, so `x` has it).
    pad: u32,
    /// The steps from the root to the node being placed.
    path: Vec<Step>,
    /// The tree's first split and leaf in `c`.
    splits_at: usize,
    leaves_at: usize,
}

impl Layout {
    /// Places node `n` of `tree` at position `at` (level `level`) of its complete tree.
    fn place(&mut self, tree: &Tree, n: usize, at: usize, level: usize) {
        let node = tree.nodes[n];
        let (per, depth) = (self.c.splits_per_tree(), self.c.depth);
        if level == depth {
            let leaf = self.leaves_at + at - per;
            self.c.leaves[leaf] = node.value;
            self.c.paths[leaf * depth..(leaf + 1) * depth].copy_from_slice(&self.path);
            return;
        }
        let children = if node.left == LEAF {
            self.c.splits[self.splits_at + at] = Split {
                threshold: f64::NAN,
                feature: self.pad,
            };
            // -0.0 added changes no number, -0.0 included.
            [(n, -0.0, self.pad), (n, -0.0, self.pad)]
        } else {
            self.c.splits[self.splits_at + at] = Split {
                threshold: node.threshold,
                feature: node.feature,
            };
            let step = |c: u32| self.scale * (tree.nodes[c as usize].value - node.value);
            [
                (node.left as usize, step(node.left), node.feature),
                (node.right as usize, step(node.right), node.feature),
            ]
        };
        for (side, (child, step, feature)) in children.into_iter().enumerate() {
            self.path.push(Step { feature, step });
            self.place(tree, child, 2 * at + 1 + side, level + 1);
            self.path.pop();
        }
    }
}

impl TryFrom<TreeEnsemble> for ServedEnsemble {
    type Error = MlError;

    /// Fails on a tree whose children are missing or loop (which the stored form's walk would
    /// panic on or never leave).
    fn try_from(trees: TreeEnsemble) -> Result<Self> {
        let scale = if trees.average {
            1.0 / trees.trees.len().max(1) as f64
        } else {
            1.0
        };
        let mut deepest = 0;
        for (k, t) in trees.trees.iter().enumerate() {
            deepest = deepest.max(depth(k, t)?);
        }
        let complete = (deepest <= MAX_DEPTH).then(|| complete(&trees, deepest, scale));
        Ok(ServedEnsemble {
            trees,
            complete,
            scale,
        })
    }
}

/// The complete form of checked trees no deeper than `depth`.
fn complete(trees: &TreeEnsemble, depth: usize, scale: f64) -> Complete {
    let n = trees.trees.len();
    let (splits, leaves) = ((1 << depth) - 1, 1 << depth);
    let pad = trees
        .trees
        .iter()
        .flat_map(|t| &t.nodes)
        .find(|n| n.left != LEAF)
        .map_or(0, |n| n.feature);
    let mut layout = Layout {
        c: Complete {
            depth,
            trees: n,
            splits: vec![
                Split {
                    threshold: f64::NAN,
                    feature: pad,
                };
                n * splits
            ],
            leaves: vec![0.0; n * leaves],
            paths: vec![
                Step {
                    feature: pad,
                    step: -0.0,
                };
                n * leaves * depth
            ],
        },
        scale,
        pad,
        path: Vec::with_capacity(depth),
        splits_at: 0,
        leaves_at: 0,
    };
    for (k, t) in trees.trees.iter().enumerate() {
        (layout.splits_at, layout.leaves_at) = (k * splits, k * leaves);
        layout.place(t, 0, 0, 0);
    }
    layout.c
}

impl Deref for ServedEnsemble {
    type Target = TreeEnsemble;

    fn deref(&self) -> &TreeEnsemble {
        &self.trees
    }
}

impl PartialEq for ServedEnsemble {
    fn eq(&self, other: &Self) -> bool {
        self.trees == other.trees
    }
}

impl Serialize for ServedEnsemble {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.trees.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ServedEnsemble {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let trees = TreeEnsemble::deserialize(d)?;
        ServedEnsemble::try_from(trees).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::Node;
    use super::*;

    /// A tree of random shape on `width` features, its nodes in a shuffled order (children
    /// before, after or far from their parent), from a simple generator of `seed`.
    fn random_tree(seed: &mut u64, width: u32) -> Tree {
        let mut next = || {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *seed >> 33
        };
        let mut nodes = vec![Node {
            feature: 0,
            threshold: 0.0,
            left: LEAF,
            right: LEAF,
            value: 0.0,
        }];
        let mut open = vec![(0usize, 0)];
        while let Some((i, depth)) = open.pop() {
            nodes[i].value = (next() % 2001) as f64 / 1000.0 - 1.0;
            if depth == 5 || next() % 4 == 0 {
                continue;
            }
            let (l, r) = (nodes.len(), nodes.len() + 1);
            nodes[i].feature = (next() % u64::from(width)) as u32;
            nodes[i].threshold = (next() % 5) as f64 / 2.0 - 1.0;
            nodes.extend([nodes[i], nodes[i]]);
            (nodes[l].left, nodes[r].left) = (LEAF, LEAF);
            (nodes[i].left, nodes[i].right) = (r as u32, l as u32);
            open.extend([(l, depth + 1), (r, depth + 1)]);
        }
        // Reverse all but the root, so children come in an order unlike the flat form's.
        let n = nodes.len() as u32;
        let moved = |j: u32| if j == 0 || j == LEAF { j } else { n - j };
        let mut shuffled = nodes.clone();
        for (j, node) in nodes.iter().enumerate() {
            let mut node = *node;
            (node.left, node.right) = (moved(node.left), moved(node.right));
            shuffled[moved(j as u32) as usize] = node;
        }
        Tree { nodes: shuffled }
    }

    fn ensemble(seed: u64, average: bool) -> TreeEnsemble {
        let mut s = seed;
        TreeEnsemble {
            // Not a multiple of the lanes: the last trees are walked alone.
            trees: (0..43).map(|_| random_tree(&mut s, 4)).collect(),
            base: 0.125,
            average,
        }
    }

    #[test]
    fn the_flat_form_gives_the_stored_forms_output_and_attribution_to_the_bit() {
        let values = [-1.5, -1.0, -0.2, 0.0, 0.5, 1.0, 3.0, f64::NAN];
        for (seed, average) in [(1, false), (2, true), (3, false), (4, true)] {
            let stored = ensemble(seed, average);
            let served = ServedEnsemble::try_from(stored.clone()).unwrap();
            assert!(served.complete.is_some(), "depth 5 is laid out complete");
            for k in 0..200 {
                let x: Vec<f64> = (0..4).map(|j| values[(k * (j + 3) + j) % 8]).collect();
                // -0.0 stays -0.0 where no real split adds to it.
                let mut want = vec![-0.0, 0.0, -0.0, 0.0];
                let mut got = want.clone();
                let out = stored.output_attributed(&x, &mut want);
                assert_eq!(served.output(&x).to_bits(), stored.output(&x).to_bits());
                assert_eq!(
                    served.output_attributed(&x, &mut got).to_bits(),
                    out.to_bits()
                );
                let bits = |v: &[f64]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "seed {seed}, x {x:?}");
            }
        }
    }

    #[test]
    fn it_serialises_as_the_stored_ensemble() {
        let stored = ensemble(5, false);
        let served = ServedEnsemble::try_from(stored.clone()).unwrap();
        let json = serde_json::to_string(&served).unwrap();
        assert_eq!(json, serde_json::to_string(&stored).unwrap());
        let back: ServedEnsemble = serde_json::from_str(&json).unwrap();
        assert_eq!(back, served);
        assert_eq!(
            back.output(&[0.5, 0.0, -1.0, 2.0]),
            served.output(&[0.5, 0.0, -1.0, 2.0])
        );
    }

    #[test]
    fn trees_deeper_than_the_limit_are_served_by_the_stored_form() {
        // A chain of splits one deeper than the limit.
        let nodes = (0..=MAX_DEPTH as u32)
            .flat_map(|d| {
                let split = Node {
                    feature: d % 2,
                    threshold: 0.5,
                    left: 2 * d + 1,
                    right: 2 * d + 2,
                    value: f64::from(d),
                };
                let leaf = Node {
                    left: LEAF,
                    right: LEAF,
                    value: -f64::from(d),
                    ..split
                };
                [split, leaf]
            })
            .chain([Node {
                feature: 0,
                threshold: 0.0,
                left: LEAF,
                right: LEAF,
                value: 9.0,
            }])
            .collect();
        let stored = TreeEnsemble {
            trees: vec![Tree { nodes }],
            base: 0.0,
            average: false,
        };
        let served = ServedEnsemble::try_from(stored.clone()).unwrap();
        assert!(served.complete.is_none());
        assert_eq!(served.output(&[1.0, 1.0]), stored.output(&[1.0, 1.0]));
        assert_eq!(served.output(&[1.0, 1.0]), 9.0);
    }

    #[test]
    fn trees_with_missing_or_looping_children_are_refused() {
        let mut missing = ensemble(6, false);
        let tree = &mut missing.trees[3];
        // A leaf root becomes a split on feature 0 whose children are not there.
        tree.nodes[0].left = tree.nodes.len() as u32;
        assert!(ServedEnsemble::try_from(missing).is_err());

        let mut looping = ensemble(6, false);
        let tree = looping
            .trees
            .iter_mut()
            .find(|t| t.nodes.len() > 1)
            .unwrap();
        tree.nodes[0].right = 0;
        assert!(ServedEnsemble::try_from(looping).is_err());
    }
}
