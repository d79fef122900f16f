//! The records one KPI computation sees: all of them, or one group's share.

use std::rc::Rc;

use chrono::NaiveDate;

use super::stages::StageOrder;
use super::KpiData;
use crate::domain::{AccountSnapshot, ChurnEvent, Lead, Opportunity, Quota, Spend, StageEvent};

/// Borrowed views of the records of a report or of one group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope<'a> {
    pub leads: Vec<&'a Lead>,
    pub opps: Vec<&'a Opportunity>,
    pub events: Vec<&'a StageEvent>,
    pub quotas: Vec<&'a Quota>,
    pub snapshots: Vec<&'a AccountSnapshot>,
    pub churns: Vec<&'a ChurnEvent>,
    pub spend: Vec<&'a Spend>,
    pub settings: Settings,
    /// Learned once from all the stage events, so that every group shares one funnel.
    pub stage_order: Rc<StageOrder>,
}

impl<'a> Scope<'a> {
    pub fn all(d: &KpiData<'a>) -> Self {
        Scope {
            leads: d.leads.iter().collect(),
            opps: d.opportunities.iter().collect(),
            events: d.stage_events.iter().collect(),
            quotas: d.quotas.iter().collect(),
            snapshots: d.snapshots.iter().collect(),
            churns: d.churn_events.iter().collect(),
            spend: d.spend.iter().collect(),
            settings: Settings {
                gross_margin: d.gross_margin.unwrap_or(1.0),
                conversion_horizon_days: d.conversion_horizon_days,
            },
            stage_order: Rc::new(super::learn_stage_order(d.stage_events, d.opportunities)),
        }
    }
}

/// The caller's choices that shape some KPIs (see [`KpiData`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Settings {
    /// 0..=1 expected; checked where it is used.
    pub gross_margin: f64,
    pub conversion_horizon_days: Option<u32>,
}

/// Open at the start of day `d`: created before it and not closed before it.
pub(crate) fn open_at(o: &Opportunity, d: NaiveDate) -> bool {
    let created = o.created_at.is_some_and(|c| c.date() < d);
    let closed_before = !o.is_open() && o.closed_at.is_none_or(|c| c.date() < d);
    created && !closed_before
}
