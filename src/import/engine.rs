//! Reading a CSV through a mapping: every row into every entity it produces.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Read;

use super::cell::{eval, Row};
use super::plan::Plan;
use super::source::{csv_reader, Source};
use super::{EntityRows, ImportError, LineProblem, MappedRow, Mapping};

/// How many rows pass between two progress calls.
const PROGRESS_EVERY: u64 = 1000;

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
    if entity != mapping.entity {
        return Err(ImportError::EntityMismatch {
            named: entity.to_string(),
            mapping: mapping.entity.clone(),
        });
    }
    let mut reader = csv_reader(csv);
    let (columns, header) = read_header(&mut reader)?;
    let plans = mapping
        .entity_specs()
        .into_iter()
        .map(|(at, spec)| Plan::new(&at, spec, &columns))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Output::new(&plans);
    let mut record = csv::StringRecord::new();
    let mut count = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let row = Row {
                    header: &header,
                    record: &record,
                    nulls: &mapping.null,
                    tables: &mapping.tables,
                };
                out.record(&plans, &row, columns.len());
            }
            Err(e) => out.bad_row(bad_line(&e)?, e.to_string()),
        }
        count += 1;
        if count.is_multiple_of(PROGRESS_EVERY) {
            progress(reader.get_ref().bytes);
        }
    }
    progress(reader.get_ref().bytes);
    Ok(out.rows)
}

type Header = HashMap<String, usize>;

fn read_header<R: Read>(
    reader: &mut csv::Reader<Source<R>>,
) -> Result<(Vec<String>, Header), ImportError> {
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Csv(e.to_string()))?;
    let columns: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
    let mut index = Header::new();
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

/// One entity of one row: its JSON object, or None when the entity's condition fails.
/// Null fields and null attributes are left out of the object.
fn map_row(plan: &Plan, row: &Row, line: u64) -> Option<MappedRow> {
    if plan.when.as_ref().is_some_and(|w| !row.holds(w)) {
        return None;
    }
    let mut problems = Vec::new();
    let mut object = Map::new();
    let mut put = |into: &mut Map<String, Value>, key: &str, field: String, v| match v {
        Ok(Value::Null) => {}
        Ok(v) => {
            into.insert(key.to_string(), v);
        }
        Err(reason) => problems.push(LineProblem {
            line,
            field,
            reason,
        }),
    };
    for (name, spec) in &plan.fields {
        put(&mut object, name, name.clone(), eval(spec, row));
    }
    if let Some(attrs) = &plan.attrs {
        let mut map = Map::new();
        for (key, spec) in attrs {
            put(&mut map, key, format!("attributes.{key}"), eval(spec, row));
        }
        object.insert("attributes".into(), Value::Object(map));
    }
    Some(MappedRow {
        line,
        value: Value::Object(object),
        problems,
    })
}

/// The result being built: one bucket per distinct entity, and which bucket each plan fills.
struct Output {
    rows: Vec<EntityRows>,
    bucket_of: Vec<usize>,
}

impl Output {
    fn new(plans: &[Plan]) -> Self {
        let mut rows: Vec<EntityRows> = Vec::new();
        let mut bucket_of = Vec::with_capacity(plans.len());
        for p in plans {
            let at = match rows.iter().position(|r| r.entity == p.entity) {
                Some(i) => i,
                None => {
                    rows.push(EntityRows {
                        entity: p.entity.clone(),
                        rows: Vec::new(),
                    });
                    rows.len() - 1
                }
            };
            bucket_of.push(at);
        }
        Output { rows, bucket_of }
    }

    /// Every entity one CSV record produces; `width` is the header's column count.
    fn record(&mut self, plans: &[Plan], row: &Row, width: usize) {
        let line = row.record.position().map_or(0, csv::Position::line);
        if row.record.len() != width {
            let reason = format!("has {} cells, the header has {width}", row.record.len());
            return self.bad_row(line, reason);
        }
        for (plan, &bucket) in plans.iter().zip(&self.bucket_of) {
            if let Some(r) = map_row(plan, row, line) {
                self.rows[bucket].rows.push(r);
            }
        }
    }

    /// A row that could not be mapped at all is reported on the main entity.
    fn bad_row(&mut self, line: u64, reason: String) {
        let problem = LineProblem {
            line,
            field: String::new(),
            reason,
        };
        self.rows[0].rows.push(MappedRow {
            line,
            value: Value::Null,
            problems: vec![problem],
        });
    }
}
