//! A bounded Nelder-Mead minimiser for the ETS fits: the simplex method (Nelder & Mead, 1965)
//! with coefficients that depend on the dimension `n` (Gao & Han, 2012: reflection 1, expansion
//! `1 + 2/n`, contraction `3/4 - 1/(2n)`, shrink `1 - 1/n`), every trial point clipped into the
//! box, and a stop once the simplex's values have a standard deviation below `1e-4` (the rule
//! `statsforecast` and augurs use for ETS) or after `max_iter` iterations.
//!
//! The minimiser asks for one point at a time and is told its value ([`Simplex::ask`],
//! [`Simplex::tell`]), so that a caller can advance several minimisations together and evaluate
//! their points in one interleaved loop (`series_ets`). [`Simplex::new`] allocates all of a
//! minimisation's storage; `ask` and `tell` allocate nothing. (The loop that evaluates the points
//! does allocate: each round of `series_ets`'s `fit_together` calls `series_ets_recursion`'s
//! `passes`, which allocates three `Vec`s, one when a single fit is left.)

/// A box: `lower[i] <= x[i] <= upper[i]` (infinite for an unbounded coordinate).
pub(crate) struct Bounds {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

impl Bounds {
    fn clip(&self, x: &mut [f64]) {
        for ((v, &lo), &hi) in x.iter_mut().zip(&self.lower).zip(&self.upper) {
            *v = v.clamp(lo, hi);
        }
    }
}

/// Standard deviation below which the simplex has converged.
const TOL_STD: f64 = 1e-4;

/// What the minimiser waits for: the value of the point [`Simplex::ask`] gives.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// A vertex of the first simplex.
    Vertex(usize),
    Reflect,
    Expand {
        f_r: f64,
    },
    Contract {
        f_r: f64,
        outside: bool,
    },
    /// A vertex moved towards the best one.
    Shrink(usize),
    Done,
}

/// One minimisation in progress. Vertex `v` is `simplex[v * n..(v + 1) * n]`.
pub(crate) struct Simplex {
    n: usize,
    bounds: Bounds,
    /// Expansion, contraction and shrink coefficients.
    coefficients: (f64, f64, f64),
    simplex: Vec<f64>,
    values: Vec<f64>,
    order: Vec<usize>,
    centre: Vec<f64>,
    /// The reflected point.
    trial: Vec<f64>,
    /// The expanded or contracted point.
    trial2: Vec<f64>,
    best: usize,
    second: usize,
    worst: usize,
    iterations_left: usize,
    step: Step,
}

impl Simplex {
    /// The first simplex is `x0` (clipped) and, for each coordinate `i`, `x0` with coordinate
    /// `i` times 1.05 (or 1e-4 where it is under 1e-8 in size), clipped. `x0` has at least one coordinate.
    pub fn new(x0: &[f64], bounds: Bounds, max_iter: usize) -> Self {
        let n = x0.len();
        assert!(n >= 1, "Nelder-Mead needs at least one coordinate");
        let nf = n as f64;
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
        Simplex {
            n,
            bounds,
            coefficients: (1.0 + 2.0 / nf, 0.75 - 1.0 / (2.0 * nf), 1.0 - 1.0 / nf),
            simplex,
            values: Vec::with_capacity(n + 1),
            order: (0..=n).collect(),
            centre: vec![0.0; n],
            trial: vec![0.0; n],
            trial2: vec![0.0; n],
            best: 0,
            second: 0,
            worst: 0,
            iterations_left: max_iter,
            step: Step::Vertex(0),
        }
    }

    /// The point whose value is wanted next; `None` once the minimisation has stopped.
    pub fn ask(&self) -> Option<&[f64]> {
        let n = self.n;
        match self.step {
            Step::Vertex(v) | Step::Shrink(v) => Some(&self.simplex[v * n..(v + 1) * n]),
            Step::Reflect => Some(&self.trial),
            Step::Expand { .. } | Step::Contract { .. } => Some(&self.trial2),
            Step::Done => None,
        }
    }

    /// The value of the point last asked for.
    pub fn tell(&mut self, value: f64) {
        match self.step {
            Step::Vertex(v) => {
                self.values.push(value);
                if v < self.n {
                    self.step = Step::Vertex(v + 1);
                } else {
                    self.iterate();
                }
            }
            Step::Reflect => self.reflected(value),
            Step::Expand { f_r } => {
                // Keep the better of the expansion and the reflection.
                if value < f_r {
                    self.replace_worst(Trial::Second, value);
                } else {
                    self.replace_worst(Trial::First, f_r);
                }
                self.iterate();
            }
            Step::Contract { f_r, outside } => self.contracted(value, f_r, outside),
            Step::Shrink(v) => {
                self.values[v] = value;
                self.shrink_from(v + 1);
            }
            Step::Done => {}
        }
    }

    /// The vertex ranked best at the start of the last iteration. After a stop by the tolerance
    /// that is the best vertex; after the iteration cap it may not be, as the points the last
    /// iteration brought in are not ranked (augurs does the same). With a cap of 0 it is the
    /// first vertex: `x0` with its first coordinate moved, not `x0`.
    pub fn best(&self) -> Vec<f64> {
        self.simplex[self.best * self.n..(self.best + 1) * self.n].to_vec()
    }

    /// The top of an iteration: rank the vertices, stop, or reflect the worst through the
    /// centre of the others.
    fn iterate(&mut self) {
        if self.iterations_left == 0 {
            self.step = Step::Done;
            return;
        }
        self.iterations_left -= 1;
        let (n, values) = (self.n, &self.values);
        // From vertex order each time, so that ties rank by vertex.
        self.order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
        self.order.sort_by(|&a, &b| {
            values[a]
                .partial_cmp(&values[b])
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        self.best = self.order[0];
        (self.worst, self.second) = (self.order[n], self.order[n - 1]);
        if std_dev(values) < TOL_STD {
            self.step = Step::Done;
            return;
        }
        self.centre.fill(0.0);
        for (v, x) in self.simplex.chunks_exact(n).enumerate() {
            if v != self.worst {
                self.centre.iter_mut().zip(x).for_each(|(c, x)| *c += x);
            }
        }
        self.centre.iter_mut().for_each(|c| *c /= n as f64);
        let w = self.worst * n;
        for i in 0..n {
            self.trial[i] = self.centre[i] + (self.centre[i] - self.simplex[w + i]);
        }
        self.bounds.clip(&mut self.trial);
        self.step = Step::Reflect;
    }

    fn reflected(&mut self, f_r: f64) {
        let (best, second) = (self.values[self.best], self.values[self.second]);
        if best <= f_r && f_r < second {
            self.replace_worst(Trial::First, f_r);
            self.iterate();
            return;
        }
        let (expand, contract, _) = self.coefficients;
        let (factor, step) = if f_r < best {
            (expand, Step::Expand { f_r })
        } else {
            let outside = second <= f_r && f_r < self.values[self.worst];
            let sign = if outside { 1.0 } else { -1.0 };
            (sign * contract, Step::Contract { f_r, outside })
        };
        for i in 0..self.n {
            self.trial2[i] = self.centre[i] + factor * (self.trial[i] - self.centre[i]);
        }
        self.bounds.clip(&mut self.trial2);
        self.step = step;
    }

    fn contracted(&mut self, f_c: f64, f_r: f64, outside: bool) {
        let accepted = if outside {
            f_c <= f_r
        } else {
            f_c < self.values[self.worst]
        };
        if accepted {
            self.replace_worst(Trial::Second, f_c);
            self.iterate();
            return;
        }
        // Shrink towards the best vertex (inside the box, which is convex).
        let (n, b, shrink) = (self.n, self.best * self.n, self.coefficients.2);
        for v in (0..=n).filter(|&v| v != self.best) {
            for i in 0..n {
                let x =
                    self.simplex[b + i] + shrink * (self.simplex[v * n + i] - self.simplex[b + i]);
                self.simplex[v * n + i] = x;
            }
        }
        self.shrink_from(0);
    }

    /// Asks for the value of the next shrunk vertex from `v` on, or starts the next iteration.
    fn shrink_from(&mut self, v: usize) {
        match (v..=self.n).find(|&v| v != self.best) {
            Some(v) => self.step = Step::Shrink(v),
            None => self.iterate(),
        }
    }

    fn replace_worst(&mut self, trial: Trial, value: f64) {
        let w = self.worst * self.n;
        let x = match trial {
            Trial::First => &self.trial,
            Trial::Second => &self.trial2,
        };
        self.simplex[w..w + self.n].copy_from_slice(x);
        self.values[self.worst] = value;
    }
}

/// Which trial point replaces the worst vertex.
#[derive(Clone, Copy)]
enum Trial {
    First,
    Second,
}

/// Population standard deviation.
fn std_dev(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

#[cfg(test)]
#[path = "tests/series_nelder_mead.rs"]
mod tests;
