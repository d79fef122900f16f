#![forbid(unsafe_code)]
//! revcast: revenue intelligence from CRM history.

pub mod api;
pub mod churn;
pub mod cli;
pub mod domain;
pub mod forecast;
pub mod import;
pub mod kpi;
pub mod ml;
mod parallel;
pub mod quota;
pub mod service;
pub mod store;
pub mod synth;
pub mod web;
