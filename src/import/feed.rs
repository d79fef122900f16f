//! The second pass of a streaming import: every line of a checked file parsed into the cells
//! the store writes, handed on in chunks, so the file is never held whole.

use std::sync::atomic::Ordering;

use super::engine::{LineMapper, Mapped, PROGRESS_EVERY};
use super::entities::{entity_kind, EntityKind};
use super::file::CsvFile;
use super::{ImportError, Mapping};
use crate::domain::SqlValue;

/// A row as the store writes it: its key and its cells in the order of its entity's columns.
pub type StoreRow = (String, Vec<SqlValue>);

/// The entities an import of `mapping` writes, main first (as [`Mapping::entities`]).
pub fn entity_kinds(mapping: &Mapping) -> Vec<EntityKind> {
    mapping
        .entities()
        .into_iter()
        .map(|e| entity_kind(e).expect("entities are checked when the mapping loads"))
        .collect()
}

/// Reads `file` again and hands `send` the rows of each entity (its index in
/// [`entity_kinds`]) in chunks of `chunk` rows, in file order; `send` returns false to stop
/// early (the writer failed). Returns the rows per entity. A row that does not parse means the
/// file changed since it was checked.
pub fn feed_rows(
    mapping: &Mapping,
    entity: &str,
    file: &CsvFile,
    chunk: usize,
    send: &mut dyn FnMut(usize, Vec<StoreRow>) -> bool,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<u64>, ImportError> {
    let opened = file.open()?;
    let mut lines = LineMapper::new(mapping, entity, opened.reader, file.delimiter())?;
    let kinds = entity_kinds(mapping);
    let mut buffers: Vec<Vec<StoreRow>> = kinds.iter().map(|_| Vec::with_capacity(chunk)).collect();
    let mut rows = vec![0u64; kinds.len()];
    let mut count = 0u64;
    let mut line = Vec::new();
    while lines.next_cells(&mut line)? {
        for (bucket, at, mapped) in line.drain(..) {
            let changed = |reason: String| ImportError::Changed(format!("line {at}: {reason}"));
            let cells = match mapped {
                Mapped::Cells(cells) => cells,
                Mapped::Json(row) => {
                    if let Some(p) = row.problems.first() {
                        return Err(changed(p.reason.clone()));
                    }
                    (kinds[bucket].to_store)(row.value).map_err(|p| {
                        changed(
                            p.first()
                                .map_or_else(String::new, |p| format!("{}: {}", p.field, p.reason)),
                        )
                    })?
                }
            };
            rows[bucket] += 1;
            buffers[bucket].push(cells);
            if buffers[bucket].len() >= chunk {
                let full = std::mem::replace(&mut buffers[bucket], Vec::with_capacity(chunk));
                if !send(bucket, full) {
                    return Ok(rows);
                }
            }
        }
        count += 1;
        if count.is_multiple_of(PROGRESS_EVERY) {
            progress(opened.read.load(Ordering::Relaxed));
        }
    }
    for (bucket, rest) in buffers.into_iter().enumerate() {
        if !rest.is_empty() && !send(bucket, rest) {
            break;
        }
    }
    progress(opened.read.load(Ordering::Relaxed));
    Ok(rows)
}
