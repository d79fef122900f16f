//! Tests of the bounded Nelder-Mead minimiser, among them a check, step for step, against the
//! plain loop that the ask/tell form replaced.

use super::*;

/// Minimises `f` from `x0` in the box through ask and tell; returns every point evaluated, in
/// order, and the vertex [`Simplex::best`] gives.
fn ask_tell(
    mut f: impl FnMut(&[f64]) -> f64,
    x0: &[f64],
    bounds: Bounds,
    max_iter: usize,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut simplex = Simplex::new(x0, bounds, max_iter);
    let mut asked = Vec::new();
    while let Some(x) = simplex.ask() {
        asked.push(x.to_vec());
        let value = f(x);
        simplex.tell(value);
    }
    (asked, simplex.best())
}

fn minimise(f: impl FnMut(&[f64]) -> f64, x0: &[f64], bounds: Bounds, max_iter: usize) -> Vec<f64> {
    ask_tell(f, x0, bounds, max_iter).1
}

fn free(n: usize) -> Bounds {
    Bounds {
        lower: vec![f64::NEG_INFINITY; n],
        upper: vec![f64::INFINITY; n],
    }
}

#[test]
fn finds_the_minimum_of_a_bowl_inside_the_box() {
    let bowl = |x: &[f64]| (x[0] - 0.3).powi(2) + 10.0 * (x[1] + 2.0).powi(2);
    let x = minimise(bowl, &[1.0, 1.0], free(2), 2000);
    assert!(
        (x[0] - 0.3).abs() < 0.02 && (x[1] + 2.0).abs() < 0.01,
        "{x:?}"
    );
}

#[test]
fn stays_in_the_box_when_the_minimum_is_outside_it() {
    let mut seen_outside = false;
    let b = Bounds {
        lower: vec![0.0, 0.8],
        upper: vec![1.0, 0.98],
    };
    let x = minimise(
        |x: &[f64]| {
            seen_outside |= x[0] < 0.0 || x[0] > 1.0 || x[1] < 0.8 || x[1] > 0.98;
            (x[0] - 3.0).powi(2) + (x[1] - 0.5).powi(2)
        },
        &[0.5, 0.9],
        b,
        2000,
    );
    assert!(!seen_outside);
    assert!(
        (x[0] - 1.0).abs() < 1e-3 && (x[1] - 0.8).abs() < 1e-3,
        "{x:?}"
    );
}

#[test]
fn stops_at_the_iteration_cap() {
    let calls = |cap| {
        let mut calls = 0;
        minimise(
            |x: &[f64]| {
                calls += 1;
                x[0] * x[0] + x[1] * x[1]
            },
            &[100.0, 100.0],
            free(2),
            cap,
        );
        calls
    };
    // n = 2: expansion 2, contraction 1/2. The first simplex (105, 100), (100, 105), (100, 100)
    // costs 3 evaluations (21025, 21025, 20000), whatever the cap; then, every value exact:
    // 1. worst (100, 105), centre (102.5, 100): the reflection (105, 95) = 20050 lies between
    //    the best and the second, and is kept: 1 evaluation.
    // 2. worst (105, 100), centre (102.5, 97.5): the reflection (100, 95) = 19025 beats the
    //    best, so the expansion (97.5, 92.5) = 18062.5 is tried and kept: 2 evaluations.
    // 3. worst (105, 95), centre (98.75, 96.25): the reflection (92.5, 97.5) = 18062.5 ties
    //    the best and beats the second, and is kept: 1 evaluation.
    assert_eq!(calls(0), 3);
    assert_eq!(calls(1), 3 + 1);
    assert_eq!(calls(3), 3 + 1 + 2 + 1);
}

#[test]
#[should_panic(expected = "at least one coordinate")]
fn refuses_a_point_without_coordinates() {
    Simplex::new(&[], free(0), 10);
}

/// The plain Nelder-Mead loop, as `minimise` was before the minimiser took the ask/tell form:
/// the reference that [`Simplex`] must follow to the last bit. Returns every point evaluated, in
/// order, and the vertex ranked best at the start of the last iteration; counts the steps taken
/// in `taken`.
fn plain(
    mut f: impl FnMut(&[f64]) -> f64,
    x0: &[f64],
    (lower, upper): (&[f64], &[f64]),
    max_iter: usize,
    taken: &mut Taken,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = x0.len();
    let nf = n as f64;
    let (expand, contract, shrink) = (1.0 + 2.0 / nf, 0.75 - 1.0 / (2.0 * nf), 1.0 - 1.0 / nf);
    let boxed = |mut x: Vec<f64>| {
        for (i, v) in x.iter_mut().enumerate() {
            *v = v.clamp(lower[i], upper[i]);
        }
        x
    };
    let mut asked = Vec::new();
    let mut eval = |x: &[f64]| {
        asked.push(x.to_vec());
        f(x)
    };
    // The first simplex: for each coordinate, x0 with that coordinate pushed out by 5% (or to
    // 1e-4 from 0); then x0 itself.
    let start = boxed(x0.to_vec());
    let mut vertices: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut v = start.clone();
            v[i] = if v[i].abs() < 1e-8 { 1e-4 } else { v[i] * 1.05 };
            boxed(v)
        })
        .collect();
    vertices.push(start);
    let mut values: Vec<f64> = vertices.iter().map(|v| eval(v)).collect();
    let mut best = 0;
    for _ in 0..max_iter {
        // Rank from vertex order, NaN as a tie, so that ties keep the lower vertex first.
        let mut rank: Vec<usize> = (0..=n).collect();
        rank.sort_by(|&a, &b| {
            values[a]
                .partial_cmp(&values[b])
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        best = rank[0];
        let (second, worst) = (rank[n - 1], rank[n]);
        let mean = values.iter().sum::<f64>() / (nf + 1.0);
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (nf + 1.0);
        if var.sqrt() < TOL_STD {
            taken.converged += 1;
            break;
        }
        let mut centre = vec![0.0; n];
        for x in (0..=n).filter(|&v| v != worst).map(|v| &vertices[v]) {
            centre.iter_mut().zip(x).for_each(|(c, x)| *c += x);
        }
        let centre: Vec<f64> = centre.iter().map(|c| c / nf).collect();
        let w = &vertices[worst];
        let reflected = boxed((0..n).map(|i| centre[i] + (centre[i] - w[i])).collect());
        let f_r = eval(&reflected);
        let away = |t: f64| {
            boxed(
                (0..n)
                    .map(|i| centre[i] + t * (reflected[i] - centre[i]))
                    .collect(),
            )
        };
        let (point, value) = if values[best] <= f_r && f_r < values[second] {
            taken.reflected += 1;
            (reflected, f_r)
        } else if f_r < values[best] {
            taken.expanded += 1;
            let expanded = away(expand);
            match eval(&expanded) {
                f_e if f_e < f_r => (expanded, f_e),
                _ => (reflected, f_r),
            }
        } else if values[second] <= f_r && f_r < values[worst] {
            taken.outside += 1;
            let outside = away(contract);
            match eval(&outside) {
                f_c if f_c <= f_r => (outside, f_c),
                _ => {
                    taken.shrunk += 1;
                    shrink_all(&mut vertices, &mut values, best, shrink, &mut eval);
                    continue;
                }
            }
        } else {
            taken.inside += 1;
            let inside = away(-contract);
            match eval(&inside) {
                f_c if f_c < values[worst] => (inside, f_c),
                _ => {
                    taken.shrunk += 1;
                    shrink_all(&mut vertices, &mut values, best, shrink, &mut eval);
                    continue;
                }
            }
        };
        vertices[worst] = point;
        values[worst] = value;
    }
    (asked, vertices[best].clone())
}

/// How often [`plain`] took each step: a reflection kept, an expansion tried, an outside or
/// inside contraction tried, a shrink, a stop by the tolerance.
#[derive(Debug, Default)]
struct Taken {
    reflected: usize,
    expanded: usize,
    outside: usize,
    inside: usize,
    shrunk: usize,
    converged: usize,
}

/// Moves every vertex but the best towards it, to `shrink` times its distance, and evaluates it.
fn shrink_all(
    vertices: &mut [Vec<f64>],
    values: &mut [f64],
    best: usize,
    shrink: f64,
    eval: &mut impl FnMut(&[f64]) -> f64,
) {
    let b = vertices[best].clone();
    for v in (0..vertices.len()).filter(|&v| v != best) {
        let x: Vec<f64> = (0..b.len())
            .map(|i| b[i] + shrink * (vertices[v][i] - b[i]))
            .collect();
        values[v] = eval(&x);
        vertices[v] = x;
    }
}

/// A small seeded generator (splitmix64), so that the cases below are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..k`.
    fn below(&mut self, k: usize) -> usize {
        (self.next() % k as u64) as usize
    }
}

/// A test function of `n` coordinates: a tilted bowl, Rosenbrock's valley, the bowl in steps
/// (plateaus, so many ties) or the bowl with NaN beyond a plane.
fn objective(kind: usize, centre: Vec<f64>) -> impl Fn(&[f64]) -> f64 {
    let bowl = move |x: &[f64]| -> f64 {
        let terms = x.iter().zip(&centre).enumerate();
        terms
            .map(|(i, (x, c))| (i + 1) as f64 * (x - c) * (x - c))
            .sum()
    };
    move |x: &[f64]| match kind {
        0 => bowl(x),
        1 => x
            .windows(2)
            .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
            .sum(),
        2 => (2.0 * bowl(x)).floor(),
        _ if x[0] + x[1] > 1.0 => f64::NAN,
        _ => bowl(x),
    }
}

#[test]
fn takes_the_same_steps_as_the_plain_loop_to_the_last_bit() {
    let mut rng = Rng(2012);
    let mut taken = Taken::default();
    for case in 0..400 {
        let n = 2 + case % 4;
        let kind = case / 4 % 4;
        let x0: Vec<f64> = (0..n)
            .map(|_| match rng.below(4) {
                0 => 0.0,
                _ => rng.uniform(-3.0, 3.0),
            })
            .collect();
        // Half the coordinates boxed: around x0, at x0 (so that a first vertex is clipped back
        // onto x0), on one side only, or away from x0 (so that x0 itself is clipped).
        let (mut lower, mut upper) = (vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n]);
        for i in 0..n {
            let (lo, hi) = match rng.below(8) {
                0 => (x0[i] - rng.uniform(0.0, 2.0), x0[i] + rng.uniform(0.0, 2.0)),
                1 if x0[i] < 0.0 => (x0[i], x0[i] + 1.0),
                1 => (x0[i] - 1.0, x0[i]),
                2 => (x0[i] - rng.uniform(0.0, 1.0), f64::INFINITY),
                3 => (x0[i] + 0.5, x0[i] + rng.uniform(0.5, 2.0)),
                _ => continue,
            };
            (lower[i], upper[i]) = (lo, hi);
        }
        let max_iter = match rng.below(3) {
            0 => rng.below(6),
            _ => rng.below(301),
        };
        let centre: Vec<f64> = (0..n).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let f = objective(kind, centre);
        let bounds = Bounds {
            lower: lower.clone(),
            upper: upper.clone(),
        };
        let got = ask_tell(&f, &x0, bounds, max_iter);
        let want = plain(&f, &x0, (&lower, &upper), max_iter, &mut taken);
        let bits = |(asked, best): (Vec<Vec<f64>>, Vec<f64>)| {
            let bits = |x: Vec<f64>| x.into_iter().map(f64::to_bits).collect::<Vec<_>>();
            (asked.into_iter().map(bits).collect::<Vec<_>>(), bits(best))
        };
        assert_eq!(
            bits(got),
            bits(want),
            "case {case}: kind {kind}, n {n}, {max_iter} iterations"
        );
    }
    // The cases took every step often enough for the comparison to mean something.
    let t = &taken;
    let least = [
        t.reflected,
        t.expanded,
        t.outside,
        t.inside,
        t.shrunk,
        t.converged,
    ];
    assert!(least.iter().all(|&k| k >= 10), "{taken:?}");
}
