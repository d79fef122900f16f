//! Rows in PostgreSQL's `COPY ... FROM STDIN` text format: one line a row, cells separated by
//! tabs, `\N` for null, and backslash escapes for the backslash, tab, newline and carriage
//! return inside a cell. Each cell is written as the value sqlx would bind, so a row loaded by
//! `COPY` is the row a bound `INSERT` writes.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};
use std::fmt::Write;

use crate::domain::SqlValue;

/// Appends one row (its key first, then its cells) to `out`.
pub(crate) fn push_row(out: &mut Vec<u8>, key: &str, cells: &[SqlValue]) {
    push_text(out, key);
    for cell in cells {
        out.push(b'\t');
        push_cell(out, cell);
    }
    out.push(b'\n');
}

fn push_cell(out: &mut Vec<u8>, cell: &SqlValue) {
    let mut text = String::new();
    match cell {
        SqlValue::Text(Some(s)) => return push_text(out, s),
        SqlValue::Int(Some(x)) => write!(text, "{x}").expect("writing to a String"),
        SqlValue::Float(Some(x)) => push_float(&mut text, *x),
        SqlValue::Bool(Some(b)) => text.push(if *b { 't' } else { 'f' }),
        SqlValue::Timestamp(Some(t)) => push_timestamp(&mut text, *t),
        SqlValue::Date(Some(d)) => push_date(&mut text, *d),
        SqlValue::Json(v) => return push_text(out, &v.to_string()),
        SqlValue::Text(None)
        | SqlValue::Int(None)
        | SqlValue::Float(None)
        | SqlValue::Bool(None)
        | SqlValue::Timestamp(None)
        | SqlValue::Date(None) => text.push_str("\\N"),
    }
    out.extend_from_slice(text.as_bytes());
}

/// Text with the four characters COPY reads specially escaped.
fn push_text(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// The shortest decimal that reads back as the same double (PostgreSQL rounds its input
/// correctly), or PostgreSQL's names for the values that are not finite.
fn push_float(text: &mut String, x: f64) {
    if x.is_nan() {
        text.push_str("NaN");
    } else if x.is_infinite() {
        text.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        write!(text, "{x}").expect("writing to a String");
    }
}

/// The instant in UTC to the microsecond, cut as sqlx cuts it when it binds one (microseconds
/// since 2000-01-01, rounded toward that epoch).
fn push_timestamp(text: &mut String, t: DateTime<Utc>) {
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date");
    let naive = t.naive_utc();
    let t: NaiveDateTime = (naive - epoch)
        .num_microseconds()
        .and_then(|us| epoch.checked_add_signed(TimeDelta::microseconds(us)))
        .unwrap_or(naive);
    push_date(text, t.date());
    write!(
        text,
        " {:02}:{:02}:{:02}.{:06}+00",
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1000
    )
    .expect("writing to a String");
}

fn push_date(text: &mut String, d: NaiveDate) {
    write!(text, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()).expect("writing to a String");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(key: &str, cells: &[SqlValue]) -> String {
        let mut out = Vec::new();
        push_row(&mut out, key, cells);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cells_are_tab_separated_and_nulls_are_backslash_n() {
        let t = Utc.with_ymd_and_hms(2024, 3, 1, 9, 5, 7).unwrap();
        let cells = [
            SqlValue::Text(None),
            SqlValue::Int(Some(-42)),
            SqlValue::Float(Some(1200.5)),
            SqlValue::Bool(Some(false)),
            SqlValue::Timestamp(Some(t)),
            SqlValue::Date(NaiveDate::from_ymd_opt(1900, 1, 2)),
            SqlValue::Json(serde_json::json!({"a": "x\ty"})),
            SqlValue::Json(serde_json::Value::Null),
        ];
        // JSON null is the JSON text `null` (as sqlx binds it), not SQL's NULL.
        assert_eq!(
            row("D1", &cells),
            "D1\t\\N\t-42\t1200.5\tf\t2024-03-01 09:05:07.000000+00\t1900-01-02\t{\"a\":\"x\\\\ty\"}\tnull\n"
        );
    }

    #[test]
    fn backslashes_tabs_and_line_breaks_are_escaped_and_other_text_passes() {
        let text = "a\\b\tc\nd\re \"q\" é ✓ 𝄞 \\N";
        assert_eq!(row(text, &[]), "a\\\\b\\tc\\nd\\re \"q\" é ✓ 𝄞 \\\\N\n");
    }

    #[test]
    fn floats_read_back_exactly_and_timestamps_are_cut_to_the_microsecond_like_sqlx() {
        for x in [0.1, 1e15, -3.25e-7, 123_456_789.123_456_78] {
            let mut s = String::new();
            push_float(&mut s, x);
            assert_eq!(s.parse::<f64>().unwrap(), x);
        }
        let after = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
        let before = Utc.timestamp_opt(-1_000_000_000, 123_456_789).unwrap();
        let (mut a, mut b) = (String::new(), String::new());
        push_timestamp(&mut a, after);
        push_timestamp(&mut b, before);
        assert_eq!(a, "2023-11-14 22:13:20.123456+00");
        // Before 2000 sqlx rounds toward 2000: up to the next microsecond.
        assert_eq!(b, "1938-04-24 22:13:20.123457+00");
    }
}
