//! Scoring a CRM export through an import mapping without storing it: the file is read in
//! blocks of lines, each block mapped exactly as `revcast import` maps it, scored with the active
//! model, and written out in the file's order. Memory stays flat whatever the file's length.

use serde_json::Value;
use std::io::{Read, Write};

use super::bulk_scoring::{self, Explain};
use super::models::{ModelRegistry, ScoredRecord};
use super::ServiceError;
use crate::domain::{parse_row, AccountSnapshot, Lead, Opportunity, Record};
use crate::import::{map_csv, ImportError, LineProblem, Mapping};

/// Lines mapped and scored together.
const BLOCK_LINES: usize = 16_384;

/// What a file holds, as the mapping names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Leads,
    Opportunities,
    /// Accounts with their health snapshots (the mapping derives `account-snapshots`); each
    /// account is scored from its snapshots in the same block of lines.
    Accounts,
}

impl FileKind {
    /// The entity the mapping is for (`revcast import ENTITY`).
    pub fn entity(self) -> &'static str {
        match self {
            FileKind::Leads => "leads",
            FileKind::Opportunities => "opportunities",
            FileKind::Accounts => "accounts",
        }
    }

    /// The mapped rows that are scored.
    fn scored_rows(self) -> &'static str {
        match self {
            FileKind::Accounts => "account-snapshots",
            other => other.entity(),
        }
    }
}

/// Why a file could not be scored at all.
#[derive(Debug, thiserror::Error)]
pub enum ScoreFileError {
    #[error(transparent)]
    Mapping(#[from] ImportError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot read the file: {0}")]
    Read(#[from] csv::Error),
    #[error("cannot write the scores: {0}")]
    Write(#[from] std::io::Error),
}

/// Rows scored and the bad lines left out (reported as the import reports them).
#[derive(Debug, Default)]
pub struct FileScores {
    pub scored: usize,
    pub problems: Vec<LineProblem>,
}

/// Counts the bytes read, for a progress bar.
struct Counting<'a, R> {
    inner: R,
    bytes: u64,
    progress: &'a mut dyn FnMut(u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        (self.progress)(self.bytes);
        Ok(n)
    }
}

/// Scores every line of `input` and writes `id,score,probability,grade,factors` (the factors'
/// texts joined by `; `) to `out`, in the file's order. Bad lines are left out and returned,
/// every one, by line and field; the good ones are still scored.
pub fn score_file(
    registry: &ModelRegistry,
    mapping: &Mapping,
    kind: FileKind,
    explain: Explain,
    input: impl Read,
    out: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<FileScores, ScoreFileError> {
    let counting = Counting {
        inner: input,
        bytes: 0,
        progress,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(counting);
    let mut header = csv::StringRecord::new();
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["id", "score", "probability", "grade", "factors"])?;
    let mut summary = FileScores::default();
    if !reader.read_record(&mut header)? {
        return Ok(summary);
    }
    let mut record = csv::StringRecord::new();
    loop {
        let (block, lines) = read_block(&mut reader, &header, &mut record)?;
        if lines.is_empty() {
            break;
        }
        let scored = score_block(
            registry,
            mapping,
            kind,
            explain,
            &block,
            &lines,
            &mut summary,
        )?;
        for r in &scored {
            write_score(&mut writer, r)?;
        }
        summary.scored += scored.len();
    }
    writer.flush()?;
    Ok(summary)
}

/// A block of lines as CSV text, and for each record its first line in the block and in the file.
type Block = (Vec<u8>, Vec<(u64, u64)>);

/// The next block as CSV text (the header, then up to [`BLOCK_LINES`] records), and for each
/// record its first line in the block and in the file.
fn read_block<R: Read>(
    reader: &mut csv::Reader<R>,
    header: &csv::StringRecord,
    record: &mut csv::StringRecord,
) -> Result<Block, ScoreFileError> {
    let mut block = csv::Writer::from_writer(Vec::with_capacity(1 << 20));
    block.write_record(header)?;
    let (mut lines, mut at) = (Vec::new(), 2u64);
    while lines.len() < BLOCK_LINES && reader.read_record(record)? {
        let in_file = record.position().map_or(0, |p| p.line());
        lines.push((at, in_file));
        // A quoted field may hold line breaks: the record then spans more lines of the block.
        at += 1 + record
            .iter()
            .map(|f| f.bytes().filter(|&b| b == b'\n').count() as u64)
            .sum::<u64>();
        block.write_record(&*record)?;
    }
    let bytes = block.into_inner().map_err(|e| e.into_error())?;
    Ok((bytes, lines))
}

fn score_block(
    registry: &ModelRegistry,
    mapping: &Mapping,
    kind: FileKind,
    explain: Explain,
    block: &[u8],
    lines: &[(u64, u64)],
    summary: &mut FileScores,
) -> Result<Vec<ScoredRecord>, ScoreFileError> {
    let mapped = map_csv(mapping, kind.entity(), block, &mut |_| {})?;
    let in_file = |line: u64| match lines.binary_search_by_key(&line, |l| l.0) {
        Ok(i) => lines[i].1,
        Err(i) => lines.get(i.saturating_sub(1)).map_or(line, |l| l.1),
    };
    let mut values = Vec::new();
    for rows in mapped
        .into_iter()
        .filter(|r| r.entity == kind.scored_rows())
    {
        for row in rows.rows {
            let line = in_file(row.line);
            let bad = !row.problems.is_empty() || row.value.is_null();
            summary
                .problems
                .extend(row.problems.into_iter().map(|p| LineProblem {
                    line: in_file(p.line),
                    ..p
                }));
            if !bad {
                values.push((line, row.value));
            }
        }
    }
    let problems = &mut summary.problems;
    Ok(match kind {
        FileKind::Leads => {
            bulk_scoring::score_leads(registry, &parse::<Lead>(values, problems), explain)?.data
        }
        FileKind::Opportunities => {
            bulk_scoring::score_opportunities(
                registry,
                &parse::<Opportunity>(values, problems),
                explain,
            )?
            .data
        }
        FileKind::Accounts => bulk_scoring::score_account_snapshots(
            registry,
            &parse::<AccountSnapshot>(values, problems),
            explain,
        )?,
    })
}

/// The rows the entity accepts; the others' problems, by file line.
fn parse<T: Record>(values: Vec<(u64, Value)>, problems: &mut Vec<LineProblem>) -> Vec<T> {
    let mut out = Vec::with_capacity(values.len());
    for (line, value) in values {
        match parse_row::<T>(value) {
            Ok(r) => out.push(r),
            Err(found) => problems.extend(found.into_iter().map(|p| LineProblem {
                line,
                field: p.field,
                reason: p.reason,
            })),
        }
    }
    out
}

fn write_score<W: Write>(w: &mut csv::Writer<W>, r: &ScoredRecord) -> Result<(), ScoreFileError> {
    let factors: Vec<&str> = r
        .positive_factors
        .iter()
        .chain(&r.negative_factors)
        .map(|f| f.text.as_str())
        .collect();
    w.write_record([
        r.id.as_str(),
        &r.score.to_string(),
        &r.probability.to_string(),
        &r.grade,
        &factors.join("; "),
    ])?;
    Ok(())
}
