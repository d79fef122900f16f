//! Leads: the pre-sales entity.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Problems;
use crate::domain::cells::record_columns;
use crate::domain::record::Record;
use crate::domain::{Attributes, Id, ModelKind, Timestamp};

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
    const FEEDS: Option<ModelKind> = Some(ModelKind::Lead);
    record_columns!(
        id: id,
        account_id: Option<Id>,
        created_at: Option<Timestamp>,
        source: Option<String>,
        owner_id: Option<Id>,
        status: Option<String>,
        converted: Option<bool>,
        converted_at: Option<Timestamp>,
        first_response_at: Option<Timestamp>,
        attributes: Attributes,
    );

    fn key(&self) -> String {
        self.id.to_string()
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
