//! `revcast score leads` on the import's scoring road: each line read straight into the lead's
//! own fields and the feature cells the model reads (resolved to the mapping's attribute rules
//! once, not looked up by name per row), with no attribute map per lead. Lines the road does
//! not take are read as before, so the scores, the bad lines' report and the warnings are
//! those of the ordinary road (see `import::ScoringRoad`).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, SyncSender};

use super::batch_scores::RowRef;
use super::bulk_scoring;
use super::models::scoring::active;
use super::score_file::{
    accept, write_batch, FileScores, Run, ScoreFileError, BLOCKS_AHEAD, BLOCK_ROWS,
};
use crate::domain::Lead;
use crate::import::{AttrValue, LineMapper, Problems, Scoring, ScoringRoad};
use crate::ml::dataset::{attribute_keys, attribute_positions, lead_fields_into};
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
            let (recycle, recycled) = std::sync::mpsc::channel::<Vec<FeatureRow>>();
            let reader = s.spawn(move || read_leads(lines, road, spec, rows, &send, &recycled));
            let mut scored = Ok(());
            for block in blocks {
                scored = self.score_leads(block, &recycle);
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

    /// Scores and writes a block; its feature rows go back to the reader on `recycle`.
    fn score_leads(
        &mut self,
        block: LeadBlock,
        recycle: &Sender<Vec<FeatureRow>>,
    ) -> Result<(), ScoreFileError> {
        if block.leads.is_empty() {
            return Ok(());
        }
        let refs = block.leads.iter().map(RowRef::of_lead).collect();
        let unread = block.unread.iter().map(|(k, n)| (k.as_str(), *n));
        let scores =
            bulk_scoring::lead_row_scores(self.registry, refs, block.rows, unread, self.explain)?;
        self.summary.scored += write_batch(self.writer, &scores)? as u64;
        // The reader may be done: then the rows are dropped here.
        let _ = recycle.send(scores.into_features());
        Ok(())
    }
}

/// Reads every line on the road, sends the leads on in blocks of [`BLOCK_ROWS`] and returns
/// the bad lines, reported as the import reports them. The feature rows of scored blocks come
/// back on `recycled` and are filled again (their categories' text buffers kept). Stops early
/// when the blocks are no longer taken.
fn read_leads<R: Read>(
    mut lines: LineMapper<'_, R>,
    mut road: ScoringRoad,
    model: &TrainedModel,
    rows: &'static str,
    send: &SyncSender<LeadBlock>,
    recycled: &Receiver<Vec<FeatureRow>>,
) -> Result<Problems, ScoreFileError> {
    let spec = &model.spec;
    let missing = &spec.missing_values;
    let positions = attribute_positions(spec);
    let read: HashSet<&str> = attribute_keys(spec).into_iter().collect();
    let mut found = FileScores::default();
    let mut block = LeadBlock::default();
    let mut spare: Vec<FeatureRow> = Vec::new();
    // Unread keys of the leads the road left to the ordinary road.
    let mut others: HashMap<String, usize> = HashMap::new();
    let mut row = FeatureRow { cells: Vec::new() };
    loop {
        // The cells the road fills are there before it reads the line.
        row.cells.resize(spec.features.len(), Cell::Missing);
        // As `Cell::from_json` reads the value the ordinary road would have stored.
        let mut put = |i: usize, v: Option<AttrValue<'_>>| {
            let cell = &mut row.cells[positions[i]];
            match v {
                None => *cell = Cell::Missing,
                Some(AttrValue::Num(x)) => *cell = Cell::Num(x),
                Some(AttrValue::Bool(b)) => *cell = Cell::Num(f64::from(u8::from(b))),
                Some(AttrValue::Text(t)) => cell.set_text(&t, missing),
            }
        };
        let Some(line) = lines.next_scoring::<Lead>(&mut road, &mut put)? else {
            break;
        };
        match line {
            Scoring::Taken(lead) => {
                lead_fields_into(spec, &lead, &mut row);
                let next = spare.pop().unwrap_or(FeatureRow { cells: Vec::new() });
                block.rows.push(std::mem::replace(&mut row, next));
                block.leads.push(lead);
            }
            Scoring::Ordinary(read_rows) => {
                for lead in read_rows
                    .into_iter()
                    .filter_map(|r| accept(r, rows, &mut found))
                {
                    for key in lead
                        .attributes
                        .keys()
                        .filter(|k| !read.contains(k.as_str()))
                    {
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
            if let Ok(rows) = recycled.try_recv() {
                spare = rows;
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::bulk_scoring::Explain;
    use super::super::models::{ActiveModel, ModelRegistry};
    use super::super::score_file::{score_file_on, FileKind, FileScores};
    use crate::import::{CsvFile, Mapping};
    use crate::ml::{ModelKind, TrainedModel};

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// A registry serving the committed X Education lead model.
    fn registry() -> ModelRegistry {
        let artifact = std::fs::read_dir(root().join("models/lead"))
            .unwrap()
            .map(|e| e.unwrap().path().join("artifact.json"))
            .find(|p| p.exists())
            .expect("a committed lead model");
        let model = TrainedModel::from_bytes(&std::fs::read(artifact).unwrap()).unwrap();
        let registry = ModelRegistry::default();
        registry.install(
            ModelKind::Lead,
            ActiveModel {
                version: "v1".into(),
                model,
            },
        );
        registry
    }

    fn mapping(text: &str) -> Mapping {
        Mapping::from_toml(text, &root().join("training/mappings")).unwrap()
    }

    fn xeducation() -> Mapping {
        mapping(
            &std::fs::read_to_string(root().join("training/mappings/xeducation-leads.toml"))
                .unwrap(),
        )
    }

    /// One run: the CSV written, the report, the monitor's counts and drift report.
    struct Run {
        out: Vec<u8>,
        found: FileScores,
        counts: (u64, u64, u64),
        drift: Option<crate::ml::DriftReport>,
    }

    fn run(mapping: &Mapping, file: &Path, explain: Explain, road: bool) -> Run {
        let registry = registry();
        let csv = CsvFile::new(file, None).unwrap();
        let mut out = Vec::new();
        let found = score_file_on(
            &registry,
            mapping,
            FileKind::Leads,
            explain,
            &csv,
            &mut out,
            &mut |_| {},
            road,
        )
        .unwrap();
        let m = registry.active(ModelKind::Lead).unwrap();
        let monitor = registry.monitor(&m.version);
        let c = monitor.counts();
        Run {
            out,
            found,
            counts: (c.scored, c.unrecognised_fields, c.missing_features),
            drift: monitor.drift(&m),
        }
    }

    /// The road and the ordinary road give the same bytes, report and monitor at each level.
    fn same_on_both_roads(mapping: &Mapping, file: &Path) -> Run {
        let mut last = None;
        for explain in [Explain::None, Explain::Top3, Explain::All] {
            let (road, ordinary) = (
                run(mapping, file, explain, true),
                run(mapping, file, explain, false),
            );
            assert!(
                road.out == ordinary.out,
                "{explain:?}: the scores differ:\n{}\n--- ordinary ---\n{}",
                String::from_utf8_lossy(&road.out),
                String::from_utf8_lossy(&ordinary.out)
            );
            assert_eq!(road.found.scored, ordinary.found.scored, "{explain:?}");
            assert_eq!(road.found.problems, ordinary.found.problems, "{explain:?}");
            assert_eq!(road.counts, ordinary.counts, "{explain:?}");
            assert_eq!(road.drift, ordinary.drift, "{explain:?}");
            last = Some(road);
        }
        last.unwrap()
    }

    /// True when the mapping's leads of `file` go the scoring road for the committed model.
    fn takes_the_road(mapping: &Mapping, file: &Path) -> bool {
        let registry = registry();
        let m = registry.active(ModelKind::Lead).unwrap();
        let csv = CsvFile::new(file, None).unwrap();
        let opened = csv.open().unwrap();
        let lines =
            crate::import::LineMapper::new(mapping, "leads", opened.reader, csv.delimiter())
                .unwrap();
        let keys = crate::ml::dataset::attribute_keys(&m.model.spec);
        lines.scoring_road(0, &keys).is_some()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    const HEADER: &str = "Prospect ID,Lead Origin,Lead Source,Do Not Email,Converted,TotalVisits,\
                          Total Time Spent on Website,Page Views Per Visit,Country,City,Search,Notes\n";

    #[test]
    fn bad_lines_and_odd_cells_give_the_ordinary_roads_scores_and_report() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from(HEADER);
        text.push_str(
            "A1,API,Google,No,1,3,120,1.5,India,Mumbai,No,first\n\
             A2,API,Google,No,maybe,4,10,2,India,Select,No,bad yes/no\n\
             ,API,Direct Traffic,No,0,1,5,1,,,,no id\n\
             A4,\"Landing Page\nSubmission\",Reference,No,0,9,300,3,Select,,No,two lines\n\
             A5,API,Olark Chat,No,0,2,-0,0,India,Mumbai,No,\"a \u{0} NUL\"\n\
             A6,API,Olark Chat,No,0,2,7,1,India,Mumbai,No,2e16\n\
             A7,API,Google,No,0,9e15,7,1,India,Mumbai,No,huge visits\n\
             A8,API,Google,No,0,3.0,-0.0,1e15,India,Mumbai,No,  padded  \n\
             A9,API,Google,No,0,abc,12,1,  India  ,Mumbai,No,text in a number column\n\
             A10,API,Google,No\n\
             A11,API, Select ,No,0,inf,NaN,1,india,Thane,Yes,\n\
             A12,API,Google,No,0,3,4,5,India,Mumbai,No,x,one too many\n\
             A13,Lead Add Form,Welingak Website,Yes,1,0,0,0,,,,last\n",
        );
        let mut bytes = text.into_bytes();
        // A line that is not UTF-8.
        bytes.extend_from_slice(b"A14,API,Google,No,0,1,2,3,India,\xff\xfe,No,latin\n");
        bytes.extend_from_slice(b"A15,API,Google,No,0,1,2,3,India,Pune,No,after\n");
        let file = write(dir.path(), "leads.csv", &bytes);
        assert!(
            takes_the_road(&xeducation(), &file),
            "else both runs are ordinary"
        );
        let r = same_on_both_roads(&xeducation(), &file);
        let lines: Vec<u64> = r.found.problems.first.iter().map(|p| p.line).collect();
        // Not a yes/no, no id, NUL in a custom field, 2e16 and 9e15 beyond what is stored,
        // a short line, a long line, a line that is not UTF-8.
        assert_eq!(lines, [3, 4, 7, 8, 9, 12, 14, 16], "{:?}", r.found.problems);
        assert_eq!(r.found.scored, 7);
        assert_eq!(r.counts.0, 7);
        assert!(r.counts.1 > 0 && r.counts.2 > 0, "{:?}", r.counts);
    }

    #[test]
    fn rules_with_steps_are_evaluated_as_the_import_evaluates_them() {
        let dir = tempfile::tempdir().unwrap();
        let mapping = mapping(
            r#"
entity = "leads"
null = ["", "Select"]
[fields]
id = { column = "Prospect ID", null = ["n/a"] }
source = { column = "Lead Source", map = { "Google" = "google", "Direct" = "direct" } }
converted = { column = "Converted", type = "bool" }
[attributes]
columns = ["City"]
[attributes.fields]
total_visits = { column = "TotalVisits", type = "number", scale = 2.0 }
total_time_spent_on_website = { column = "Total Time Spent on Website", type = "integer" }
page_views_per_visit = { column = "Page Views Per Visit", type = "number", round = 1 }
lead_origin = { column = "Lead Origin", map = { "API" = "API", "Form" = "Lead Add Form" }, unmapped = "error" }
do_not_email = { column = "Do Not Email", type = "bool" }
country = { column = "Country", null = ["unknown"] }
search = { value = "No" }
"#,
        );
        let text = "Prospect ID,Lead Origin,Lead Source,Do Not Email,Converted,TotalVisits,\
                    Total Time Spent on Website,Page Views Per Visit,Country,City\n\
                    B1,API,Google,No,1,3,120,1.26,India,Mumbai\n\
                    B2,Form,Direct,Yes,0,1.5,7,0,unknown,Select\n\
                    B3,Fax,Google,No,0,2,7,1,India,Pune\n\
                    B4,API,Google,perhaps,0,2,7.5,1,India,Pune\n\
                    n/a,API,Google,No,0,2,7,1,India,Pune\n\
                    B6,API,Other,No,0,1e15,7,1,India,Pune\n\
                    B7,API,Google,No,0,,,,,\n";
        let file = write(dir.path(), "leads.csv", text.as_bytes());
        assert!(
            takes_the_road(&mapping, &file),
            "else both runs are ordinary"
        );
        let r = same_on_both_roads(&mapping, &file);
        let lines: Vec<u64> = r.found.problems.first.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 5, 5, 6, 7], "{:?}", r.found.problems);
        assert_eq!(r.found.scored, 3);
    }

    #[test]
    #[ignore = "reads the X Education export beside the repository (../shared/data or REVCAST_DATA_DIR)"]
    fn x_education_scores_the_same_on_both_roads() {
        let data = std::env::var_os("REVCAST_DATA_DIR")
            .map_or_else(|| root().join("../shared/data"), PathBuf::from);
        let file = data.join("xeducation_lead_scoring/Leads.csv");
        let r = same_on_both_roads(&xeducation(), &file);
        assert_eq!(r.found.scored, 9240);
        assert_eq!(r.found.problems.total, 0);
    }
}
