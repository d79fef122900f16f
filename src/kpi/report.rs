//! The report shape: one [`Kpi`] per measure, each carrying its formula, its counts and, when it
//! has no value, the reason why.
//!
//! Invariant: no value, count or breakdown value is NaN or infinite, so a report always
//! serialises to JSON. A value that would need a division by zero is `None` with a `reason`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{KpiGroup, Window};

/// What a KPI's value measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A share, 0..=1 (retention may exceed 1).
    Ratio,
    /// A number of records.
    Count,
    /// Hours, fractional.
    Hours,
    /// Days (24 h), fractional.
    Days,
    /// An amount in the company's currency.
    Currency,
    /// Currency per day.
    CurrencyPerDay,
}

/// One part of a KPI: a stage of the funnel, a rep's attainment, a lead source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KpiPart {
    pub key: String,
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One measure. `value` is `None` exactly when `reason` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Kpi {
    /// snake_case name, e.g. `win_rate`.
    pub name: String,
    pub value: Option<f64>,
    pub unit: Unit,
    /// The definition in words, e.g. "won / (won + lost) over opportunities closed in the window".
    pub formula: String,
    /// The inputs: numerator, denominator, the number of records used or skipped.
    pub counts: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Per-stage, per-rep or per-source parts, in a stable order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdown: Vec<KpiPart>,
}

impl Kpi {
    /// A KPI whose value is not yet known; set it with [`Kpi::set`] or [`Kpi::ratio`].
    pub(crate) fn new(name: &str, unit: Unit, formula: &str) -> Self {
        Kpi {
            name: name.to_string(),
            value: None,
            unit,
            formula: formula.to_string(),
            counts: BTreeMap::new(),
            reason: None,
            breakdown: Vec::new(),
        }
    }

    pub(crate) fn count(mut self, key: &str, n: impl Into<f64>) -> Self {
        self.counts
            .insert(key.to_string(), finite_or_zero(n.into()));
        self
    }

    /// Sets the value, or the reason when there is none (a non-finite value becomes a reason too).
    pub(crate) fn set(mut self, value: Option<f64>, reason: impl Into<String>) -> Self {
        match value.filter(|v| v.is_finite()) {
            Some(v) => {
                self.value = Some(v);
                self.reason = None;
            }
            None => {
                self.value = None;
                self.reason = Some(reason.into());
            }
        }
        self
    }

    /// `numerator / denominator`, or `None` with `reason` when the denominator is not positive.
    pub(crate) fn ratio(self, numerator: f64, denominator: f64, reason: &str) -> Self {
        self.set(safe_div(numerator, denominator), reason)
    }

    pub(crate) fn parts(mut self, parts: Vec<KpiPart>) -> Self {
        self.breakdown = parts;
        self
    }

    /// This KPI, emptied, with a reason why it is not defined for a grouping.
    pub(crate) fn not_applicable(mut self, reason: &str) -> Self {
        self.counts.clear();
        self.breakdown.clear();
        self.set(None, reason)
    }
}

impl KpiPart {
    pub(crate) fn new(key: impl Into<String>, value: Option<f64>, reason: &str) -> Self {
        let value = value.filter(|v| v.is_finite());
        KpiPart {
            key: key.into(),
            value,
            counts: BTreeMap::new(),
            reason: value.is_none().then(|| reason.to_string()),
        }
    }

    pub(crate) fn count(mut self, key: &str, n: impl Into<f64>) -> Self {
        self.counts
            .insert(key.to_string(), finite_or_zero(n.into()));
        self
    }
}

/// The KPIs of one group (a rep, a team, a source...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupReport {
    /// The group's key; records without one fall in `(unassigned)`.
    pub key: String,
    pub kpis: Vec<Kpi>,
}

/// The KPIs over all data, and per group when asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KpiReport {
    pub window: Window,
    pub group_by: Option<KpiGroup>,
    pub kpis: Vec<Kpi>,
    /// Empty unless `group_by` is set; sorted by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupReport>,
}

impl KpiReport {
    /// The overall KPI of that name, if the report has it.
    pub fn get(&self, name: &str) -> Option<&Kpi> {
        self.kpis.iter().find(|k| k.name == name)
    }

    /// The KPI of that name in the group of that key.
    pub fn group_kpi(&self, key: &str, name: &str) -> Option<&Kpi> {
        let group = self.groups.iter().find(|g| g.key == key)?;
        group.kpis.iter().find(|k| k.name == name)
    }
}

/// Division that refuses a zero, negative or non-finite denominator.
pub(crate) fn safe_div(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0 && denominator.is_finite())
        .then(|| numerator / denominator)
        .filter(|v| v.is_finite())
}

/// Median of the finite values (mean of the two middle ones for an even count), `None` when empty.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// Mean of the finite values, `None` when empty.
pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    safe_div(v.iter().sum(), v.len() as f64)
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN]), None);
    }

    #[test]
    fn ratio_with_zero_denominator_is_null_with_the_reason() {
        let k = Kpi::new("x", Unit::Ratio, "a / b").ratio(1.0, 0.0, "no b");
        assert_eq!(k.value, None);
        assert_eq!(k.reason.as_deref(), Some("no b"));
        let k = Kpi::new("x", Unit::Ratio, "a / b").ratio(1.0, 4.0, "no b");
        assert_eq!((k.value, k.reason), (Some(0.25), None));
    }

    #[test]
    fn non_finite_inputs_never_reach_the_output() {
        let k = Kpi::new("x", Unit::Days, "d")
            .set(Some(f64::INFINITY), "overflow")
            .count("n", f64::NAN);
        assert_eq!(k.value, None);
        assert_eq!(k.counts["n"], 0.0);
        assert_eq!(mean(&[]), None);
        assert!(KpiPart::new("s", Some(f64::NAN), "none").reason.is_some());
    }
}
