//! Which entity fields a feature may read, per model kind, and which are refused as leaks.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::error::{spec_err, MlError, Result};
use super::row::Cell;
use crate::domain::ModelKind;

/// Lead fields readable as features (as of the lead's creation).
pub const LEAD_FIELDS: &[&str] = &[
    "source",
    "owner_id",
    "account_id",
    "created_at",
    "first_response_at",
];
/// Lead fields filled once the outcome is known.
pub const LEAD_LEAKS: &[&str] = &["converted", "converted_at", "status"];
/// Opportunity snapshot fields readable as features (as of the snapshot).
pub const WIN_FIELDS: &[&str] = &[
    "stage",
    "amount",
    "product",
    "deal_type",
    "owner_id",
    "account_id",
    "age_days",
    "days_in_previous_stage",
    "owner_win_rate",
    "slips",
    "days_to_expected_close",
    "created_at",
    "snapshot_at",
];
/// Opportunity fields filled (or rewritten) once the deal closes; `expected_close_date` is read
/// through `days_to_expected_close`, from the stage history as it stood.
pub const WIN_LEAKS: &[&str] = &[
    "won",
    "closed_at",
    "forecast_category",
    "expected_close_date",
];
const TIMESTAMPS: &[&str] = &["created_at", "first_response_at", "snapshot_at"];

/// A value derived from a timestamp field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derive {
    /// Monday..Sunday as `mon`..`sun`.
    DayOfWeek,
    /// 1..=12.
    Month,
    /// Hour of day in UTC, 0..=23.
    Hour,
    /// Hours from the record's creation to this timestamp.
    HoursAfterCreated,
}

/// Checks that a feature (`name`, read `from` a field, with `derive`) reads a known, outcome-free
/// field, with a derive where one is needed.
pub(crate) fn check_source(
    kind: ModelKind,
    name: &str,
    from: &str,
    derive: Option<Derive>,
) -> Result<()> {
    let f = Source { name, from, derive };
    let f = &f;
    if let Some(key) = f.from.strip_prefix("attributes.") {
        if key.is_empty() {
            return Err(spec_err("from", "name the attribute after `attributes.`"));
        }
        return no_derive(f);
    }
    let (fields, leaks): (&[&str], &[&str]) = match kind {
        ModelKind::Lead => (LEAD_FIELDS, LEAD_LEAKS),
        ModelKind::Win => (WIN_FIELDS, WIN_LEAKS),
        // Churn rows are built by the churn module; only the label's own fields are refused.
        ModelKind::Churn => {
            return if f.from == "churned_at" {
                Err(leak(f))
            } else {
                Ok(())
            }
        }
    };
    if leaks.contains(&f.from) {
        return Err(leak(f));
    }
    if !fields.contains(&f.from) {
        return Err(spec_err(
            "from",
            format!(
                "`{}` is not a {} field; use one of {} or attributes.<name>",
                f.from,
                kind.as_str(),
                fields.join(", ")
            ),
        ));
    }
    if TIMESTAMPS.contains(&f.from) {
        if f.derive.is_none() {
            return Err(spec_err("derive", format!("`{}` is a timestamp: set derive = day_of_week, month, hour or hours_after_created", f.from)));
        }
        return Ok(());
    }
    no_derive(f)
}

/// What [`check_source`] reads of a feature.
struct Source<'a> {
    name: &'a str,
    from: &'a str,
    derive: Option<Derive>,
}

fn no_derive(f: &Source) -> Result<()> {
    match f.derive {
        Some(_) => Err(spec_err(
            "derive",
            format!("`{}` is not a timestamp, remove derive", f.from),
        )),
        None => Ok(()),
    }
}

fn leak(f: &Source) -> MlError {
    MlError::LeakyFeature {
        feature: f.name.to_string(),
        reason: format!("`{}` is only known once the outcome is", f.from),
    }
}

/// A value derived from a timestamp; `created` is the record's creation, for `hours_after_created`.
pub(crate) fn derive_cell(
    d: Derive,
    t: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
) -> Cell {
    let Some(t) = t else { return Cell::Missing };
    match d {
        Derive::DayOfWeek => {
            // chrono's weekday names, lowercased.
            const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
            Cell::Cat(DAYS[t.weekday().num_days_from_monday() as usize].to_string())
        }
        Derive::Month => Cell::Num(f64::from(t.month())),
        Derive::Hour => Cell::Num(f64::from(t.hour())),
        Derive::HoursAfterCreated => match created {
            Some(c) => Cell::Num((t - c).num_seconds() as f64 / 3600.0),
            None => Cell::Missing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_weekday_reads_as_chrono_names_it_lowercased() {
        for day in 1..=7 {
            let t = Utc.with_ymd_and_hms(2026, 6, day, 12, 0, 0).unwrap();
            let want = Cell::Cat(t.weekday().to_string().to_lowercase());
            assert_eq!(derive_cell(Derive::DayOfWeek, Some(t), None), want);
        }
    }
}
