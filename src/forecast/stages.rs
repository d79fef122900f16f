//! Stage history helpers: when a deal closed, and historical win rates by stage.

use chrono::NaiveDate;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use super::rng::mix64;
use crate::domain::{Opportunity, StageEvent};

/// Each deal's stage events, oldest first, by deal id (see [`events_by_deal`]).
pub(crate) type EventsByDeal<'a> = HashMap<&'a str, Vec<&'a StageEvent>, IdHashing>;

/// Each deal's events among `events` that pass `keep`, oldest first (events entered at the same
/// moment keep their order): [`StageEvent::by_deal`] with a cheaper hash of the ids, for the
/// forecast's learning, which looks every deal up several times.
pub(crate) fn events_by_deal<'a>(
    events: &'a [StageEvent],
    keep: impl Fn(&StageEvent) -> bool,
) -> EventsByDeal<'a> {
    let mut by = EventsByDeal::with_capacity_and_hasher(events.len() / 2, IdHashing::new());
    for e in events.iter().filter(|e| keep(e)) {
        by.entry(e.opportunity_id.as_str()).or_default().push(e);
    }
    for v in by.values_mut() {
        v.sort_by_key(|e| e.entered_at);
    }
    by
}

/// Hashes ids eight bytes at a time through [`mix64`], from a key drawn once per map (so that
/// ids chosen to collide in one process do not collide in another).
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdHashing(u64);

impl IdHashing {
    fn new() -> Self {
        IdHashing(std::collections::hash_map::RandomState::new().hash_one(0u64))
    }
}

impl BuildHasher for IdHashing {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = mix64(self.0 ^ u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        // The length in the top byte keeps "a" and "a\0" apart.
        self.0 = mix64(self.0 ^ u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = mix64(self.0 ^ u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

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
        let known = events_by_deal(events, |e| e.entered_at.date() <= as_of);
        Self::learn_known(opps, &known, as_of)
    }

    /// [`Self::learn`] from the events known on `as_of`, already grouped by
    /// [`events_by_deal`].
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
    use crate::forecast::testworld::{day, event, opp, world};

    #[test]
    fn events_by_deal_groups_as_the_domain_does() {
        let w = world(3, day(2025, 1, 1), 400, 2.0);
        let cut = day(2025, 9, 1);
        let ours = events_by_deal(&w.events, |e| e.entered_at.date() <= cut);
        let theirs = StageEvent::by_deal(&w.events, |e| e.entered_at.date() <= cut);
        assert_eq!(ours.len(), theirs.len());
        assert!(ours.len() > 100);
        for (id, evs) in &theirs {
            assert_eq!(ours.get(id), Some(evs), "{id}");
        }
        // Ids that differ only by trailing zero bytes or length are different keys.
        let mut h = EventsByDeal::with_hasher(IdHashing::new());
        for k in ["a", "a\0", "a\0\0\0\0\0\0\0", "abcdefgh", "abcdefgh\0", ""] {
            h.insert(k, Vec::new());
        }
        assert_eq!(h.len(), 6);
    }

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
