//! Checked scalar values: ids, money amounts, probabilities, timestamps.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was rejected; the message is written for the caller who sent it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

/// A CRM's own identifier: 1 to 200 characters, not blank, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Id(String);

impl Id {
    pub const MAX_LEN: usize = 200;

    pub fn parse(s: impl Into<String>) -> Result<Self, ValueError> {
        let s = s.into();
        if s.trim().is_empty() {
            return Err(ValueError("must not be empty".into()));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(ValueError(format!(
                "must be at most {} characters",
                Self::MAX_LEN
            )));
        }
        if s.chars().any(char::is_control) {
            return Err(ValueError("must not contain control characters".into()));
        }
        Ok(Id(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Id {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Id::parse(s)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount of money in the company's currency: finite and not negative.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize, Default)]
#[serde(try_from = "f64", into = "f64")]
pub struct Money(f64);

impl Money {
    pub const ZERO: Money = Money(0.0);

    pub fn parse(v: f64) -> Result<Self, ValueError> {
        if !v.is_finite() {
            return Err(ValueError("must be a finite number".into()));
        }
        if v < 0.0 {
            return Err(ValueError("must not be negative".into()));
        }
        Ok(Money(v))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Money {
    type Error = ValueError;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        Money::parse(v)
    }
}

impl From<Money> for f64 {
    fn from(m: Money) -> f64 {
        m.0
    }
}

/// A probability, 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Probability(f64);

impl Probability {
    pub fn parse(v: f64) -> Result<Self, ValueError> {
        if !(0.0..=1.0).contains(&v) {
            return Err(ValueError("must be between 0 and 1".into()));
        }
        Ok(Probability(v))
    }

    /// Clamps any finite number into 0..=1 (NaN becomes 0.5, the uninformed guess).
    pub fn clamped(v: f64) -> Self {
        if v.is_nan() {
            Probability(0.5)
        } else {
            Probability(v.clamp(0.0, 1.0))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Probability {
    type Error = ValueError;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        Probability::parse(v)
    }
}

impl From<Probability> for f64 {
    fn from(p: Probability) -> f64 {
        p.0
    }
}

/// A moment in UTC. Accepts RFC 3339 (`2026-03-01T09:30:00Z`), a naive date-time
/// (`2026-03-01 09:30:00`, taken as UTC) or a plain date (`2026-03-01`, midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        // A plain date is the most common form in exports; chrono's own date parser takes it
        // without interpreting a format string (four format attempts cost a fifth of an import).
        if s.len() == 10 {
            if let Ok(d) = s.parse::<NaiveDate>() {
                return Ok(Timestamp::from_date(d));
            }
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(Timestamp(t.with_timezone(&Utc)));
        }
        for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
                return Ok(Timestamp(t.and_utc()));
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Timestamp::from_date(d));
        }
        Err(ValueError(format!(
            "`{}` is not a date-time (expected RFC 3339, e.g. 2026-03-01T09:30:00Z, or a date 2026-03-01)",
            truncate(s, 40)
        )))
    }

    pub fn from_date(d: NaiveDate) -> Self {
        Timestamp(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
    }

    pub fn new(t: DateTime<Utc>) -> Self {
        Timestamp(t)
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }

    pub fn date(self) -> NaiveDate {
        self.0.date_naive()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Timestamp::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from(*self))
    }
}

/// Shortens user input quoted back in an error message.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_blank_long_and_control_characters() {
        assert!(Id::parse("").is_err());
        assert!(Id::parse("   ").is_err());
        assert!(Id::parse("a\u{0}b").is_err());
        assert!(Id::parse("x".repeat(201)).is_err());
        assert_eq!(
            Id::parse("006Qx00000AbC").unwrap().as_str(),
            "006Qx00000AbC"
        );
    }

    #[test]
    fn money_rejects_negative_and_non_finite() {
        assert!(Money::parse(-0.01).is_err());
        assert!(Money::parse(f64::NAN).is_err());
        assert!(Money::parse(f64::INFINITY).is_err());
        assert_eq!(Money::parse(12.5).unwrap().get(), 12.5);
    }

    #[test]
    fn timestamps_accept_rfc3339_naive_and_plain_dates() {
        let a = Timestamp::parse("2026-03-01T09:30:00+02:00").unwrap();
        let b = Timestamp::parse("2026-03-01 07:30:00").unwrap();
        assert_eq!(a, b);
        let d = Timestamp::parse("2026-03-01").unwrap();
        assert_eq!(String::from(d), "2026-03-01T00:00:00Z");
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("2026-02-30").is_err());
    }

    #[test]
    fn probability_clamps_and_checks_range() {
        assert!(Probability::parse(1.01).is_err());
        assert_eq!(Probability::clamped(f64::NAN).get(), 0.5);
        assert_eq!(Probability::clamped(-3.0).get(), 0.0);
    }
}

/// Serde helpers for calendar dates (`2026-03-01`) with an error message a caller can act on.
pub mod date_serde {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer};

    fn parse<E: serde::de::Error>(s: &str) -> Result<NaiveDate, E> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            E::custom(format!(
                "`{}` is not a date: use YYYY-MM-DD, e.g. 2026-03-01",
                super::truncate(s, 40)
            ))
        })
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s)
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) => parse(&s).map(Some),
            None => Ok(None),
        }
    }
}
