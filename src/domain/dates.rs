//! Calendar arithmetic shared by every layer: one definition of each.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

/// Fractional days from `a` to `b` (negative when `b` is earlier), to the second.
pub fn days_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_seconds() as f64 / 86_400.0
}

/// The last day of the month holding `d`.
pub fn month_end(d: NaiveDate) -> NaiveDate {
    let first = d.with_day(1).expect("day 1 exists");
    (first + Months::new(1)).pred_opt().expect("date in range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn month_ends_know_short_months_and_leap_years() {
        assert_eq!(month_end(day(2026, 1, 31)), day(2026, 1, 31));
        assert_eq!(month_end(day(2026, 2, 1)), day(2026, 2, 28));
        assert_eq!(month_end(day(2028, 2, 10)), day(2028, 2, 29));
        assert_eq!(month_end(day(2026, 12, 5)), day(2026, 12, 31));
    }

    #[test]
    fn days_between_is_fractional_and_signed() {
        let a = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        assert_eq!(days_between(a, b), 1.5);
        assert_eq!(days_between(b, a), -1.5);
    }
}
