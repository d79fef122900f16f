//! Ingesting a batch of CRM rows: parse every row, then upsert all or nothing.

use crate::domain::{parse_batch, Record};
use crate::store::{Store, UpsertCounts};

use super::{Result, ServiceError};

/// The most rows one batch may carry.
pub const MAX_BATCH_ROWS: usize = 50_000;

/// Parses and upserts a batch. One bad row writes nothing; the error names every bad row.
pub async fn ingest<T: Record>(
    store: &Store,
    rows: Vec<serde_json::Value>,
) -> Result<UpsertCounts> {
    if rows.len() > MAX_BATCH_ROWS {
        return Err(ServiceError::bad_input(
            "body",
            format!(
                "a batch holds at most {MAX_BATCH_ROWS} rows, this one has {}; split it",
                rows.len()
            ),
        ));
    }
    let records = parse_batch::<T>(rows).map_err(ServiceError::Invalid)?;
    Ok(store.upsert(&records).await?)
}
