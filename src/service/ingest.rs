//! Ingesting a batch of CRM rows: parse every row, then upsert all or nothing.

use serde_json::value::RawValue;

use super::models::Rescorer;
use crate::domain::{parse_raw_batch, Record};
use crate::store::{Store, UpsertCounts};

use super::{Result, ServiceError};

/// The most rows one batch may carry.
pub const MAX_BATCH_ROWS: usize = 50_000;

fn check_size(rows: usize) -> Result<()> {
    if rows > MAX_BATCH_ROWS {
        return Err(ServiceError::bad_input(
            "body",
            format!("a batch holds at most {MAX_BATCH_ROWS} rows, this one has {rows}; split it"),
        ));
    }
    Ok(())
}

/// Parses and upserts a batch of rows still in their JSON text, as the API receives them. One
/// bad row writes nothing; the error names every bad row. The model the entity feeds (if any) is
/// marked for rescoring.
pub async fn ingest_raw<T: Record>(
    store: &Store,
    rescorer: &Rescorer,
    rows: &[Box<RawValue>],
) -> Result<UpsertCounts> {
    check_size(rows.len())?;
    let records = parse_raw_batch::<T, _>(rows).map_err(ServiceError::Invalid)?;
    let counts = store.upsert(&records).await?;
    if let Some(kind) = T::FEEDS {
        rescorer.mark(kind);
    }
    Ok(counts)
}
