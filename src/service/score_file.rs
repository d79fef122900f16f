//! Scoring a CRM export through an import mapping without storing it: the file is read one
//! record at a time by the import's own line mapper (so every cell is mapped exactly as
//! `revcast import` maps it), the accepted rows are scored a block at a time with the active
//! model, and the scores are written out in the file's order. Memory stays flat whatever the
//! file's length: one block of rows, and at most [`SHOWN_PROBLEMS`] problems kept.

use std::io::Write;
use std::sync::atomic::Ordering;

use super::batch_scores::BatchScores;
use super::bulk_scoring::{self, Explain};
use super::models::{ModelRegistry, ScoredRecord};
use super::ServiceError;
use crate::domain::{parse_row_ref, AccountSnapshot, Lead, Opportunity, Record};
use crate::import::{
    row_problems, CsvFile, ImportError, LineMapper, LineProblem, MappedRow, Mapping, Problems,
    SHOWN_PROBLEMS,
};

/// Rows scored together: large enough for the model's parallel path, small enough to keep
/// memory flat.
pub(super) const BLOCK_ROWS: usize = 8_192;
/// Blocks read ahead of the one being scored.
pub(super) const BLOCKS_AHEAD: usize = 1;

/// What a file holds, as the mapping names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Leads,
    Opportunities,
    /// Accounts with their health snapshots (the mapping derives `account-snapshots`); an
    /// account is scored from its snapshots on consecutive lines.
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
    pub(super) fn scored_rows(self) -> &'static str {
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
    #[error("the mapping for {entity} produces no `{rows}` rows to score")]
    NothingToScore {
        entity: &'static str,
        rows: &'static str,
    },
    #[error("cannot write the scores: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write the scores: {0}")]
    Csv(#[from] csv::Error),
}

/// Rows scored and the bad lines left out (the first [`SHOWN_PROBLEMS`], in line order, and
/// how many there were), reported as the import reports them.
#[derive(Debug, Default)]
pub struct FileScores {
    pub scored: u64,
    pub problems: Problems,
}

impl FileScores {
    pub(super) fn problem(&mut self, p: LineProblem) {
        self.problems.total += 1;
        if self.problems.first.len() < SHOWN_PROBLEMS {
            self.problems.first.push(p);
        }
    }
}

/// Scores every line of `file` and writes `id,score,probability,grade,factors` (the factors'
/// texts joined by `; `) to `out`, in the file's order. Bad lines are left out and counted (the
/// first ones kept by line and field); the good ones are still scored. `progress` gets the
/// bytes read from disk now and then.
pub fn score_file(
    registry: &ModelRegistry,
    mapping: &Mapping,
    kind: FileKind,
    explain: Explain,
    file: &CsvFile,
    out: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<FileScores, ScoreFileError> {
    score_file_on(registry, mapping, kind, explain, file, out, progress, true)
}

/// [`score_file`], leads on the scoring road when `road` and the mapping allows it (see
/// `lead_road`), else on the ordinary road.
#[allow(clippy::too_many_arguments)]
pub(super) fn score_file_on(
    registry: &ModelRegistry,
    mapping: &Mapping,
    kind: FileKind,
    explain: Explain,
    file: &CsvFile,
    out: impl Write,
    progress: &mut dyn FnMut(u64),
    road: bool,
) -> Result<FileScores, ScoreFileError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["id", "score", "probability", "grade", "factors"])?;
    let mut run = Run {
        registry,
        mapping,
        kind,
        explain,
        file,
        writer: &mut writer,
        progress,
        summary: FileScores::default(),
    };
    match kind {
        FileKind::Leads if road && run.lead_road()? => {}
        FileKind::Leads => run.rows::<Lead>(
            |_| None,
            |r, rows, e, w| write_batch(w, &bulk_scoring::lead_scores(r, rows, e)?),
        )?,
        FileKind::Opportunities => run.rows::<Opportunity>(
            |_| None,
            |r, rows, e, w| write_batch(w, &bulk_scoring::opportunity_scores(r, rows, e)?),
        )?,
        FileKind::Accounts => run.rows::<AccountSnapshot>(
            |s| Some(s.account_id.to_string()),
            |r, rows, e, w| {
                let scored = bulk_scoring::score_account_snapshots(r, rows, e)?;
                for r in &scored {
                    write_score(w, r)?;
                }
                Ok(scored.len())
            },
        )?,
    }
    let summary = run.summary;
    writer.flush()?;
    Ok(summary)
}

/// Scores a block and writes its rows; returns how many.
type Scorer<T, W> =
    fn(&ModelRegistry, &[T], Explain, &mut csv::Writer<W>) -> Result<usize, ScoreFileError>;

pub(super) struct Run<'a, W: Write> {
    pub(super) registry: &'a ModelRegistry,
    pub(super) mapping: &'a Mapping,
    pub(super) kind: FileKind,
    pub(super) explain: Explain,
    pub(super) file: &'a CsvFile,
    pub(super) writer: &'a mut csv::Writer<W>,
    pub(super) progress: &'a mut dyn FnMut(u64),
    pub(super) summary: FileScores,
}

impl<W: Write> Run<'_, W> {
    /// Reads, checks and scores every row. `group` names the record a row belongs to when
    /// several rows make one score (an account's snapshots): a block is then only cut between
    /// two groups, so consecutive rows of one account are scored together. The file is read
    /// and mapped on a thread of its own while the blocks before are scored and written; at
    /// most [`BLOCKS_AHEAD`] blocks wait between the two.
    fn rows<T: Record + Send>(
        &mut self,
        group: fn(&T) -> Option<String>,
        score: Scorer<T, W>,
    ) -> Result<(), ScoreFileError> {
        let opened = self.file.open()?;
        let lines = LineMapper::new(
            self.mapping,
            self.kind.entity(),
            opened.reader,
            self.file.delimiter(),
        )?;
        let bucket = lines
            .entities()
            .iter()
            .position(|e| e == self.kind.scored_rows())
            .ok_or(ScoreFileError::NothingToScore {
                entity: self.kind.entity(),
                rows: self.kind.scored_rows(),
            })?;
        let rows = self.kind.scored_rows();
        let read = &opened.read;
        std::thread::scope(|s| {
            let (send, blocks) = std::sync::mpsc::sync_channel::<Vec<T>>(BLOCKS_AHEAD);
            let reader = s.spawn(move || read_blocks(lines, bucket, rows, group, &send));
            let mut scored = Ok(());
            for mut block in blocks {
                scored = self.score(&mut block, score);
                if scored.is_err() {
                    break;
                }
                (self.progress)(read.load(Ordering::Relaxed));
            }
            // Dropping the receiver first stops a reader still sending after a failed write.
            let problems = reader.join().expect("the file reader does not panic")?;
            scored?;
            self.summary.problems = problems;
            (self.progress)(read.load(Ordering::Relaxed));
            Ok(())
        })
    }

    fn score<T>(&mut self, block: &mut Vec<T>, score: Scorer<T, W>) -> Result<(), ScoreFileError> {
        if block.is_empty() {
            return Ok(());
        }
        let written = score(self.registry, block, self.explain, self.writer)?;
        self.summary.scored += written as u64;
        block.clear();
        Ok(())
    }
}

/// Maps every line, sends the accepted rows on in blocks of about [`BLOCK_ROWS`] (cut only
/// between two records of `group`) and returns the bad lines, reported as the import reports
/// them. Stops early when the blocks are no longer taken.
fn read_blocks<T: Record, R: std::io::Read>(
    mut lines: LineMapper<'_, R>,
    bucket: usize,
    rows: &'static str,
    group: fn(&T) -> Option<String>,
    send: &std::sync::mpsc::SyncSender<Vec<T>>,
) -> Result<Problems, ScoreFileError> {
    let mut found = FileScores::default();
    let mut block: Vec<T> = Vec::with_capacity(BLOCK_ROWS);
    let mut line = Vec::new();
    while lines.next_records::<T>(bucket, &mut line)? {
        for read in line.drain(..) {
            let Some(r) = accept(read, rows, &mut found) else {
                continue;
            };
            if block.len() >= BLOCK_ROWS && !same_group(&block, &r, group) {
                let full = std::mem::replace(&mut block, Vec::with_capacity(BLOCK_ROWS));
                if send.send(full).is_err() {
                    return Ok(found.problems);
                }
            }
            block.push(r);
        }
    }
    if !block.is_empty() {
        let _ = send.send(block);
    }
    Ok(found.problems)
}

/// The record of a row the line mapper read, or None when the row is bad: its problems (the
/// mapping's, then the entity's, each field once) are then counted in `found`.
pub(super) fn accept<T: Record>(
    read: Result<T, MappedRow>,
    rows: &'static str,
    found: &mut FileScores,
) -> Option<T> {
    let row = match read {
        Ok(r) => return Some(r),
        // The fast road refused it: the ordinary one says why (or, rarely, takes it).
        Err(row) => (row.problems.is_empty() && !row.value.is_null())
            .then(|| parse_row_ref::<T>(&row.value).ok())
            .flatten()
            .ok_or(row),
    };
    match row {
        Ok(r) => Some(r),
        Err(row) => {
            let line = row.line;
            let problems = row_problems(rows, row);
            if problems.is_empty() {
                found.problem(LineProblem {
                    line,
                    field: String::new(),
                    reason: "the row cannot be read".into(),
                });
            }
            problems.into_iter().for_each(|p| found.problem(p));
            None
        }
    }
}

/// True when `r` belongs to the same record as the block's last row.
fn same_group<T>(block: &[T], r: &T, group: fn(&T) -> Option<String>) -> bool {
    match (block.last().and_then(group), group(r)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Writes a scored block as [`write_score`] writes each record, without building them (and
/// without `fmt` for the numbers and most factor texts).
pub(super) fn write_batch<W: Write>(
    w: &mut csv::Writer<W>,
    b: &BatchScores<'_>,
) -> Result<usize, ScoreFileError> {
    let (mut score, mut probability) = (itoa::Buffer::new(), ryu::Buffer::new());
    let (mut number, mut factors) = (String::new(), String::new());
    for i in 0..b.len() {
        let r = b.record(i);
        w.write_field(r.id)?;
        w.write_field(score.format(r.score))?;
        w.write_field(shortest(&mut probability, &mut number, r.probability))?;
        w.write_field(r.grade)?;
        factors.clear();
        for (k, f) in r
            .positive_factors
            .iter()
            .chain(r.negative_factors.iter())
            .enumerate()
        {
            if k > 0 {
                factors.push_str("; ");
            }
            f.push_text(&mut factors);
        }
        w.write_field(&factors)?;
        w.write_record(None::<&[u8]>)?;
    }
    Ok(b.len())
}

/// `x` as `{x}` prints it. `ryu` finds the same shortest digits faster, and prints them the
/// same way for a number that is not whole, of magnitude 1e-5 to 1e15 (no exponent, no
/// trailing `.0`); any other number goes through `fmt` into `spare`.
fn shortest<'b>(ryu: &'b mut ryu::Buffer, spare: &'b mut String, x: f64) -> &'b str {
    if (1e-5..1e15).contains(&x.abs()) && x.fract() != 0.0 {
        ryu.format_finite(x)
    } else {
        use std::fmt::Write as _;
        spare.clear();
        let _ = write!(spare, "{x}");
        spare
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_display_prints_them() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed
        };
        let mut xs = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1e-5,
            9.999999e-6,
            1e-6,
            1e15,
            1e15 - 0.5,
            1e16,
            123.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for _ in 0..200_000 {
            // Probabilities, and numbers of every magnitude from their bits.
            xs.push((next() >> 11) as f64 / (1u64 << 53) as f64);
            xs.push(f64::from_bits(next()));
        }
        let (mut ryu, mut spare) = (ryu::Buffer::new(), String::new());
        for x in xs {
            assert_eq!(shortest(&mut ryu, &mut spare, x), x.to_string(), "{x:e}");
        }
    }
}
