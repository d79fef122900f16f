//! Domain types: the CRM entities revcast stores, and the checked values they are built from.
//!
//! Nothing here knows HTTP or SQL. Values are parsed at the edge (`Id::parse`, `Money::parse`,
//! `Period::parse`, ...) so that an invalid value cannot travel inward.

pub mod aside;
mod batch;
pub(crate) mod cells;
mod dates;
mod entities;
mod id_hash;
mod model_kind;
mod period;
mod reason;
mod record;
pub mod storable;
pub mod text;
pub(crate) mod values;

pub use batch::{
    checked_cells, parse_batch, parse_json_batch, parse_raw_batch, parse_row, parse_row_ref,
    parse_text_row, passes_checks, BatchError, RowProblem,
};
pub use dates::{days_between, month_end};
pub use entities::{
    Account, AccountSnapshot, ChurnEvent, DealChange, DealType, EventsByDeal, Lead, Opportunity,
    Quota, Rep, Spend, StageEvent,
};
pub(crate) use id_hash::mix64;
pub use id_hash::{IdHasher, IdHashing};
pub use model_kind::ModelKind;
pub use period::{Period, PeriodError};
pub use reason::FactorView;
pub use record::{Attributes, ColType, Column, Record, RecordError, SqlValue};
pub(crate) use values::truncate as truncate_for_message;
pub use values::{Id, Money, Probability, Timestamp, ValueError};
