//! Reading the rollup's CSV files: each table whole, its cells by column name, and every bad
//! cell recorded by file, line and column.

use std::io::Read;
use std::path::Path;

use crate::import::source::csv_reader;
use crate::import::{ImportError, LineProblem};

/// Bad cells across the files, each named by its file.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<(String, LineProblem)>);

impl Problems {
    pub(super) fn push(&mut self, file: &str, line: u64, column: &str, reason: String) {
        self.0.push((
            file.to_string(),
            LineProblem {
                line,
                field: column.to_string(),
                reason,
            },
        ));
    }
}

/// One CSV's rows, read cell by cell with the problems named by file, line and column.
pub(super) struct Table {
    pub(super) name: String,
    pub(super) header: Vec<String>,
    pub(super) records: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    pub(super) fn read<R: Read>(name: &str, input: R) -> Result<Table, ImportError> {
        let mut reader = csv_reader(input);
        let header = reader
            .headers()
            .map_err(|e| ImportError::Csv(format!("{name}: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut records = Vec::new();
        for r in reader.records() {
            let r = r.map_err(|e| ImportError::Csv(format!("{name}: {e}")))?;
            let line = r.position().map_or(0, |p| p.line());
            records.push((line, r));
        }
        Ok(Table {
            name: name.to_string(),
            header,
            records,
        })
    }

    pub(super) fn open(name: &str, file: &str, base_dir: &Path) -> Result<Table, ImportError> {
        let path = base_dir.join(file);
        let f = std::fs::File::open(&path).map_err(|e| ImportError::LookupFile {
            name: name.to_string(),
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Table::read(name, std::io::BufReader::new(f))
    }

    /// The index of `column`, or an error naming the mapping key and the columns found.
    pub(super) fn column(&self, key: &str, column: &str) -> Result<usize, ImportError> {
        self.header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| ImportError::MissingColumn {
                column: column.to_string(),
                key: format!("{} ({key})", self.name),
                found: self.header.join(", "),
            })
    }

    pub(super) fn optional(
        &self,
        key: &str,
        column: Option<&String>,
    ) -> Result<Option<usize>, ImportError> {
        column.map(|c| self.column(key, c)).transpose()
    }
}

/// The trimmed cell, `None` when empty.
pub(super) fn text(r: &csv::StringRecord, i: usize) -> Option<&str> {
    r.get(i).map(str::trim).filter(|s| !s.is_empty())
}

/// One cell through `parse`; a failure is recorded and read as empty.
pub(super) fn cell<T>(
    t: &Table,
    bad: &mut Problems,
    (line, r): &(u64, csv::StringRecord),
    i: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let s = text(r, i)?;
    parse(s)
        .map_err(|e| bad.push(&t.name, *line, &t.header[i], e))
        .ok()
}

/// A required cell: empty is a problem too.
pub(super) fn required<T>(
    t: &Table,
    bad: &mut Problems,
    row: &(u64, csv::StringRecord),
    i: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    if text(&row.1, i).is_none() {
        bad.push(&t.name, row.0, &t.header[i], "is empty".into());
        return None;
    }
    cell(t, bad, row, i, parse)
}
