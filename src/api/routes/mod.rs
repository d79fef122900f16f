//! Route groups, each mounted with `cfg.configure(...)`.

pub mod bulk;
pub mod churn;
pub mod forecast;
pub mod kpis;
pub mod models;
pub mod ops;
pub mod pipeline;
pub mod quotas;
pub mod records;
pub mod scoring;
pub mod series;
