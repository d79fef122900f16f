#![forbid(unsafe_code)]
//! revcast: revenue intelligence from CRM history.

pub mod domain;
pub mod forecast;
pub mod quota;
pub mod store;
pub mod service;
