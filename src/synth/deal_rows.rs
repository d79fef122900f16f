//! Cuts simulated deals at `as_of` into the rows a CRM shows: opportunities and stage events.

use chrono::NaiveDate;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::opportunities::Pending;
use super::pipeline::DealPath;
use super::reps::Staff;
use super::settings::{OpportunitySettings, SynthSettings};
use super::util::add_months;
use super::Span;
use crate::domain::month_end;
use crate::domain::{Attributes, Id, Money, Opportunity, StageEvent, Timestamp};

/// The deal rows, and per opportunity id its true per-stage pass probabilities.
pub(crate) struct DealRows {
    pub opportunities: Vec<Opportunity>,
    pub stage_events: Vec<StageEvent>,
    pub pass: Vec<(String, Vec<f64>)>,
}

/// Numbers the deals in creation order (`O-00001`, ...) and observes each at the end of `as_of`.
pub(crate) fn observe_all(
    s: &SynthSettings,
    staff: &Staff,
    mut deals: Vec<Pending>,
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> DealRows {
    // Stable sort: ties keep their generation order, so ids are deterministic.
    deals.sort_by_key(|d| d.draft.created);
    let mut out = DealRows {
        opportunities: Vec::new(),
        stage_events: Vec::new(),
        pass: Vec::new(),
    };
    for (i, d) in deals.iter().enumerate() {
        let id = Id::parse(format!("O-{:05}", i + 1)).expect("generated ids are valid");
        out.pass.push((id.to_string(), d.path.pass.clone()));
        let (opp, events) = observe(s, staff, id, d, span, rng);
        out.opportunities.push(opp);
        out.stage_events.extend(events);
    }
    out
}

fn observe(
    s: &SynthSettings,
    staff: &Staff,
    id: Id,
    d: &Pending,
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> (Opportunity, Vec<StageEvent>) {
    let o = &s.opportunities;
    let p = &d.path;
    let events = history(o, &id, p, span);
    let last = events
        .last()
        .expect("a deal enters its first stage at creation");
    let closed = p.closed < span.cutoff;
    let (expected, category) = if closed {
        (
            last.expected_close_date,
            if p.won { "closed" } else { "omitted" },
        )
    } else {
        let fix = o.stale_close_date_fix;
        let expected = last
            .expected_close_date
            .map(|e| refresh_stale(e, fix, span.as_of, rng));
        (expected, category(events.len() - 1, o.stages.len()))
    };
    let opp = Opportunity {
        id,
        account_id: Some(d.account.clone()),
        owner_id: Some(staff.reps[d.owner].id.clone()),
        created_at: Some(Timestamp::new(d.draft.created)),
        stage: last.stage.clone(),
        amount: Some(Money::parse(d.draft.amount).expect("amounts are finite and positive")),
        expected_close_date: expected,
        closed_at: closed.then(|| Timestamp::new(p.closed)),
        won: closed.then_some(p.won),
        forecast_category: Some(category.to_string()),
        product: Some(o.products[d.draft.product].name.clone()),
        deal_type: Some(d.draft.deal_type),
        attributes: Attributes::new(),
    };
    (opp, events)
}

/// The stage events known at the cutoff; a closed deal's last one enters Closed Won or Closed
/// Lost, carrying the close date as its expected close date.
fn history(o: &OpportunitySettings, id: &Id, p: &DealPath, span: &Span) -> Vec<StageEvent> {
    let event = |stage: &String, t, expected| StageEvent {
        opportunity_id: id.clone(),
        stage: stage.clone(),
        entered_at: Timestamp::new(t),
        expected_close_date: Some(expected),
    };
    let mut events: Vec<StageEvent> = p
        .entries
        .iter()
        .filter(|(t, _)| *t < span.cutoff)
        .zip(&o.stages)
        .map(|((t, expected), stage)| event(stage, *t, *expected))
        .collect();
    if p.closed < span.cutoff {
        let stage = if p.won { &o.won_stage } else { &o.lost_stage };
        events.push(event(stage, p.closed, p.closed.date_naive()));
    }
    events
}

/// The CRM forecast category of an open deal in open stage `k` of `n`.
fn category(k: usize, n: usize) -> &'static str {
    if k + 1 == n {
        "commit"
    } else if k + 2 == n {
        "best_case"
    } else {
        "pipeline"
    }
}

/// A past-due expected close date that the rep has (or has not) pushed out to next month's end.
fn refresh_stale(
    expected: NaiveDate,
    fix: f64,
    as_of: NaiveDate,
    rng: &mut ChaCha8Rng,
) -> NaiveDate {
    if expected < as_of && rng.gen_bool(fix) {
        month_end(add_months(as_of, 1))
    } else {
        expected
    }
}
