//! Opportunities and their stage history.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

use super::Problems;
use crate::domain::cells::record_columns;
use crate::domain::record::{join_key, Record};
use crate::domain::{Attributes, Id, IdHashing, ModelKind, Money, Timestamp};

/// New business, a renewal, or an upsell to an existing customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DealType {
    New,
    Renewal,
    Upsell,
}

impl DealType {
    pub fn as_str(self) -> &'static str {
        match self {
            DealType::New => "new",
            DealType::Renewal => "renewal",
            DealType::Upsell => "upsell",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "new" => Some(DealType::New),
            "renewal" => Some(DealType::Renewal),
            "upsell" => Some(DealType::Upsell),
            _ => None,
        }
    }
}

/// An opportunity (deal). Open while `won` is absent; closed deals carry `won` and `closed_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Opportunity {
    #[schema(value_type = String, example = "OPP-2001", min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub id: Id,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub account_id: Option<Id>,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub owner_id: Option<Id>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<Timestamp>,
    /// The current stage, as the CRM names it.
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub stage: String,
    /// Deal value in the company's currency, not negative.
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub amount: Option<Money>,
    #[serde(
        default,
        deserialize_with = "crate::domain::values::date_serde::optional"
    )]
    pub expected_close_date: Option<NaiveDate>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    /// The outcome: true won, false lost, absent while open.
    pub won: Option<bool>,
    /// The CRM's own call: pipeline, best_case, commit, closed, omitted.
    #[schema(max_length = 1000)]
    pub forecast_category: Option<String>,
    #[schema(max_length = 1000)]
    pub product: Option<String>,
    #[serde(rename = "type")]
    pub deal_type: Option<DealType>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
}

impl Opportunity {
    pub fn is_open(&self) -> bool {
        self.won.is_none()
    }
}

impl Record for Opportunity {
    const TABLE: &'static str = "opportunities";
    const PATH: &'static str = "opportunities";
    const FEEDS: Option<ModelKind> = Some(ModelKind::Win);
    record_columns!(
        id: id,
        account_id: Option<Id>,
        owner_id: Option<Id>,
        created_at: Option<Timestamp>,
        stage: String,
        amount: Option<Money>,
        expected_close_date: Option<NaiveDate>,
        closed_at: Option<Timestamp>,
        won: Option<bool>,
        forecast_category: Option<String>,
        product: Option<String>,
        deal_type: Option<DealType>,
        attributes: Attributes,
    );

    fn key(&self) -> String {
        self.id.to_string()
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.not_blank("stage", &self.stage);
        p.text("forecast_category", self.forecast_category.as_deref());
        p.text("product", self.product.as_deref());
        if self.won.is_some() && self.closed_at.is_none() {
            p.0.push((
                "closed_at",
                "is required when won is set (a closed deal)".into(),
            ));
        }
        if self.won.is_none() && self.closed_at.is_some() {
            p.0.push((
                "won",
                "is required when closed_at is set (won or lost?)".into(),
            ));
        }
        p.not_before("closed_at", self.closed_at, "created_at", self.created_at);
        p.0
    }
}

/// One entry of an opportunity's stage history: it entered `stage` at `entered_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageEvent {
    #[schema(value_type = String, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub opportunity_id: Id,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub stage: String,
    #[schema(value_type = String, format = DateTime)]
    pub entered_at: Timestamp,
    /// The expected close date as it stood at that moment (tracks slips).
    #[serde(
        default,
        deserialize_with = "crate::domain::values::date_serde::optional"
    )]
    pub expected_close_date: Option<NaiveDate>,
}

impl Record for StageEvent {
    const TABLE: &'static str = "stage_events";
    const PATH: &'static str = "stage-events";
    const PARENT: Option<&'static str> = Some("opportunity_id");
    const FEEDS: Option<ModelKind> = Some(ModelKind::Win);
    record_columns!(
        opportunity_id: Id,
        stage: String,
        entered_at: Timestamp,
        expected_close_date: Option<NaiveDate>,
    );

    const KEY_COLUMNS: &'static [&'static str] = &["opportunity_id", "stage", "entered_at"];

    fn key(&self) -> String {
        join_key(&[
            self.opportunity_id.as_str(),
            &self.stage,
            &self.entered_at.to_string(),
        ])
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.not_blank("stage", &self.stage);
        p.0
    }
}

/// Each deal's stage events, oldest first, by deal id (see [`StageEvent::by_deal`]); ids are
/// hashed cheaply, as the forecast's learning looks every deal up several times.
pub type EventsByDeal<'a> = HashMap<&'a str, Vec<&'a StageEvent>, IdHashing>;

impl StageEvent {
    /// Each deal's events among `events` that pass `keep`, oldest first (events entered at the
    /// same moment keep their order): the one grouping of a stage history by deal.
    pub fn by_deal<'a>(
        events: impl IntoIterator<Item = &'a StageEvent>,
        keep: impl Fn(&StageEvent) -> bool,
    ) -> EventsByDeal<'a> {
        let mut by = EventsByDeal::with_hasher(IdHashing::new());
        for e in events.into_iter().filter(|e| keep(e)) {
            by.entry(e.opportunity_id.as_str()).or_default().push(e);
        }
        for v in by.values_mut() {
            v.sort_by_key(|e| e.entered_at);
        }
        by
    }
}

/// An opportunity's tracked fields as they stood after one change, and when revcast learned it.
/// The first entry of a deal is the state it was first stored with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DealChange {
    #[schema(value_type = String)]
    pub opportunity_id: Id,
    /// When the write that made the change was stored (UTC).
    #[schema(value_type = String, format = DateTime)]
    pub changed_at: Timestamp,
    #[schema(value_type = Option<f64>)]
    pub amount: Option<Money>,
    pub expected_close_date: Option<NaiveDate>,
    pub stage: String,
    pub forecast_category: Option<String>,
    #[schema(value_type = Option<String>)]
    pub owner_id: Option<Id>,
}

impl DealChange {
    /// Each deal's changes, oldest first (changes at the same moment keep their order): the one
    /// grouping of the deal history by deal.
    pub fn by_deal(changes: &[DealChange]) -> HashMap<&str, Vec<&DealChange>, IdHashing> {
        let mut by: HashMap<&str, Vec<&DealChange>, IdHashing> =
            HashMap::with_hasher(IdHashing::new());
        for c in changes {
            by.entry(c.opportunity_id.as_str()).or_default().push(c);
        }
        for v in by.values_mut() {
            v.sort_by_key(|c| c.changed_at);
        }
        by
    }
}
