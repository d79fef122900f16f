//! Post-sales entities: accounts, their health snapshots, churn events; and spend for CAC.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{id_cell, money_cell, null, opt_id, opt_money, text_cell, ts_cell, Problems};
use crate::domain::record::{col, Cells, ColType::*, Column, Record, RecordError, SqlValue};
use crate::domain::{Attributes, Id, Money, Timestamp};

/// A company: a prospect or a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    #[schema(value_type = String, example = "A-301", min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub id: Id,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub name: String,
    #[schema(max_length = 1000)]
    pub industry: Option<String>,
    /// Size segment (smb, mid_market, enterprise, ...).
    #[schema(max_length = 1000)]
    pub segment: Option<String>,
    #[schema(max_length = 1000)]
    pub region: Option<String>,
    #[schema(minimum = 0)]
    pub employees: Option<i64>,
    /// The customer-success manager or account owner.
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub owner_id: Option<Id>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
}

impl Record for Account {
    const TABLE: &'static str = "accounts";
    const PATH: &'static str = "accounts";
    const COLUMNS: &'static [Column] = &[
        col("name", Text),
        col("industry", Text),
        col("segment", Text),
        col("region", Text),
        col("employees", Int),
        col("owner_id", Text),
        col("created_at", Timestamp),
        col("attributes", Json),
    ];

    fn key(&self) -> String {
        self.id.to_string()
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            SqlValue::Text(Some(self.name.clone())),
            text_cell(&self.industry),
            text_cell(&self.segment),
            text_cell(&self.region),
            SqlValue::Int(self.employees),
            id_cell(&self.owner_id),
            ts_cell(self.created_at),
            SqlValue::Json(self.attributes.clone().into()),
        ]
    }

    fn from_values(key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(Account {
            id: c.parsed(key, Id::parse)?,
            name: c.req_text()?,
            industry: c.text()?,
            segment: c.text()?,
            region: c.text()?,
            employees: c.int()?,
            owner_id: {
                let v = c.text()?;
                c.parsed(v, opt_id)?
            },
            created_at: c.timestamp()?.map(Into::into),
            attributes: c.attributes()?,
        })
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.not_blank("name", &self.name);
        p.text("industry", self.industry.as_deref());
        p.text("segment", self.segment.as_deref());
        p.text("region", self.region.as_deref());
        p.non_negative("employees", self.employees);
        p.0
    }
}

/// An account's health signals as of a date (usually monthly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountSnapshot {
    #[schema(value_type = String, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub account_id: Id,
    #[serde(deserialize_with = "crate::domain::values::date_serde::required")]
    pub as_of: NaiveDate,
    /// Annual recurring revenue at `as_of`.
    #[schema(value_type = f64, minimum = 0)]
    pub arr: Money,
    /// Seats purchased.
    #[schema(minimum = 0)]
    pub seats: Option<i64>,
    /// Users active in the last 30 days.
    #[schema(minimum = 0)]
    pub active_users: Option<i64>,
    /// Logins in the last 30 days.
    #[schema(minimum = 0)]
    pub logins: Option<i64>,
    /// Net promoter score, -100..=100 (a single respondent's 0..=10 also fits).
    #[schema(minimum = -100, maximum = 100)]
    pub nps: Option<f64>,
    /// Customer satisfaction, 0..=100.
    #[schema(minimum = 0, maximum = 100)]
    pub csat: Option<f64>,
    #[schema(minimum = 0)]
    pub open_tickets: Option<i64>,
    /// Mean hours to resolve the tickets closed in the last 30 days.
    #[schema(minimum = 0, maximum = 1000000)]
    pub ticket_resolution_hours: Option<f64>,
    #[schema(max_length = 1000)]
    pub plan: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::domain::values::date_serde::optional"
    )]
    pub renewal_date: Option<NaiveDate>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
}

impl Record for AccountSnapshot {
    const TABLE: &'static str = "account_snapshots";
    const PATH: &'static str = "account-snapshots";
    const COLUMNS: &'static [Column] = &[
        col("account_id", Text),
        col("as_of", Date),
        col("arr", Float),
        col("seats", Int),
        col("active_users", Int),
        col("logins", Int),
        col("nps", Float),
        col("csat", Float),
        col("open_tickets", Int),
        col("ticket_resolution_hours", Float),
        col("plan", Text),
        col("renewal_date", Date),
        col("attributes", Json),
    ];

    fn key(&self) -> String {
        format!("{}|{}", self.account_id, self.as_of)
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            SqlValue::Text(Some(self.account_id.to_string())),
            SqlValue::Date(Some(self.as_of)),
            SqlValue::Float(Some(self.arr.get())),
            SqlValue::Int(self.seats),
            SqlValue::Int(self.active_users),
            SqlValue::Int(self.logins),
            SqlValue::Float(self.nps),
            SqlValue::Float(self.csat),
            SqlValue::Int(self.open_tickets),
            SqlValue::Float(self.ticket_resolution_hours),
            text_cell(&self.plan),
            SqlValue::Date(self.renewal_date),
            SqlValue::Json(self.attributes.clone().into()),
        ]
    }

    fn from_values(_key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(AccountSnapshot {
            account_id: {
                let v = c.req_text()?;
                c.parsed(v, Id::parse)?
            },
            as_of: c.date()?.ok_or_else(|| null(Self::TABLE, "as_of"))?,
            arr: {
                let v = c.float()?.unwrap_or(f64::NAN);
                c.parsed(v, Money::parse)?
            },
            seats: c.int()?,
            active_users: c.int()?,
            logins: c.int()?,
            nps: c.float()?,
            csat: c.float()?,
            open_tickets: c.int()?,
            ticket_resolution_hours: c.float()?,
            plan: c.text()?,
            renewal_date: c.date()?,
            attributes: c.attributes()?,
        })
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.non_negative("seats", self.seats);
        p.non_negative("active_users", self.active_users);
        p.non_negative("logins", self.logins);
        p.non_negative("open_tickets", self.open_tickets);
        p.range("nps", self.nps, -100.0, 100.0);
        p.range("csat", self.csat, 0.0, 100.0);
        p.range(
            "ticket_resolution_hours",
            self.ticket_resolution_hours,
            0.0,
            1e6,
        );
        p.text("plan", self.plan.as_deref());
        p.0
    }
}

/// An account stopped being a customer (the churn label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChurnEvent {
    #[schema(value_type = String, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub account_id: Id,
    #[serde(deserialize_with = "crate::domain::values::date_serde::required")]
    pub churned_at: NaiveDate,
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub arr_lost: Option<Money>,
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

impl Record for ChurnEvent {
    const TABLE: &'static str = "churn_events";
    const PATH: &'static str = "churn-events";
    const COLUMNS: &'static [Column] = &[
        col("account_id", Text),
        col("churned_at", Date),
        col("arr_lost", Float),
        col("reason", Text),
    ];

    fn key(&self) -> String {
        format!("{}|{}", self.account_id, self.churned_at)
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            SqlValue::Text(Some(self.account_id.to_string())),
            SqlValue::Date(Some(self.churned_at)),
            money_cell(self.arr_lost),
            text_cell(&self.reason),
        ]
    }

    fn from_values(_key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(ChurnEvent {
            account_id: {
                let v = c.req_text()?;
                c.parsed(v, Id::parse)?
            },
            churned_at: c.date()?.ok_or_else(|| null(Self::TABLE, "churned_at"))?,
            arr_lost: {
                let v = c.float()?;
                c.parsed(v, opt_money)?
            },
            reason: c.text()?,
        })
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.text("reason", self.reason.as_deref());
        p.0
    }
}
