//! Time to close as a survival model with two outcomes (won, lost) and censoring (still open).
//!
//! Each observation is one deal seen from a start day (its entry into a stage, or its
//! creation): closed after `d` days, won or lost, or still open `c` days after the start on the
//! day learned from. The Aalen-Johansen estimator on a daily grid gives
//! `S(t)` = P(still open at t) and `F(t)` = P(won before day t). For a deal open at age `a`:
//! P(won, closing in `[a+lo, a+hi)` | open at a) = (F(a+hi) - F(a+lo)) / S(a), and
//! P(won at all | open at a) = (F(end) - F(a)) / S(a).
//!
//! The deals still open are in the risk set up to their age, so a stage where many deals sit
//! for months without closing has a low hazard at those ages: an old open deal is mostly one
//! that will never close, and the model says so instead of closing it at once.

/// Ages are counted up to ten years; older ones are treated as ten years.
const MAX_DAYS: i64 = 3650;
/// Fewest observations still open at an age for an estimate from that age; an older deal is
/// compared with the last ones (the oldest age with that many still open).
pub(crate) const MIN_SUPPORT: u32 = 5;

/// How one observation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Won,
    Lost,
    /// Still open on the day learned from.
    Open,
}

/// One deal from its start day: `days` to its close (or, open, days observed since the start,
/// >= 1), and `stayed` days in the state that defines the group (its stage), <= `days`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Obs {
    pub days: i64,
    pub stayed: i64,
    pub outcome: Outcome,
}

/// The estimator for one population on a daily grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Survival {
    /// `surv[t]` = P(open at the start of day t), t in 0..=len.
    surv: Vec<f64>,
    /// `won[t]` = P(won before day t).
    won: Vec<f64>,
    /// Observations at risk at the start of day t.
    at_risk: Vec<u32>,
    /// The oldest day with at least [`MIN_SUPPORT`] observations at risk.
    supported_until: usize,
}

/// Closes (won, lost) and departures of observations still open, by day: the counts a
/// [`Survival`] is estimated from.
#[derive(Debug, Clone)]
struct Counts {
    won: Vec<u32>,
    lost: Vec<u32>,
    leave: Vec<u32>,
    n: u32,
}

impl Counts {
    fn new(len: usize) -> Self {
        Counts {
            won: vec![0; len],
            lost: vec![0; len],
            leave: vec![0; len],
            n: 0,
        }
    }

    fn add(&mut self, o: &Obs) {
        let d = o.days.clamp(0, MAX_DAYS) as usize;
        self.n += 1;
        match o.outcome {
            Outcome::Won => self.won[d] += 1,
            Outcome::Lost => self.lost[d] += 1,
            // Censored observations leave the risk set at their age.
            Outcome::Open => self.leave[d.max(1)] += 1,
        }
    }

    fn add_counts(&mut self, other: &Counts) {
        for (a, b) in [
            (&mut self.won, &other.won),
            (&mut self.lost, &other.lost),
            (&mut self.leave, &other.leave),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.n += other.n;
    }
}

/// The days of the grid for `obs`: past the oldest observation.
fn grid_len(obs: &[Obs]) -> usize {
    obs.iter()
        .map(|o| o.days.clamp(0, MAX_DAYS) + 2)
        .max()
        .unwrap_or(1) as usize
}

impl Survival {
    /// From the observations that stayed at least `from` days (all of them for 0): the
    /// reference [`Self::learn_each`] is checked against.
    #[cfg(test)]
    pub fn learn(obs: &[Obs], from: i64) -> Self {
        let mut c = Counts::new(grid_len(obs));
        for o in obs.iter().filter(|o| o.stayed >= from) {
            c.add(o);
        }
        Self::from_counts(&c)
    }

    /// [`Self::learn`] for each of `froms` (ascending), in one pass over `obs`: the counts of
    /// the observations that stayed at least `froms[i]` are those of the ones whose longest
    /// reached class is `i` or a later one.
    pub fn learn_each(obs: &[Obs], froms: &[i64]) -> Vec<Self> {
        let len = grid_len(obs);
        let mut classes = vec![Counts::new(len); froms.len()];
        for o in obs {
            let reached = froms.partition_point(|&f| f <= o.stayed);
            if reached > 0 {
                classes[reached - 1].add(o);
            }
        }
        for i in (1..classes.len()).rev() {
            let (head, tail) = classes.split_at_mut(i);
            head[i - 1].add_counts(&tail[0]);
        }
        classes.iter().map(Self::from_counts).collect()
    }

    fn from_counts(c: &Counts) -> Self {
        let len = c.won.len();
        let (won, lost, leave) = (&c.won, &c.lost, &c.leave);
        let mut s = Survival {
            surv: vec![1.0; len + 1],
            won: vec![0.0; len + 1],
            at_risk: vec![0; len + 1],
            supported_until: 0,
        };
        s.at_risk[0] = c.n;
        for t in 0..len {
            let r = s.at_risk[t];
            let (hw, hl) = if r == 0 {
                (0.0, 0.0)
            } else {
                (won[t] as f64 / r as f64, lost[t] as f64 / r as f64)
            };
            s.won[t + 1] = s.won[t] + s.surv[t] * hw;
            s.surv[t + 1] = s.surv[t] * (1.0 - hw - hl).max(0.0);
            let next_leave = leave.get(t + 1).copied().unwrap_or(0);
            s.at_risk[t + 1] = r.saturating_sub(won[t] + lost[t] + next_leave);
        }
        s.supported_until = s
            .at_risk
            .iter()
            .rposition(|&r| r >= MIN_SUPPORT)
            .unwrap_or(0);
        s
    }

    /// Observations at risk at the start.
    pub fn support(&self) -> u32 {
        self.at_risk.first().copied().unwrap_or(0)
    }

    /// P(won at all | open at `age`) and P(won inside `[age+lo, age+hi)` days | open at `age`),
    /// with `age` capped where fewer than [`MIN_SUPPORT`] were still open.
    pub fn won_from(&self, age: i64, lo: i64, hi: i64) -> (f64, f64) {
        let a = (age.max(0) as usize).min(self.supported_until);
        let end = self.won.len() - 1;
        let s = self.surv[a];
        if s <= 0.0 {
            return (0.0, 0.0);
        }
        let at = |k: i64| self.won[(a as i64 + k.max(0)).min(end as i64) as usize];
        let ever = (self.won[end] - self.won[a]) / s;
        let inside = if hi > lo.max(0) {
            (at(hi) - at(lo)) / s
        } else {
            0.0
        };
        (ever.clamp(0.0, 1.0), inside.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(days: i64, outcome: Outcome) -> Obs {
        Obs {
            days,
            stayed: days,
            outcome,
        }
    }

    #[test]
    fn without_censoring_the_estimates_are_the_plain_shares() {
        // Ten deals: won on days 1..=5, lost on days 6..=10.
        let o: Vec<Obs> = (1..=10)
            .map(|d| obs(d, if d <= 5 { Outcome::Won } else { Outcome::Lost }))
            .collect();
        let s = Survival::learn(&o, 0);
        let (ever, inside) = s.won_from(0, 0, 3);
        assert!((ever - 0.5).abs() < 1e-12 && (inside - 0.2).abs() < 1e-12);
        // Open on day 3: 8 left, 3 of them won later (days 3, 4, 5), 2 inside days 3..5.
        let (ever, inside) = s.won_from(3, 0, 2);
        assert!((ever - 3.0 / 8.0).abs() < 1e-12, "{ever}");
        assert!((inside - 2.0 / 8.0).abs() < 1e-12, "{inside}");
    }

    #[test]
    fn deals_left_open_for_long_make_an_old_deal_unlikely_to_close() {
        // 20 deals won within 10 days, and 30 still open after 200 days.
        let mut o: Vec<Obs> = (0..20).map(|i| obs(1 + i % 10, Outcome::Won)).collect();
        o.extend((0..30).map(|i| obs(200 + i, Outcome::Open)));
        let s = Survival::learn(&o, 0);
        let (fresh, _) = s.won_from(0, 0, 30);
        assert!((fresh - 0.4).abs() < 1e-12, "{fresh}");
        let (old, inside) = s.won_from(150, 0, 30);
        assert_eq!((old, inside), (0.0, 0.0));
    }

    #[test]
    fn one_pass_over_the_age_classes_learns_what_each_class_learns_alone() {
        // Won, lost and open deals of every age, some of which left the stage early, and one
        // closed before it started (negative: in no class).
        let mut o = Vec::new();
        let mut x = 7u64;
        for i in 0..600 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let days = (x >> 33) as i64 % 400;
            let stayed = if i % 3 == 0 { days / 2 } else { days };
            let outcome = [Outcome::Won, Outcome::Lost, Outcome::Open][(x >> 20) as usize % 3];
            o.push(Obs {
                days: days.max(i64::from(outcome == Outcome::Open)),
                stayed,
                outcome,
            });
        }
        o.push(Obs {
            days: -3,
            stayed: -3,
            outcome: Outcome::Won,
        });
        let froms = [0, 7, 30, 90, 180, 365, 730];
        let each = Survival::learn_each(&o, &froms);
        assert_eq!(each.len(), froms.len());
        for (f, s) in froms.iter().zip(&each) {
            assert_eq!(*s, Survival::learn(&o, *f), "from {f}");
        }
        assert_eq!(each[0].support(), 600);
        assert!(each[3].support() < each[2].support() && each[6].support() == 0);
    }

    #[test]
    fn censored_deals_count_only_while_they_were_watched() {
        // 10 won on day 10; 10 seen open for 5 days only (started lately): half the early
        // risk set, none of the later one, so P(won by day 11) is 1, not 1/2.
        let mut o: Vec<Obs> = (0..10).map(|_| obs(10, Outcome::Won)).collect();
        o.extend((0..10).map(|_| obs(5, Outcome::Open)));
        let s = Survival::learn(&o, 0);
        let (ever, inside) = s.won_from(0, 0, 11);
        assert!((ever - 1.0).abs() < 1e-12 && (inside - 1.0).abs() < 1e-12);
    }
}
