//! Tree ensembles in one compact form, whichever library grew them: prediction and
//! Saabas-style path attribution. Models are served from [`super::flat::ServedEnsemble`],
//! which keeps this stored form beside a flat one built for inference.

use serde::{Deserialize, Serialize};

/// Marks a leaf in [`Node::left`].
pub const LEAF: u32 = u32::MAX;

/// A node; a row goes left when `x[feature] < threshold`. `value` is the node's output as if it
/// were a leaf (a positive rate for forests, a log-odds step for boosting).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub feature: u32,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Node 0 is the root.
    pub nodes: Vec<Node>,
}

impl Tree {
    #[inline]
    fn leaf_value(&self, x: &[f64]) -> f64 {
        let mut n = &self.nodes[0];
        while n.left != LEAF {
            let next = if x[n.feature as usize] < n.threshold {
                n.left
            } else {
                n.right
            };
            n = &self.nodes[next as usize];
        }
        n.value
    }

    /// Adds `scale` times each split's change of value to its feature; returns the root value.
    fn attribute(&self, x: &[f64], scale: f64, out: &mut [f64]) -> f64 {
        self.leaf_attributed(x, scale, out);
        self.nodes[0].value
    }

    /// [`Tree::attribute`]'s additions to `out`, returning the leaf's value instead of the root's.
    fn leaf_attributed(&self, x: &[f64], scale: f64, out: &mut [f64]) -> f64 {
        let mut n = &self.nodes[0];
        while n.left != LEAF {
            let next = if x[n.feature as usize] < n.threshold {
                n.left
            } else {
                n.right
            };
            let child = &self.nodes[next as usize];
            out[n.feature as usize] += scale * (child.value - n.value);
            n = child;
        }
        n.value
    }
}

/// A sum (boosting) or an average (forest) of trees, plus a base value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeEnsemble {
    pub trees: Vec<Tree>,
    pub base: f64,
    /// Average the trees (forest) instead of summing them (boosting).
    pub average: bool,
}

impl TreeEnsemble {
    fn scale(&self) -> f64 {
        if self.average {
            1.0 / self.trees.len().max(1) as f64
        } else {
            1.0
        }
    }

    /// The ensemble output for one encoded row.
    pub fn output(&self, x: &[f64]) -> f64 {
        self.base + self.scale() * self.trees.iter().map(|t| t.leaf_value(x)).sum::<f64>()
    }

    /// [`TreeEnsemble::output`], adding to `out` what [`TreeEnsemble::attribute`] adds, in one
    /// walk of each tree's path. The output is the same to the bit: the leaves are summed in the
    /// same order.
    pub fn output_attributed(&self, x: &[f64], out: &mut [f64]) -> f64 {
        let s = self.scale();
        self.base
            + s * self
                .trees
                .iter()
                .map(|t| t.leaf_attributed(x, s, out))
                .sum::<f64>()
    }

    /// Saabas attribution: per encoded column, the change of output along each tree's path;
    /// returns the bias (base plus root values). bias + sum(out) == output(x).
    pub fn attribute(&self, x: &[f64], out: &mut [f64]) -> f64 {
        let s = self.scale();
        self.base
            + s * self
                .trees
                .iter()
                .map(|t| t.attribute(x, s, out))
                .sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump(v: [f64; 3]) -> Tree {
        Tree {
            nodes: vec![
                Node {
                    feature: 0,
                    threshold: 1.0,
                    left: 1,
                    right: 2,
                    value: v[0],
                },
                Node {
                    feature: 0,
                    threshold: 0.0,
                    left: LEAF,
                    right: LEAF,
                    value: v[1],
                },
                Node {
                    feature: 0,
                    threshold: 0.0,
                    left: LEAF,
                    right: LEAF,
                    value: v[2],
                },
            ],
        }
    }

    #[test]
    fn attribution_adds_up_to_the_output() {
        let e = TreeEnsemble {
            trees: vec![stump([0.5, 0.2, 0.9]), stump([0.4, 0.1, 0.6])],
            base: 0.0,
            average: true,
        };
        for x in [[0.0], [2.0]] {
            let mut c = [0.0];
            let bias = e.attribute(&x, &mut c);
            assert!((bias + c[0] - e.output(&x)).abs() < 1e-12);
        }
        assert!((e.output(&[0.0]) - 0.15).abs() < 1e-12);
        assert!(
            (e.output(&[1.0]) - 0.75).abs() < 1e-12,
            "x == threshold goes right"
        );
    }

    #[test]
    fn one_walk_gives_the_output_and_the_attribution_of_two() {
        let mut second = stump([0.4, -0.1, 0.6]);
        second.nodes[0].feature = 1;
        let e = TreeEnsemble {
            trees: vec![stump([0.5, 0.2, 0.9]), second, stump([0.3, 0.7, -0.2])],
            base: 0.25,
            average: false,
        };
        for x in [[0.0, 0.0], [2.0, 0.5], [0.3, 3.0], [1.0, 1.0]] {
            let (mut two, mut one) = ([0.0; 2], [0.0; 2]);
            e.attribute(&x, &mut two);
            let out = e.output_attributed(&x, &mut one);
            assert_eq!(out.to_bits(), e.output(&x).to_bits());
            assert_eq!(one, two);
        }
    }
}
