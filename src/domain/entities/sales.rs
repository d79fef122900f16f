//! Pre-sales and sales entities: leads, opportunities and their stage history, reps and quotas.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{id_cell, money_cell, opt_id, opt_money, text_cell, ts_cell, Problems};
use crate::domain::record::{col, Cells, ColType::*, Column, Record, RecordError, SqlValue};
use crate::domain::{Attributes, Id, Money, Period, Timestamp};

/// A lead as the CRM has it. Engagement counts (visits, emails opened, ...) go in `attributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lead {
    #[schema(value_type = String, example = "L-1001", min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub id: Id,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub account_id: Option<Id>,
    /// When the lead was created; absent when the CRM export carries no dates.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<Timestamp>,
    /// Where the lead came from (webinar, referral, paid search, ...).
    #[schema(max_length = 1000)]
    pub source: Option<String>,
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub owner_id: Option<Id>,
    #[schema(max_length = 1000)]
    pub status: Option<String>,
    /// The outcome: converted into an opportunity or customer; absent while undecided.
    pub converted: Option<bool>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub converted_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_response_at: Option<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
}

impl Record for Lead {
    const TABLE: &'static str = "leads";
    const PATH: &'static str = "leads";
    const COLUMNS: &'static [Column] = &[
        col("account_id", Text),
        col("created_at", Timestamp),
        col("source", Text),
        col("owner_id", Text),
        col("status", Text),
        col("converted", Bool),
        col("converted_at", Timestamp),
        col("first_response_at", Timestamp),
        col("attributes", Json),
    ];

    fn key(&self) -> String {
        self.id.to_string()
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            id_cell(&self.account_id),
            ts_cell(self.created_at),
            text_cell(&self.source),
            id_cell(&self.owner_id),
            text_cell(&self.status),
            SqlValue::Bool(self.converted),
            ts_cell(self.converted_at),
            ts_cell(self.first_response_at),
            SqlValue::Json(self.attributes.clone().into()),
        ]
    }

    fn from_values(key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(Lead {
            id: c.parsed(key, Id::parse)?,
            account_id: {
                let v = c.text()?;
                c.parsed(v, opt_id)?
            },
            created_at: c.timestamp()?.map(Into::into),
            source: c.text()?,
            owner_id: {
                let v = c.text()?;
                c.parsed(v, opt_id)?
            },
            status: c.text()?,
            converted: c.bool()?,
            converted_at: c.timestamp()?.map(Into::into),
            first_response_at: c.timestamp()?.map(Into::into),
            attributes: c.attributes()?,
        })
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.text("source", self.source.as_deref());
        p.text("status", self.status.as_deref());
        if self.converted == Some(false) && self.converted_at.is_some() {
            p.0.push(("converted_at", "is set but converted is false".into()));
        }
        p.not_before(
            "converted_at",
            self.converted_at,
            "created_at",
            self.created_at,
        );
        p.not_before(
            "first_response_at",
            self.first_response_at,
            "created_at",
            self.created_at,
        );
        p.0
    }
}

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

/// A sales rep: the owner of leads and opportunities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rep {
    #[schema(value_type = String, example = "R-07", min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub id: Id,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub name: String,
    #[schema(max_length = 1000)]
    pub team: Option<String>,
    #[schema(max_length = 1000)]
    pub manager: Option<String>,
    #[schema(max_length = 1000)]
    pub region: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::domain::values::date_serde::optional"
    )]
    pub hired_at: Option<NaiveDate>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
}

impl Record for Rep {
    const TABLE: &'static str = "reps";
    const PATH: &'static str = "reps";
    const COLUMNS: &'static [Column] = &[
        col("name", Text),
        col("team", Text),
        col("manager", Text),
        col("region", Text),
        col("hired_at", Date),
        col("attributes", Json),
    ];

    fn key(&self) -> String {
        self.id.to_string()
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            SqlValue::Text(Some(self.name.clone())),
            text_cell(&self.team),
            text_cell(&self.manager),
            text_cell(&self.region),
            SqlValue::Date(self.hired_at),
            SqlValue::Json(self.attributes.clone().into()),
        ]
    }

    fn from_values(key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(Rep {
            id: c.parsed(key, Id::parse)?,
            name: c.req_text()?,
            team: c.text()?,
            manager: c.text()?,
            region: c.text()?,
            hired_at: c.date()?,
            attributes: c.attributes()?,
        })
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.not_blank("name", &self.name);
        p.text("team", self.team.as_deref());
        p.text("manager", self.manager.as_deref());
        p.text("region", self.region.as_deref());
        p.0
    }
}

/// A rep's quota for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    #[schema(value_type = String, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub rep_id: Id,
    /// A month (2026-11), quarter (2026-Q4) or year (2026).
    #[schema(value_type = String, example = "2026-Q4", pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)(-(Q[1-4]|0[1-9]|1[0-2]))?$")]
    pub period: Period,
    #[schema(value_type = f64, minimum = 0)]
    pub amount: Money,
}

impl Record for Quota {
    const TABLE: &'static str = "quotas";
    const PATH: &'static str = "quotas";
    const COLUMNS: &'static [Column] = &[
        col("rep_id", Text),
        col("period", Text),
        col("amount", Float),
    ];

    fn key(&self) -> String {
        format!("{}|{}", self.rep_id, self.period)
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            SqlValue::Text(Some(self.rep_id.to_string())),
            SqlValue::Text(Some(self.period.to_string())),
            SqlValue::Float(Some(self.amount.get())),
        ]
    }

    fn from_values(_key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(Quota {
            rep_id: {
                let v = c.req_text()?;
                c.parsed(v, Id::parse)?
            },
            period: {
                let v = c.req_text()?;
                c.parsed(v, |v| Period::parse(&v))?
            },
            amount: {
                let v = c.float()?.unwrap_or(f64::NAN);
                c.parsed(v, Money::parse)?
            },
        })
    }
}
