//! Cell text to typed values, and typed values to the JSON the domain parser reads.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::domain::{truncate_for_message as quote, Timestamp};

/// A cell after parsing, before it becomes JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    Null,
    Text(String),
    Num(f64),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    Ts(DateTime<Utc>),
}

impl Parsed {
    /// Dates as `YYYY-MM-DD`, timestamps as RFC 3339 in UTC; numbers are finite by construction.
    pub fn into_json(self) -> Value {
        match self {
            Parsed::Null => Value::Null,
            Parsed::Text(s) => Value::String(s),
            Parsed::Num(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
            Parsed::Int(i) => Value::from(i),
            Parsed::Bool(b) => Value::Bool(b),
            Parsed::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            Parsed::Ts(t) => Value::String(Timestamp::new(t).to_string()),
        }
    }
}

/// A finite decimal number.
pub(crate) fn parse_number(text: &str) -> Result<f64, String> {
    number(text).ok_or_else(|| format!("`{}` is not a number", quote(text, 40)))
}

/// [`parse_number`] without the message (a cell that may be text asks this first).
pub(crate) fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A whole number; a decimal with no fraction (`15.0`) is accepted.
pub(crate) fn parse_int(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Ok(i);
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
        _ => Err(format!("`{}` is not a whole number", quote(text, 40))),
    }
}

/// `true/false`, `yes/no`, `y/n`, `t/f`, `1/0`, in any case.
pub(crate) fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "t" | "1" => Ok(true),
        "false" | "no" | "n" | "f" | "0" => Ok(false),
        _ => Err(format!(
            "`{}` is not a yes/no value (expected true/false, yes/no or 1/0)",
            quote(text, 40)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_reject_text_and_non_finite() {
        assert_eq!(parse_number(" 29.85 ").unwrap(), 29.85);
        assert!(parse_number("abc").is_err());
        assert!(parse_number("NaN").is_err());
        assert!(parse_number("inf").is_err());
        assert!(parse_number("").is_err());
    }

    #[test]
    fn integers_accept_whole_decimals_only() {
        assert_eq!(parse_int("15").unwrap(), 15);
        assert_eq!(parse_int("15.0").unwrap(), 15);
        assert!(parse_int("15.5").is_err());
        assert!(parse_int("x").is_err());
    }

    #[test]
    fn booleans_read_common_spellings_and_nothing_else() {
        for t in ["Yes", "TRUE", "1", "y", "t"] {
            assert!(parse_bool(t).unwrap(), "{t}");
        }
        for f in ["No", "false", "0", "N", "f"] {
            assert!(!parse_bool(f).unwrap(), "{f}");
        }
        assert!(parse_bool("maybe").unwrap_err().contains("maybe"));
    }

    #[test]
    fn json_spells_dates_and_timestamps_as_the_domain_reads_them() {
        let d = NaiveDate::from_ymd_opt(2017, 3, 1).unwrap();
        assert_eq!(Parsed::Date(d).into_json(), Value::from("2017-03-01"));
        let t = Timestamp::from_date(d).get();
        assert_eq!(
            Parsed::Ts(t).into_json(),
            Value::from("2017-03-01T00:00:00Z")
        );
        assert_eq!(Parsed::Int(3).into_json(), Value::from(3));
    }
}
