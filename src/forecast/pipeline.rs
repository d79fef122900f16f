//! The pipeline as it stood on a past date, rebuilt from the stage history (for backtests).

use chrono::NaiveDate;
use std::collections::HashMap;

use crate::domain::IdHashing;
use crate::domain::{DealChange, EventsByDeal, Opportunity, StageEvent};

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
///   and `forecast_category` cleared (today's value would leak).
/// - Then the deal history (`changes`, see [`DealChange`]) puts back what it knew on `as_of`:
///   the amount, owner and forecast category of the last change learned on or before that day,
///   and its stage and expected close date unless a later stage event says otherwise. A deal
///   whose history starts after `as_of` takes the amount and owner it was first stored with (the
///   earliest known), not today's. Product and attributes are kept as they are now.
pub fn pipeline_as_of(
    opps: &[Opportunity],
    events: &[StageEvent],
    changes: &[DealChange],
    as_of: NaiveDate,
) -> Vec<Opportunity> {
    DealIndex::new(opps, events, changes).pipeline_as_of(opps, as_of)
}

/// The stage and deal history grouped by deal once, to rebuild the pipeline as of many days
/// (a forecast's calibration replays up to eight): [`DealIndex::pipeline_as_of`] is
/// [`pipeline_as_of`] without grouping the histories again.
pub struct DealIndex<'a> {
    /// Each deal's changes, oldest first.
    history: HashMap<&'a str, Vec<&'a DealChange>, IdHashing>,
    /// Each deal's stage events, oldest first.
    events: EventsByDeal<'a>,
    /// The data's first day ([`data_start`]).
    start: Option<NaiveDate>,
}

impl<'a> DealIndex<'a> {
    pub fn new(opps: &[Opportunity], events: &'a [StageEvent], changes: &'a [DealChange]) -> Self {
        DealIndex {
            history: DealChange::by_deal(changes),
            events: StageEvent::by_deal(events, |_| true),
            start: data_start(opps, events),
        }
    }

    /// [`pipeline_as_of`] of `opps` (the deals the index was built with).
    pub fn pipeline_as_of(&self, opps: &[Opportunity], as_of: NaiveDate) -> Vec<Opportunity> {
        opps.iter()
            .filter_map(|o| {
                let all = self.events.get(o.id.as_str());
                // The events entered by the end of as_of: a prefix, the events being in time order.
                let evs = all
                    .map(|v| &v[..v.partition_point(|e| e.entered_at.date() <= as_of)])
                    .filter(|v| !v.is_empty());
                let created = o.created_at.map(|t| t.date());
                let undated = o.closed_at.is_none() && all.is_none();
                let exists = match created {
                    Some(c) => c <= as_of,
                    None if undated => self.start.is_some_and(|s| s <= as_of),
                    None => evs.is_some(),
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
                if let Some(h) = self.history.get(o.id.as_str()) {
                    as_known(&mut open, h, last, as_of);
                }
                Some(open)
            })
            .collect()
    }
}

/// The data as it stood at the end of `as_of`, for a forecast made that day: the deals as they
/// are when `as_of` is the data's last day (`data_end`; today's forecast categories kept),
/// otherwise rebuilt from the stage and deal history ([`pipeline_as_of`]); and the stage events
/// entered by then.
pub fn as_it_stood(
    opps: &[Opportunity],
    events: &[StageEvent],
    changes: &[DealChange],
    data_end: NaiveDate,
    as_of: NaiveDate,
) -> (Vec<Opportunity>, Vec<StageEvent>) {
    let known: Vec<StageEvent> = events
        .iter()
        .filter(|e| e.entered_at.date() <= as_of)
        .cloned()
        .collect();
    let deals = if as_of >= data_end {
        opps.to_vec()
    } else {
        pipeline_as_of(opps, events, changes, as_of)
    };
    (deals, known)
}

/// Puts back on a reopened deal what its history knew at the end of `as_of` (see
/// [`pipeline_as_of`]); `last_event` is its last stage event entered by then.
fn as_known(
    open: &mut Opportunity,
    history: &[&DealChange],
    last_event: Option<&&StageEvent>,
    as_of: NaiveDate,
) {
    let Some(first) = history.first() else {
        return;
    };
    match history.iter().rev().find(|c| c.changed_at.date() <= as_of) {
        Some(c) => {
            open.amount = c.amount;
            open.owner_id = c.owner_id.clone();
            open.forecast_category = c.forecast_category.clone();
            if last_event.is_none_or(|e| e.entered_at < c.changed_at) {
                open.stage = c.stage.clone();
                open.expected_close_date = c.expected_close_date;
            }
        }
        None => {
            open.amount = first.amount;
            open.owner_id = first.owner_id.clone();
        }
    }
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
        let got = pipeline_as_of(&[o.clone()], &evs, &[], day(2026, 1, 25));
        assert_eq!(got.len(), 1);
        let g = &got[0];
        assert!(g.is_open());
        assert_eq!((g.closed_at, g.stage.as_str()), (None, "proposal"));
        assert_eq!(g.expected_close_date, Some(day(2026, 2, 10)));
        assert_eq!(g.forecast_category, None);
        assert_eq!(
            pipeline_as_of(&[o.clone()], &evs, &[], day(2026, 3, 1)),
            vec![o.clone()]
        );
        assert!(pipeline_as_of(&[o], &evs, &[], day(2025, 12, 31)).is_empty());
    }

    #[test]
    fn nothing_after_as_of_leaks_into_the_rebuilt_pipeline() {
        let w = world(5, day(2025, 1, 1), 300, 2.0);
        let as_of = day(2025, 6, 15);
        let past = pipeline_as_of(&w.opps, &w.events, &[], as_of);
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
        assert_eq!(pipeline_as_of(&opps, &events, &[], as_of), past);
        assert!(past.iter().all(|o| o.created_at.unwrap().date() <= as_of));
        assert!(past.iter().any(|o| o.is_open()) && past.iter().any(|o| !o.is_open()));
    }

    fn change(id: &str, on: NaiveDate, amount: f64, stage: &str, category: &str) -> DealChange {
        DealChange {
            opportunity_id: crate::domain::Id::parse(id).unwrap(),
            changed_at: crate::domain::Timestamp::from_date(on),
            amount: Some(crate::domain::Money::parse(amount).unwrap()),
            expected_close_date: Some(on + chrono::Days::new(30)),
            stage: stage.into(),
            forecast_category: Some(category.into()),
            owner_id: Some(crate::domain::Id::parse("r").unwrap()),
        }
    }

    #[test]
    fn a_deal_is_rebuilt_with_the_values_its_history_knew_that_day() {
        // Open today at 900 in commit; it was 100 in pipeline until 2026-02-01, then 400 in
        // best case until 2026-03-01.
        let mut o = opp("a", "r", day(2026, 1, 1), None, 900.0);
        o.forecast_category = Some("commit".into());
        let history = vec![
            change("a", day(2026, 1, 1), 100.0, "qualify", "pipeline"),
            change("a", day(2026, 2, 1), 400.0, "proposal", "best_case"),
            change("a", day(2026, 3, 1), 900.0, "negotiation", "commit"),
        ];
        let on = |d: NaiveDate| pipeline_as_of(std::slice::from_ref(&o), &[], &history, d);
        let jan = &on(day(2026, 1, 20))[0];
        assert_eq!(jan.amount.map(crate::domain::Money::get), Some(100.0));
        assert_eq!(jan.stage, "qualify");
        assert_eq!(jan.forecast_category.as_deref(), Some("pipeline"));
        assert_eq!(jan.expected_close_date, Some(day(2026, 1, 31)));
        let feb = &on(day(2026, 2, 1))[0];
        assert_eq!(feb.amount.map(crate::domain::Money::get), Some(400.0));
        assert_eq!(feb.stage, "proposal");
        // A stage event entered after the last change before as_of wins for the stage.
        let evs = vec![event("a", "demo", day(2026, 2, 10), Some(day(2026, 4, 1)))];
        let mid = &pipeline_as_of(std::slice::from_ref(&o), &evs, &history, day(2026, 2, 20))[0];
        assert_eq!(
            (mid.stage.as_str(), mid.expected_close_date),
            ("demo", Some(day(2026, 4, 1)))
        );
        assert_eq!(mid.amount.map(crate::domain::Money::get), Some(400.0));
        // History that starts later: the first known amount, not today's.
        let late = vec![
            change("a", day(2026, 3, 1), 250.0, "qualify", "pipeline"),
            history[2].clone(),
        ];
        let before = &pipeline_as_of(std::slice::from_ref(&o), &[], &late, day(2026, 1, 15))[0];
        assert_eq!(before.amount.map(crate::domain::Money::get), Some(250.0));
        assert_eq!(before.forecast_category, None);
    }
}
