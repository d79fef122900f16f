//! The KPIs' tests: a small hand-worked world, edge cases, and the Maven dataset against its peer.

mod edge;
pub(super) mod fixture;
mod fixture_world;
mod maven;
