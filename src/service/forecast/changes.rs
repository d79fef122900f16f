//! What happened to the pipeline: one deal's recorded history, and the waterfall of the pipeline
//! between two days (see [`crate::forecast::pipeline_changes`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

use super::data::{parse_day, parse_period, Crm};
use crate::domain::{DealChange, Opportunity, Period, Rep};
use crate::forecast::{self, group_key, GroupBy, Waterfall};
use crate::service::{Result, ServiceError};
use crate::store::Store;

/// One deal and its recorded changes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DealHistory {
    /// The deal as stored now.
    pub opportunity: Opportunity,
    /// Its amount, expected close date, stage, forecast category and owner after each write that
    /// changed one of them, oldest first; the first entry is the state it was first stored with.
    pub changes: Vec<DealChange>,
}

/// The deal `id` and its changes; NotFound for an unknown deal.
pub async fn deal_history(store: &Store, id: &str) -> Result<DealHistory> {
    let opportunity = store
        .get::<Opportunity>(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no opportunity with id `{id}`")))?;
    let changes = store.deal_history(id).await?;
    Ok(DealHistory {
        opportunity,
        changes,
    })
}

/// A pipeline-changes request as the caller states it.
#[derive(Debug, Clone, Default)]
pub struct ChangesQuery {
    /// YYYY-MM-DD, the start (its end of day).
    pub from: String,
    /// YYYY-MM-DD, the end (its end of day); after `from`, not after the data's last day.
    pub to: Option<String>,
    /// Only deals expected to close in this period (`2026-Q4`, `2026-11`, `2026`); default all.
    pub period: Option<String>,
    pub group_by: Option<GroupBy>,
}

/// The waterfall of the open pipeline between two days.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PipelineChanges {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The period whose deals are followed, when one was given.
    pub period: Option<String>,
    /// The steps of all deals: `open_at_start + created + pulled_in - won - lost - pushed_out +
    /// amount_changes = open_at_end`, in amount (and in count, without `amount_changes`).
    pub total: Waterfall,
    /// The same, per group (each deal in its group as it stood at `to`), when grouped.
    pub groups: Vec<GroupWaterfall>,
    /// How each day's pipeline was rebuilt.
    pub note: String,
}

/// One group's waterfall.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupWaterfall {
    pub key: String,
    pub waterfall: Waterfall,
}

const NOTE: &str = "each day's pipeline is rebuilt as it stood at the end of that day from the \
                    stage events and the deal history; a deal's amount, owner and category before \
                    its history begins are the first ones recorded";

/// The waterfall between `from` and `to` (default the last day with data).
pub async fn pipeline_changes(store: &Store, q: &ChangesQuery) -> Result<PipelineChanges> {
    let from = parse_day("from", &q.from)?;
    let period: Option<Period> = q
        .period
        .as_deref()
        .map(|p| parse_period("period", p))
        .transpose()?;
    let group_by = q.group_by;
    let crm = Crm::load(store).await?;
    let to = match q.to.as_deref() {
        Some(t) => parse_day("to", t)?,
        None => crm.data_end,
    };
    if to <= from {
        return Err(ServiceError::bad_input(
            "to",
            format!("{to} is not after from ({from})"),
        ));
    }
    if to > crm.data_end {
        return Err(ServiceError::bad_input(
            "to",
            format!(
                "{to} is after the data ends on {}; use that day or an earlier one",
                crm.data_end
            ),
        ));
    }
    let reps: HashMap<&str, &Rep> = crm.reps.iter().map(|r| (r.id.as_str(), r)).collect();
    let group = |o: &Opportunity| group_key(o, group_by.expect("grouped"), &reps);
    let group_of: Option<&dyn Fn(&Opportunity) -> String> = group_by.map(|_| &group as _);
    let (total, groups) = forecast::pipeline_changes(
        &crm.opps,
        &crm.events,
        &crm.changes,
        from,
        to,
        period,
        group_of,
    );
    Ok(PipelineChanges {
        from,
        to,
        period: period.map(|p| p.to_string()),
        total,
        groups: groups
            .into_iter()
            .map(|(key, waterfall)| GroupWaterfall { key, waterfall })
            .collect(),
        note: NOTE.to_string(),
    })
}
