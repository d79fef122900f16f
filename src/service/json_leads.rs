//! Leads scored straight from their JSON text (see [`crate::ml::lead_json`]): a whole array
//! body, or a stream's lines, read into the active lead model's feature rows and scored by that
//! same model, with the scores, warnings and monitor counts of [`lead_scores`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::batch_scores::{BatchScores, RowRef};
#[cfg(doc)]
use super::bulk_scoring::lead_scores;
use super::bulk_scoring::{row_scores, Explain};
use super::models::{ActiveModel, ModelRegistry};
use crate::domain::Lead;
use crate::ml::dataset::attribute_keys;
use crate::ml::lead_json::{JsonLeads, LeadRoad};
use crate::ml::{FeatureRow, ModelKind};

/// Leads of a JSON array body read straight into the active lead model's feature rows
/// ([`crate::ml::lead_json`]: no attribute map per lead), to be scored by that same model.
pub struct JsonLeadBatch<'a> {
    model: Arc<ActiveModel>,
    read: JsonLeads<'a>,
}

impl<'a> JsonLeadBatch<'a> {
    /// None when no lead model is active or the road gives up on the body: the caller reads it
    /// the ordinary way, which names its problems (or the missing model) as before.
    pub fn read(registry: &ModelRegistry, body: &'a [u8], max: usize) -> Option<Self> {
        let model = registry.active(ModelKind::Lead)?;
        let read = LeadRoad::new(&model.model.spec)?.read_array(body, max)?;
        Some(JsonLeadBatch { model, read })
    }

    /// The scores, warnings and monitor counts [`lead_scores`] gives for the same leads. The
    /// feature rows move into the scores: call it once.
    pub fn scores(&mut self, registry: &ModelRegistry, explain: Explain) -> BatchScores<'_> {
        let rows = std::mem::take(&mut self.read.rows);
        let refs = self.read.leads.iter().map(RowRef::of_lead).collect();
        let unread = counted(&self.read.unread);
        row_scores(registry, &self.model, refs, rows, unread, explain)
    }
}

/// A lead of a stream, read on the road of [`crate::ml::lead_json`] (with its feature row and
/// the keys of its custom fields the model does not read) or the ordinary way (`row` None).
#[derive(Debug)]
pub struct StreamLead<'a> {
    pub lead: Lead,
    pub row: Option<FeatureRow>,
    pub unread: Vec<Cow<'a, str>>,
}

impl From<Lead> for StreamLead<'_> {
    fn from(lead: Lead) -> Self {
        StreamLead {
            lead,
            row: None,
            unread: Vec::new(),
        }
    }
}

/// Scores a stream's block of leads by the model `m` (the one their rows were read for) and
/// writes one line per lead: the lines, warnings and monitor counts of [`lead_scores`].
pub fn write_stream_lead_scores(
    registry: &ModelRegistry,
    m: &ActiveModel,
    block: Vec<StreamLead<'_>>,
    explain: Explain,
    out: &mut Vec<u8>,
) {
    let read: HashSet<&str> = attribute_keys(&m.model.spec).into_iter().collect();
    let mut leads = Vec::with_capacity(block.len());
    let mut rows = Vec::with_capacity(block.len());
    let mut keys = Vec::new();
    for s in block {
        match s.row {
            Some(row) => rows.push(row),
            None => {
                rows.push(m.model.lead_row(&s.lead));
                let unread = s
                    .lead
                    .attributes
                    .keys()
                    .filter(|k| !read.contains(k.as_str()));
                keys.extend(unread.map(|k| Cow::Owned(k.clone())));
            }
        }
        keys.extend(s.unread);
        leads.push(s.lead);
    }
    let refs = leads.iter().map(RowRef::of_lead).collect();
    row_scores(registry, m, refs, rows, counted(&keys), explain).write_lines(out);
}

/// Each key with the number of times it comes.
fn counted<'k>(keys: &'k [Cow<'_, str>]) -> impl Iterator<Item = (&'k str, usize)> {
    let mut n: HashMap<&str, usize> = HashMap::new();
    for key in keys {
        *n.entry(key.as_ref()).or_default() += 1;
    }
    n.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{parse_json_batch, parse_text_row};
    use crate::ml::TrainedModel;
    use crate::service::bulk_scoring::lead_scores;

    /// A fresh registry serving the committed X Education lead model.
    fn served() -> ModelRegistry {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/lead");
        let artifact = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path().join("artifact.json"))
            .find(|p| p.exists())
            .unwrap();
        let model = TrainedModel::from_bytes(&std::fs::read(artifact).unwrap()).unwrap();
        let registry = ModelRegistry::default();
        let version = "v1".to_string();
        registry.install(ModelKind::Lead, ActiveModel { version, model });
        registry
    }

    /// Leads as a CRM sends them: fields the model reads (numbers, text, the missing marker,
    /// numbers as text, nulls), fields it does not, escapes, nested values.
    const BODY: &str = r#"[
        {"id": "X1", "source": "Google", "created_at": "2026-01-05T09:00:00Z",
         "attributes": {"total_visits": 5, "total_time_spent_on_website": 674, "lead_origin": "API",
                        "do_not_email": "No", "country": "India", "colour": "red"}},
        {"id": "X\u0032", "source": "Olark Chat", "owner_id": "R1",
         "attributes": {"total_visits": "3", "page_views_per_visit": 2.5, "country": "Select",
                        "specialization": " Finance Management ", "notes": [1, {"a": null}]}},
        {"id": "X3", "attributes": {"total_visits": null, "do_not_call": true, "colour": "blue"}},
        {"id": "X4"}
    ]"#;

    fn without_time(json: &[u8]) -> serde_json::Value {
        fn strip(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(m) => {
                    m.shift_remove("scored_at");
                    m.values_mut().for_each(strip);
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let mut v: serde_json::Value = serde_json::from_slice(json).unwrap();
        strip(&mut v);
        v
    }

    /// The monitor's counters and drift report, comparable.
    fn counts(registry: &ModelRegistry) -> String {
        let m = registry.active(ModelKind::Lead).unwrap();
        let monitor = registry.monitor(&m.version);
        format!("{:?} {:?}", monitor.counts(), monitor.drift(&m))
    }

    #[test]
    fn a_body_read_on_the_road_scores_as_the_ordinary_road_at_every_level() {
        let (road, ordinary) = (served(), served());
        let leads: Vec<Lead> = parse_json_batch(BODY.as_bytes(), 10).unwrap();
        for explain in [Explain::None, Explain::Top3, Explain::All] {
            let want = lead_scores(&ordinary, &leads, explain).unwrap();
            let mut read = JsonLeadBatch::read(&road, BODY.as_bytes(), 10).expect("a good body");
            let got = read.scores(&road, explain);
            assert_eq!(without_time(&got.to_json()), without_time(&want.to_json()));
            assert_eq!(got.warnings, want.warnings, "{explain:?}");
            assert!(!got.warnings.unrecognised_fields.is_empty());
        }
        assert_eq!(counts(&road), counts(&ordinary));
        assert!(JsonLeadBatch::read(&road, BODY.as_bytes(), 3).is_none());
    }

    #[test]
    fn stream_lines_on_either_road_score_as_the_ordinary_road() {
        let (road, ordinary) = (served(), served());
        let values: Vec<serde_json::Value> = serde_json::from_str(BODY).unwrap();
        let lines: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let leads: Vec<Lead> = lines
            .iter()
            .map(|l| parse_text_row::<Lead>(l).unwrap())
            .collect();
        let m = road.active(ModelKind::Lead).unwrap();
        let lead_road = LeadRoad::new(&m.model.spec).unwrap();
        // Every other line on the road, the others read the ordinary way.
        let block = lines
            .iter()
            .zip(&leads)
            .enumerate()
            .map(|(i, (text, lead))| {
                if i % 2 == 1 {
                    return StreamLead::from(lead.clone());
                }
                let mut unread = Vec::new();
                let (lead, row) = lead_road.read_one(text, &mut unread).unwrap();
                StreamLead {
                    lead,
                    row: Some(row),
                    unread,
                }
            })
            .collect();
        let mut got = Vec::new();
        write_stream_lead_scores(&road, &m, block, Explain::All, &mut got);
        let mut want = Vec::new();
        lead_scores(&ordinary, &leads, Explain::All)
            .unwrap()
            .write_lines(&mut want);
        let lines = |b: &[u8]| -> Vec<serde_json::Value> {
            b.split(|&c| c == b'\n')
                .filter(|l| !l.is_empty())
                .map(without_time)
                .collect()
        };
        assert_eq!(lines(&got), lines(&want));
        assert_eq!(counts(&road), counts(&ordinary));
    }
}
