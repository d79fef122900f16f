//! Deals not yet created on as_of that will be created and won inside the period.
//!
//! Learned from the same window of past periods of the same kind: for each of the last (up to 8)
//! periods fully over by as_of, shifted back by whole periods, the won deals created after the
//! shifted as_of and closed inside that period. Their count per period gives a rate (negative
//! binomial when past counts vary more than a Poisson would, Poisson otherwise); the deals
//! themselves, resampled, give the amounts and the groups.

use chrono::{Days, NaiveDate};
use rand_distr::{Distribution, Gamma, Poisson};

use super::flow::{flow_factors, FlowFactors};
use super::rng::FastRng;
use super::stages::closed_by;
use super::types::NotYetCreated;
use crate::domain::{Money, Opportunity, Period};

/// Past periods looked at, at most.
const LOOKBACK: usize = 8;

/// The learned part, ready to simulate.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewDeals {
    pub summary: NotYetCreated,
    mean: f64,
    var: f64,
    /// Past such deals: amount in cents and group index.
    pool: Vec<(u64, u32)>,
}

impl NewDeals {
    /// Learns the part for `period` forecast on `as_of`; `group_of` maps a deal to its group index.
    pub fn learn(
        opps: &[Opportunity],
        period: Period,
        as_of: NaiveDate,
        group_of: &mut dyn FnMut(&Opportunity) -> u32,
    ) -> Self {
        let first = opps
            .iter()
            .filter_map(|o| o.created_at)
            .map(|t| t.date())
            .min();
        let (Some(first), true) = (first, as_of < period.end().pred_opt().unwrap_or(as_of)) else {
            return NewDeals::default();
        };
        let offset = (as_of - period.start()).num_days();
        // The past periods looked at, newest first, each with as_of shifted into it.
        let mut seen = Vec::new();
        let mut shifted = Vec::new();
        let mut past = period.previous();
        while seen.len() < LOOKBACK && past.end() > first {
            let s = shift(past.start(), offset);
            if past.end() <= as_of.succ_opt().unwrap_or(as_of) && s >= first {
                seen.push(past);
                shifted.push(s);
            }
            past = past.previous();
        }
        // One pass over the deals: each won deal closes in at most one of those periods.
        let mut wins: Vec<Vec<&Opportunity>> = vec![Vec::new(); seen.len()];
        for o in opps.iter().filter(|o| o.won == Some(true)) {
            let Some(closed) = closed_by(o, as_of) else {
                continue;
            };
            let Some(i) = seen.iter().position(|p| p.contains(closed)) else {
                continue;
            };
            if o.created_at.is_some_and(|c| c.date() > shifted[i]) {
                wins[i].push(o);
            }
        }
        let counts: Vec<f64> = wins.iter().map(|w| w.len() as f64).collect();
        let pool = wins
            .into_iter()
            .flatten()
            .map(|o| (cents(o.amount), group_of(o)))
            .collect();
        let mut nd = NewDeals::from_counts(&counts, pool);
        if nd.mean > 0.0 {
            if let Some(f) = flow_factors(opps, period, as_of, &seen) {
                nd.scale(&f);
            }
        }
        nd
    }

    /// Moves the rate and the amounts by the flow of new deals forecast for the period.
    fn scale(&mut self, f: &FlowFactors) {
        self.mean *= f.count;
        self.var *= f.count * f.count;
        for p in &mut self.pool {
            p.0 = (p.0 as f64 * f.amount).round() as u64;
        }
        let s = &mut self.summary;
        s.deals_per_period *= f.count;
        s.mean_amount *= f.amount;
        s.expected = s.deals_per_period * s.mean_amount;
        s.flow_count_factor = f.count;
        s.flow_amount_factor = f.amount;
        s.flow_method = Some(f.method.clone());
    }

    fn from_counts(counts: &[f64], pool: Vec<(u64, u32)>) -> Self {
        if counts.is_empty() {
            return NewDeals::default();
        }
        let k = counts.len() as f64;
        let mean = counts.iter().sum::<f64>() / k;
        let var = if counts.len() > 1 {
            counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (k - 1.0)
        } else {
            mean
        };
        let mean_amount = if pool.is_empty() {
            0.0
        } else {
            pool.iter().map(|p| p.0 as f64).sum::<f64>() / pool.len() as f64 / 100.0
        };
        let summary = NotYetCreated {
            expected: mean * mean_amount,
            deals_per_period: mean,
            mean_amount,
            periods_seen: counts.len(),
            flow_count_factor: 1.0,
            flow_amount_factor: 1.0,
            flow_method: None,
        };
        NewDeals {
            summary,
            mean,
            var,
            pool,
        }
    }

    /// Expected amount in cents per group (the analytic counterpart of the simulation).
    pub fn expected_by_group(&self, groups: usize) -> Vec<f64> {
        let mut out = vec![0.0; groups];
        let per_deal = if self.pool.is_empty() {
            0.0
        } else {
            self.mean / self.pool.len() as f64
        };
        for &(c, g) in &self.pool {
            out[g as usize] += c as f64 / 100.0 * per_deal;
        }
        out
    }

    /// A sampler of the count of new deals in one simulated period.
    pub fn sampler(&self) -> CountSampler {
        if self.mean <= 0.0 || self.pool.is_empty() {
            CountSampler::Zero
        } else if self.var > self.mean * 1.05 {
            let excess = self.var - self.mean;
            let gamma = Gamma::new(self.mean * self.mean / excess, excess / self.mean);
            gamma.map_or(CountSampler::Zero, CountSampler::NegBinomial)
        } else {
            Poisson::new(self.mean)
                .map_or(CountSampler::Zero, |p| CountSampler::Poisson(p, self.mean))
        }
    }

    /// Log-scale spread of the uncertainty of the learned rate (the standard error of the mean
    /// count over the periods seen, relative to the mean), 0..=1.
    pub fn rate_spread(&self) -> f64 {
        let k = self.summary.periods_seen as f64;
        if self.mean <= 0.0 || k < 1.0 {
            return 0.0;
        }
        ((self.var.max(self.mean) / k).sqrt() / self.mean).min(1.0)
    }

    /// Adds one simulated period's new deals to `groups` (cents), with the rate multiplied by
    /// `rate` (the simulation's draw of it).
    #[inline]
    pub fn add_draw(&self, s: &CountSampler, rate: f64, rng: &mut FastRng, groups: &mut [u64]) {
        for _ in 0..s.sample(rate, rng) {
            let (c, g) = self.pool[rng.below(self.pool.len())];
            groups[g as usize] += c;
        }
    }
}

/// How the count of new deals is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CountSampler {
    Zero,
    /// The distribution and its mean.
    Poisson(Poisson<f64>, f64),
    /// A Poisson whose rate is Gamma-distributed: counts more spread than a Poisson.
    NegBinomial(Gamma<f64>),
}

impl CountSampler {
    fn sample(&self, factor: f64, rng: &mut FastRng) -> u64 {
        let rate = match self {
            CountSampler::Zero => return 0,
            CountSampler::Poisson(p, _) if factor == 1.0 => return p.sample(rng) as u64,
            CountSampler::Poisson(_, mean) => mean * factor,
            CountSampler::NegBinomial(g) => g.sample(rng) * factor,
        };
        Poisson::new(rate).map_or(0, |p| p.sample(rng) as u64)
    }
}

fn shift(d: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        d + Days::new(days as u64)
    } else {
        d - Days::new(days.unsigned_abs())
    }
}

/// An amount in whole cents (missing amounts count 0).
pub(crate) fn cents(m: Option<Money>) -> u64 {
    (m.map_or(0.0, Money::get) * 100.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::testworld::{day, opp};

    #[test]
    fn counts_only_deals_created_after_the_shifted_date_and_won_in_the_past_period() {
        let mut opps = Vec::new();
        // Each past quarter of 2025: 3 deals created on day 40+ and won in the quarter; 1 created earlier.
        for (q, start) in [day(2025, 1, 1), day(2025, 4, 1), day(2025, 7, 1)]
            .iter()
            .enumerate()
        {
            for i in 0..3 {
                let c = *start + Days::new(45 + i);
                opps.push(opp(
                    &format!("n{q}{i}"),
                    "r",
                    c,
                    Some((c + Days::new(10), true)),
                    1000.0,
                ));
            }
            let c = *start + Days::new(5);
            opps.push(opp(
                &format!("old{q}"),
                "r",
                c,
                Some((c + Days::new(50), true)),
                9.0,
            ));
        }
        // Forecast 2025-Q4 on its day 40 (Nov 9).
        let nd = NewDeals::learn(
            &opps,
            Period::parse("2025-Q4").unwrap(),
            day(2025, 11, 9),
            &mut |_| 0,
        );
        assert_eq!(nd.summary.periods_seen, 3);
        assert!((nd.summary.deals_per_period - 3.0).abs() < 1e-12);
        assert!((nd.summary.expected - 3000.0).abs() < 1e-9);
        assert!((nd.expected_by_group(1)[0] - 3000.0).abs() < 1e-9);
    }

    #[test]
    fn the_last_day_of_the_period_leaves_nothing_to_create() {
        let o = opp(
            "a",
            "r",
            day(2025, 2, 1),
            Some((day(2025, 2, 2), true)),
            10.0,
        );
        let nd = NewDeals::learn(
            &[o],
            Period::parse("2025-Q2").unwrap(),
            day(2025, 6, 30),
            &mut |_| 0,
        );
        assert_eq!(nd.summary.periods_seen, 0);
        assert!(matches!(nd.sampler(), CountSampler::Zero));
    }
}
