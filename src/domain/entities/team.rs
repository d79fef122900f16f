//! Sales reps and their quotas.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Problems;
use crate::domain::cells::record_columns;
use crate::domain::record::{join_key, Record};
use crate::domain::{Attributes, Id, Money, Period};

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
    record_columns!(
        id: id,
        name: String,
        team: Option<String>,
        manager: Option<String>,
        region: Option<String>,
        hired_at: Option<NaiveDate>,
        attributes: Attributes,
    );

    fn key(&self) -> String {
        self.id.to_string()
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
    const PARENT: Option<&'static str> = Some("rep_id");
    record_columns!(
        rep_id: Id,
        period: Period,
        amount: Money,
    );

    const KEY_COLUMNS: &'static [&'static str] = &["rep_id", "period"];

    fn key(&self) -> String {
        join_key(&[self.rep_id.as_str(), &self.period.to_string()])
    }
}
