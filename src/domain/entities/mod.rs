//! The CRM entities of the data model (see DESIGN.md), as the API and the importer accept them.
//!
//! Unknown JSON fields are rejected; custom CRM fields belong in `attributes`.

mod customers;
mod deals;
mod leads;
mod spend;
mod team;

pub use customers::{Account, AccountSnapshot, ChurnEvent};
pub use deals::{DealChange, DealType, EventsByDeal, Opportunity, StageEvent};
pub use leads::Lead;
pub use spend::Spend;
pub use team::{Quota, Rep};

use super::Timestamp;

/// Every CRM entity, once: the module name its routes live under and its type. Invokes
/// `$then! { module: Type, ... }`, so each list with one entry per entity (the importable kinds,
/// the HTTP routes, the OpenAPI paths) is generated from this one; what differs between entities
/// (path, table, columns, parent, the model it feeds) is declared on its [`super::Record`] impl.
#[macro_export]
macro_rules! with_entities {
    ($then:ident) => {
        $then! {
            accounts: $crate::domain::Account,
            leads: $crate::domain::Lead,
            opportunities: $crate::domain::Opportunity,
            stage_events: $crate::domain::StageEvent,
            reps: $crate::domain::Rep,
            quotas: $crate::domain::Quota,
            account_snapshots: $crate::domain::AccountSnapshot,
            churn_events: $crate::domain::ChurnEvent,
            spend: $crate::domain::Spend,
        }
    };
}

/// Longest free-text field accepted (names, stages, sources), in characters.
pub(crate) const MAX_TEXT: usize = 1000;

/// Collects the problems shared by all entities: over-long text and dates out of order.
#[derive(Default)]
pub(crate) struct Problems(pub Vec<(&'static str, String)>);

impl Problems {
    pub fn text(&mut self, field: &'static str, v: Option<&str>) {
        if let Some(s) = v {
            if s.chars().count() > MAX_TEXT {
                self.0
                    .push((field, format!("must be at most {MAX_TEXT} characters")));
            }
        }
    }

    pub fn not_blank(&mut self, field: &'static str, v: &str) {
        if v.trim().is_empty() {
            self.0.push((field, "must not be empty".into()));
        }
        self.text(field, Some(v));
    }

    pub fn not_before(
        &mut self,
        field: &'static str,
        later: Option<Timestamp>,
        other: &str,
        earlier: Option<Timestamp>,
    ) {
        if let (Some(l), Some(e)) = (later, earlier) {
            if l < e {
                self.0.push((field, format!("must not be before {other}")));
            }
        }
    }

    pub fn range(&mut self, field: &'static str, v: Option<f64>, lo: f64, hi: f64) {
        if let Some(x) = v {
            if !x.is_finite() || x < lo || x > hi {
                self.0
                    .push((field, format!("must be a number between {lo} and {hi}")));
            }
        }
    }

    pub fn non_negative(&mut self, field: &'static str, v: Option<i64>) {
        if matches!(v, Some(x) if x < 0) {
            self.0.push((field, "must not be negative".into()));
        }
    }
}
