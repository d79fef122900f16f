//! Opportunities and their stage history.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{id_cell, money_cell, opt_id, opt_money, text_cell, ts_cell, Problems};
use crate::domain::record::{col, Cells, ColType::*, Column, Record, RecordError, SqlValue};
use crate::domain::{Attributes, Id, Money, Timestamp};

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
    const COLUMNS: &'static [Column] = &[
        col("account_id", Text),
        col("owner_id", Text),
        col("created_at", Timestamp),
        col("stage", Text),
        col("amount", Float),
        col("expected_close_date", Date),
        col("closed_at", Timestamp),
        col("won", Bool),
        col("forecast_category", Text),
        col("product", Text),
        col("deal_type", Text),
        col("attributes", Json),
    ];

    fn key(&self) -> String {
        self.id.to_string()
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            id_cell(&self.account_id),
            id_cell(&self.owner_id),
            ts_cell(self.created_at),
            SqlValue::Text(Some(self.stage.clone())),
            money_cell(self.amount),
            SqlValue::Date(self.expected_close_date),
            ts_cell(self.closed_at),
            SqlValue::Bool(self.won),
            text_cell(&self.forecast_category),
            text_cell(&self.product),
            SqlValue::Text(self.deal_type.map(|t| t.as_str().to_string())),
            SqlValue::Json(self.attributes.clone().into()),
        ]
    }

    fn from_values(key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(Opportunity {
            id: c.parsed(key, Id::parse)?,
            account_id: {
                let v = c.text()?;
                c.parsed(v, opt_id)?
            },
            owner_id: {
                let v = c.text()?;
                c.parsed(v, opt_id)?
            },
            created_at: c.timestamp()?.map(Into::into),
            stage: c.req_text()?,
            amount: {
                let v = c.float()?;
                c.parsed(v, opt_money)?
            },
            expected_close_date: c.date()?,
            closed_at: c.timestamp()?.map(Into::into),
            won: c.bool()?,
            forecast_category: c.text()?,
            product: c.text()?,
            deal_type: {
                let v = c.text()?;
                c.parsed(v, |v| {
                    v.map(|s| DealType::parse(&s).ok_or("unknown deal type"))
                        .transpose()
                })?
            },
            attributes: c.attributes()?,
        })
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
    const COLUMNS: &'static [Column] = &[
        col("opportunity_id", Text),
        col("stage", Text),
        col("entered_at", Timestamp),
        col("expected_close_date", Date),
    ];

    fn key(&self) -> String {
        format!("{}|{}|{}", self.opportunity_id, self.stage, self.entered_at)
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            SqlValue::Text(Some(self.opportunity_id.to_string())),
            SqlValue::Text(Some(self.stage.clone())),
            SqlValue::Timestamp(Some(self.entered_at.get())),
            SqlValue::Date(self.expected_close_date),
        ]
    }

    fn from_values(_key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(StageEvent {
            opportunity_id: {
                let v = c.req_text()?;
                c.parsed(v, Id::parse)?
            },
            stage: c.req_text()?,
            entered_at: c.timestamp()?.map(Into::into).ok_or_else(|| RecordError {
                table: Self::TABLE,
                column: "entered_at",
                reason: "null".into(),
            })?,
            expected_close_date: c.date()?,
        })
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.not_blank("stage", &self.stage);
        p.0
    }
}
