//! A bounded Nelder-Mead minimiser for the ETS fits: the simplex method (Nelder & Mead, 1965)
//! with coefficients that depend on the dimension `n` (Gao & Han, 2012: reflection 1, expansion
//! `1 + 2/n`, contraction `3/4 - 1/(2n)`, shrink `1 - 1/n`), every trial point clipped into the
//! box, and a stop once the simplex's values have a standard deviation below `1e-4` (the rule
//! `statsforecast` and augurs use for ETS) or after `max_iter` iterations.
//!
//! All storage is allocated once per minimisation; an iteration allocates nothing.

/// A box: `lower[i] <= x[i] <= upper[i]` (infinite for an unbounded coordinate).
pub(crate) struct Bounds<'a> {
    pub lower: &'a [f64],
    pub upper: &'a [f64],
}

impl Bounds<'_> {
    fn clip(&self, x: &mut [f64]) {
        for ((v, &lo), &hi) in x.iter_mut().zip(self.lower).zip(self.upper) {
            *v = v.clamp(lo, hi);
        }
    }
}

/// Standard deviation below which the simplex has converged.
const TOL_STD: f64 = 1e-4;

/// Minimises `f` from `x0` in the box; returns the best vertex found.
///
/// The first simplex is `x0` (clipped) and, for each coordinate `i`, `x0` with coordinate `i`
/// times 1.05 (or 1e-4 where it is 0), clipped.
pub(crate) fn minimise(
    mut f: impl FnMut(&[f64]) -> f64,
    x0: &[f64],
    bounds: &Bounds,
    max_iter: usize,
) -> Vec<f64> {
    let n = x0.len();
    let nf = n as f64;
    let (expand, contract, shrink) = (1.0 + 2.0 / nf, 0.75 - 1.0 / (2.0 * nf), 1.0 - 1.0 / nf);
    // Vertex v is simplex[v * n..(v + 1) * n].
    let mut simplex = Vec::with_capacity((n + 1) * n);
    let mut start = x0.to_vec();
    bounds.clip(&mut start);
    for v in 0..=n {
        let at = simplex.len();
        simplex.extend_from_slice(&start);
        if v < n {
            let c = &mut simplex[at + v];
            *c = if c.abs() < 1e-8 { 1e-4 } else { *c * 1.05 };
            bounds.clip(&mut simplex[at..at + n]);
        }
    }
    let mut values: Vec<f64> = simplex.chunks_exact(n).map(&mut f).collect();
    let mut order: Vec<usize> = (0..=n).collect();
    let (mut centre, mut trial, mut trial2) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut best = 0;
    for _ in 0..max_iter {
        // From vertex order each time, so that ties rank by vertex.
        order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
        order.sort_by(|&a, &b| {
            values[a]
                .partial_cmp(&values[b])
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        best = order[0];
        let (worst, second) = (order[n], order[n - 1]);
        if std_dev(&values) < TOL_STD {
            break;
        }
        centre.fill(0.0);
        for (v, x) in simplex.chunks_exact(n).enumerate() {
            if v != worst {
                centre.iter_mut().zip(x).for_each(|(c, x)| *c += x);
            }
        }
        centre.iter_mut().for_each(|c| *c /= nf);
        let w = worst * n;
        // Reflection.
        for i in 0..n {
            trial[i] = centre[i] + (centre[i] - simplex[w + i]);
        }
        bounds.clip(&mut trial);
        let f_r = f(&trial);
        if values[best] <= f_r && f_r < values[second] {
            simplex[w..w + n].copy_from_slice(&trial);
            values[worst] = f_r;
            continue;
        }
        if f_r < values[best] {
            // Expansion; keep the better of it and the reflection.
            for i in 0..n {
                trial2[i] = centre[i] + expand * (trial[i] - centre[i]);
            }
            bounds.clip(&mut trial2);
            let f_e = f(&trial2);
            let (x, fx) = if f_e < f_r {
                (&trial2, f_e)
            } else {
                (&trial, f_r)
            };
            simplex[w..w + n].copy_from_slice(x);
            values[worst] = fx;
            continue;
        }
        let outside = values[second] <= f_r && f_r < values[worst];
        let sign = if outside { 1.0 } else { -1.0 };
        for i in 0..n {
            trial2[i] = centre[i] + sign * contract * (trial[i] - centre[i]);
        }
        bounds.clip(&mut trial2);
        let f_c = f(&trial2);
        let accepted = if outside {
            f_c <= f_r
        } else {
            f_c < values[worst]
        };
        if accepted {
            simplex[w..w + n].copy_from_slice(&trial2);
            values[worst] = f_c;
            continue;
        }
        // Shrink towards the best vertex (inside the box, which is convex).
        let b = best * n;
        for v in (0..=n).filter(|&v| v != best) {
            for i in 0..n {
                let x = simplex[b + i] + shrink * (simplex[v * n + i] - simplex[b + i]);
                simplex[v * n + i] = x;
            }
            values[v] = f(&simplex[v * n..(v + 1) * n]);
        }
    }
    simplex[best * n..(best + 1) * n].to_vec()
}

/// Population standard deviation.
fn std_dev(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_bowl_inside_the_box() {
        let bowl = |x: &[f64]| (x[0] - 0.3).powi(2) + 10.0 * (x[1] + 2.0).powi(2);
        let free = [f64::NEG_INFINITY, f64::INFINITY];
        let b = Bounds {
            lower: &[free[0]; 2],
            upper: &[free[1]; 2],
        };
        let x = minimise(bowl, &[1.0, 1.0], &b, 2000);
        assert!(
            (x[0] - 0.3).abs() < 0.02 && (x[1] + 2.0).abs() < 0.01,
            "{x:?}"
        );
    }

    #[test]
    fn stays_in_the_box_when_the_minimum_is_outside_it() {
        let mut seen_outside = false;
        let b = Bounds {
            lower: &[0.0, 0.8],
            upper: &[1.0, 0.98],
        };
        let x = minimise(
            |x: &[f64]| {
                seen_outside |= x[0] < 0.0 || x[0] > 1.0 || x[1] < 0.8 || x[1] > 0.98;
                (x[0] - 3.0).powi(2) + (x[1] - 0.5).powi(2)
            },
            &[0.5, 0.9],
            &b,
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
        let mut calls = 0;
        minimise(
            |x: &[f64]| {
                calls += 1;
                x[0] * x[0]
            },
            &[100.0],
            &Bounds {
                lower: &[f64::NEG_INFINITY],
                upper: &[f64::INFINITY],
            },
            3,
        );
        // Two starting vertices, then at most three evaluations per iteration in one dimension.
        assert!((3..=2 + 3 * 3).contains(&calls), "{calls}");
    }
}
