//! Sales and marketing spend, for CAC.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Problems;
use crate::domain::cells::record_columns;
use crate::domain::record::{join_key, Record};
use crate::domain::{Money, Period};

/// Sales and marketing spend in a period on a channel (for CAC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Spend {
    #[schema(value_type = String, example = "2026-10", pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)(-(Q[1-4]|0[1-9]|1[0-2]))?$")]
    pub period: Period,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub channel: String,
    #[schema(value_type = f64, minimum = 0)]
    pub amount: Money,
}

impl Record for Spend {
    const TABLE: &'static str = "spend";
    const PATH: &'static str = "spend";
    record_columns!(
        period: Period,
        channel: String,
        amount: Money,
    );

    const KEY_COLUMNS: &'static [&'static str] = &["period", "channel"];

    fn key(&self) -> String {
        join_key(&[&self.period.to_string(), &self.channel])
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.not_blank("channel", &self.channel);
        p.0
    }
}
