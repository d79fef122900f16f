//! Random forest: smartcore grows the trees; revcast reads their splits and estimates each node's
//! positive rate from the training rows that reach it, so the forest gives probabilities (smartcore
//! itself only votes) and Saabas explanations.

use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::tree::{Node, Tree, TreeEnsemble, LEAF};
use crate::ml::encoder::Matrix;
use crate::ml::error::{MlError, Result};

/// Forest size. smartcore's splitter scans every row at every node, so the trees are grown on at
/// most `max_rows` rows drawn without replacement (node rates still use every training row).
#[derive(Debug, Clone, Copy)]
pub struct ForestParams {
    pub n_trees: u16,
    pub max_depth: u16,
    pub min_samples_leaf: usize,
    pub max_rows: usize,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams {
            n_trees: 100,
            max_depth: 8,
            min_samples_leaf: 10,
            max_rows: 8_000,
        }
    }
}

fn err(reason: impl ToString) -> MlError {
    MlError::Fit {
        algorithm: "random_forest".into(),
        reason: reason.to_string(),
    }
}

pub fn fit(p: ForestParams, x: &Matrix, y: &[bool], seed: u64) -> Result<TreeEnsemble> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut idx: Vec<usize> = if x.rows > p.max_rows {
        sample(&mut rng, x.rows, p.max_rows).into_vec()
    } else {
        (0..x.rows).collect()
    };
    idx.sort_unstable();
    let sub = x.select(&idx);
    let dm = DenseMatrix::new(sub.rows, sub.cols, sub.data, false).map_err(err)?;
    let ys: Vec<u32> = idx.iter().map(|&i| u32::from(y[i])).collect();
    let params = RandomForestClassifierParameters::default()
        .with_n_trees(p.n_trees)
        .with_max_depth(p.max_depth)
        .with_min_samples_leaf(p.min_samples_leaf)
        .with_seed(seed);
    let rf = RandomForestClassifier::fit(&dm, &ys, params).map_err(err)?;
    let dump = serde_json::to_value(&rf).map_err(err)?;
    let trees = dump["trees"]
        .as_array()
        .ok_or_else(|| err("no trees in the fitted forest"))?;
    let mut out = Vec::with_capacity(trees.len());
    for t in trees {
        let mut tree = read_tree(t)?;
        fill_rates(&mut tree, x, y);
        out.push(tree);
    }
    Ok(TreeEnsemble {
        trees: out,
        base: 0.0,
        average: true,
    })
}

/// Reads smartcore's serialised nodes; its rule `x <= v` goes to `true_child`, ours `x < t` goes
/// left, so `t` is the next float above `v`.
fn read_tree(t: &Value) -> Result<Tree> {
    let nodes = t["nodes"]
        .as_array()
        .ok_or_else(|| err("tree without nodes"))?;
    let idx = |v: &Value| v.as_u64().map(|i| i as u32);
    let nodes = nodes
        .iter()
        .map(|n| {
            let (left, right) = match (idx(&n["true_child"]), idx(&n["false_child"])) {
                (Some(l), Some(r)) => (l, r),
                _ => (LEAF, LEAF),
            };
            Node {
                feature: n["split_feature"].as_u64().unwrap_or(0) as u32,
                threshold: n["split_value"].as_f64().map_or(0.0, f64::next_up),
                left,
                right,
                value: 0.0,
            }
        })
        .collect::<Vec<_>>();
    if nodes.is_empty() {
        return Err(err("empty tree"));
    }
    Ok(Tree { nodes })
}

/// Sets each node's value to the positive rate of the training rows reaching it.
fn fill_rates(tree: &mut Tree, x: &Matrix, y: &[bool]) {
    let mut counts = vec![(0u32, 0u32); tree.nodes.len()];
    for (i, &label) in y.iter().enumerate().take(x.rows) {
        let row = x.row(i);
        let mut k = 0usize;
        loop {
            counts[k].0 += 1;
            counts[k].1 += u32::from(label);
            let n = &tree.nodes[k];
            if n.left == LEAF {
                break;
            }
            k = if row[n.feature as usize] < n.threshold {
                n.left
            } else {
                n.right
            } as usize;
        }
    }
    let root_rate = f64::from(counts[0].1) / f64::from(counts[0].0.max(1));
    for (n, (total, pos)) in tree.nodes.iter_mut().zip(counts) {
        n.value = if total == 0 {
            root_rate
        } else {
            f64::from(pos) / f64::from(total)
        };
    }
}
