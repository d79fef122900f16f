//! The importer's tests: mappings and rules, bad input, streaming, rollups, the public datasets.

mod bad_input;
mod datasets;
mod rollup;
mod rules;
pub(crate) mod stream;
