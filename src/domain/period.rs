//! Reporting periods: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`).

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{input}` is not a period: use a month (2026-11), a quarter (2026-Q4) or a year (2026)")]
pub struct PeriodError {
    pub input: String,
}

/// A calendar period. Invariant: `start < end`, both first days of a month; `end` is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Year { year: i32 },
}

impl Period {
    pub fn parse(s: &str) -> Result<Self, PeriodError> {
        let err = || PeriodError {
            input: super::values::truncate(s, 40),
        };
        let s = s.trim();
        let year_of = |y: &str| -> Result<i32, PeriodError> {
            if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let y: i32 = y.parse().map_err(|_| err())?;
            if (1900..=2200).contains(&y) {
                Ok(y)
            } else {
                Err(err())
            }
        };
        if let Some((y, rest)) = s.split_once('-') {
            let year = year_of(y)?;
            if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
                let quarter: u32 = q.parse().map_err(|_| err())?;
                if (1..=4).contains(&quarter) && q.len() == 1 {
                    return Ok(Period::Quarter { year, quarter });
                }
                return Err(err());
            }
            if rest.len() == 2 {
                let month: u32 = rest.parse().map_err(|_| err())?;
                if (1..=12).contains(&month) {
                    return Ok(Period::Month { year, month });
                }
            }
            return Err(err());
        }
        Ok(Period::Year { year: year_of(s)? })
    }

    /// First day of the period.
    pub fn start(&self) -> NaiveDate {
        let (y, m) = match *self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1),
            Period::Year { year } => (year, 1),
        };
        NaiveDate::from_ymd_opt(y, m, 1).expect("valid first day")
    }

    /// First day after the period (exclusive end).
    pub fn end(&self) -> NaiveDate {
        self.start() + Months::new(self.months())
    }

    /// Length in months: 1, 3 or 12.
    pub fn months(&self) -> u32 {
        match self {
            Period::Month { .. } => 1,
            Period::Quarter { .. } => 3,
            Period::Year { .. } => 12,
        }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        d >= self.start() && d < self.end()
    }

    /// The period of the same kind that contains `d`.
    pub fn same_kind_containing(&self, d: NaiveDate) -> Period {
        match self {
            Period::Month { .. } => Period::month_of(d),
            Period::Quarter { .. } => Period::quarter_of(d),
            Period::Year { .. } => Period::Year { year: d.year() },
        }
    }

    pub fn month_of(d: NaiveDate) -> Period {
        Period::Month {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn quarter_of(d: NaiveDate) -> Period {
        Period::Quarter {
            year: d.year(),
            quarter: (d.month() - 1) / 3 + 1,
        }
    }

    /// The period of the same kind right after this one.
    pub fn next(&self) -> Period {
        self.same_kind_containing(self.end())
    }

    /// The period of the same kind right before this one.
    pub fn previous(&self) -> Period {
        self.same_kind_containing(self.start().pred_opt().expect("date in range"))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
            Period::Year { year } => write!(f, "{year}"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Period::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_months_quarters_and_years_and_round_trips() {
        for s in ["2026-11", "2026-Q4", "2026", "1999-01"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Period::parse("2026-q2").unwrap().to_string(), "2026-Q2");
    }

    #[test]
    fn rejects_what_is_not_a_period() {
        for s in [
            "", "2026-13", "2026-Q5", "2026-Q0", "26-Q1", "2026-1", "Q4-2026", "abcd", "2026-Q12",
        ] {
            assert!(Period::parse(s).is_err(), "{s} accepted");
        }
    }

    #[test]
    fn bounds_are_half_open_and_chain() {
        let q = Period::parse("2026-Q4").unwrap();
        assert_eq!(q.start(), d(2026, 10, 1));
        assert_eq!(q.end(), d(2027, 1, 1));
        assert!(q.contains(d(2026, 12, 31)));
        assert!(!q.contains(d(2027, 1, 1)));
        assert_eq!(q.next().to_string(), "2027-Q1");
        assert_eq!(q.previous().to_string(), "2026-Q3");
        assert_eq!(
            Period::parse("2026-01").unwrap().previous().to_string(),
            "2025-12"
        );
    }
}
