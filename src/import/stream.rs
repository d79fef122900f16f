//! A streaming import's reading of its file: every line of a file of any size mapped and
//! checked, the first problems kept by line and all of them counted, in memory bounded by a
//! constant; and, while no line is bad, every row handed on in chunks to be written.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::sync::atomic::Ordering;

use super::check::{check_row, duplicate};
use super::engine::{LineMapper, Mapped, PROGRESS_EVERY};
use super::entities::{parser, EntityKind, Parser};
use super::feed::entity_kinds;
use super::file::CsvFile;
use super::keys::{key_hash, KeyLog, Repeat};
use super::{ImportError, LineProblem, MappedRow, Mapping, StoreRow};

/// How many problems a report spells out; the rest are only counted.
pub const SHOWN_PROBLEMS: usize = 100;

/// The first [`SHOWN_PROBLEMS`] problems of a file in line order, and how many it has in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problems {
    pub first: Vec<LineProblem>,
    pub total: u64,
}

/// What the first pass found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Rows per entity, in the order of [`Mapping::entities`].
    pub rows: Vec<u64>,
    pub problems: Problems,
}

/// Where the rows of a file go while none of its lines is bad: chunks of up to `chunk` rows of
/// one entity (its index in [`Mapping::entities`]), in file order, handed to `send`, which
/// returns false when the writer stopped.
pub struct Feed<'a> {
    pub chunk: usize,
    pub send: &'a mut dyn FnMut(usize, Vec<StoreRow>) -> bool,
}

/// Maps and checks every line of `file` as [`super::check_rows`] does, duplicate keys across
/// the whole file included. With a `feed`, the rows are handed to it as they are read until the
/// first problem is found (a repeated key is only known at the end, so the caller keeps what
/// it wrote only when the report has no problem); when the feed's writer stops, reading stops
/// and the report covers only the lines read until then. `progress` gets the bytes read from disk now and then.
pub fn check_file(
    mapping: &Mapping,
    entity: &str,
    file: &CsvFile,
    mut feed: Option<Feed>,
    progress: &mut dyn FnMut(u64),
) -> Result<CheckReport, ImportError> {
    let opened = file.open()?;
    let mut lines = LineMapper::new(mapping, entity, opened.reader, file.delimiter())?;
    let parsers = parsers(lines.entities());
    let kinds = entity_kinds(mapping);
    let mut keys = KeyLog::new();
    let mut found = Collector::new(SHOWN_PROBLEMS);
    let mut rows = vec![0u64; parsers.len()];
    let mut count = 0u64;
    let spill = |e: io::Error| ImportError::Csv(format!("cannot write a temporary file: {e}"));
    let mut chunks = Chunks::new(feed.as_ref().map_or(0, |f| f.chunk), parsers.len());
    let mut line = Vec::new();
    'lines: while lines.next_cells(&mut line)? {
        for (bucket, at, mapped) in line.drain(..) {
            rows[bucket] += 1;
            let row = match mapped {
                Mapped::Cells(cells) => Ok(cells),
                Mapped::Json(row) => json_cells(&kinds[bucket], row),
            };
            let (key, problems) = match row {
                Ok((key, cells)) => {
                    keys.push(key_hash(bucket, &key), at).map_err(spill)?;
                    if let Some(f) = feed.as_mut().filter(|_| found.total == 0) {
                        if !chunks.push(bucket, (key, cells), f) {
                            break 'lines;
                        }
                    }
                    continue;
                }
                Err(row) => check_row(parsers[bucket], row),
            };
            for p in problems {
                found.add(p.line, Found::Problem(p));
            }
            if let Some(key) = key {
                keys.push(key_hash(bucket, &key), at).map_err(spill)?;
            }
        }
        count += 1;
        if count.is_multiple_of(PROGRESS_EVERY) {
            progress(opened.read.load(Ordering::Relaxed));
        }
    }
    if let Some(f) = feed.as_mut().filter(|_| found.total == 0) {
        chunks.flush(f);
    }
    progress(opened.read.load(Ordering::Relaxed));
    keys.repeats(&mut |r| found.add(r.line, Found::Repeat(r)))
        .map_err(spill)?;
    let problems = found.finish(|lines| repeated_keys(mapping, entity, file, lines))?;
    Ok(CheckReport { rows, problems })
}

/// The cells of a row that took the JSON road (the fast road refused it) when the entity
/// accepts it as it is; the row back otherwise, for its problems.
pub(super) fn json_cells(kind: &EntityKind, row: MappedRow) -> Result<StoreRow, MappedRow> {
    if !row.problems.is_empty() || row.value.is_null() {
        return Err(row);
    }
    (kind.to_store)(row.value.clone()).map_err(|_| row)
}

/// The rows of each entity not yet handed to the feed.
struct Chunks {
    size: usize,
    buffers: Vec<Vec<StoreRow>>,
}

impl Chunks {
    fn new(size: usize, entities: usize) -> Self {
        Chunks {
            size,
            buffers: (0..entities).map(|_| Vec::new()).collect(),
        }
    }

    /// Keeps `row`; hands the entity's chunk on when it is full. False when the writer stopped.
    fn push(&mut self, bucket: usize, row: StoreRow, feed: &mut Feed) -> bool {
        let buffer = &mut self.buffers[bucket];
        buffer.push(row);
        if buffer.len() < self.size {
            return true;
        }
        let full = std::mem::replace(buffer, Vec::with_capacity(self.size));
        (feed.send)(bucket, full)
    }

    /// Hands on every row kept.
    fn flush(&mut self, feed: &mut Feed) {
        for (bucket, rest) in self.buffers.iter_mut().enumerate() {
            if !rest.is_empty() && !(feed.send)(bucket, std::mem::take(rest)) {
                return;
            }
        }
    }
}

fn parsers(entities: &[String]) -> Vec<Parser> {
    entities
        .iter()
        .map(|e| parser(e).expect("entities are checked when the mapping loads"))
        .collect()
}

/// The keys given on `lines`, by hash, read again from the file (a repeat is found by its
/// hash; its message names the key).
fn repeated_keys(
    mapping: &Mapping,
    entity: &str,
    file: &CsvFile,
    lines: &BTreeSet<u64>,
) -> Result<HashMap<(u64, u64), String>, ImportError> {
    let last = lines.last().copied().unwrap_or(0);
    let opened = file.open()?;
    let mut mapper = LineMapper::new(mapping, entity, opened.reader, file.delimiter())?;
    let parsers = parsers(mapper.entities());
    let mut out = HashMap::new();
    while let Some(line) = mapper.next_line()? {
        for (bucket, row) in line.rows {
            if row.line > last {
                return Ok(out);
            }
            if lines.contains(&row.line) {
                if let (Some(key), _) = check_row(parsers[bucket], row) {
                    out.insert(key_hash(bucket, &key), key);
                }
            }
        }
    }
    Ok(out)
}

enum Found {
    Problem(LineProblem),
    Repeat(Repeat),
}

/// Keeps the `limit` problems of the lowest lines (in the order found within a line) and counts
/// all of them.
struct Collector {
    kept: Vec<(u64, u64, Found)>,
    limit: usize,
    total: u64,
    /// Once `limit` are kept, a problem on this line or a later one cannot enter.
    cutoff: Option<u64>,
}

impl Collector {
    fn new(limit: usize) -> Self {
        Collector {
            kept: Vec::new(),
            limit,
            total: 0,
            cutoff: None,
        }
    }

    fn add(&mut self, line: u64, found: Found) {
        self.total += 1;
        if self.cutoff.is_some_and(|c| line >= c) {
            return;
        }
        self.kept.push((line, self.total, found));
        if self.kept.len() >= 2 * self.limit {
            self.compact();
        }
    }

    fn compact(&mut self) {
        self.kept.sort_by_key(|(line, seq, _)| (*line, *seq));
        self.kept.truncate(self.limit);
        if self.kept.len() == self.limit {
            self.cutoff = self.kept.last().map(|(line, _, _)| *line);
        }
    }

    /// The kept problems with each repeat's key spelled out, read by `keys` for the lines named.
    fn finish(
        mut self,
        keys: impl FnOnce(&BTreeSet<u64>) -> Result<HashMap<(u64, u64), String>, ImportError>,
    ) -> Result<Problems, ImportError> {
        self.compact();
        let repeat_lines: BTreeSet<u64> = self
            .kept
            .iter()
            .filter_map(|(_, _, f)| match f {
                Found::Repeat(r) => Some(r.line),
                Found::Problem(_) => None,
            })
            .collect();
        let keys = if repeat_lines.is_empty() {
            HashMap::new()
        } else {
            keys(&repeat_lines)?
        };
        let first = self
            .kept
            .into_iter()
            .map(|(_, _, f)| match f {
                Found::Problem(p) => p,
                Found::Repeat(r) => {
                    let key = keys.get(&r.hash).map_or("?", String::as_str);
                    duplicate(r.line, key, r.first)
                }
            })
            .collect();
        Ok(Problems {
            first,
            total: self.total,
        })
    }
}
