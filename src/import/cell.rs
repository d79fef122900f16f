//! One field rule applied to one CSV row: the steps of [`FieldSpec`] in order.
//!
//! A failure is a reason string; the caller names the line and the field.

use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::lookup::Table;
use super::parse::{number, parse_bool, parse_int, parse_number, Parsed};
use super::spec::{Condition, FieldSpec, Kind, Offset, Unmapped};
use crate::domain::{truncate_for_message as quote, Timestamp};

/// A CSV header: each column's name and its index. Looked up several times per line, so hashed
/// with FNV-1a, much cheaper than the default SipHash on names this short (no untrusted party
/// chooses the keys to collide: they are the file's own header).
pub(crate) type Header = HashMap<String, usize, BuildHasherDefault<Fnv>>;

/// The FNV-1a hash.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const BASIS: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0100_0000_01b3;
        let mut h = if self.0 == 0 { BASIS } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(PRIME);
        }
        self.0 = h;
    }
}

/// One CSV row as the rules see it. Every column named by the mapping is in `header`
/// (checked before the first row).
pub(crate) struct Row<'a> {
    pub header: &'a Header,
    pub record: &'a csv::StringRecord,
    pub nulls: &'a [String],
    pub tables: &'a HashMap<String, Table>,
    /// 1-based line of the record in the file (the header is line 1).
    pub line: u64,
}

impl Row<'_> {
    /// The trimmed cell; a row shorter than the header reads as blank.
    pub fn raw(&self, column: &str) -> &str {
        self.header
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map_or("", str::trim)
    }

    fn is_null(&self, text: &str, extra: &[String]) -> bool {
        let t = text.trim();
        self.nulls.iter().chain(extra).any(|n| n == t)
    }

    /// The trimmed cell, or None when it is one of the null tokens.
    pub fn cell(&self, column: &str, extra: &[String]) -> Option<&str> {
        let v = self.raw(column);
        (!self.is_null(v, extra)).then_some(v)
    }

    pub fn holds(&self, c: &Condition) -> bool {
        let v = self.raw(&c.column);
        let present = !self.is_null(v, &[]);
        c.present.is_none_or(|p| p == present)
            && c.one_of
                .as_ref()
                .is_none_or(|set| set.iter().any(|s| s == v))
            && c.not_in
                .as_ref()
                .is_none_or(|set| set.iter().all(|s| s != v))
    }
}

/// Computes one field of one row: its JSON value (null when the source is null or the
/// condition fails without `otherwise`), or why the cell cannot be used.
pub(crate) fn eval(spec: &FieldSpec, row: &Row) -> Result<Value, String> {
    if let Some(w) = &spec.when {
        if !row.holds(w) {
            return match &spec.otherwise {
                Some(o) => eval(o, row),
                None => Ok(Value::Null),
            };
        }
    }
    let Some(text) = source(spec, row) else {
        return Ok(Value::Null);
    };
    let Some(text) = apply_map(spec, text)? else {
        return Ok(Value::Null);
    };
    if row.is_null(&text, &spec.null) {
        return Ok(Value::Null);
    }
    let text = apply_lookup(spec, row, text)?;
    if spec.lookup.is_some() && row.is_null(&text, &spec.null) {
        return Ok(Value::Null);
    }
    let parsed = parse_as(spec.kind(), spec.format.as_deref(), &text)?;
    let parsed = arithmetic(spec, parsed)?;
    Ok(shift_dates(spec, row, parsed)?.into_json())
}

fn source<'a>(spec: &'a FieldSpec, row: &'a Row) -> Option<Cow<'a, str>> {
    match (&spec.column, &spec.value) {
        (Some(c), _) => row.cell(c, &spec.null).map(Cow::Borrowed),
        (None, Some(v)) => Some(Cow::Owned(scalar_text(v))),
        (None, None) if spec.line => Some(Cow::Owned(format!(
            "{}{}",
            spec.prefix.as_deref().unwrap_or(""),
            row.line
        ))),
        (None, None) => None,
    }
}

/// A TOML scalar as cell text (strings without their quotes).
pub(crate) fn scalar_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn apply_map<'a>(spec: &FieldSpec, text: Cow<'a, str>) -> Result<Option<Cow<'a, str>>, String> {
    if spec.map.is_empty() {
        return Ok(Some(text));
    }
    if let Some(v) = spec.map.get(text.as_ref()) {
        return Ok(Some(Cow::Owned(scalar_text(v))));
    }
    match spec.unmapped {
        Unmapped::Keep => Ok(Some(text)),
        Unmapped::Null => Ok(None),
        Unmapped::Error => {
            let keys: Vec<&str> = spec.map.keys().map(String::as_str).collect();
            Err(format!(
                "`{}` is not one of: {}",
                quote(&text, 40),
                keys.join(", ")
            ))
        }
    }
}

fn apply_lookup<'a>(
    spec: &FieldSpec,
    row: &Row,
    text: Cow<'a, str>,
) -> Result<Cow<'a, str>, String> {
    let Some(name) = &spec.lookup else {
        return Ok(text);
    };
    let table = row
        .tables
        .get(name)
        .expect("lookups checked when the mapping loaded");
    match table.get(text.trim()) {
        Some(v) => Ok(Cow::Owned(v.to_string())),
        None => Err(format!(
            "`{}` is not a key of lookup `{name}`",
            quote(&text, 40)
        )),
    }
}

fn parse_as(kind: Kind, format: Option<&str>, text: &str) -> Result<Parsed, String> {
    Ok(match kind {
        Kind::Text => Parsed::Text(text.to_string()),
        Kind::Number => Parsed::Num(parse_number(text)?),
        Kind::Integer => Parsed::Int(parse_int(text)?),
        Kind::Bool => Parsed::Bool(parse_bool(text)?),
        Kind::Date => Parsed::Date(parse_date(text, format)?),
        Kind::Timestamp => Parsed::Ts(parse_timestamp(text, format)?),
        Kind::Auto => match number(text) {
            Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Parsed::Int(x as i64),
            Some(x) => Parsed::Num(x),
            None => Parsed::Text(text.to_string()),
        },
    })
}

fn parse_date(text: &str, format: Option<&str>) -> Result<NaiveDate, String> {
    let fmt = format.unwrap_or("%Y-%m-%d");
    NaiveDate::parse_from_str(text, fmt)
        .or_else(|_| NaiveDateTime::parse_from_str(text, fmt).map(|t| t.date()))
        .or_else(|e| match format {
            Some(_) => Err(e.to_string()),
            None => Timestamp::parse(text)
                .map(Timestamp::date)
                .map_err(|e| e.to_string()),
        })
        .map_err(|_| format!("`{}` is not a date in the format {fmt}", quote(text, 40)))
}

fn parse_timestamp(text: &str, format: Option<&str>) -> Result<DateTime<Utc>, String> {
    let Some(fmt) = format else {
        return Timestamp::parse(text).map(Timestamp::get).map_err(|e| e.0);
    };
    DateTime::parse_from_str(text, fmt)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(text, fmt).map(|t| t.and_utc()))
        .or_else(|_| NaiveDate::parse_from_str(text, fmt).map(|d| Timestamp::from_date(d).get()))
        .map_err(|_| {
            format!(
                "`{}` is not a date-time in the format {fmt}",
                quote(text, 40)
            )
        })
}

fn arithmetic(spec: &FieldSpec, parsed: Parsed) -> Result<Parsed, String> {
    let scale = spec.scale.unwrap_or(1.0);
    match parsed {
        Parsed::Num(x) => {
            let y = x * scale;
            let y = match spec.round {
                Some(d) => {
                    let f = 10f64.powi(d.min(15) as i32);
                    (y * f).round() / f
                }
                None => y,
            };
            Ok(Parsed::Num(y))
        }
        Parsed::Int(i) if spec.scale.is_some() => {
            let y = i as f64 * scale;
            if y.fract() != 0.0 || y.abs() >= 9.0e15 {
                return Err(format!("{i} times {scale} is not a whole number"));
            }
            Ok(Parsed::Int(y as i64))
        }
        other => Ok(other),
    }
}

fn shift_dates(spec: &FieldSpec, row: &Row, parsed: Parsed) -> Result<Parsed, String> {
    let days = offset(&spec.add_days, row, "add_days")?;
    let months = offset(&spec.add_months, row, "add_months")?;
    let (Some(days), Some(months)) = (days, months) else {
        // An offset read from a blank cell: the shifted date is unknown.
        return Ok(Parsed::Null);
    };
    if days == 0 && months == 0 {
        return Ok(parsed);
    }
    let shift = |d: NaiveDateTime| -> Option<NaiveDateTime> {
        let d = d.checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
        let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
        if months >= 0 {
            d.checked_add_months(m)
        } else {
            d.checked_sub_months(m)
        }
    };
    let out_of_range =
        || format!("shifting by {days} days and {months} months leaves the calendar");
    match parsed {
        Parsed::Date(d) => shift(d.and_time(chrono::NaiveTime::MIN))
            .map(|t| Parsed::Date(t.date()))
            .ok_or_else(out_of_range),
        Parsed::Ts(t) => shift(t.naive_utc())
            .map(|t| Parsed::Ts(t.and_utc()))
            .ok_or_else(out_of_range),
        other => Ok(other),
    }
}

/// The offset's value: Some(0) when absent, None when read from a null cell.
fn offset(off: &Option<Offset>, row: &Row, name: &str) -> Result<Option<i64>, String> {
    match off {
        None => Ok(Some(0)),
        Some(Offset::Fixed(n)) => Ok(Some(*n)),
        Some(Offset::Column { column, times }) => match row.cell(column, &[]) {
            None => Ok(None),
            Some(text) => {
                let n =
                    parse_int(text).map_err(|e| format!("{name} from column `{column}`: {e}"))?;
                n.checked_mul(*times)
                    .map(Some)
                    .ok_or_else(|| format!("{name}: {n} times {times} overflows"))
            }
        },
    }
}
