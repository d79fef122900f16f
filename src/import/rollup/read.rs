//! Parsing the rollup's tables into typed rows: subscriptions, usage events and tickets, every
//! bad cell named.

use chrono::NaiveDate;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::spec::{SubscriptionColumns, TicketTable, UsageTable, ONE_KEY};
use super::table::{cell, required, text, Problems, Table};
use crate::domain::Id;
use crate::import::ImportError;

pub(super) struct Subscription {
    pub(super) line: u64,
    pub(super) account: Id,
    pub(super) start: NaiveDate,
    pub(super) end: Option<NaiveDate>,
    pub(super) arr: f64,
    pub(super) seats: Option<i64>,
    pub(super) plan: Option<String>,
    pub(super) term_months: Option<u32>,
}

pub(super) struct UsageEvent {
    pub(super) date: NaiveDate,
    pub(super) count: f64,
    pub(super) feature: Option<String>,
    pub(super) errors: f64,
}

pub(super) struct Ticket {
    pub(super) opened: NaiveDate,
    pub(super) closed: Option<NaiveDate>,
    pub(super) hours: Option<f64>,
    pub(super) satisfaction: Option<f64>,
}

/// `2024-03-01`, optionally followed by a time of day (which is dropped).
fn date(s: &str) -> Result<NaiveDate, String> {
    let day = s.get(..10).unwrap_or(s);
    let rest = s.get(10..).unwrap_or("");
    let time_ok = rest.is_empty() || rest.starts_with(' ') || rest.starts_with('T');
    match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) if time_ok => Ok(d),
        _ => Err(format!("`{s}` is not a date (YYYY-MM-DD)")),
    }
}

fn number(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of at least 0")),
    }
}

fn count(s: &str) -> Result<i64, String> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| format!("`{s}` is not a whole number of at least 0"))
}

/// An account id as the snapshots will carry it.
fn account_id(s: &str) -> Result<Id, String> {
    Id::parse(s).map_err(|e| e.to_string())
}

/// The subscriptions that could be read, and the account of every subscription id in the file
/// (bad rows included, so that their usage is not reported as well).
pub(super) fn read_subscriptions<R: Read>(
    c: &SubscriptionColumns,
    csv: R,
    bad: &mut Problems,
) -> Result<(Vec<Subscription>, HashMap<String, String>), ImportError> {
    let t = Table::read("subscriptions", csv)?;
    let account = t.column("subscriptions.account", &c.account)?;
    let id = t.optional("subscriptions.id", c.id.as_ref())?;
    let start = t.column("subscriptions.start", &c.start)?;
    let end = t.optional("subscriptions.end", c.end.as_ref())?;
    let arr = t.column("subscriptions.arr", &c.arr)?;
    let seats = t.optional("subscriptions.seats", c.seats.as_ref())?;
    let plan = t.optional("subscriptions.plan", c.plan.as_ref())?;
    let term = t.optional("subscriptions.term", c.term.as_ref())?;
    let months = |s: &str| {
        c.terms.get(s).copied().ok_or_else(|| {
            let known: Vec<_> = c.terms.keys().map(String::as_str).collect();
            format!("unknown term `{s}`; the mapping knows {}", known.join(", "))
        })
    };
    let mut out = Vec::with_capacity(t.records.len());
    let mut ids = HashMap::new();
    for row in &t.records {
        if let (Some(i), Some(a)) = (id.and_then(|i| text(&row.1, i)), text(&row.1, account)) {
            ids.insert(i.to_string(), a.to_string());
        }
        let acc = required(&t, bad, row, account, account_id);
        let st = required(&t, bad, row, start, date);
        let en = end.and_then(|i| cell(&t, bad, row, i, date));
        let a = required(&t, bad, row, arr, number);
        let se = seats.and_then(|i| cell(&t, bad, row, i, count));
        let tm = term.and_then(|i| cell(&t, bad, row, i, months));
        if let (Some(st), Some(en)) = (st, en) {
            if en < st {
                bad.push(
                    &t.name,
                    row.0,
                    &c.start,
                    format!("starts after it ends ({en})"),
                );
            }
        }
        if let (Some(account), Some(start), Some(arr)) = (acc, st, a) {
            out.push(Subscription {
                line: row.0,
                account,
                start,
                end: en,
                arr,
                seats: se,
                plan: plan.and_then(|i| text(&row.1, i)).map(str::to_string),
                term_months: tm,
            });
        }
    }
    Ok((out, ids))
}

pub(super) fn read_usage(
    u: &UsageTable,
    base_dir: &Path,
    by_id: &HashMap<String, String>,
    bad: &mut Problems,
) -> Result<HashMap<String, Vec<UsageEvent>>, ImportError> {
    let t = Table::open("usage", &u.file, base_dir)?;
    let (key, by_subscription) = match (&u.account, &u.subscription) {
        (Some(a), None) => (t.column("usage.account", a)?, false),
        (None, Some(s)) => (t.column("usage.subscription", s)?, true),
        _ => return Err(ImportError::invalid("usage", ONE_KEY)),
    };
    let day = t.column("usage.date", &u.date)?;
    let n = t.column("usage.count", &u.count)?;
    let feature = t.optional("usage.feature", u.feature.as_ref())?;
    let errors = t.optional("usage.errors", u.errors.as_ref())?;
    let mut out: HashMap<String, Vec<UsageEvent>> = HashMap::new();
    for row in &t.records {
        let account = required(&t, bad, row, key, |s| {
            if !by_subscription {
                return Ok(s.to_string());
            }
            by_id
                .get(s)
                .cloned()
                .ok_or_else(|| format!("no subscription `{s}` in the imported file"))
        });
        let d = required(&t, bad, row, day, date);
        let c = required(&t, bad, row, n, number);
        let e = errors.and_then(|i| cell(&t, bad, row, i, number));
        if let (Some(account), Some(date), Some(count)) = (account, d, c) {
            out.entry(account).or_default().push(UsageEvent {
                date,
                count,
                feature: feature.and_then(|i| text(&row.1, i)).map(str::to_string),
                errors: e.unwrap_or(0.0),
            });
        }
    }
    Ok(out)
}

pub(super) fn read_tickets(
    c: &TicketTable,
    base_dir: &Path,
    bad: &mut Problems,
) -> Result<HashMap<String, Vec<Ticket>>, ImportError> {
    let t = Table::open("tickets", &c.file, base_dir)?;
    let account = t.column("tickets.account", &c.account)?;
    let opened = t.column("tickets.opened", &c.opened)?;
    let closed = t.optional("tickets.closed", c.closed.as_ref())?;
    let hours = t.optional("tickets.resolution_hours", c.resolution_hours.as_ref())?;
    let sat = t.optional("tickets.satisfaction", c.satisfaction.as_ref())?;
    let mut out: HashMap<String, Vec<Ticket>> = HashMap::new();
    for row in &t.records {
        let a = required(&t, bad, row, account, |s| Ok(s.to_string()));
        let o = required(&t, bad, row, opened, date);
        let cl = closed.and_then(|i| cell(&t, bad, row, i, date));
        let h = hours.and_then(|i| cell(&t, bad, row, i, number));
        let s = sat.and_then(|i| cell(&t, bad, row, i, number));
        if let (Some(i), Some(v)) = (sat, s.map(|v| v * c.satisfaction_scale)) {
            if v > 100.0 {
                let why = format!("scaled satisfaction {v} is above 100; check satisfaction_scale");
                bad.push(&t.name, row.0, &t.header[i], why);
            }
        }
        if let (Some(account), Some(opened)) = (a, o) {
            out.entry(account).or_default().push(Ticket {
                opened,
                closed: cl,
                hours: h,
                satisfaction: s,
            });
        }
    }
    Ok(out)
}
