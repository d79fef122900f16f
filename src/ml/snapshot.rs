//! The win training set: one row per stage a closed deal entered, with features as of that moment.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{DealChange, Opportunity, StageEvent};

use super::error::{spec_err, Result};
use super::fields::derive_cell;
use super::history::OwnerHistory;
use super::leakage::check_attribute_fill;
use super::row::{Cell, FeatureRow, TrainingSet};
use super::spec::{FeatureSpec, ModelKind, ModelSpec};

/// A deal as it stood at one moment.
struct Snapshot<'a> {
    opp: &'a Opportunity,
    at: DateTime<Utc>,
    stage: &'a str,
    /// The amount and owner as they stood at `at`.
    amount: Option<f64>,
    owner: Option<&'a str>,
    created: Option<DateTime<Utc>>,
    /// Days between entering the previous stage and entering this one.
    days_in_previous_stage: Option<f64>,
    /// How many times the expected close date moved later, up to `at`.
    slips: u32,
    expected_close: Option<NaiveDate>,
}

/// One row per (closed deal, stage entered before it closed), labelled with the final outcome.
///
/// Only deals closed by `as_of` and events up to `as_of` are read, so a past `as_of` rebuilds the
/// set as it could have been built then. Deals created less than `spec.min_deal_age_days` before
/// `as_of` are left out (see [`ModelSpec::min_deal_age_days`]). The owner's win rate counts every
/// deal closed strictly before each snapshot. The split time of every row is the deal's creation
/// (its first stage event when `created_at` is missing), so all snapshots of a deal fall in one
/// slice: the model is never validated on a deal whose earlier stages it trained on. Deals without
/// stage events contribute no row.
///
/// A row's amount and owner are the deal's as they stood when it entered that stage, from its
/// history (`changes`, see [`DealChange`]): a deal's amount is often revised as it advances, so
/// today's amount on every earlier row would teach the model what only the later stages knew. A
/// deal whose history starts later (stored before history was kept) takes its earliest known
/// values; a deal without history, today's.
pub fn win_training_set(
    spec: &ModelSpec,
    opps: &[Opportunity],
    events: &[StageEvent],
    changes: &[DealChange],
    as_of: DateTime<Utc>,
) -> Result<TrainingSet> {
    if spec.kind != ModelKind::Win {
        return Err(spec_err(
            "kind",
            format!(
                "a win training set needs a win spec, not {}",
                spec.kind.as_str()
            ),
        ));
    }
    let closed =
        |o: &&Opportunity| o.won.is_some() && o.closed_at.is_some_and(|c| c.get() <= as_of);
    let decided: Vec<&Opportunity> = opps.iter().filter(closed).collect();
    let by_opp = StageEvent::by_deal(events, |e| e.entered_at.get() <= as_of);
    let past = DealChange::by_deal(changes);
    let open: Vec<_> = opps
        .iter()
        .filter(|o| !closed(o))
        .map(|o| &o.attributes)
        .collect();
    let decided_attrs: Vec<_> = decided.iter().map(|o| &o.attributes).collect();
    check_attribute_fill(spec, &decided_attrs, &open)?;

    let history = OwnerHistory::from_opportunities(decided.iter().copied());
    let mut set = TrainingSet {
        kind: ModelKind::Win,
        feature_names: spec.feature_names(),
        rows: Vec::new(),
        labels: Vec::new(),
        times: Vec::new(),
        ids: Vec::new(),
    };
    let mature_by = as_of - chrono::Duration::days(i64::from(spec.min_deal_age_days));
    for (opp, created_at) in with_creation(&decided, &by_opp) {
        if created_at > mature_by {
            continue;
        }
        let evs = by_opp.get(opp.id.as_str()).map_or(&[][..], Vec::as_slice);
        let past = past.get(opp.id.as_str()).map_or(&[][..], Vec::as_slice);
        push_deal(&mut set, spec, (opp, evs, past), created_at, &history);
    }
    Ok(set)
}

/// Each deal with its creation time (its first stage event when `created_at` is missing);
/// deals with neither are left out.
fn with_creation<'a>(
    deals: &[&'a Opportunity],
    by_opp: &crate::domain::EventsByDeal,
) -> Vec<(&'a Opportunity, DateTime<Utc>)> {
    deals
        .iter()
        .filter_map(|&o| {
            let first = || {
                by_opp
                    .get(o.id.as_str())?
                    .first()
                    .map(|e| e.entered_at.get())
            };
            Some((o, o.created_at.map(|c| c.get()).or_else(first)?))
        })
        .collect()
}

/// Adds one row per stage the closed deal entered before it closed, timed at its creation.
fn push_deal(
    set: &mut TrainingSet,
    spec: &ModelSpec,
    (opp, evs, past): (&Opportunity, &[&StageEvent], &[&DealChange]),
    created_at: DateTime<Utc>,
    history: &OwnerHistory,
) {
    let closed_at = opp.closed_at.map(|c| c.get());
    for i in 0..evs.len() {
        if closed_at.is_some_and(|c| evs[i].entered_at.get() >= c) {
            break;
        }
        let snap = snapshot_at_event(opp, evs, past, i);
        set.rows.push(row_of(spec, &snap, history));
        set.labels.push(opp.won == Some(true));
        set.times.push(Some(created_at));
        set.ids.push(opp.id.to_string());
    }
}

/// The features of an open deal as of `as_of`: its current stage, amount and expected close
/// date, its stage history up to `as_of`, and the owner's record before `as_of`.
pub fn opportunity_row(
    spec: &ModelSpec,
    opp: &Opportunity,
    events: &[StageEvent],
    history: &OwnerHistory,
    as_of: DateTime<Utc>,
) -> FeatureRow {
    let mut evs: Vec<&StageEvent> = events
        .iter()
        .filter(|e| e.opportunity_id == opp.id && e.entered_at.get() <= as_of)
        .collect();
    evs.sort_by_key(|e| e.entered_at);
    let mut dates: Vec<NaiveDate> = evs.iter().filter_map(|e| e.expected_close_date).collect();
    dates.extend(opp.expected_close_date);
    let n = evs.len();
    let days_in_previous_stage =
        (n >= 2).then(|| days(evs[n - 1].entered_at.get() - evs[n - 2].entered_at.get()));
    let snap = Snapshot {
        opp,
        at: as_of,
        stage: &opp.stage,
        amount: opp.amount.map(|m| m.get()),
        owner: opp.owner_id.as_ref().map(|i| i.as_str()),
        created: opp
            .created_at
            .map(|c| c.get())
            .or(evs.first().map(|e| e.entered_at.get())),
        days_in_previous_stage,
        slips: count_slips(&dates),
        expected_close: opp.expected_close_date.or(dates.last().copied()),
    };
    row_of(spec, &snap, history)
}

fn snapshot_at_event<'a>(
    opp: &'a Opportunity,
    evs: &[&'a StageEvent],
    past: &[&'a DealChange],
    i: usize,
) -> Snapshot<'a> {
    let dates: Vec<NaiveDate> = evs[..=i]
        .iter()
        .filter_map(|e| e.expected_close_date)
        .collect();
    let at = evs[i].entered_at.get();
    let known = past
        .iter()
        .rev()
        .find(|c| c.changed_at.get() <= at)
        .or(past.first());
    let (amount, owner) = match known {
        Some(c) => (
            c.amount.map(|m| m.get()),
            c.owner_id.as_ref().map(|i| i.as_str()),
        ),
        None => (
            opp.amount.map(|m| m.get()),
            opp.owner_id.as_ref().map(|i| i.as_str()),
        ),
    };
    Snapshot {
        opp,
        at,
        stage: &evs[i].stage,
        amount,
        owner,
        created: opp
            .created_at
            .map(|c| c.get())
            .or(Some(evs[0].entered_at.get())),
        days_in_previous_stage: (i > 0)
            .then(|| days(evs[i].entered_at.get() - evs[i - 1].entered_at.get())),
        slips: count_slips(&dates),
        expected_close: dates.last().copied(),
    }
}

fn count_slips(dates: &[NaiveDate]) -> u32 {
    dates.windows(2).filter(|w| w[1] > w[0]).count() as u32
}

fn days(d: chrono::TimeDelta) -> f64 {
    d.num_seconds() as f64 / 86_400.0
}

fn row_of(spec: &ModelSpec, s: &Snapshot, history: &OwnerHistory) -> FeatureRow {
    FeatureRow {
        cells: spec
            .features
            .iter()
            .map(|f| win_cell(spec, f, s, history))
            .collect(),
    }
}

fn win_cell(spec: &ModelSpec, f: &FeatureSpec, s: &Snapshot, history: &OwnerHistory) -> Cell {
    let miss = &spec.missing_values;
    let o = s.opp;
    if let Some(key) = f.from.strip_prefix("attributes.") {
        return Cell::from_json(o.attributes.get(key), miss);
    }
    let owner = s.owner;
    match (f.from.as_str(), f.derive) {
        ("stage", _) => Cell::text(s.stage, miss),
        ("amount", _) => Cell::opt_num(s.amount),
        ("product", _) => Cell::opt_text(o.product.as_deref(), miss),
        ("deal_type", _) => Cell::opt_text(o.deal_type.map(|t| t.as_str()), miss),
        ("owner_id", _) => Cell::opt_text(owner, miss),
        ("account_id", _) => Cell::opt_text(o.account_id.as_ref().map(|i| i.as_str()), miss),
        ("age_days", _) => Cell::opt_num(s.created.map(|c| days(s.at - c))),
        ("days_in_previous_stage", _) => Cell::opt_num(s.days_in_previous_stage),
        ("owner_win_rate", _) => Cell::Num(history.win_rate(owner, s.at)),
        ("slips", _) => Cell::Num(f64::from(s.slips)),
        ("days_to_expected_close", _) => Cell::opt_num(
            s.expected_close
                .map(|d| (d - s.at.date_naive()).num_days() as f64),
        ),
        ("created_at", Some(d)) => derive_cell(d, s.created, s.created),
        ("snapshot_at", Some(d)) => derive_cell(d, Some(s.at), s.created),
        _ => Cell::Missing,
    }
}
