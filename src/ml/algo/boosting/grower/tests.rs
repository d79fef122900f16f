use super::*;
use crate::ml::encoder::Matrix;

const ROWS: usize = 600;

fn growth(max_depth: usize, min_leaf_weight: f64) -> Growth {
    Growth {
        max_depth,
        l2: 1.0,
        min_leaf_weight,
        learning_rate: 0.1,
    }
}

/// A one-hot pair (one bundle), a column of many values and one of three. Gradients and
/// hessians are multiples of 1/64, so every sum of them is exact whatever its order, and sums
/// can be compared to the bit.
fn data() -> (Matrix, Binned, Vec<[f32; 2]>) {
    let data = (0..ROWS)
        .flat_map(|r| {
            let hot = f64::from(u8::from(r % 3 == 0));
            [
                hot,
                1.0 - hot,
                ((r * 7919) % 1013) as f64 / 7.0,
                (r % 5 / 2) as f64,
            ]
        })
        .collect();
    let x = Matrix {
        rows: ROWS,
        cols: 4,
        data,
    };
    // Steps in three columns, so trees have several splits worth their penalty, and noise.
    let gh = (0..ROWS)
        .map(|r| {
            let v = x.row(r);
            let step = if v[2] < 60.0 { 0.5 } else { -0.5 };
            let noise = ((r * 37) % 17) as f32 / 64.0 - 0.125;
            let g = step + 0.25 * (v[3] as f32 - 1.0) + 0.5 * v[0] as f32 - 0.25 + noise;
            [g, (1 + (r * 11) % 16) as f32 / 16.0]
        })
        .collect();
    let binned = Binned::new(&x).unwrap();
    (x, binned, gh)
}

fn sums(rows: &[u32], gh: &[[f32; 2]]) -> [f64; 2] {
    rows.iter().fold([0.0, 0.0], |[g, h], &r| {
        let [rg, rh] = gh[r as usize].map(f64::from);
        [g + rg, h + rh]
    })
}

/// The leaf the tree's thresholds send a row of encoded values to.
fn walk(tree: &Tree, x: &[f64]) -> usize {
    let mut n = 0;
    while tree.nodes[n].left != LEAF {
        let node = &tree.nodes[n];
        n = if x[node.feature as usize] < node.threshold {
            node.left
        } else {
            node.right
        } as usize;
    }
    n
}

#[test]
fn both_childrens_histograms_equal_the_sums_over_their_own_rows() {
    let (_, binned, gh) = data();
    let mut g = Grower::new(&binned, growth(3, 1.0));
    let mut rows: Vec<u32> = (0..ROWS as u32).filter(|r| r % 4 != 1).collect();
    let mut job = Job::new(&mut rows, &gh);
    let root = g.root(&mut job);
    let children = g.split(&mut job, root).expect("the root splits");
    for child in children {
        let hist = child.hist.expect("both children can split");
        let direct = g.accumulated(&job.rows[child.range.clone()], job.gh);
        assert!(hist == direct, "node {}", child.node);
        assert_eq!(child.sums, sums(&job.rows[child.range], job.gh));
    }
}

#[test]
fn every_leaf_holds_the_least_hessian_and_the_value_of_its_rows_sums() {
    let (_, binned, gh) = data();
    for min in [0.0, 3.0, 20.0] {
        let mut g = Grower::new(&binned, growth(4, min));
        let mut rows: Vec<u32> = (0..ROWS as u32).collect();
        let grown = g.grow(&mut rows, &gh);
        assert!(
            grown.leaves.len() > 4,
            "min {min}: {} leaves",
            grown.leaves.len()
        );
        for (leaf, range) in &grown.leaves {
            let s = sums(&rows[range.clone()], &gh);
            assert!(s[1] >= min, "min {min}: leaf {leaf} holds {}", s[1]);
            assert_eq!(grown.tree.nodes[*leaf].value, g.growth.value(s));
        }
    }
}

#[test]
fn each_leaf_holds_exactly_the_rows_its_rules_and_thresholds_send_there() {
    let (x, binned, gh) = data();
    let mut g = Grower::new(&binned, growth(4, 1.0));
    let mut rows: Vec<u32> = (0..ROWS as u32).filter(|r| r % 3 != 2).collect();
    let grown = g.grow(&mut rows, &gh);
    // The leaves' ranges follow each other and cover the rows.
    let mut end = 0;
    for (leaf, range) in &grown.leaves {
        assert_eq!(range.start, end);
        end = range.end;
        for &r in &rows[range.clone()] {
            assert_eq!(grown.leaf(binned.row(r as usize)), *leaf, "row {r}");
        }
    }
    assert_eq!(end, rows.len());
    let mut sorted = rows.clone();
    sorted.sort_unstable();
    assert!(sorted
        .iter()
        .copied()
        .eq((0..ROWS as u32).filter(|r| r % 3 != 2)));
    // Rows the tree was not grown on too: the binned rules and the thresholds agree.
    for r in 0..ROWS {
        assert_eq!(
            grown.leaf(binned.row(r)),
            walk(&grown.tree, x.row(r)),
            "row {r}"
        );
    }
}

#[test]
fn a_step_in_one_column_is_split_at_its_threshold() {
    let rows = 200;
    let data = (0..rows)
        .flat_map(|r| [((r * 13) % 7) as f64, (r % 100) as f64, (r % 2) as f64])
        .collect();
    let x = Matrix {
        rows,
        cols: 3,
        data,
    };
    let gh: Vec<[f32; 2]> = (0..rows)
        .map(|r| [if r % 100 < 60 { 1.0 } else { -1.0 }, 0.25])
        .collect();
    let binned = Binned::new(&x).unwrap();
    let mut g = Grower::new(&binned, growth(1, 1.0));
    let grown = g.grow(&mut (0..rows as u32).collect::<Vec<_>>(), &gh);
    let root = grown.tree.nodes[0];
    assert_eq!((root.feature, root.threshold), (1, 59.5));
    let [l, r] = [root.left, root.right].map(|n| grown.tree.nodes[n as usize]);
    assert!(l.left == LEAF && r.left == LEAF);
    assert!(l.value < 0.0 && r.value > 0.0, "{l:?} {r:?}");
}

#[test]
fn a_depth_of_zero_gives_one_leaf_without_a_histogram() {
    let (_, binned, gh) = data();
    let mut g = Grower::new(&binned, growth(0, 0.0));
    let mut rows: Vec<u32> = (0..ROWS as u32).collect();
    let grown = g.grow(&mut rows, &gh);
    assert_eq!(grown.leaves, [(0, 0..ROWS)]);
    assert_eq!(grown.tree.nodes.len(), 1);
    assert_eq!(grown.tree.nodes[0].value, g.growth.value(sums(&rows, &gh)));
    assert!(g.spare.is_empty(), "no histogram was built");
}

#[test]
fn children_that_cannot_split_get_no_histogram() {
    let (_, binned, gh) = data();
    let mut rows: Vec<u32> = (0..ROWS as u32).collect();
    // At the last depth: only the root's histogram is built, where both children's were.
    let mut g = Grower::new(&binned, growth(1, 1.0));
    assert_eq!(g.grow(&mut rows, &gh).tree.nodes.len(), 3);
    assert_eq!(g.spare.len(), 1);
    // Each child holds under 0.6 of the hessian, less than twice 0.4 of it.
    let min = 0.4 * sums(&rows, &gh)[1];
    let mut g = Grower::new(&binned, growth(3, min));
    assert_eq!(g.grow(&mut rows, &gh).tree.nodes.len(), 3);
    assert_eq!(g.spare.len(), 1);
}

#[test]
fn no_rows_give_one_leaf_of_value_zero() {
    let (_, binned, gh) = data();
    for min in [0.0, 1.0] {
        let mut g = Grower::new(&binned, growth(4, min));
        let grown = g.grow(&mut [], &gh);
        assert_eq!(grown.leaves, [(0, 0..0)]);
        assert_eq!(grown.tree.nodes.len(), 1);
        assert_eq!(grown.tree.nodes[0].value, 0.0);
    }
}

#[test]
fn constant_columns_give_one_leaf() {
    let x = Matrix {
        rows: 50,
        cols: 2,
        data: [1.0, -3.0].repeat(50),
    };
    let binned = Binned::new(&x).unwrap();
    assert!(binned.columns.is_empty());
    let gh: Vec<[f32; 2]> = (0..50).map(|r| [r as f32 / 8.0 - 3.0, 0.25]).collect();
    let mut g = Grower::new(&binned, growth(4, 0.0));
    let mut rows: Vec<u32> = (0..50).collect();
    let grown = g.grow(&mut rows, &gh);
    assert_eq!(grown.leaves, [(0, 0..50)]);
    assert_eq!(grown.tree.nodes[0].value, g.growth.value(sums(&rows, &gh)));
}
