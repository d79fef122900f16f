//! The stored data a forecast reads, the day it ends, and the checks on period and as-of.

use chrono::{Days, NaiveDate, Utc};
use std::sync::Arc;

use crate::domain::{DealChange, Opportunity, Period, Quota, Record, Rep, StageEvent};
use crate::service::{Result, ServiceError};
use crate::store::{Store, DEAL_CHANGES};

/// The CRM copy as the forecast and quota logic need it. Each table is the one kept in memory
/// ([`Store::kept_all`]), shared, not copied.
pub(crate) struct Crm {
    pub opps: Arc<Vec<Opportunity>>,
    pub events: Arc<Vec<StageEvent>>,
    /// The deals' recorded changes, by deal and oldest first.
    pub changes: Arc<Vec<DealChange>>,
    pub reps: Arc<Vec<Rep>>,
    /// The last day with data: the latest creation, close or stage-event day.
    pub data_end: NaiveDate,
}

impl Crm {
    /// The tables the copy is read from: a value derived from it only is kept while they
    /// are unchanged.
    pub const TABLES: &'static [&'static str] = &[
        Opportunity::TABLE,
        StageEvent::TABLE,
        Rep::TABLE,
        DEAL_CHANGES,
    ];

    /// Opportunities, stage events, deal history and reps, each table read again only when it
    /// changed; fails when no opportunity is stored.
    pub async fn load(store: &Store) -> Result<Arc<Crm>> {
        store
            .memoized_on(Self::TABLES, String::new(), || Crm::read(store))
            .await
    }

    async fn read(store: &Store) -> Result<Crm> {
        // The tables not kept in memory are read at once on as many connections.
        let (opps, events, reps, changes) = tokio::try_join!(
            store.kept_all::<Opportunity>(),
            store.kept_all::<StageEvent>(),
            store.kept_all::<Rep>(),
            store.kept_deal_changes(),
        )?;
        let data_end = data_end(&opps, &events).ok_or_else(|| {
            ServiceError::Conflict(
                "no dated opportunities are stored yet: load opportunities (with created_at or \
                 closed_at) and their stage events first"
                    .into(),
            )
        })?;
        Ok(Crm {
            opps,
            events,
            changes,
            reps,
            data_end,
        })
    }

    /// Stored quotas are read only by the quota use cases.
    pub async fn quotas(store: &Store) -> Result<Vec<Quota>> {
        Ok(store.all::<Quota>().await?)
    }
}

fn data_end(opps: &[Opportunity], events: &[StageEvent]) -> Option<NaiveDate> {
    let opp_days = opps
        .iter()
        .flat_map(|o| [o.created_at, o.closed_at])
        .flatten()
        .map(|t| t.date());
    let event_days = events.iter().map(|e| e.entered_at.date());
    opp_days.chain(event_days).max()
}

/// Parses `2026-11`, `2026-Q4` or `2026`.
pub(crate) fn parse_period(field: &str, s: &str) -> Result<Period> {
    Period::parse(s.trim()).map_err(|e| ServiceError::bad_input(field, e.to_string()))
}

/// The as-of day asked for, or the last day with data; never after the data ends or today.
pub(crate) fn resolve_as_of(given: Option<&str>, data_end: NaiveDate) -> Result<NaiveDate> {
    let today = Utc::now().date_naive();
    let Some(s) = given else {
        return Ok(data_end.min(today));
    };
    let day = parse_day("as_of", s)?;
    if day > today {
        return Err(ServiceError::bad_input(
            "as_of",
            format!("{day} is in the future (today is {today}); forecast as of today or earlier"),
        ));
    }
    if day > data_end {
        return Err(ServiceError::bad_input(
            "as_of",
            format!(
                "{day} is after the data ends on {data_end} (the last stored creation, close or \
                 stage-event day); load newer data or forecast as of {data_end} or earlier"
            ),
        ));
    }
    Ok(day)
}

/// Parses a YYYY-MM-DD parameter, naming it when it is not one.
pub(crate) fn parse_day(field: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ServiceError::bad_input(
            field,
            format!(
                "`{}` is not a date (YYYY-MM-DD)",
                crate::domain::truncate_for_message(s, 40)
            ),
        )
    })
}

/// Whether a period is over by `day` (its last day is on or before it).
pub(crate) fn period_over(period: Period, day: NaiveDate) -> bool {
    period.end() <= day + Days::new(1)
}
