//! The CRM entities of the data model (see DESIGN.md), as the API and the importer accept them.
//!
//! Unknown JSON fields are rejected; custom CRM fields belong in `attributes`.

mod customers;
mod deals;
mod leads;
mod spend;
mod team;

pub use customers::{Account, AccountSnapshot, ChurnEvent};
pub use deals::{DealChange, DealType, Opportunity, StageEvent};
pub use leads::Lead;
pub use spend::Spend;
pub use team::{Quota, Rep};

use super::Timestamp;

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
