//! A data check for custom fields that are only filled once the outcome is known.
//!
//! Entity fields are refused by name (see `fields`); custom `attributes.<key>` cannot be, so their
//! fill rate is compared between decided records (converted or not, won or lost) and open ones.
//! A field that is almost always filled on decided records and almost never on open ones (a close
//! value, a loss reason) is recorded at the outcome: it would look predictive in validation and be
//! missing on every record scored live. Such a feature is refused.

use crate::domain::Attributes;

use super::error::{MlError, Result};
use super::spec::ModelSpec;

/// Open records needed before the fill rates are compared.
pub const MIN_OPEN: usize = 20;
/// Fill rate on decided records at or above which a field is suspect...
pub const DECIDED_FILLED: f64 = 0.5;
/// ...when its fill rate on open records is at or below this.
pub const OPEN_FILLED: f64 = 0.05;

/// Refuses attribute features filled on decided records but not on open ones.
pub fn check_attribute_fill(
    spec: &ModelSpec,
    decided: &[&Attributes],
    open: &[&Attributes],
) -> Result<()> {
    let mut fill = FillCounts::new(spec);
    decided.iter().for_each(|a| fill.add(a, true));
    open.iter().for_each(|a| fill.add(a, false));
    fill.check()
}

/// The fill counts of a spec's attribute features, gathered one record at a time so that the
/// records need not all be held (see [`check_attribute_fill`]).
pub struct FillCounts<'a> {
    spec: &'a ModelSpec,
    /// (feature index, attribute key, filled on decided, filled on open).
    keys: Vec<(usize, &'a str, usize, usize)>,
    decided: usize,
    open: usize,
}

impl<'a> FillCounts<'a> {
    pub fn new(spec: &'a ModelSpec) -> Self {
        let keys = spec
            .features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i, f.from.strip_prefix("attributes.")?, 0, 0)))
            .collect();
        FillCounts {
            spec,
            keys,
            decided: 0,
            open: 0,
        }
    }

    pub fn add(&mut self, attributes: &Attributes, decided: bool) {
        if decided {
            self.decided += 1;
        } else {
            self.open += 1;
        }
        for (_, key, d, o) in &mut self.keys {
            if is_filled(attributes.get(*key), &self.spec.missing_values) {
                *if decided { d } else { o } += 1;
            }
        }
    }

    /// The first attribute feature that looks recorded at the outcome, as an error.
    pub fn check(&self) -> Result<()> {
        if self.open < MIN_OPEN || self.decided == 0 {
            return Ok(());
        }
        for &(i, _, d, o) in &self.keys {
            let f = &self.spec.features[i];
            let (d, o) = (d as f64 / self.decided as f64, o as f64 / self.open as f64);
            if d >= DECIDED_FILLED && o <= OPEN_FILLED {
                return Err(MlError::LeakyFeature {
                    feature: f.name.clone(),
                    reason: format!(
                        "`{}` is filled on {:.0}% of {} decided records but {:.0}% of {} open ones, so it is \
                         recorded at the outcome",
                        f.from,
                        d * 100.0,
                        self.decided,
                        o * 100.0,
                        self.open
                    ),
                });
            }
        }
        Ok(())
    }
}

fn is_filled(v: Option<&serde_json::Value>, missing: &[String]) -> bool {
    match v {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::String(s)) => {
            !s.trim().is_empty() && !missing.iter().any(|m| m == s.trim())
        }
        Some(_) => true,
    }
}
