//! Route groups, each mounted with `cfg.configure(...)`.

pub mod churn;
pub mod kpis;
pub mod models;
pub mod ops;
pub mod records;
pub mod scoring;
