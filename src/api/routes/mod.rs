//! Route groups, each mounted with `cfg.configure(...)`.

pub mod ops;
pub mod records;
