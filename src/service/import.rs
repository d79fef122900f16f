//! Importing a CRM export. A file is read once: every line is mapped and checked (nothing is
//! held but the first problems and a log of keys) and, while no line is bad, its rows are
//! written in chunks through one bulk transaction, committed only when the whole file checked
//! clean: all or nothing. Rows already mapped in memory (a rollup) are checked together, then
//! written the same way.

use std::sync::Arc;

use crate::import::{
    check_file, check_rows, entity_kind, entity_kinds, CsvFile, EntityKind, EntityRows, Feed,
    ImportError, Mapping, Problems, StoreRow, SHOWN_PROBLEMS,
};
use crate::store::{BulkTable, Store, StoreError, UpsertCounts};

use super::{Result, ServiceError};

/// Rows handed from the reading thread to the writer at a time: a few multi-row statements.
/// Two chunks of each entity are in flight at most, so memory stays a few MB.
const CHUNK_ROWS: usize = 5_000;

/// What an import wrote, per entity.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub entity: String,
    pub counts: UpsertCounts,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// Bad lines: the first of them by 1-based line number and field, and how many in all.
    #[error("{} problem(s) in the file; nothing was imported", .0.total)]
    BadLines(Problems),
    /// The mapping does not fit the file, or the file cannot be read.
    #[error(transparent)]
    File(#[from] ImportError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ImportFailure {
    fn from(e: StoreError) -> Self {
        ImportFailure::Service(e.into())
    }
}

/// Called now and then with the bytes of the file read so far.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// Imports `file` through `mapping`: reads it once, checking every line and writing every row
/// of every entity the mapping produces in one transaction, committed only when no line is bad
/// (otherwise nothing is written). The file is never held whole.
pub async fn import_file(
    store: &Store,
    mapping: Arc<Mapping>,
    entity: &str,
    file: Arc<CsvFile>,
    progress: Progress,
) -> Result<Vec<ImportOutcome>, ImportFailure> {
    let kinds = entity_kinds(&mapping);
    let mut writer = store.begin_bulk(&tables(&kinds)).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(usize, Vec<StoreRow>)>(kinds.len() + 1);
    let reader = {
        let (m, e) = (mapping.clone(), entity.to_string());
        tokio::task::spawn_blocking(move || {
            let mut send = |at, rows| tx.blocking_send((at, rows)).is_ok();
            let feed = Feed {
                chunk: CHUNK_ROWS,
                send: &mut send,
            };
            check_file(&m, &e, &file, Some(feed), &mut |n| progress(n))
        })
    };
    while let Some((at, rows)) = rx.recv().await {
        if let Err(e) = writer.write(at, rows).await {
            // Closing the channel stops the reader; dropping the writer rolls back.
            drop(rx);
            let _ = reader.await;
            return Err(e.into());
        }
    }
    let report = reader.await.map_err(thread_failed)??;
    if report.problems.total > 0 {
        // Dropping the writer rolls back what was written before the first bad line.
        return Err(ImportFailure::BadLines(report.problems));
    }
    outcomes(&kinds, writer.commit().await?)
}

fn tables(kinds: &[EntityKind]) -> Vec<BulkTable> {
    kinds
        .iter()
        .map(|k| BulkTable {
            table: k.table,
            columns: k.columns,
            key: k.key,
        })
        .collect()
}

fn outcomes(
    kinds: &[EntityKind],
    counts: Vec<UpsertCounts>,
) -> Result<Vec<ImportOutcome>, ImportFailure> {
    Ok(kinds
        .iter()
        .zip(counts)
        .map(|(k, counts)| ImportOutcome {
            entity: k.path.to_string(),
            counts,
        })
        .collect())
}

/// A panic in the reading thread is a defect, reported as one.
fn thread_failed(e: tokio::task::JoinError) -> ImportFailure {
    ImportFailure::Service(StoreError::Internal(anyhow::anyhow!("import thread: {e}")).into())
}

/// Checks every mapped row of every entity first; writes only when all are valid, in one
/// transaction (for rows built in memory, such as a rollup's snapshots).
pub async fn import_rows(
    store: &Store,
    batches: Vec<EntityRows>,
) -> Result<Vec<ImportOutcome>, ImportFailure> {
    let mut problems = Vec::new();
    for b in &batches {
        if let Err(p) = check_rows(b) {
            problems.extend(p);
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        let total = problems.len() as u64;
        problems.truncate(SHOWN_PROBLEMS);
        return Err(ImportFailure::BadLines(Problems {
            first: problems,
            total,
        }));
    }
    let kinds: Vec<EntityKind> = batches
        .iter()
        .map(|b| entity_kind(&b.entity).expect("checked by check_rows"))
        .collect();
    let mut writer = store.begin_bulk(&tables(&kinds)).await?;
    for (at, b) in batches.into_iter().enumerate() {
        let parse = kinds[at].to_store;
        let rows: Vec<StoreRow> = b
            .rows
            .into_iter()
            .map(|r| parse(r.value).expect("checked by check_rows"))
            .collect();
        writer.write(at, rows).await?;
    }
    outcomes(&kinds, writer.commit().await?)
}
