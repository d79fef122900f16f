//! Importing a CRM export. A file goes through two passes: the first maps and checks every line
//! (nothing is held but the first problems and a log of keys), the second maps the file again
//! and writes it in chunks through one bulk transaction, all or nothing. Rows already mapped in
//! memory (a rollup) are checked together, then written the same way.

use std::sync::Arc;

use crate::import::{
    check_file, check_rows, entity_kind, entity_kinds, feed_rows, CsvFile, EntityKind, EntityRows,
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

/// Which pass of an import a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Reading and checking every line.
    Check,
    /// Reading again and writing.
    Write,
}

/// Called now and then with the pass and the bytes of the file read so far in it.
pub type Progress = Arc<dyn Fn(Pass, u64) + Send + Sync>;

/// Imports `file` through `mapping`: checks every line, then, when none is bad, writes every
/// row of every entity the mapping produces in one transaction. The file is read twice and
/// never held whole.
pub async fn import_file(
    store: &Store,
    mapping: Arc<Mapping>,
    entity: &str,
    file: Arc<CsvFile>,
    progress: Progress,
) -> Result<Vec<ImportOutcome>, ImportFailure> {
    let stamp = file.stamp();
    let check = {
        let (m, e, f, p) = (
            mapping.clone(),
            entity.to_string(),
            file.clone(),
            progress.clone(),
        );
        blocking(move || check_file(&m, &e, &f, &mut |n| p(Pass::Check, n))).await??
    };
    if check.problems.total > 0 {
        return Err(ImportFailure::BadLines(check.problems));
    }
    let kinds = entity_kinds(&mapping);
    let mut writer = store.begin_bulk(&tables(&kinds)).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(usize, Vec<StoreRow>)>(kinds.len() + 1);
    let reader = {
        let (m, e, f, p) = (mapping.clone(), entity.to_string(), file.clone(), progress);
        tokio::task::spawn_blocking(move || {
            feed_rows(
                &m,
                &e,
                &f,
                CHUNK_ROWS,
                &mut |at, rows| tx.blocking_send((at, rows)).is_ok(),
                &mut |n| p(Pass::Write, n),
            )
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
    let written = reader.await.map_err(thread_failed)??;
    if written != check.rows || file.stamp() != stamp {
        return Err(ImportError::Changed(format!(
            "{} rows checked, {} read again",
            check.rows.iter().sum::<u64>(),
            written.iter().sum::<u64>()
        ))
        .into());
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

/// Runs file reading off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ImportFailure> {
    tokio::task::spawn_blocking(f).await.map_err(thread_failed)
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
