//! Model specs: the TOML file under `training/` that declares what a model learns and how.

use serde::{Deserialize, Serialize};

use super::error::{spec_err, MlError, Result};

pub use super::fields::Derive;
pub use crate::domain::ModelKind;

/// A candidate learning algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// L2-regularised logistic regression (linfa-logistic).
    Logistic,
    /// Random forest (smartcore grows the trees).
    RandomForest,
    /// Gradient-boosted trees (revcast's histogram booster, `ml::algo::boosting`).
    BoostedTrees,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Logistic => "logistic",
            Algorithm::RandomForest => "random_forest",
            Algorithm::BoostedTrees => "boosted_trees",
        }
    }
}

/// How raw model outputs become honest probabilities, fitted on the calibration slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalibrationMethod {
    /// Monotone step function (pool adjacent violators), interpolated between blocks.
    Isotonic,
    /// A logistic curve on the raw log-odds.
    Platt,
}

/// The value type a feature is encoded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureType {
    Numeric,
    Categorical,
}

/// One feature: a name, where its value comes from and how it is encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// The name shown in explanations ("source", "visits").
    pub name: String,
    /// The entity field (`source`, `amount`, `owner_win_rate`, ...) or `attributes.<key>`.
    pub from: String,
    #[serde(rename = "type")]
    pub ty: FeatureType,
    /// For timestamp fields: what to derive from them.
    #[serde(default)]
    pub derive: Option<Derive>,
    /// Categorical levels seen fewer times in training go to the "other" bucket. Default 10.
    #[serde(default = "default_min_count")]
    pub min_count: usize,
}

fn default_min_count() -> usize {
    10
}

/// How rows are split into train / calibrate / validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitOrder {
    /// By time when every row has one, otherwise seeded stratified random.
    Auto,
    /// Oldest rows train, newest validate; rows without a time are an error.
    Time,
    /// Seeded, stratified by label.
    Random,
}

/// Fractions of the rows per slice; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    #[serde(default = "default_order")]
    pub order: SplitOrder,
    pub train: f64,
    pub calibrate: f64,
    pub validate: f64,
}

fn default_order() -> SplitOrder {
    SplitOrder::Auto
}

/// A model spec, as read from `training/<name>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub name: String,
    pub kind: ModelKind,
    /// Seed of every random choice (split, forest, boosting): same seed and data, same model.
    pub seed: u64,
    pub candidates: Vec<Algorithm>,
    /// Calibrations to try on each candidate; the pair with the lowest validation log loss wins.
    pub calibration: Vec<CalibrationMethod>,
    /// Minimum positive and minimum negative rows (each) to train and calibrate at all. Default 50.
    #[serde(default = "default_min_class")]
    pub min_per_class: usize,
    pub split: SplitSpec,
    /// Win specs only: deals created fewer than this many days before `as_of` are not training
    /// rows, even when already closed. Only the quick closers of a young cohort have an outcome
    /// (mostly early losses), a censored sample that would bias the newest slice. Default 0.
    #[serde(default)]
    pub min_deal_age_days: u32,
    /// Churn specs: a snapshot's label is "churned within this many days after it". Default 90.
    #[serde(default = "default_horizon")]
    pub horizon_days: u32,
    /// Text values read as missing (e.g. "Select" for an unanswered form field).
    #[serde(default)]
    pub missing_values: Vec<String>,
    #[serde(rename = "feature")]
    pub features: Vec<FeatureSpec>,
}

fn default_horizon() -> u32 {
    90
}

fn default_min_class() -> usize {
    50
}

impl ModelSpec {
    /// Parses and checks a spec; every problem names the field at fault.
    pub fn from_toml(text: &str) -> Result<ModelSpec> {
        let spec: ModelSpec =
            toml::from_str(text).map_err(|e| MlError::SpecSyntax(e.to_string()))?;
        spec.check()?;
        Ok(spec)
    }

    /// Checks fractions, names and sources against the kind's known fields.
    pub fn check(&self) -> Result<()> {
        if self.candidates.is_empty() {
            return Err(spec_err("candidates", "list at least one algorithm"));
        }
        if self.calibration.is_empty() {
            return Err(spec_err("calibration", "list isotonic, platt or both"));
        }
        if self.features.is_empty() {
            return Err(spec_err("feature", "declare at least one [[feature]]"));
        }
        self.check_split()?;
        if self.min_deal_age_days > 0 && self.kind != ModelKind::Win {
            return Err(spec_err(
                "min_deal_age_days",
                format!("applies to win specs only, not {}", self.kind.as_str()),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, f) in self.features.iter().enumerate() {
            if !seen.insert(f.name.as_str()) {
                return Err(spec_err(
                    format!("feature[{i}].name"),
                    format!("`{}` is declared twice", f.name),
                ));
            }
            super::fields::check_source(self.kind, &f.name, &f.from, f.derive)
                .map_err(|e| relabel(e, &format!("feature[{i}]")))?;
        }
        Ok(())
    }

    fn check_split(&self) -> Result<()> {
        let s = self.split;
        for (name, v) in [
            ("train", s.train),
            ("calibrate", s.calibrate),
            ("validate", s.validate),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(spec_err(
                    format!("split.{name}"),
                    format!("must be between 0 and 1, got {v}"),
                ));
            }
        }
        let sum = s.train + s.calibrate + s.validate;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(spec_err(
                "split",
                format!("train + calibrate + validate must be 1, got {sum}"),
            ));
        }
        Ok(())
    }

    /// The feature names in order, as the rows carry them.
    pub fn feature_names(&self) -> Vec<String> {
        self.features.iter().map(|f| f.name.clone()).collect()
    }
}

fn relabel(e: MlError, prefix: &str) -> MlError {
    match e {
        MlError::Spec { field, reason } => spec_err(format!("{prefix}.{field}"), reason),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
kind = "lead"
seed = 1
candidates = ["logistic", "boosted_trees"]
calibration = ["platt"]
[split]
train = 0.6
calibrate = 0.2
validate = 0.2
[[feature]]
name = "source"
from = "source"
type = "categorical"
[[feature]]
name = "visits"
from = "attributes.visits"
type = "numeric"
"#;

    #[test]
    fn a_good_spec_parses_with_defaults() {
        let s = ModelSpec::from_toml(GOOD).unwrap();
        assert_eq!(s.min_per_class, 50);
        assert_eq!(s.split.order, SplitOrder::Auto);
        assert_eq!(s.features[0].min_count, 10);
        assert_eq!(s.feature_names(), vec!["source", "visits"]);
    }

    #[test]
    fn fractions_that_do_not_sum_to_one_are_rejected() {
        let bad = GOOD.replace("train = 0.6", "train = 0.7");
        let e = ModelSpec::from_toml(&bad).unwrap_err().to_string();
        assert!(e.contains("split") && e.contains("must be 1"), "{e}");
    }

    #[test]
    fn unknown_fields_and_duplicate_names_are_rejected() {
        let bad = GOOD.replace("from = \"source\"", "from = \"colour\"");
        let e = ModelSpec::from_toml(&bad).unwrap_err().to_string();
        assert!(e.contains("feature[0].from") && e.contains("colour"), "{e}");
        let dup = GOOD.replace("name = \"visits\"", "name = \"source\"");
        assert!(ModelSpec::from_toml(&dup)
            .unwrap_err()
            .to_string()
            .contains("twice"));
    }

    #[test]
    fn a_deal_age_floor_is_refused_outside_win_specs() {
        let bad = GOOD.replace("seed = 1", "seed = 1\nmin_deal_age_days = 90");
        let e = ModelSpec::from_toml(&bad).unwrap_err().to_string();
        assert!(e.contains("min_deal_age_days") && e.contains("lead"), "{e}");
        let win = ModelSpec::from_toml(include_str!("../../training/win.toml")).unwrap();
        assert_eq!(win.min_deal_age_days, 120);
    }

    #[test]
    fn post_outcome_fields_are_refused_by_name() {
        let bad = GOOD.replace("from = \"source\"", "from = \"converted_at\"");
        let e = ModelSpec::from_toml(&bad).unwrap_err();
        assert!(matches!(e, MlError::LeakyFeature { .. }), "{e}");
    }
}
