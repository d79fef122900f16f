//! Cuts simulated deals at `as_of` into the rows a CRM shows: opportunities, stage events and
//! each deal's history of changes.

use super::opportunities::Pending;
use super::pipeline::{DealPath, Revision};
use super::reps::Staff;
use super::settings::{OpportunitySettings, SynthSettings};
use super::Span;
use crate::domain::{Attributes, DealChange, Id, Money, Opportunity, StageEvent, Timestamp};

/// The deal rows, their history, and per opportunity id its true per-stage pass probabilities.
pub(crate) struct DealRows {
    pub opportunities: Vec<Opportunity>,
    pub stage_events: Vec<StageEvent>,
    /// Every change of every deal known at the cutoff, by deal and oldest first.
    pub changes: Vec<DealChange>,
    pub pass: Vec<(String, Vec<f64>)>,
}

/// Numbers the deals in creation order (`O-00001`, ...) and observes each at the end of `as_of`.
pub(crate) fn observe_all(
    s: &SynthSettings,
    staff: &Staff,
    mut deals: Vec<Pending>,
    span: &Span,
) -> DealRows {
    // Stable sort: ties keep their generation order, so ids are deterministic.
    deals.sort_by_key(|d| d.draft.created);
    let mut out = DealRows {
        opportunities: Vec::new(),
        stage_events: Vec::new(),
        changes: Vec::new(),
        pass: Vec::new(),
    };
    for (i, d) in deals.iter().enumerate() {
        let id = Id::parse(format!("O-{:05}", i + 1)).expect("generated ids are valid");
        out.pass.push((id.to_string(), d.path.pass.clone()));
        let (opp, events, changes) = observe(s, staff, id, d, span);
        out.opportunities.push(opp);
        out.stage_events.extend(events);
        out.changes.extend(changes);
    }
    out
}

fn observe(
    s: &SynthSettings,
    staff: &Staff,
    id: Id,
    d: &Pending,
    span: &Span,
) -> (Opportunity, Vec<StageEvent>, Vec<DealChange>) {
    let o = &s.opportunities;
    let p = &d.path;
    let events = history(o, &id, p, span);
    let closed = p.closed < span.cutoff;
    let changes = changes(s, staff, &id, d, span);
    let last = changes
        .last()
        .expect("a deal's history starts at its creation, before the cutoff");
    let opp = Opportunity {
        id,
        account_id: Some(d.account.clone()),
        owner_id: last.owner_id.clone(),
        created_at: Some(Timestamp::new(d.draft.created)),
        stage: last.stage.clone(),
        amount: last.amount,
        expected_close_date: last.expected_close_date,
        closed_at: closed.then(|| Timestamp::new(p.closed)),
        won: closed.then_some(p.won),
        forecast_category: last.forecast_category.clone(),
        product: Some(o.products[d.draft.product].name.clone()),
        deal_type: Some(d.draft.deal_type),
        attributes: Attributes::new(),
    };
    (opp, events, changes)
}

/// The deal's history as the CRM recorded it by the cutoff: every revision (creation, stage
/// entries, slips, amount revisions), every handover to a new owner, and the close.
fn changes(s: &SynthSettings, staff: &Staff, id: &Id, d: &Pending, span: &Span) -> Vec<DealChange> {
    let o = &s.opportunities;
    let p = &d.path;
    let end = p.closed.min(span.cutoff);
    let rep = |i: usize| Some(staff.reps[i].id.clone());
    let money = |a: f64| Some(Money::parse(a).expect("amounts are finite and positive"));
    let open = |r: &Revision, owner: usize, at| DealChange {
        opportunity_id: id.clone(),
        changed_at: Timestamp::new(at),
        amount: money(r.amount),
        expected_close_date: Some(r.expected),
        stage: o.stages[r.stage].clone(),
        forecast_category: Some(category(r.stage, o.stages.len()).to_string()),
        owner_id: rep(owner),
    };
    let known: Vec<&Revision> = p.revisions.iter().filter(|r| r.at < end).collect();
    let handovers = staff.handovers(d.owner, d.draft.created, end);
    let mut out: Vec<DealChange> = known
        .iter()
        .map(|r| open(r, staff.owner_at(d.owner, r.at), r.at))
        .collect();
    for (at, owner) in handovers {
        if let Some(r) = known.iter().rev().find(|r| r.at <= at) {
            out.push(open(r, owner, at));
        }
    }
    out.sort_by_key(|c| c.changed_at);
    if p.closed < span.cutoff {
        let last = known.last().expect("a deal is created before it closes");
        out.push(DealChange {
            opportunity_id: id.clone(),
            changed_at: Timestamp::new(p.closed),
            amount: money(last.amount),
            expected_close_date: Some(p.closed.date_naive()),
            stage: if p.won { &o.won_stage } else { &o.lost_stage }.clone(),
            forecast_category: Some(if p.won { "closed" } else { "omitted" }.to_string()),
            owner_id: rep(staff.owner_at(d.owner, p.closed)),
        });
    }
    out
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
