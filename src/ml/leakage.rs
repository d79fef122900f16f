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
    if open.len() < MIN_OPEN || decided.is_empty() {
        return Ok(());
    }
    for f in &spec.features {
        let Some(key) = f.from.strip_prefix("attributes.") else {
            continue;
        };
        let rate = |rows: &[&Attributes]| {
            let filled = rows
                .iter()
                .filter(|a| is_filled(a.get(key), &spec.missing_values))
                .count();
            filled as f64 / rows.len() as f64
        };
        let (d, o) = (rate(decided), rate(open));
        if d >= DECIDED_FILLED && o <= OPEN_FILLED {
            return Err(MlError::LeakyFeature {
                feature: f.name.clone(),
                reason: format!(
                    "`{}` is filled on {:.0}% of {} decided records but {:.0}% of {} open ones, so it is \
                     recorded at the outcome",
                    f.from,
                    d * 100.0,
                    decided.len(),
                    o * 100.0,
                    open.len()
                ),
            });
        }
    }
    Ok(())
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
