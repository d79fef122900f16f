//! Loading a training set from the store as it was known on a day: the data's last day by
//! default (not today: an export that ended months ago knows nothing of the months since).

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::domain::{Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, StageEvent};
use crate::ml::{self, KeyCounts, ModelKind, ModelSpec, TrainingSet};
use crate::service::{Result, ServiceError};
use crate::store::Store;

/// A training set, the attribute keys of the records it was read from, and the day it was
/// built as of.
pub(crate) struct Loaded {
    pub set: TrainingSet,
    pub keys: KeyCounts,
    /// The day of the data's end, or the `as_of` asked for. `None` when no record has a date.
    pub as_of: Option<NaiveDate>,
}

/// The end of `day` (UTC), so that everything dated that day counts as known.
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid")))
}

fn latest(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    a.max(b)
}

/// Builds the set of `spec` from the stored data as known at the end of `as_of` (default: the
/// last day with data).
pub(crate) async fn load(
    store: &Store,
    spec: &ModelSpec,
    as_of: Option<NaiveDate>,
) -> Result<Loaded> {
    let mut keys = KeyCounts::default();
    let (set, end) = match spec.kind {
        ModelKind::Lead => {
            let mut b = ml::LeadSetBuilder::new(spec).map_err(ml_error)?;
            if let Some(d) = as_of {
                b = b.as_of(end_of(d));
            }
            let mut end: Option<NaiveDate> = None;
            store
                .for_each::<Lead>(|l| {
                    let day = |t: Option<crate::domain::Timestamp>| t.map(|t| t.get().date_naive());
                    end = latest(end, latest(day(l.created_at), day(l.converted_at)));
                    keys.add(&l.attributes);
                    b.push(&l);
                })
                .await?;
            (b.finish(), end)
        }
        ModelKind::Win => {
            let opps = store.all::<Opportunity>().await?;
            let events = store.all::<StageEvent>().await?;
            let changes = store.all_deal_changes().await?;
            let end = deals_end(&opps, &events);
            let day = as_of.or(end);
            let limit = day.map_or_else(Utc::now, end_of);
            opps.iter().for_each(|o| keys.add(&o.attributes));
            let set = ml::win_training_set(spec, &opps, &events, &changes, limit);
            (set, end)
        }
        ModelKind::Churn => {
            let accounts = store.all::<Account>().await?;
            let snapshots = store.all::<AccountSnapshot>().await?;
            let events = store.all::<ChurnEvent>().await?;
            let end = latest(
                snapshots.iter().map(|s| s.as_of).max(),
                events.iter().map(|e| e.churned_at).max(),
            );
            let day = as_of.or(end).unwrap_or_else(|| Utc::now().date_naive());
            snapshots.iter().for_each(|s| keys.add(&s.attributes));
            let set = ml::churn_training_set(spec, &accounts, &snapshots, &events, day);
            (set, end)
        }
    };
    Ok(Loaded {
        set: set.map_err(ml_error)?,
        keys,
        as_of: as_of.or(end),
    })
}

/// The last day any deal or stage event carries.
fn deals_end(opps: &[Opportunity], events: &[StageEvent]) -> Option<NaiveDate> {
    let day = |t: Option<crate::domain::Timestamp>| t.map(|t| t.get().date_naive());
    let deals = opps
        .iter()
        .flat_map(|o| [day(o.created_at), day(o.closed_at)])
        .flatten()
        .max();
    latest(
        deals,
        events.iter().map(|e| e.entered_at.get().date_naive()).max(),
    )
}

/// Maps a training failure onto the caller's view: too little data or a bad spec is theirs to fix.
pub(crate) fn ml_error(e: ml::MlError) -> ServiceError {
    ServiceError::bad_input("data", e.to_string())
}
