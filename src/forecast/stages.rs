//! Stage history helpers: when a deal closed, and historical win rates by stage.

use chrono::NaiveDate;
use std::collections::HashMap;

use crate::domain::{EventsByDeal, Opportunity, StageEvent};

/// Fewest closed deals that entered a stage before its own win rate is trusted over the overall rate.
const MIN_STAGE_SUPPORT: usize = 5;

/// The day a closed deal closed, when it closed on or before `as_of`.
pub(crate) fn closed_by(o: &Opportunity, as_of: NaiveDate) -> Option<NaiveDate> {
    o.closed_at
        .map(|t| t.date())
        .filter(|d| *d <= as_of && o.won.is_some())
}

/// Historical win rate by stage: of the deals closed on or before a date that entered a stage,
/// the share won. A baseline win model (and the CRM weight of deals without a forecast category).
#[derive(Debug, Clone, PartialEq)]
pub struct StageWinRates {
    /// Per stage: the win rate and the closed deals it rests on.
    by_stage: HashMap<String, (f64, usize)>,
    overall: f64,
    closed: usize,
    won: usize,
}

impl StageWinRates {
    /// Learns from deals closed on or before `as_of` only. Stages a deal entered come from its
    /// events; a deal without events counts under its current stage.
    pub fn learn(opps: &[Opportunity], events: &[StageEvent], as_of: NaiveDate) -> Self {
        let known = StageEvent::by_deal(events, |e| e.entered_at.date() <= as_of);
        Self::learn_known(opps, &known, as_of)
    }

    /// [`Self::learn`] from the events known on `as_of`, already grouped by
    /// [`StageEvent::by_deal`].
    pub(crate) fn learn_known(
        opps: &[Opportunity],
        known: &EventsByDeal,
        as_of: NaiveDate,
    ) -> Self {
        let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
        let (mut won, mut closed) = (0usize, 0usize);
        let mut stages: Vec<&str> = Vec::new();
        for o in opps.iter().filter(|o| closed_by(o, as_of).is_some()) {
            let w = usize::from(o.won == Some(true));
            won += w;
            closed += 1;
            stages.clear();
            match known.get(o.id.as_str()) {
                Some(evs) => stages.extend(evs.iter().map(|e| e.stage.as_str())),
                None => stages.push(o.stage.as_str()),
            }
            stages.sort_unstable();
            stages.dedup();
            for s in &stages {
                let c = counts.entry(s).or_default();
                c.0 += w;
                c.1 += 1;
            }
        }
        let overall = if closed == 0 {
            0.0
        } else {
            won as f64 / closed as f64
        };
        let by_stage = counts
            .into_iter()
            .filter(|(_, (_, n))| *n >= MIN_STAGE_SUPPORT)
            .map(|(s, (w, n))| (s.to_string(), (w as f64 / n as f64, n)))
            .collect();
        StageWinRates {
            by_stage,
            overall,
            closed,
            won,
        }
    }

    /// Win rate of deals that entered `stage`, 0..=1; the overall win rate for a stage seen fewer than 5 times.
    pub fn rate(&self, stage: &str) -> f64 {
        self.by_stage.get(stage).map_or(self.overall, |r| r.0)
    }

    /// The closed deals the rate of `stage` rests on (all of them for a stage seen fewer than 5
    /// times, whose rate is the overall one).
    pub(crate) fn support(&self, stage: &str) -> usize {
        self.by_stage.get(stage).map_or(self.closed, |r| r.1)
    }

    /// Closed deals learned from.
    pub fn closed_deals(&self) -> usize {
        self.closed
    }

    /// Won deals among them.
    pub fn won_deals(&self) -> usize {
        self.won
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::testworld::{day, event, opp};

    #[test]
    fn win_rates_use_only_deals_closed_by_the_date() {
        let mut opps = Vec::new();
        let mut evs = Vec::new();
        for i in 0..10 {
            // Ten deals through "demo": the first six won in January, the last four lost in March.
            let won = i < 6;
            let closed = if won {
                day(2026, 1, 20)
            } else {
                day(2026, 3, 20)
            };
            opps.push(opp(
                &format!("d{i}"),
                "o1",
                day(2026, 1, 1),
                Some((closed, won)),
                100.0,
            ));
            evs.push(event(&format!("d{i}"), "demo", day(2026, 1, 2), None));
        }
        let feb = StageWinRates::learn(&opps, &evs, day(2026, 2, 1));
        assert_eq!(feb.closed_deals(), 6);
        assert_eq!(feb.rate("demo"), 1.0);
        let apr = StageWinRates::learn(&opps, &evs, day(2026, 4, 1));
        assert!((apr.rate("demo") - 0.6).abs() < 1e-12);
        assert!((apr.rate("never seen") - 0.6).abs() < 1e-12);
    }
}
