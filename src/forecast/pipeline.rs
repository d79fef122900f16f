//! The pipeline as it stood on a past date, rebuilt from the stage history (for backtests).

use chrono::NaiveDate;

use super::stages::events_known_on;
use crate::domain::{Opportunity, StageEvent};

/// The stage given to a deal reopened for a date before its first recorded stage event.
pub const UNKNOWN_STAGE: &str = "(unknown)";

/// The first day the data knows: the earliest creation, close or stage-event day.
pub fn data_start(opps: &[Opportunity], events: &[StageEvent]) -> Option<NaiveDate> {
    let opp_days = opps
        .iter()
        .flat_map(|o| [o.created_at, o.closed_at])
        .flatten()
        .map(|t| t.date());
    let event_days = events.iter().map(|e| e.entered_at.date());
    opp_days.chain(event_days).min()
}

/// Whether a deal without a creation date, close date or stage event is one: it is then open
/// from the data's start on, whatever the as-of day (see [`pipeline_as_of`]).
pub(crate) fn is_undated(o: &Opportunity, evs: Option<&Vec<&StageEvent>>) -> bool {
    o.created_at.is_none() && o.closed_at.is_none() && evs.is_none_or(|v| v.is_empty())
}

/// Every deal as it was on `as_of` (end of that day).
///
/// - Deals created after `as_of` are left out; so are deals without `created_at` whose first
///   stage event is after `as_of`. A deal with no date at all (no creation, close or stage
///   event: e.g. an export's prospects) is open from the data's start ([`data_start`]) on, so it
///   is in every pipeline as of a day the data covers, not only in today's.
/// - Deals closed on or before `as_of` are returned unchanged.
/// - Deals closed later, or still open, are OPEN again: `won` and `closed_at` cleared, `stage` the
///   last stage entered on or before `as_of` (the current stage for an undated deal,
///   [`UNKNOWN_STAGE`] otherwise if none), `expected_close_date` the one recorded on that event,
///   and `forecast_category` cleared (the CRM keeps no history of it, so today's value would
///   leak). Amount, owner, product and attributes are kept as they are now: the data model keeps
///   no history of them.
pub fn pipeline_as_of(
    opps: &[Opportunity],
    events: &[StageEvent],
    as_of: NaiveDate,
) -> Vec<Opportunity> {
    let known = events_known_on(events, as_of);
    let all_events: std::collections::HashSet<&str> =
        events.iter().map(|e| e.opportunity_id.as_str()).collect();
    let start = data_start(opps, events);
    opps.iter()
        .filter_map(|o| {
            let evs = known.get(o.id.as_str());
            let created = o.created_at.map(|t| t.date());
            let undated = o.closed_at.is_none() && !all_events.contains(o.id.as_str());
            let exists = match created {
                Some(c) => c <= as_of,
                None if undated => start.is_some_and(|s| s <= as_of),
                None => evs.is_some_and(|v| !v.is_empty()),
            };
            if !exists {
                return None;
            }
            if created.is_none() && undated {
                return Some(o.clone());
            }
            if o.closed_at.is_some_and(|t| t.date() <= as_of) && o.won.is_some() {
                return Some(o.clone());
            }
            let last = evs.and_then(|v| v.last());
            let mut open = o.clone();
            open.won = None;
            open.closed_at = None;
            open.forecast_category = None;
            open.stage = last.map_or_else(|| UNKNOWN_STAGE.to_string(), |e| e.stage.clone());
            open.expected_close_date = last.and_then(|e| e.expected_close_date);
            Some(open)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::testworld::{day, event, opp, world};

    #[test]
    fn deals_closed_later_are_open_again_at_their_stage_then() {
        let mut o = opp(
            "a",
            "r",
            day(2026, 1, 1),
            Some((day(2026, 3, 1), true)),
            50.0,
        );
        o.forecast_category = Some("closed".into());
        let evs = vec![
            event("a", "qualify", day(2026, 1, 1), Some(day(2026, 2, 1))),
            event("a", "proposal", day(2026, 1, 20), Some(day(2026, 2, 10))),
            event("a", "won", day(2026, 3, 1), None),
        ];
        let got = pipeline_as_of(&[o.clone()], &evs, day(2026, 1, 25));
        assert_eq!(got.len(), 1);
        let g = &got[0];
        assert!(g.is_open());
        assert_eq!((g.closed_at, g.stage.as_str()), (None, "proposal"));
        assert_eq!(g.expected_close_date, Some(day(2026, 2, 10)));
        assert_eq!(g.forecast_category, None);
        assert_eq!(
            pipeline_as_of(&[o.clone()], &evs, day(2026, 3, 1)),
            vec![o.clone()]
        );
        assert!(pipeline_as_of(&[o], &evs, day(2025, 12, 31)).is_empty());
    }

    #[test]
    fn nothing_after_as_of_leaks_into_the_rebuilt_pipeline() {
        let w = world(5, day(2025, 1, 1), 300, 2.0);
        let as_of = day(2025, 6, 15);
        let past = pipeline_as_of(&w.opps, &w.events, as_of);
        // Rewriting every fact dated after as_of must not change the result.
        let mut opps = w.opps.clone();
        for o in opps
            .iter_mut()
            .filter(|o| o.closed_at.is_some_and(|t| t.date() > as_of))
        {
            o.won = Some(!o.won.unwrap());
            o.stage = "changed later".into();
            o.forecast_category = Some("commit".into());
            o.closed_at = Some(crate::domain::Timestamp::from_date(day(2026, 1, 1)));
        }
        let mut events = w.events.clone();
        for e in events.iter_mut().filter(|e| e.entered_at.date() > as_of) {
            e.stage = "changed later".into();
            e.expected_close_date = Some(day(2030, 1, 1));
        }
        events.push(event("d0", "late", day(2025, 6, 16), Some(day(2025, 7, 1))));
        assert_eq!(pipeline_as_of(&opps, &events, as_of), past);
        assert!(past.iter().all(|o| o.created_at.unwrap().date() <= as_of));
        assert!(past.iter().any(|o| o.is_open()) && past.iter().any(|o| !o.is_open()));
    }
}
