//! A fast natural logarithm for the Monte Carlo's skip gaps (a positive, normal `f64`).
//!
//! The skipping sampler in [`super::simdeals`] takes one `ln` per candidate deal (millions per
//! forecast). This one needs no division and no call: with u = 2^e x, x in [0.75, 1.5) (the
//! exponent taken from the bits, rounded so that x straddles 1), x is split as c (1 + r) with
//! c = 1 + j/256 the nearest point of a fixed grid, so |r| < 0.0027, and
//! ln u = e ln 2 + ln c + ln(1 + r), with ln c from a table and ln(1 + r) from its series
//! r - r^2/2 + ... - r^6/6 (the first term left out, r^7/7, is below 2.4e-19 in relative terms).
//! Every step is exact except the reciprocal of c, the product r, the series and the final sums,
//! so the relative error stays within a few units in the last place (the tests bound it by
//! 1e-15); near u = 1 the grid point is c = 1 exactly, so there is no cancellation there.

use std::sync::OnceLock;

/// Grid points per unit: c = 1 + j/GRID.
const GRID: f64 = 256.0;
/// Grid points below 1 (x >= 0.75 = 1 - 64/256).
const BELOW: usize = 64;
/// Grid points in use: x < 1.5 = 1 + 128/256, plus the one rounding may reach.
const POINTS: usize = BELOW + 128 + 1;
/// Table entries: a power of two, so that a masked index needs no bounds check.
const TABLE: usize = 256;
/// 1.5 x 2^52: a float this large has units in its last place, so adding it rounds to an integer,
/// which then sits in the low bits of the sum's mantissa (no float-to-integer conversion).
const ROUND: f64 = 6_755_399_441_055_744.0;

/// Per grid point: c, 1/c and ln c.
#[derive(Debug)]
pub(crate) struct FastLn {
    points: Vec<[f64; 3]>,
}

impl FastLn {
    /// The table, built once per process.
    pub fn get() -> &'static FastLn {
        static CELL: OnceLock<FastLn> = OnceLock::new();
        CELL.get_or_init(|| FastLn {
            points: (0..TABLE)
                .map(|j| {
                    let c = 1.0 + (j as f64 - BELOW as f64) / GRID;
                    [c, 1.0 / c, c.ln()]
                })
                .collect(),
        })
    }

    /// ln u for a positive normal u (the skipping sampler's uniforms, 2^-53 ..= 1).
    #[inline(always)]
    pub fn ln(&self, u: f64) -> f64 {
        let bits = u.to_bits();
        // Adding half the mantissa's range carries mantissas >= 0.5 into the exponent, so the
        // rest x = u / 2^e lands in [0.75, 1.5).
        let e = ((bits + (1 << 51)) >> 52) as i64 - 1023;
        let x = f64::from_bits(bits.wrapping_sub((e as u64) << 52));
        // x - 1 is exact (x within a factor of 2 of 1); j the nearest grid point, 0..=192.
        let j = ((x - 1.0) * GRID + (BELOW as f64 + ROUND)).to_bits() as usize & (TABLE - 1);
        debug_assert!(j < POINTS, "{u}");
        let [c, inv, ln_c] = self.points[j];
        // x - c is exact (same binade scale, |x - c| <= 1/512).
        let r = (x - c) * inv;
        let series =
            r + r * r * (-0.5 + r * (1.0 / 3.0 + r * (-0.25 + r * (0.2 + r * (-1.0 / 6.0)))));
        e as f64 * std::f64::consts::LN_2 + (ln_c + series)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::rng::FastRng;

    fn rel_err(u: f64) -> f64 {
        let (got, want) = (FastLn::get().ln(u), u.ln());
        if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        }
    }

    #[test]
    fn matches_the_standard_ln_within_1e_15_relative_over_a_sweep() {
        let mut worst = (0.0f64, 0.0f64);
        let mut check = |u: f64| {
            let e = rel_err(u);
            if e > worst.0 {
                worst = (e, u);
            }
        };
        // The sampler's uniforms: (m + 1) / 2^53 for 53 random bits m.
        let mut rng = FastRng::new(4, 2);
        for _ in 0..1_000_000 {
            check(((rng.next() >> 11) as f64 + 1.0) * (1.0 / 9_007_199_254_740_992.0));
        }
        // Every grid point and its neighbours, in several binades, and the ends of the range.
        for k in [0, 1, 2, 7, 30, 52] {
            let scale = 0.5f64.powi(k);
            for j in 0..POINTS {
                let c = 1.0 + (j as f64 - BELOW as f64) / GRID;
                for d in [-1.0 / 512.0, -1e-9, 0.0, 1e-9, 1.0 / 512.0 - 1e-12] {
                    let u = (c + d) * scale;
                    if u > 0.0 && u <= 1.0 {
                        check(u);
                    }
                }
            }
        }
        for u in [
            1.0,
            1.0 - f64::EPSILON / 2.0,
            1.0 - f64::EPSILON,
            1.0 - 1e-10,
            0.75,
            0.75 - 1e-16,
            0.5,
            1.0 / 9_007_199_254_740_992.0,
            1e-300,
            f64::MIN_POSITIVE,
        ] {
            check(u);
        }
        assert!(
            worst.0 < 1e-15,
            "relative error {} at u = {}",
            worst.0,
            worst.1
        );
        assert_eq!(FastLn::get().ln(1.0), 0.0);
    }

    #[test]
    fn is_also_right_above_one() {
        // Not used by the sampler, but the decomposition does not assume u <= 1.
        for u in [1.0 + 1e-12, 1.3, 2.0, 3.7, 1e10, 1e300] {
            assert!(rel_err(u) < 1e-15, "u = {u}");
        }
    }
}
