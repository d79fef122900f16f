//! Sales and marketing spend, for CAC.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Problems;
use crate::domain::record::{col, Cells, ColType::*, Column, Record, RecordError, SqlValue};
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
    const COLUMNS: &'static [Column] = &[
        col("period", Text),
        col("channel", Text),
        col("amount", Float),
    ];

    fn key(&self) -> String {
        format!("{}|{}", self.period, self.channel)
    }

    fn to_values(&self) -> Vec<SqlValue> {
        vec![
            SqlValue::Text(Some(self.period.to_string())),
            SqlValue::Text(Some(self.channel.clone())),
            SqlValue::Float(Some(self.amount.get())),
        ]
    }

    fn from_values(_key: String, values: Vec<SqlValue>) -> Result<Self, RecordError> {
        let mut c = Cells::new(Self::TABLE, Self::COLUMNS, values);
        Ok(Spend {
            period: {
                let v = c.req_text()?;
                c.parsed(v, |v| Period::parse(&v))?
            },
            channel: c.req_text()?,
            amount: {
                let v = c.float()?.unwrap_or(f64::NAN);
                c.parsed(v, Money::parse)?
            },
        })
    }

    fn check(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.not_blank("channel", &self.channel);
        p.0
    }
}
