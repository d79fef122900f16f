//! Post-sales entities: accounts, their health snapshots, churn events; and spend for CAC.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Problems;
use crate::domain::cells::record_columns;
use crate::domain::record::{join_key, Record};
use crate::domain::{Attributes, Id, ModelKind, Money, Timestamp};

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
    const FEEDS: Option<ModelKind> = Some(ModelKind::Churn);
    record_columns!(
        id: id,
        name: String,
        industry: Option<String>,
        segment: Option<String>,
        region: Option<String>,
        employees: Option<i64>,
        owner_id: Option<Id>,
        created_at: Option<Timestamp>,
        attributes: Attributes,
    );

    fn key(&self) -> String {
        self.id.to_string()
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
    const PARENT: Option<&'static str> = Some("account_id");
    const FEEDS: Option<ModelKind> = Some(ModelKind::Churn);
    record_columns!(
        account_id: Id,
        as_of: NaiveDate,
        arr: Money,
        seats: Option<i64>,
        active_users: Option<i64>,
        logins: Option<i64>,
        nps: Option<f64>,
        csat: Option<f64>,
        open_tickets: Option<i64>,
        ticket_resolution_hours: Option<f64>,
        plan: Option<String>,
        renewal_date: Option<NaiveDate>,
        attributes: Attributes,
    );

    const KEY_COLUMNS: &'static [&'static str] = &["account_id", "as_of"];

    fn key(&self) -> String {
        join_key(&[self.account_id.as_str(), &self.as_of.to_string()])
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
    const PARENT: Option<&'static str> = Some("account_id");
    const FEEDS: Option<ModelKind> = Some(ModelKind::Churn);
    record_columns!(
        account_id: Id,
        churned_at: NaiveDate,
        arr_lost: Option<Money>,
        reason: Option<String>,
    );

    const KEY_COLUMNS: &'static [&'static str] = &["account_id", "churned_at"];

    fn key(&self) -> String {
        join_key(&[self.account_id.as_str(), &self.churned_at.to_string()])
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.text("reason", self.reason.as_deref());
        p.0
    }
}
