//! Reading a CSV through a mapping: every row into every entity it produces.
//!
//! [`LineMapper`] reads one CSV record at a time, so a file of any size is mapped in constant
//! memory; [`map_csv`] gathers its output for callers that want every row at once.

use serde_json::{Map, Value};
use std::io::Read;

use super::cell::{eval, Header, Row};
use super::entities::{entity_kind, EntityKind};
use super::feed::StoreRow;
use super::fields::fast_record;
use super::plan::Plan;
use super::source::{csv_reader_with, Source};
use super::{EntityRows, ImportError, LineProblem, MappedRow, Mapping};
use crate::domain::Record;

/// How many rows pass between two progress calls.
pub(crate) const PROGRESS_EVERY: u64 = 1000;

/// Maps every row of `csv` (a header row, then data) into the mapping's main entity and its
/// derived entities. `entity` is the entity the user asked to import; it must be the mapping's
/// main entity. The result holds the main entity first, then each derived entity once, in the
/// order the mapping declares them; rows are in file order and carry their 1-based line.
///
/// File-level problems (a column the mapping reads is missing, unreadable CSV) are errors; a bad
/// cell is a [`LineProblem`] on its row and mapping goes on. `progress` is called now and then
/// with the bytes read so far, and once at the end with the file's size.
pub fn map_csv<R: Read>(
    mapping: &Mapping,
    entity: &str,
    csv: R,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<EntityRows>, ImportError> {
    let mut lines = LineMapper::new(mapping, entity, csv, b',')?;
    let mut out: Vec<EntityRows> = lines
        .entities()
        .iter()
        .map(|e| EntityRows {
            entity: e.clone(),
            rows: Vec::new(),
        })
        .collect();
    let mut count = 0u64;
    while let Some(line) = lines.next_line()? {
        for (bucket, row) in line.rows {
            out[bucket].rows.push(row);
        }
        count += 1;
        if count.is_multiple_of(PROGRESS_EVERY) {
            progress(lines.bytes());
        }
    }
    progress(lines.bytes());
    Ok(out)
}

/// What one CSV record produced: a row per entity whose condition held, each with the index of
/// its entity in [`LineMapper::entities`]. A record that could not be read at all gives one
/// row of the main entity (index 0) with a null value and the problem.
#[derive(Debug)]
pub(crate) struct MappedLine {
    pub rows: Vec<(usize, MappedRow)>,
}

/// One entity row of a record as [`LineMapper::next_cells`] gives it.
#[derive(Debug)]
pub(crate) enum Mapped {
    /// The row as the store writes it: the entity accepts it as it is.
    Cells(StoreRow),
    /// The row as a JSON object with the cells the mapping rejected: the entity's parser (see
    /// `check_row`) says what else is wrong, if anything.
    Json(MappedRow),
}

/// A CSV file read through a mapping, one record at a time.
pub(crate) struct LineMapper<'m, R: Read> {
    mapping: &'m Mapping,
    reader: csv::Reader<Source<R>>,
    pub(super) plans: Vec<Plan>,
    pub(super) header: Header,
    width: usize,
    record: csv::StringRecord,
    /// The entity index each plan fills.
    pub(super) bucket_of: Vec<usize>,
    entities: Vec<String>,
    /// The kind of each entity, in the order of `entities`.
    kinds: Vec<EntityKind>,
}

impl<'m, R: Read> LineMapper<'m, R> {
    /// Reads the header and resolves the mapping against it; `delimiter` separates cells
    /// (`b','`, `b';'`, `b'\t'`).
    pub fn new(
        mapping: &'m Mapping,
        entity: &str,
        csv: R,
        delimiter: u8,
    ) -> Result<Self, ImportError> {
        if entity != mapping.entity {
            return Err(ImportError::EntityMismatch {
                named: entity.to_string(),
                mapping: mapping.entity.clone(),
            });
        }
        let mut reader = csv_reader_with(csv, delimiter);
        let (columns, header) = read_header(&mut reader)?;
        let plans = mapping
            .entity_specs()
            .into_iter()
            .map(|(at, spec)| Plan::new(&at, spec, &columns))
            .collect::<Result<Vec<_>, _>>()?;
        let entities: Vec<String> = mapping.entities().into_iter().map(String::from).collect();
        let bucket_of = plans
            .iter()
            .map(|p| entities.iter().position(|e| *e == p.entity).unwrap_or(0))
            .collect();
        let kinds = entities
            .iter()
            .map(|e| entity_kind(e).expect("entities are checked when the mapping loads"))
            .collect();
        Ok(LineMapper {
            mapping,
            reader,
            plans,
            header,
            width: columns.len(),
            record: csv::StringRecord::new(),
            bucket_of,
            entities,
            kinds,
        })
    }

    /// The entities this mapping produces, main first (as [`Mapping::entities`]).
    pub fn entities(&self) -> &[String] {
        &self.entities
    }

    /// Bytes taken from the reader so far.
    pub fn bytes(&self) -> u64 {
        self.reader.get_ref().bytes
    }

    /// The next record's rows, or None at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<MappedLine>, ImportError> {
        Ok(match self.advance()? {
            None => None,
            Some(Ok(line)) => Some(self.map_record(line)),
            Some(Err(bad)) => Some(bad),
        })
    }

    /// The next record's rows into `out` (cleared first), each with its entity's index and its
    /// line: as the store's cells when the entity accepts the row as it is, else as
    /// [`LineMapper::next_line`] gives it. False at the end of the file.
    pub fn next_cells(&mut self, out: &mut Vec<(usize, u64, Mapped)>) -> Result<bool, ImportError> {
        out.clear();
        let line = match self.advance()? {
            None => return Ok(false),
            Some(Ok(line)) => line,
            Some(Err(bad)) => {
                out.extend(
                    bad.rows
                        .into_iter()
                        .map(|(b, r)| (b, r.line, Mapped::Json(r))),
                );
                return Ok(true);
            }
        };
        let row = self.row(line);
        let mut fields: Vec<(&str, Value)> = Vec::new();
        for (plan, &bucket) in self.plans.iter().zip(&self.bucket_of) {
            if plan.when.as_ref().is_some_and(|w| !row.holds(w)) {
                continue;
            }
            let fast = self.kinds[bucket].fast;
            let mapped = match fast_fields(plan, &row, &mut fields).and_then(|()| fast(&mut fields))
            {
                Some(cells) => Mapped::Cells(cells),
                None => match map_row(plan, &row, line) {
                    Some(r) => Mapped::Json(r),
                    None => continue,
                },
            };
            fields.clear();
            out.push((bucket, line, mapped));
        }
        Ok(true)
    }

    /// The next record's rows of entity `bucket` alone into `out` (cleared first): the record
    /// when the entity accepts the row as it is, else the row as [`LineMapper::next_line`] gives
    /// it. A record that could not be read at all gives its one row of the main entity whatever
    /// `bucket` is. False at the end of the file.
    pub fn next_records<T: Record>(
        &mut self,
        bucket: usize,
        out: &mut Vec<Result<T, MappedRow>>,
    ) -> Result<bool, ImportError> {
        out.clear();
        let line = match self.advance()? {
            None => return Ok(false),
            Some(Ok(line)) => line,
            Some(Err(bad)) => {
                out.extend(bad.rows.into_iter().map(|(_, r)| Err(r)));
                return Ok(true);
            }
        };
        self.records_of_line(bucket, line, out);
        Ok(true)
    }

    /// The rows of entity `bucket` of the record just read (on `line`), pushed to `out` as
    /// [`LineMapper::next_records`] gives them.
    pub(super) fn records_of_line<T: Record>(
        &self,
        bucket: usize,
        line: u64,
        out: &mut Vec<Result<T, MappedRow>>,
    ) {
        let row = self.row(line);
        let mut fields: Vec<(&str, Value)> = Vec::new();
        for (plan, _) in self
            .plans
            .iter()
            .zip(&self.bucket_of)
            .filter(|p| *p.1 == bucket)
        {
            if plan.when.as_ref().is_some_and(|w| !row.holds(w)) {
                continue;
            }
            let read = match fast_fields(plan, &row, &mut fields)
                .and_then(|()| fast_record::<T>(&mut fields))
            {
                Some(record) => Ok(record),
                None => match map_row(plan, &row, line) {
                    Some(r) => Err(r),
                    None => continue,
                },
            };
            fields.clear();
            out.push(read);
        }
    }

    /// Reads the next record: None at the end of the file, its line when it can be mapped, and
    /// otherwise its one problem as a row of the main entity.
    pub(super) fn advance(&mut self) -> Result<Option<Result<u64, MappedLine>>, ImportError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Ok(Some(Err(bad_row(bad_line(&e)?, e.to_string())))),
        }
        let line = self.line();
        Ok(Some(self.check_width(line).map(|()| line)))
    }

    fn line(&self) -> u64 {
        self.record.position().map_or(0, csv::Position::line)
    }

    /// A record with more or fewer cells than the header is one problem on its line.
    fn check_width(&self, line: u64) -> Result<(), MappedLine> {
        if self.record.len() == self.width {
            return Ok(());
        }
        let reason = format!(
            "has {} cells, the header has {}",
            self.record.len(),
            self.width
        );
        Err(bad_row(line, reason))
    }

    pub(super) fn row(&self, line: u64) -> Row<'_> {
        Row {
            header: &self.header,
            record: &self.record,
            nulls: &self.mapping.null,
            tables: &self.mapping.tables,
            line,
        }
    }

    fn map_record(&self, line: u64) -> MappedLine {
        let row = self.row(line);
        let rows = self
            .plans
            .iter()
            .zip(&self.bucket_of)
            .filter_map(|(plan, &bucket)| map_row(plan, &row, line).map(|r| (bucket, r)))
            .collect();
        MappedLine { rows }
    }
}

fn read_header<R: Read>(
    reader: &mut csv::Reader<Source<R>>,
) -> Result<(Vec<String>, Header), ImportError> {
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Csv(e.to_string()))?;
    let columns: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
    let mut index = Header::default();
    for (i, c) in columns.iter().enumerate() {
        if index.insert(c.clone(), i).is_some() && !c.is_empty() {
            return Err(ImportError::DuplicateColumn { column: c.clone() });
        }
    }
    Ok((columns, index))
}

/// A row that is not valid UTF-8 is a line problem; any other reading error ends the import.
fn bad_line(e: &csv::Error) -> Result<u64, ImportError> {
    match e.kind() {
        csv::ErrorKind::Utf8 { pos: Some(pos), .. } => Ok(pos.line()),
        _ => Err(ImportError::Csv(e.to_string())),
    }
}

/// A row that could not be mapped at all is reported on the main entity.
fn bad_row(line: u64, reason: String) -> MappedLine {
    let problem = LineProblem {
        line,
        field: String::new(),
        reason,
    };
    let row = MappedRow {
        line,
        value: Value::Null,
        problems: vec![problem],
    };
    MappedLine {
        rows: vec![(0, row)],
    }
}

/// One entity of one row as (field, value) pairs into `out`, null fields left out, the
/// attributes as one object; None when a cell cannot be converted (the JSON road reports it).
/// The entity's condition is the caller's.
fn fast_fields<'p>(plan: &'p Plan, row: &Row, out: &mut Vec<(&'p str, Value)>) -> Option<()> {
    out.clear();
    for (name, spec) in &plan.fields {
        match eval(spec, row).ok()? {
            Value::Null => {}
            v => out.push((name.as_str(), v)),
        }
    }
    if let Some(attrs) = &plan.attrs {
        let mut map = Map::with_capacity(attrs.len());
        for (key, spec) in attrs {
            match eval(spec, row).ok()? {
                Value::Null => {}
                v => {
                    map.insert(key.clone(), v);
                }
            }
        }
        out.push(("attributes", Value::Object(map)));
    }
    Some(())
}

/// One entity of one row: its JSON object, or None when the entity's condition fails.
/// Null fields and null attributes are left out of the object.
fn map_row(plan: &Plan, row: &Row, line: u64) -> Option<MappedRow> {
    if plan.when.as_ref().is_some_and(|w| !row.holds(w)) {
        return None;
    }
    let mut problems = Vec::new();
    let mut object = Map::with_capacity(plan.fields.len() + 1);
    // The field's name is spelt out only for a problem.
    let mut put = |into: &mut Map<String, Value>, key: &str, attribute: bool, v| match v {
        Ok(Value::Null) => {}
        Ok(v) => {
            into.insert(key.to_string(), v);
        }
        Err(reason) => problems.push(LineProblem {
            line,
            field: if attribute {
                format!("attributes.{key}")
            } else {
                key.to_string()
            },
            reason,
        }),
    };
    for (name, spec) in &plan.fields {
        put(&mut object, name, false, eval(spec, row));
    }
    if let Some(attrs) = &plan.attrs {
        let mut map = Map::with_capacity(attrs.len());
        for (key, spec) in attrs {
            put(&mut map, key, true, eval(spec, row));
        }
        object.insert("attributes".into(), Value::Object(map));
    }
    Some(MappedRow {
        line,
        value: Value::Object(object),
        problems,
    })
}
