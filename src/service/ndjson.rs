//! Streaming scores: newline-delimited JSON in (one lead or deal per line), newline-delimited
//! scores out, block by block, so a million rows pass in bounded memory.
//!
//! A bad line ends the stream: the lines before it are scored and sent, then one error line
//! (`{"error": {...}}`, the one error contract) names the line and the field; nothing after it is
//! read. Blank lines are skipped but counted.

use futures_util::{Stream, StreamExt};
use serde::Serialize;
use std::sync::Arc;

use super::bulk_scoring::{self, Explain};
use super::json_leads::{self, StreamLead};
use super::models::{scoring::active, ModelRegistry};
use super::Result;
use crate::domain::{parse_text_row, Lead, Opportunity, Record, RowProblem};
use crate::ml::lead_json::LeadRoad;
use crate::ml::ModelKind;

/// Most rows one streamed request may carry.
pub const MAX_STREAM_ROWS: usize = 1_000_000;
/// Longest line accepted, in bytes; also the most read ahead before scoring a block.
pub const MAX_LINE_BYTES: usize = 8 << 20;
/// Lines scored together: large enough for the parallel scoring path, small enough to keep
/// memory flat (a few MB in and out).
const BLOCK_LINES: usize = 8192;
/// Lines parsed on several threads from: below it, starting threads costs more than it saves.
const PARSE_THREADS_FROM: usize = 1024;

/// What a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Leads,
    Opportunities,
}

impl StreamKind {
    fn model(self) -> ModelKind {
        match self {
            StreamKind::Leads => ModelKind::Lead,
            StreamKind::Opportunities => ModelKind::Win,
        }
    }
}

/// The error line that ends a stream early.
#[derive(Serialize)]
struct ErrorLine<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
    details: Vec<RowProblem>,
}

struct State<S> {
    body: S,
    pending: Vec<u8>,
    /// Lines consumed so far (the next line's 0-based index).
    line: usize,
    rows: usize,
    eof: bool,
    done: bool,
    registry: Arc<ModelRegistry>,
    kind: StreamKind,
    explain: Explain,
}

/// Scores the stream `body` line by line. Fails before streaming (so the caller can answer with a
/// status) only when no model of the kind is active.
pub fn score_stream<S, B, E>(
    registry: Arc<ModelRegistry>,
    kind: StreamKind,
    explain: Explain,
    body: S,
) -> Result<impl Stream<Item = Vec<u8>>>
where
    S: Stream<Item = std::result::Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    active(&registry, kind.model())?;
    let state = State {
        body,
        pending: Vec::new(),
        line: 0,
        rows: 0,
        eof: false,
        done: false,
        registry,
        kind,
        explain,
    };
    Ok(futures_util::stream::unfold(state, |mut st| async move {
        let out = next_block(&mut st).await?;
        Some((out, st))
    }))
}

/// Reads until a block of lines (or the end) is in hand, scores it, returns the output bytes.
async fn next_block<S, B, E>(st: &mut State<S>) -> Option<Vec<u8>>
where
    S: Stream<Item = std::result::Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    if st.done {
        return None;
    }
    let mut newlines = st.pending.iter().filter(|&&b| b == b'\n').count();
    while !st.eof && newlines < BLOCK_LINES && st.pending.len() < MAX_LINE_BYTES {
        match st.body.next().await {
            Some(Ok(chunk)) => {
                let chunk = chunk.as_ref();
                newlines += chunk.iter().filter(|&&b| b == b'\n').count();
                st.pending.extend_from_slice(chunk);
            }
            // The client went away or sent a broken body: nothing more to answer.
            Some(Err(_)) => return None,
            None => st.eof = true,
        }
    }
    let cut = match st.pending.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None if st.eof => st.pending.len(),
        None => return Some(fail(st, "", "the line is longer than 8 MiB".into())),
    };
    let block: Vec<u8> = st.pending.drain(..cut).collect();
    if st.eof && st.pending.is_empty() {
        st.done = true;
    }
    Some(score_block(st, &block))
}

/// Scores the block's lines up to the first bad one; a bad line (or the row limit) ends the stream.
fn score_block<S>(st: &mut State<S>, block: &[u8]) -> Vec<u8> {
    match st.kind {
        StreamKind::Leads => score_lead_lines(st, block),
        StreamKind::Opportunities => {
            ordinary_lines(st, block, |r, rows: &[Opportunity], e, out| {
                bulk_scoring::opportunity_scores(r, rows, e).map(|b| b.write_lines(out))
            })
        }
    }
}

/// Every line read the ordinary way, into records of type `T`.
fn ordinary_lines<S, T: Record>(
    st: &mut State<S>,
    block: &[u8],
    score: impl Fn(&ModelRegistry, &[T], Explain, &mut Vec<u8>) -> Result<()>,
) -> Vec<u8> {
    let score = |r: &ModelRegistry, rows: Vec<T>, e, out: &mut Vec<u8>| score(r, &rows, e, out);
    score_lines(st, block, &|_: &str| None, &parse_text_row::<T>, score)
}

/// Leads are read straight into the active model's feature rows where the road takes them
/// ([`LeadRoad`]), and scored by that same model.
fn score_lead_lines<S>(st: &mut State<S>, block: &[u8]) -> Vec<u8> {
    let model = st.registry.active(ModelKind::Lead);
    let road = model.as_ref().and_then(|m| LeadRoad::new(&m.model.spec));
    let (Some(m), Some(road)) = (&model, road) else {
        // No model: the ordinary road ends the stream with the same error as before.
        return ordinary_lines(st, block, |r, rows: &[Lead], e, out| {
            bulk_scoring::lead_scores(r, rows, e).map(|b| b.write_lines(out))
        });
    };
    let on_road = |text| {
        let mut unread = Vec::new();
        let (lead, row) = road.read_one(text, &mut unread)?;
        Some(StreamLead {
            lead,
            row: Some(row),
            unread,
        })
    };
    score_lines(
        st,
        block,
        &on_road,
        &|text: &str| parse_text_row::<Lead>(text).map(StreamLead::from),
        |r, rows, e, out| {
            json_leads::write_stream_lead_scores(r, m, rows, e, out);
            Ok(())
        },
    )
}

/// A line's reader: the fast road (None when it gives up) and the ordinary one.
type Road<'r, 'a, T> = &'r (dyn Fn(&'a str) -> Option<T> + Sync);
type Ordinary<'r, T> = &'r (dyn Fn(&str) -> std::result::Result<T, Vec<RowProblem>> + Sync);

fn score_lines<'a, S, T: Send>(
    st: &mut State<S>,
    block: &'a [u8],
    road: Road<'_, 'a, T>,
    ordinary: Ordinary<'_, T>,
    score: impl Fn(&ModelRegistry, Vec<T>, Explain, &mut Vec<u8>) -> Result<()>,
) -> Vec<u8> {
    let mut parsed = Vec::new();
    let mut failure = None;
    // The block's last newline ends its last line; it does not start another.
    let lines = block.strip_suffix(b"\n").unwrap_or(block);
    let lines: Vec<&[u8]> = if block.is_empty() {
        Vec::new()
    } else {
        lines.split(|&b| b == b'\n').collect()
    };
    for line in read_lines(&lines, PARSE_THREADS_FROM, road, ordinary) {
        let row = match line {
            Line::Blank => {
                st.line += 1;
                continue;
            }
            Line::Read(row) => row,
        };
        if st.rows == MAX_STREAM_ROWS {
            failure = Some((
                String::new(),
                format!("more than {MAX_STREAM_ROWS} rows in one request"),
            ));
            break;
        }
        match row {
            Ok(row) => parsed.push(row),
            Err(p) => {
                let first = p.into_iter().next();
                failure =
                    Some(first.map_or((String::new(), "invalid".into()), |p| (p.field, p.reason)));
                break;
            }
        }
        st.line += 1;
        st.rows += 1;
    }
    let mut out = Vec::with_capacity(parsed.len() * 200);
    match score(&st.registry, parsed, st.explain, &mut out) {
        Ok(()) => {}
        Err(e) => {
            out.extend(fail(st, "", e.to_string()));
            return out;
        }
    }
    if let Some((field, reason)) = failure {
        out.extend(fail(st, &field, reason));
    }
    out
}

/// A line of the stream: blank (skipped, but counted), or a row read or refused.
enum Line<T> {
    Blank,
    Read(std::result::Result<T, Vec<RowProblem>>),
}

/// A line that is not UTF-8 is read with its bad bytes replaced, on the ordinary road.
fn read_line<'a, T>(raw: &'a [u8], road: Road<'_, 'a, T>, ordinary: Ordinary<'_, T>) -> Line<T> {
    let Ok(text) = std::str::from_utf8(raw) else {
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        return if text.is_empty() {
            Line::Blank
        } else {
            Line::Read(ordinary(text))
        };
    };
    let text = text.trim();
    if text.is_empty() {
        return Line::Blank;
    }
    Line::Read(road(text).map_or_else(|| ordinary(text), Ok))
}

/// Reads every line, in order: split over the available cores when there are at least
/// `parallel_from` of them. Lines after a bad one are read too (and thrown away by the caller):
/// they cost no more than when the stream is good, and the answer stays the same.
fn read_lines<'a, T: Send>(
    lines: &[&'a [u8]],
    parallel_from: usize,
    road: Road<'_, 'a, T>,
    ordinary: Ordinary<'_, T>,
) -> Vec<Line<T>> {
    crate::parallel::by_chunks(lines, parallel_from, |part| {
        part.iter().map(|l| read_line(l, road, ordinary)).collect()
    })
}

/// The error line for the current line; ends the stream.
fn fail<S>(st: &mut State<S>, field: &str, reason: String) -> Vec<u8> {
    st.done = true;
    let line = st.line + 1;
    let body = ErrorLine {
        error: ErrorBody {
            code: "validation_failed",
            message: format!(
                "line {line} is invalid; the {} row(s) before it were scored, nothing after it was read",
                st.rows
            ),
            details: vec![RowProblem {
                index: st.line,
                field: field.to_string(),
                reason,
            }],
        },
    };
    let mut out = serde_json::to_vec(&body).expect("an error serialises");
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a line became, comparable: the lead's id, the problems' fields, or blank.
    fn seen(lines: &[Line<Lead>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| match l {
                Line::Blank => "blank".to_string(),
                Line::Read(Ok(lead)) => lead.id.as_str().to_string(),
                Line::Read(Err(p)) => {
                    format!("bad {:?}", p.iter().map(|p| &p.field).collect::<Vec<_>>())
                }
            })
            .collect()
    }

    #[test]
    fn lines_read_on_several_threads_come_back_in_order_as_on_one() {
        let text: Vec<String> = (0..101)
            .map(|i| match i % 10 {
                3 => "  ".to_string(),
                7 => format!(r#"{{"id": "L{i}", "created_at": "not a date"}}"#),
                9 => "[1, 2]".to_string(),
                _ => format!(
                    r#"{{"id": "L{i}", "source": "webinar", "attributes": {{"visits": {i}}}}}"#
                ),
            })
            .collect();
        let lines: Vec<&[u8]> = text.iter().map(|t| t.as_bytes()).collect();
        let ordinary = |t: &str| parse_text_row::<Lead>(t);
        let one = seen(&read_lines(&lines, usize::MAX, &|_| None, &ordinary));
        let many = seen(&read_lines(&lines, 0, &|_| None, &ordinary));
        assert_eq!(one, many);
        assert_eq!(one[0], "L0");
        assert_eq!(one[3], "blank");
        assert_eq!(one[7], r#"bad ["created_at"]"#);
        assert!(one[9].starts_with("bad"));
        assert_eq!(one[100], "L100");
    }
}
