//! The scores of a batch as the model gave them, written out as JSON without building a
//! [`ScoredRecord`] per row: ids and owners are borrowed from the rows, the factors are put in
//! words as they are written (from the feature rows and the scores' feature indices), and the
//! model version and scoring time (the same for the whole batch) are formatted once. Each row
//! serialises exactly as its [`ScoredRecord`] would.

use chrono::{DateTime, Utc};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::bulk_scoring::Explain;
use super::models::ScoredRecord;
use crate::domain::FactorView;
use crate::ml::{FactorWords, FeatureRow, Grade, RawFactor, RawScore, ScoreWarnings};

/// What a scored row says of itself besides its score.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    pub id: &'a str,
    pub owner_id: Option<&'a str>,
    /// For opportunities: the amount (`expected_value` is probability x amount).
    pub amount: Option<f64>,
}

impl<'a> RowRef<'a> {
    /// A lead's row: its id and owner, no amount.
    pub fn of_lead(l: &'a crate::domain::Lead) -> Self {
        RowRef {
            id: l.id.as_str(),
            owner_id: l.owner_id.as_ref().map(|o| o.as_str()),
            amount: None,
        }
    }
}

/// A scored batch: one score per row, in order, with what the model could not use.
#[derive(Debug)]
pub struct BatchScores<'a> {
    pub rows: Vec<RowRef<'a>>,
    pub scores: Vec<RawScore>,
    /// The rows' features, in the spec's order (the factors' values), and the features' names.
    features: Vec<FeatureRow>,
    names: Vec<String>,
    pub explain: Explain,
    pub warnings: ScoreWarnings,
    version: Box<RawValue>,
    scored_at: Box<RawValue>,
    at: DateTime<Utc>,
}

fn grade(g: Grade) -> &'static str {
    match g {
        Grade::A => "A",
        Grade::B => "B",
        Grade::C => "C",
        Grade::D => "D",
    }
}

impl<'a> BatchScores<'a> {
    /// `scores[i]` is the score of `rows[i]`, whose features are `features[i]` (named by
    /// `names`); all were scored by model `version` at `at`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rows: Vec<RowRef<'a>>,
        features: Vec<FeatureRow>,
        names: Vec<String>,
        scores: Vec<RawScore>,
        explain: Explain,
        warnings: ScoreWarnings,
        version: &str,
        at: DateTime<Utc>,
    ) -> Self {
        let raw = |v: serde_json::Result<Box<RawValue>>| v.expect("text and times serialise");
        BatchScores {
            rows,
            features,
            names,
            scores,
            explain,
            warnings,
            version: raw(serde_json::value::to_raw_value(version)),
            scored_at: raw(serde_json::value::to_raw_value(&at)),
            at,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The scored rows' features, for their buffers to be used again.
    pub fn into_features(self) -> Vec<FeatureRow> {
        self.features
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i`'s record, serialisable.
    pub fn record(&self, i: usize) -> RecordRef<'_> {
        let (row, s) = (&self.rows[i], &self.scores[i]);
        let all = s.factors.as_slice();
        let factors = match self.explain {
            Explain::None => &[][..],
            // Factors come largest first (ties: the raising one first), so the three that move
            // the score most are the first three, as `Explain::apply` picks them.
            Explain::Top3 => &all[..all.len().min(3)],
            Explain::All => all,
        };
        let side = |raises| Side {
            names: &self.names,
            row: &self.features[i],
            factors,
            raises,
        };
        RecordRef {
            id: row.id,
            score: s.score,
            probability: s.probability,
            grade: grade(s.grade),
            positive_factors: side(true),
            negative_factors: side(false),
            expected_value: row.amount.map(|a| a * s.probability),
            owner_id: row.owner_id,
            model_version: &self.version,
            scored_at: &self.scored_at,
        }
    }

    /// Writes every record as one JSON line.
    pub fn write_lines(&self, out: &mut Vec<u8>) {
        for i in 0..self.len() {
            serde_json::to_writer(&mut *out, &self.record(i)).expect("a score serialises");
            out.push(b'\n');
        }
    }

    /// The body of a scoring answer: `{"data": [...], "warnings": {...}}` with a whole record
    /// per row; for `Explain::None`, `{"model_version", "scored_at", "data", "warnings"}` with
    /// only the score of each row (what every row shares is said once).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() * 256 + 256);
        let written = if self.explain == Explain::None {
            serde_json::to_writer(&mut out, &Compact(self))
        } else {
            serde_json::to_writer(&mut out, self)
        };
        written.expect("a score serialises");
        out
    }

    /// Row `i`'s score alone (the rows of an `Explain::None` answer).
    pub fn compact(&self, i: usize) -> CompactRef<'_> {
        let (row, s) = (&self.rows[i], &self.scores[i]);
        CompactRef {
            id: row.id,
            score: s.score,
            probability: s.probability,
            grade: grade(s.grade),
            expected_value: row.amount.map(|a| a * s.probability),
            owner_id: row.owner_id,
        }
    }

    /// The records, owned (for callers that keep or reshape them).
    pub fn into_records(self) -> Vec<ScoredRecord> {
        (0..self.len())
            .map(|i| {
                let r = self.record(i);
                ScoredRecord {
                    id: r.id.to_string(),
                    score: r.score,
                    probability: r.probability,
                    grade: r.grade.to_string(),
                    positive_factors: r.positive_factors.views(),
                    negative_factors: r.negative_factors.views(),
                    expected_value: r.expected_value,
                    owner_id: r.owner_id.map(str::to_string),
                    model_version: serde_json::from_str(self.version.get())
                        .expect("a version read back"),
                    scored_at: self.at,
                    warnings: None,
                }
            })
            .collect()
    }
}

impl Serialize for BatchScores<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Data<'b, 'a>(&'b BatchScores<'a>);
        impl Serialize for Data<'_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for i in 0..self.0.len() {
                    seq.serialize_element(&self.0.record(i))?;
                }
                seq.end()
            }
        }
        let mut st = s.serialize_struct("Scores", 2)?;
        st.serialize_field("data", &Data(self))?;
        st.serialize_field("warnings", &self.warnings)?;
        st.end()
    }
}

/// The `Explain::None` answer.
struct Compact<'b, 'a>(&'b BatchScores<'a>);

impl Serialize for Compact<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Data<'c, 'b>(&'c BatchScores<'b>);
        impl Serialize for Data<'_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq((0..self.0.len()).map(|i| self.0.compact(i)))
            }
        }
        let b = self.0;
        let mut st = s.serialize_struct("CompactScores", 4)?;
        st.serialize_field("model_version", &b.version)?;
        st.serialize_field("scored_at", &b.scored_at)?;
        st.serialize_field("data", &Data(b))?;
        st.serialize_field("warnings", &b.warnings)?;
        st.end()
    }
}

/// One row's score alone, borrowed: the fields of a [`ScoredRecord`] that differ from row to
/// row when there are no factors.
#[derive(Debug, Serialize)]
pub struct CompactRef<'b> {
    pub id: &'b str,
    pub score: u8,
    pub probability: f64,
    pub grade: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<&'b str>,
}

/// One scored row, borrowed: the same fields, in the same order, as [`ScoredRecord`].
#[derive(Debug, Serialize)]
pub struct RecordRef<'b> {
    pub id: &'b str,
    pub score: u8,
    pub probability: f64,
    pub grade: &'static str,
    pub positive_factors: Side<'b>,
    pub negative_factors: Side<'b>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<&'b str>,
    pub model_version: &'b RawValue,
    pub scored_at: &'b RawValue,
}

/// The factors of one sign (`raises`: the raising ones), in their order, in words.
#[derive(Debug, Clone, Copy)]
pub struct Side<'b> {
    names: &'b [String],
    row: &'b FeatureRow,
    factors: &'b [RawFactor],
    raises: bool,
}

impl<'b> Side<'b> {
    pub fn iter(self) -> impl Iterator<Item = FactorWords<'b>> {
        let Side {
            names,
            row,
            factors,
            raises,
        } = self;
        factors
            .iter()
            .filter(move |f| {
                if raises {
                    f.shown_points() > 0.0
                } else {
                    f.shown_points() < 0.0
                }
            })
            .map(move |f| FactorWords::new(names, row, f))
    }

    fn views(self) -> Vec<FactorView> {
        self.iter()
            .map(|f| FactorView {
                feature: f.name.to_string(),
                value: f.cell.display(),
                points: (f.points * 10.0).round() / 10.0,
                text: f.text().to_string(),
            })
            .collect()
    }
}

impl Serialize for Side<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}
