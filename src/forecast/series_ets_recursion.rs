//! The ETS recursion itself (`series_ets_form` has the equations): one pass over the values from
//! a form's parameters and initial states, giving what the likelihood needs. Several passes over
//! the same values can run in one loop ([`passes`]), which is how the forms' fits are advanced
//! together (`series_ets`).

use super::series_ets_form::{Form, Pass, Smoothing};

/// One pass of `form`'s recursion (see [`Form::pass`]).
pub(crate) fn pass(form: Form, y: &[f64], s: Smoothing, l0: f64, b0: f64) -> Pass {
    fn one<const MULT: bool, const TREND: bool>(y: &[f64], s: Smoothing, l0: f64, b0: f64) -> Pass {
        run(y, Lane::<MULT, TREND>::new(s, l0, b0)).finish()
    }
    match (form.multiplicative, form.trend) {
        (false, false) => one::<false, false>(y, s, l0, b0),
        (false, true) => one::<false, true>(y, s, l0, b0),
        (true, false) => one::<true, false>(y, s, l0, b0),
        (true, true) => one::<true, true>(y, s, l0, b0),
    }
}

/// The recursion's state for one error type and trend (so that its step has no branch on the
/// form), advanced one value at a time.
#[derive(Clone, Copy)]
struct Lane<const MULT: bool, const TREND: bool> {
    alpha: f64,
    /// `beta / alpha`.
    ratio: f64,
    phi: f64,
    level: f64,
    slope: f64,
    sse: f64,
    logs: LogSum,
}

impl<const MULT: bool, const TREND: bool> Lane<MULT, TREND> {
    fn new(s: Smoothing, l0: f64, b0: f64) -> Self {
        Lane {
            alpha: s.alpha,
            ratio: s.beta / s.alpha,
            phi: s.phi,
            level: l0,
            slope: if TREND { b0 } else { 0.0 },
            sse: 0.0,
            logs: LogSum::default(),
        }
    }

    fn finish(&self) -> Pass {
        Pass {
            sse: self.sse,
            sum_ln_q: if MULT { self.logs.total() } else { 0.0 },
            level: self.level,
            slope: self.slope,
        }
    }
}

/// One or several recursions advanced over the same values.
trait Lanes {
    fn step(&mut self, v: f64);
}

impl<const MULT: bool, const TREND: bool> Lanes for Lane<MULT, TREND> {
    #[inline(always)]
    fn step(&mut self, v: f64) {
        let (l, b) = (self.level, self.slope);
        let phi_b = if TREND { self.phi * b } else { 0.0 };
        let q = if TREND { l + phi_b } else { l };
        let e = if MULT {
            // A forecast of exactly 0 would divide by zero; nudged as the reference does.
            let d = if q.abs() < 1e-10 { q + 1e-10 } else { q };
            (v - q) / d
        } else {
            v - q
        };
        self.sse += e * e;
        if MULT {
            self.logs.add(q.abs());
        }
        let new_l = q + self.alpha * (v - q);
        if TREND {
            self.slope = phi_b + self.ratio * ((new_l - l) - phi_b);
        }
        self.level = new_l;
    }
}

/// Several recursions in one loop: each point's level needs the last one's, a chain of
/// dependent multiply-adds, and the core runs the other lanes' chains beside it.
impl<A: Lanes, B: Lanes> Lanes for (A, B) {
    #[inline(always)]
    fn step(&mut self, v: f64) {
        self.0.step(v);
        self.1.step(v);
    }
}

impl<L: Lanes, const K: usize> Lanes for [L; K] {
    #[inline(always)]
    fn step(&mut self, v: f64) {
        self.iter_mut().for_each(|lane| lane.step(v));
    }
}

fn run<L: Lanes>(y: &[f64], mut lanes: L) -> L {
    for &v in y {
        lanes.step(v);
    }
    lanes
}

/// Where one pass starts: a form, its smoothing parameters, initial level and slope.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Start {
    pub form: Form,
    pub smoothing: Smoothing,
    pub level: f64,
    pub slope: f64,
}

/// The passes over `y` from each of `starts`, in their order: each the same operations in the same
/// order as [`Form::pass`], hence the same numbers, but advanced in one loop (up to one form
/// without a trend and two with one per error type at a time, the forms AutoETS tries), which
/// hides most of the chains' latency: several passes cost little more than one.
pub(crate) fn passes(y: &[f64], starts: &[Start]) -> Vec<Pass> {
    if let [one] = starts {
        return vec![one.form.pass(y, one.smoothing, one.level, one.slope)];
    }
    let mut out = vec![None; starts.len()];
    let mut left: Vec<usize> = (0..starts.len()).collect();
    while !left.is_empty() {
        let (mut add, mut mul) = (Group::<false>::default(), Group::<true>::default());
        left.retain(|&i| {
            let placed = if starts[i].form.multiplicative {
                mul.place(i, &starts[i])
            } else {
                add.place(i, &starts[i])
            };
            !placed
        });
        match (add.is_empty(), mul.is_empty()) {
            (false, false) => {
                let (a, m) = run(y, (add.lanes(), mul.lanes()));
                add.finish(&a, &mut out);
                mul.finish(&m, &mut out);
            }
            (false, true) => add.finish(&run(y, add.lanes()), &mut out),
            (true, false) => mul.finish(&run(y, mul.lanes()), &mut out),
            (true, true) => unreachable!("every round places at least one start"),
        }
    }
    out.into_iter()
        .map(|p| p.expect("every start has its pass"))
        .collect()
}

/// The lanes of one error type in a round of [`passes`]: which start (by index) each holds.
#[derive(Default)]
struct Group<const MULT: bool> {
    flat: Option<(usize, Start)>,
    trend: [Option<(usize, Start)>; 2],
}

/// A lane nobody asked for (its result is dropped), with finite values so that it runs at the
/// usual speed. It is wasted work: an error type's group runs all three of its lanes (one
/// without a trend, two with) once any is taken, so when few fits remain, some of every
/// round's work is thrown away.
const IDLE: Start = Start {
    form: Form {
        multiplicative: false,
        trend: false,
        damped: false,
    },
    smoothing: Smoothing {
        alpha: 0.5,
        beta: 0.0,
        phi: 1.0,
    },
    level: 1.0,
    slope: 0.0,
};

type GroupLanes<const MULT: bool> = (Lane<MULT, false>, [Lane<MULT, true>; 2]);

impl<const MULT: bool> Group<MULT> {
    /// Takes start `i` if its lane is free.
    fn place(&mut self, i: usize, start: &Start) -> bool {
        let slot = if start.form.trend {
            self.trend.iter_mut().find(|s| s.is_none())
        } else {
            Some(&mut self.flat).filter(|s| s.is_none())
        };
        slot.map(|s| *s = Some((i, *start))).is_some()
    }

    fn is_empty(&self) -> bool {
        self.flat.is_none() && self.trend.iter().all(Option::is_none)
    }

    fn lanes(&self) -> GroupLanes<MULT> {
        let lane = |slot: &Option<(usize, Start)>| {
            let s = slot.map_or(IDLE, |(_, s)| s);
            (s.smoothing, s.level, s.slope)
        };
        let new_trend = |slot| {
            let (s, l, b) = lane(slot);
            Lane::new(s, l, b)
        };
        let (s, l, b) = lane(&self.flat);
        (
            Lane::new(s, l, b),
            [new_trend(&self.trend[0]), new_trend(&self.trend[1])],
        )
    }

    fn finish(&self, lanes: &GroupLanes<MULT>, out: &mut [Option<Pass>]) {
        if let Some((i, _)) = self.flat {
            out[i] = Some(lanes.0.finish());
        }
        for (slot, lane) in self.trend.iter().zip(&lanes.1) {
            if let Some((i, _)) = slot {
                out[*i] = Some(lane.finish());
            }
        }
    }
}

/// A sum of natural logarithms with one `ln` per pass instead of one per term: the terms are
/// multiplied, the product kept in `[1, 2)` by moving its binary exponent into an integer
/// after each term. The `ln` per point was a third of the likelihood's instructions (callgrind;
/// benches/RESULTS.md). The result differs from a sum of `ln`s by rounding (about 1e-16 per term).
#[derive(Default, Clone, Copy)]
struct LogSum {
    mantissas: f64,
    exponents: i64,
    /// Terms that are zero, subnormal or not finite, summed as logarithms directly.
    direct: f64,
}

const EXPONENT_MASK: u64 = 0x7ff << 52;
const ONE_BITS: u64 = 1023 << 52;

impl LogSum {
    #[inline(always)]
    fn add(&mut self, a: f64) {
        if !a.is_normal() || a > 1e300 {
            // 0 counts as 1e-8, as the reference does; subnormals, huge terms (whose product
            // could overflow), infinities and NaN as they are.
            self.direct += if a == 0.0 { 1e-8f64.ln() } else { a.ln() };
            return;
        }
        let product = if self.mantissas == 0.0 {
            a
        } else {
            self.mantissas * a
        };
        let bits = product.to_bits();
        self.exponents += ((bits & EXPONENT_MASK) >> 52) as i64 - 1023;
        self.mantissas = f64::from_bits((bits & !EXPONENT_MASK) | ONE_BITS);
    }

    fn total(&self) -> f64 {
        let m = if self.mantissas == 0.0 {
            1.0
        } else {
            self.mantissas
        };
        m.ln() + self.exponents as f64 * std::f64::consts::LN_2 + self.direct
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(multiplicative: bool, trend: bool, k: usize) -> Start {
        let k = k as f64;
        Start {
            form: Form {
                multiplicative,
                trend,
                damped: trend,
            },
            smoothing: Smoothing {
                alpha: 0.1 + 0.07 * k,
                beta: if trend { 0.01 + 0.005 * k } else { 0.0 },
                phi: if trend { 0.98 - 0.01 * k } else { 1.0 },
            },
            level: 90.0 + 3.0 * k,
            slope: if trend { 0.5 - 0.2 * k } else { 0.0 },
        }
    }

    /// Checks the grouping and indexing of [`passes`] (each start in a lane, each pass back in
    /// its place, rounds when a kind has more starts than lanes). Both paths run the same
    /// `Lane::step`, so an error in the recursion's maths would pass here: the comparison with
    /// augurs (`series_ets`'s tests) checks that.
    #[test]
    fn passes_in_one_loop_equal_each_pass_alone_to_the_last_bit() {
        // Positive values with one near 0, so that a multiplicative forecast is nudged.
        let y: Vec<f64> = (0..50)
            .map(|i| {
                if i == 20 {
                    1e-12
                } else {
                    100.0 + 10.0 * (i as f64 * 0.9).sin() + i as f64
                }
            })
            .collect();
        // More starts of one kind than a round has lanes, in a mixed order; one alone.
        let kinds = [
            (true, true),
            (false, false),
            (false, true),
            (true, false),
            (false, true),
            (true, true),
            (false, true),
            (true, true),
            (false, false),
        ];
        let starts: Vec<Start> = kinds
            .iter()
            .enumerate()
            .map(|(k, &(m, t))| start(m, t, k))
            .collect();
        for n in [1, 2, 3, starts.len()] {
            let got = passes(&y, &starts[..n]);
            assert_eq!(got.len(), n);
            for (s, p) in starts.iter().zip(got) {
                let alone = pass(s.form, &y, s.smoothing, s.level, s.slope);
                let bits = |p: Pass| [p.sse, p.sum_ln_q, p.level, p.slope].map(f64::to_bits);
                assert_eq!(bits(p), bits(alone), "{n} {s:?}");
                assert!(p.sse > 0.0, "{s:?}");
            }
        }
    }

    #[test]
    fn the_log_sum_is_the_sum_of_the_logs() {
        let terms = [
            3.5, 1e-300, 7e250, 0.001, 1.0, 2.0, 1e-320, 0.0, 123.456, 1e300, 1e300,
        ];
        let mut s = LogSum::default();
        let mut want = 0.0;
        for t in terms {
            s.add(t);
            want += if t == 0.0 { 1e-8f64.ln() } else { t.ln() };
        }
        assert!(
            (s.total() - want).abs() < 1e-12 * want.abs(),
            "{} {want}",
            s.total()
        );
        assert_eq!(LogSum::default().total(), 0.0);
        // Many terms whose product leaves f64's range many times over.
        let mut s = LogSum::default();
        let mut want = 0.0;
        for i in 1..=5000 {
            let t = 1.0e3 + i as f64 * 0.37;
            s.add(t);
            want += t.ln();
        }
        assert!((s.total() - want).abs() < 1e-12 * want.abs());
    }
}
