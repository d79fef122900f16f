//! Whether a win model may be used for a forecast as of a day: only if every outcome it learned
//! from was known on that day.
//!
//! A win model trains on snapshots of closed deals, each row timed at the deal's creation (see
//! `ml::win_training_set`). Its slices say the latest row time, not when the rows' outcomes became
//! known: a deal created before that time may have closed long after it. So the day a model's
//! knowledge ends is the latest close among the closed deals it could have learned from.

use chrono::NaiveDate;
use std::collections::HashMap;

use crate::domain::{Opportunity, StageEvent};

/// The latest close day of the closed deals (won or lost) that a win model whose latest training
/// row is timed `rows_until` could have learned from: deals created (or, without a creation
/// date, first staged) on or before `rows_until` that have a stage event, as win snapshots need
/// one. None when there is no such deal.
pub fn outcomes_learned_until(
    opps: &[Opportunity],
    events: &[StageEvent],
    rows_until: NaiveDate,
) -> Option<NaiveDate> {
    let mut first_event: HashMap<&str, NaiveDate> = HashMap::new();
    for e in events {
        let d = e.entered_at.date();
        first_event
            .entry(e.opportunity_id.as_str())
            .and_modify(|f| *f = (*f).min(d))
            .or_insert(d);
    }
    opps.iter()
        .filter(|o| o.won.is_some())
        .filter_map(|o| {
            let first = first_event.get(o.id.as_str())?;
            let created = o.created_at.map_or(*first, |t| t.date());
            (created <= rows_until).then_some(o.closed_at?.date())
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::testworld::{day, event, opp};

    #[test]
    fn the_knowledge_ends_at_the_latest_close_of_a_learned_deal_not_at_its_creation() {
        let opps = vec![
            opp(
                "a",
                "r",
                day(2026, 7, 1),
                Some((day(2026, 7, 20), true)),
                1.0,
            ),
            // Created before the last training row, closed two months after it.
            opp(
                "b",
                "r",
                day(2026, 7, 25),
                Some((day(2026, 10, 2), false)),
                1.0,
            ),
            // Created after the last row: not learned from.
            opp(
                "c",
                "r",
                day(2026, 8, 5),
                Some((day(2026, 11, 1), true)),
                1.0,
            ),
            // No stage event: no snapshot row.
            opp(
                "d",
                "r",
                day(2026, 7, 2),
                Some((day(2026, 12, 1), true)),
                1.0,
            ),
            opp("open", "r", day(2026, 7, 3), None, 1.0),
        ];
        let evs: Vec<StageEvent> = ["a", "b", "c", "open"]
            .iter()
            .map(|id| event(id, "qualify", day(2026, 7, 1), None))
            .collect();
        assert_eq!(
            outcomes_learned_until(&opps, &evs, day(2026, 8, 1)),
            Some(day(2026, 10, 2))
        );
        assert_eq!(outcomes_learned_until(&opps, &evs, day(2026, 6, 1)), None);
    }
}
