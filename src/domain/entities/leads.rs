//! Leads: the pre-sales entity.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{id_cell, opt_id, text_cell, ts_cell, Problems};
use crate::domain::record::{col, Cells, ColType::*, Column, Record, RecordError, SqlValue};
use crate::domain::{Attributes, Id, Timestamp};

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
