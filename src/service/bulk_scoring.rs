//! Inline scoring for bulk callers: how much explanation to return (`explain=none|top3|all`),
//! and churn scores of account snapshots sent inline.

use chrono::Utc;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;

use super::batch_scores::{BatchScores, RowRef};
use super::churn::score_accounts;
use super::models::scoring::{active, FactorView};
use super::models::{self, ActiveModel, ModelRegistry, ScoredBatch, ScoredRecord};
use super::Result;
use crate::domain::{Account, AccountSnapshot, Lead, Opportunity};
use crate::ml::{FeatureRow, Grade, ModelKind, RawScore, TrainedModel};

/// How many reasons each score carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Explain {
    /// No factors: probabilities only, the fastest (lead scores skip the explanation entirely).
    None,
    /// The three factors that move the score most, of either sign.
    Top3,
    /// Up to three raising and three lowering factors (the default, as before).
    #[default]
    All,
}

impl Explain {
    /// Trims a scored record's factors to this level.
    pub fn apply(self, r: &mut ScoredRecord) {
        match self {
            Explain::All => {}
            Explain::None => {
                r.positive_factors.clear();
                r.negative_factors.clear();
            }
            Explain::Top3 => {
                let mut all: Vec<(bool, FactorView)> = r
                    .positive_factors
                    .drain(..)
                    .map(|f| (true, f))
                    .chain(r.negative_factors.drain(..).map(|f| (false, f)))
                    .collect();
                // Stable: of equal weights, the raising factor comes first.
                all.sort_by(|a, b| b.1.points.abs().total_cmp(&a.1.points.abs()));
                for (raises, f) in all.into_iter().take(3) {
                    if raises {
                        r.positive_factors.push(f);
                    } else {
                        r.negative_factors.push(f);
                    }
                }
            }
        }
    }
}

/// Scores leads with the explanation asked for, says what the model could not use and counts
/// the batch in the model's monitor (as [`models::score_leads_checked`]); `Explain::None` runs
/// the model's probability path only (no per-feature contributions are computed).
pub fn lead_scores<'a>(
    registry: &ModelRegistry,
    leads: &'a [Lead],
    explain: Explain,
) -> Result<BatchScores<'a>> {
    let m = active(registry, ModelKind::Lead)?;
    let rows: Vec<_> = leads.iter().map(|l| m.model.lead_row(l)).collect();
    let scores = raw_scores(&m.model, &rows, explain);
    let attrs = leads.iter().map(|l| &l.attributes);
    let warnings = registry.monitor(&m.version).observe(
        &m,
        attrs,
        &rows,
        scores.iter().map(|s| s.probability),
    );
    let refs = leads.iter().map(RowRef::of_lead).collect();
    Ok(BatchScores::new(
        refs,
        rows,
        m.model.spec.feature_names(),
        scores,
        explain,
        warnings,
        &m.version,
        Utc::now(),
    ))
}

/// [`lead_scores`] of leads already read into feature rows (`refs[i]` is the lead of
/// `rows[i]`), their attributes the model does not read counted in `unread` (key, leads that
/// gave it a value): the same scores, warnings and monitor counts.
pub fn lead_row_scores<'a, K: AsRef<str>>(
    registry: &ModelRegistry,
    refs: Vec<RowRef<'a>>,
    rows: Vec<FeatureRow>,
    unread: impl Iterator<Item = (K, usize)>,
    explain: Explain,
) -> Result<BatchScores<'a>> {
    let m = active(registry, ModelKind::Lead)?;
    Ok(row_scores(registry, &m, refs, rows, unread, explain))
}

/// [`lead_row_scores`] by the model `m` (the one the rows were read for).
pub(super) fn row_scores<'a, K: AsRef<str>>(
    registry: &ModelRegistry,
    m: &ActiveModel,
    refs: Vec<RowRef<'a>>,
    rows: Vec<FeatureRow>,
    unread: impl Iterator<Item = (K, usize)>,
    explain: Explain,
) -> BatchScores<'a> {
    let scores = raw_scores(&m.model, &rows, explain);
    let warnings = registry.monitor(&m.version).observe_counted(
        m,
        unread,
        &rows,
        scores.iter().map(|s| s.probability),
    );
    BatchScores::new(
        refs,
        rows,
        m.model.spec.feature_names(),
        scores,
        explain,
        warnings,
        &m.version,
        Utc::now(),
    )
}

/// `Explain::None` runs the model's probability path only.
fn raw_scores(model: &TrainedModel, rows: &[FeatureRow], explain: Explain) -> Vec<RawScore> {
    if explain == Explain::None {
        model
            .predict(rows)
            .into_iter()
            .map(RawScore::unexplained)
            .collect()
    } else {
        model.score_raw(rows)
    }
}

/// Scores open deals as of now with the explanation asked for (see [`lead_scores`]).
pub fn opportunity_scores<'a>(
    registry: &ModelRegistry,
    opps: &'a [Opportunity],
    explain: Explain,
) -> Result<BatchScores<'a>> {
    let d = models::scoring::observed_deal_scores(registry, opps, &[], explain != Explain::None)?;
    let refs = opps
        .iter()
        .map(|o| RowRef {
            id: o.id.as_str(),
            owner_id: o.owner_id.as_ref().map(|x| x.as_str()),
            amount: o.amount.map(|a| a.get()),
        })
        .collect();
    Ok(BatchScores::new(
        refs,
        d.rows,
        d.model.model.spec.feature_names(),
        d.scores,
        explain,
        d.warnings,
        &d.model.version,
        Utc::now(),
    ))
}

/// [`lead_scores`] as owned records.
pub fn score_leads(
    registry: &ModelRegistry,
    leads: &[Lead],
    explain: Explain,
) -> Result<ScoredBatch> {
    Ok(owned(lead_scores(registry, leads, explain)?))
}

/// [`opportunity_scores`] as owned records.
pub fn score_opportunities(
    registry: &ModelRegistry,
    opps: &[Opportunity],
    explain: Explain,
) -> Result<ScoredBatch> {
    Ok(owned(opportunity_scores(registry, opps, explain)?))
}

fn owned(mut b: BatchScores<'_>) -> ScoredBatch {
    let warnings = std::mem::take(&mut b.warnings);
    ScoredBatch {
        data: b.into_records(),
        warnings,
    }
}

/// Churn scores of accounts from health snapshots sent inline: one score per account (in the
/// order its first snapshot came), as of its latest snapshot, with its earlier snapshots in the
/// batch as its history (for the usage trends). `attributes.customer_since` (YYYY-MM-DD) on a
/// snapshot gives the tenure; without it, tenure counts from the account's first snapshot sent.
/// `expected_value` is the revenue at risk (P(churn) x ARR of the latest snapshot).
pub fn score_account_snapshots(
    registry: &ModelRegistry,
    snapshots: &[AccountSnapshot],
    explain: Explain,
) -> Result<Vec<ScoredRecord>> {
    let mut order: Vec<Account> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for s in snapshots {
        let i = *seen.entry(s.account_id.as_str()).or_insert_with(|| {
            order.push(bare_account(s));
            order.len() - 1
        });
        if let Some(since) = s.attributes.get("customer_since") {
            order[i]
                .attributes
                .insert("customer_since".into(), since.clone());
        }
    }
    let risks = score_accounts(registry, &order, snapshots, &[], &HashMap::new())?;
    let now = Utc::now();
    Ok(risks
        .into_iter()
        .map(|r| {
            let mut rec = ScoredRecord {
                id: r.account_id,
                score: r.score,
                probability: r.probability,
                grade: format!("{:?}", Grade::of(r.score)),
                positive_factors: r.drivers,
                negative_factors: r.protective,
                expected_value: Some(r.revenue_at_risk),
                owner_id: None,
                model_version: r.model_version,
                scored_at: now,
                warnings: None,
            };
            explain.apply(&mut rec);
            rec
        })
        .collect())
}

/// An account known only by its id (inline snapshots carry nothing else about it).
fn bare_account(s: &AccountSnapshot) -> Account {
    Account {
        id: s.account_id.clone(),
        name: s.account_id.to_string(),
        industry: None,
        segment: None,
        region: None,
        employees: None,
        owner_id: None,
        created_at: None,
        attributes: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::{Score, ScoreWarnings};
    use crate::service::models::scoring::record;

    fn unexplained(p: f64) -> Score {
        RawScore::unexplained(p).in_words(&[], &crate::ml::FeatureRow { cells: Vec::new() })
    }

    fn factor(points: f64) -> FactorView {
        FactorView {
            feature: format!("f{points}"),
            value: String::new(),
            points,
            text: format!("{points:+} pts"),
        }
    }

    fn scored() -> ScoredRecord {
        let mut r = record("L1".into(), &unexplained(0.42), "v1", None, None);
        r.positive_factors = vec![factor(9.0), factor(4.0), factor(1.0)];
        r.negative_factors = vec![factor(-7.0), factor(-4.0), factor(-0.5)];
        r
    }

    fn points(fs: &[FactorView]) -> Vec<f64> {
        fs.iter().map(|f| f.points).collect()
    }

    #[test]
    fn top3_keeps_the_three_largest_of_either_sign_and_ties_go_to_the_raising_one() {
        let mut r = scored();
        Explain::Top3.apply(&mut r);
        assert_eq!(points(&r.positive_factors), [9.0, 4.0]);
        assert_eq!(points(&r.negative_factors), [-7.0]);
        assert_eq!((r.probability, r.score), (0.42, 42));
    }

    #[test]
    fn none_drops_every_factor_and_all_keeps_them() {
        let mut none = scored();
        Explain::None.apply(&mut none);
        assert!(none.positive_factors.is_empty() && none.negative_factors.is_empty());
        let mut all = scored();
        Explain::All.apply(&mut all);
        assert_eq!(points(&all.positive_factors), [9.0, 4.0, 1.0]);
        assert_eq!(points(&all.negative_factors), [-7.0, -4.0, -0.5]);
        assert_eq!(Explain::default(), Explain::All);
    }

    #[test]
    fn an_unexplained_score_rounds_as_an_explained_one() {
        for (p, score) in [(0.004, 1), (0.125, 13), (0.5, 50), (0.996, 99)] {
            let s = unexplained(p);
            assert_eq!(s.score, score, "{p}");
            assert_eq!(s.grade, Grade::of(score));
        }
    }

    #[test]
    fn batch_scores_serialise_as_the_records_at_every_explain_level() {
        let names: Vec<String> = ["source", "visits", "size", "region", "a", "b", "c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let row = crate::ml::FeatureRow {
            cells: vec![
                crate::ml::Cell::Cat("web \"form\"".into()),
                crate::ml::Cell::Num(14.0),
                crate::ml::Cell::Num(2.345),
                crate::ml::Cell::Missing,
                crate::ml::Cell::Num(1.0),
                crate::ml::Cell::Num(-3.5),
                crate::ml::Cell::Num(1e20),
            ],
        };
        // Ties in shown points (4.0 either way) and more than three each way.
        let contrib = [0.09, -0.07, 0.04, -0.04, 0.01, -0.005, 0.2];
        let raw = RawScore {
            factors: crate::ml::explain::top_factors(
                &contrib,
                crate::ml::algo::Unit::Probability,
                0.42,
            ),
            ..RawScore::unexplained(0.42)
        };
        let score = raw.in_words(&names, &row);
        assert_eq!(score.factors.len(), 6);
        let at = Utc::now();
        for explain in [Explain::None, Explain::Top3, Explain::All] {
            for (owner, amount) in [(None, None), (Some("R-1"), Some(1000.0))] {
                let b = BatchScores::new(
                    vec![RowRef {
                        id: "L\"1",
                        owner_id: owner,
                        amount,
                    }],
                    vec![row.clone()],
                    names.clone(),
                    vec![raw],
                    explain,
                    ScoreWarnings::default(),
                    "lead-v1",
                    at,
                );
                let mut want = record(
                    "L\"1".into(),
                    &score,
                    "lead-v1",
                    owner.map(str::to_string),
                    amount,
                );
                want.scored_at = at;
                explain.apply(&mut want);
                let got = serde_json::to_string(&b.record(0)).unwrap();
                assert_eq!(got, serde_json::to_string(&want).unwrap(), "{explain:?}");
                let body: serde_json::Value = serde_json::from_slice(&b.to_json()).unwrap();
                let mut whole = serde_json::to_value(&want).unwrap();
                if explain == Explain::None {
                    // The compact answer: what every row shares said once, beside the rows.
                    assert_eq!(body["model_version"], "lead-v1");
                    assert_eq!(body["scored_at"], serde_json::to_value(at).unwrap());
                    let row = whole.as_object_mut().unwrap();
                    for key in [
                        "positive_factors",
                        "negative_factors",
                        "model_version",
                        "scored_at",
                    ] {
                        row.remove(key);
                    }
                }
                assert_eq!(body["data"][0], whole, "{explain:?}");
                let owned = serde_json::to_string(&b.into_records()[0]).unwrap();
                assert_eq!(owned, got, "{explain:?}");
            }
        }
    }
}
