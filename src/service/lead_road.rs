//! `revcast score leads` on the import's scoring road: each line read straight into the lead's
//! own fields and the feature cells the model reads (resolved to the mapping's attribute rules
//! once, not looked up by name per row), with no attribute map per lead. Lines the road does
//! not take are read as before, so the scores, the bad lines' report and the warnings are
//! those of the ordinary road (see `import::ScoringRoad`).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::SyncSender;

use super::batch_scores::RowRef;
use super::bulk_scoring;
use super::models::scoring::active;
use super::score_file::{
    accept, write_batch, FileScores, Run, ScoreFileError, BLOCKS_AHEAD, BLOCK_ROWS,
};
use crate::domain::Lead;
use crate::import::{AttrValue, LineMapper, Problems, Scoring, ScoringRoad};
use crate::ml::dataset::{attribute_keys, lead_row_keyed};
use crate::ml::{Cell, FeatureRow, ModelKind, TrainedModel};

/// Leads read for scoring: the leads (their attribute maps empty when the road took them),
/// their feature rows, and the attributes the model does not read with how many leads gave
/// each a value.
#[derive(Default)]
struct LeadBlock {
    leads: Vec<Lead>,
    rows: Vec<FeatureRow>,
    unread: Vec<(String, usize)>,
}

impl<W: Write> Run<'_, W> {
    /// Scores the file's leads on the scoring road; false (nothing read) when there is no
    /// active lead model or the mapping is not one the road reads, for the ordinary road.
    pub(super) fn lead_road(&mut self) -> Result<bool, ScoreFileError> {
        let Ok(model) = active(self.registry, ModelKind::Lead) else {
            return Ok(false);
        };
        let opened = self.file.open()?;
        let lines = LineMapper::new(
            self.mapping,
            self.kind.entity(),
            opened.reader,
            self.file.delimiter(),
        )?;
        let Some(bucket) = lines
            .entities()
            .iter()
            .position(|e| e == self.kind.scored_rows())
        else {
            return Ok(false);
        };
        let Some(road) = lines.scoring_road(bucket, &attribute_keys(&model.model.spec)) else {
            return Ok(false);
        };
        let rows = self.kind.scored_rows();
        let read = &opened.read;
        let spec = &model.model;
        std::thread::scope(|s| {
            let (send, blocks) = std::sync::mpsc::sync_channel::<LeadBlock>(BLOCKS_AHEAD);
            let reader = s.spawn(move || read_leads(lines, road, spec, rows, &send));
            let mut scored = Ok(());
            for block in blocks {
                scored = self.score_leads(block);
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
            Ok(true)
        })
    }

    fn score_leads(&mut self, block: LeadBlock) -> Result<(), ScoreFileError> {
        if block.leads.is_empty() {
            return Ok(());
        }
        let refs = block
            .leads
            .iter()
            .map(|l| RowRef {
                id: l.id.as_str(),
                owner_id: l.owner_id.as_ref().map(|o| o.as_str()),
                amount: None,
            })
            .collect();
        let unread = block.unread.iter().map(|(k, n)| (k.as_str(), *n));
        let scores =
            bulk_scoring::lead_row_scores(self.registry, refs, block.rows, unread, self.explain)?;
        self.summary.scored += write_batch(self.writer, &scores)? as u64;
        Ok(())
    }
}

/// Reads every line on the road, sends the leads on in blocks of [`BLOCK_ROWS`] and returns
/// the bad lines, reported as the import reports them. Stops early when the blocks are no
/// longer taken.
fn read_leads<R: Read>(
    mut lines: LineMapper<'_, R>,
    mut road: ScoringRoad,
    model: &TrainedModel,
    rows: &'static str,
    send: &SyncSender<LeadBlock>,
) -> Result<Problems, ScoreFileError> {
    let spec = &model.spec;
    let missing = &spec.missing_values;
    // As `Cell::from_json` reads the value the ordinary road would have stored.
    let to_cell = |v: Option<AttrValue<'_>>| match v {
        None => Cell::Missing,
        Some(AttrValue::Num(x)) => Cell::Num(x),
        Some(AttrValue::Bool(b)) => Cell::Num(f64::from(u8::from(b))),
        Some(AttrValue::Text(t)) => Cell::text(&t, missing),
    };
    let read: HashSet<&str> = attribute_keys(spec).into_iter().collect();
    let mut found = FileScores::default();
    let mut block = LeadBlock::default();
    // Unread keys of the leads the road left to the ordinary road.
    let mut others: HashMap<String, usize> = HashMap::new();
    let mut cells = Vec::new();
    while let Some(line) = lines.next_scoring::<Lead, Cell>(&mut road, &to_cell, &mut cells)? {
        match line {
            Scoring::Taken(lead) => {
                block.rows.push(lead_row_keyed(spec, &lead, cells.drain(..)));
                block.leads.push(lead);
            }
            Scoring::Ordinary(read_rows) => {
                for lead in read_rows
                    .into_iter()
                    .filter_map(|r| accept(r, rows, &mut found))
                {
                    for key in lead.attributes.keys().filter(|k| !read.contains(k.as_str())) {
                        *others.entry(key.clone()).or_default() += 1;
                    }
                    block.rows.push(model.lead_row(&lead));
                    block.leads.push(lead);
                }
            }
        }
        if block.leads.len() >= BLOCK_ROWS {
            let mut full = std::mem::take(&mut block);
            full.unread = unread(&mut road, &mut others);
            if send.send(full).is_err() {
                return Ok(found.problems);
            }
        }
    }
    if !block.leads.is_empty() {
        block.unread = unread(&mut road, &mut others);
        let _ = send.send(block);
    }
    Ok(found.problems)
}

/// The unread attributes counted since the last block, on the road and off it.
fn unread(road: &mut ScoringRoad, others: &mut HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut out = road.take_unread();
    out.extend(others.drain());
    out
}
