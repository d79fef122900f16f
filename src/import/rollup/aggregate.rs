//! One account's snapshot at a month end, from its subscriptions, usage and tickets.

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde_json::json;
use std::collections::BTreeSet;

use super::read::{Subscription, Ticket, UsageEvent};
use crate::domain::{AccountSnapshot, Attributes, Id, Money};

/// The account on `d`, or `None` when none of its subscriptions is active then. `usage` and
/// `tickets` are `None` when the mapping has no such table (the fields stay empty), and empty
/// when the account has no rows in it (zero usage, no tickets). An ARR too large to be a number
/// is an error (the sum of the active subscriptions' ARR overflowed).
pub(super) fn snapshot(
    account: &Id,
    d: NaiveDate,
    subs: &[&Subscription],
    usage: Option<&[UsageEvent]>,
    tickets: Option<&[Ticket]>,
    scale: f64,
) -> Option<Result<AccountSnapshot, String>> {
    let active: Vec<&&Subscription> = subs
        .iter()
        .filter(|s| s.start <= d && s.end.is_none_or(|e| e > d))
        .collect();
    let latest = active.iter().max_by_key(|s| (s.start, s.line))?;
    let arr: f64 = active.iter().map(|s| s.arr).sum();
    let arr = match Money::parse((arr * 100.0).round() / 100.0) {
        Ok(a) => a,
        Err(e) => return Some(Err(format!("the ARR on {d} {e}"))),
    };
    let mut s = AccountSnapshot {
        account_id: account.clone(),
        as_of: d,
        arr,
        seats: active
            .iter()
            .any(|s| s.seats.is_some())
            .then(|| active.iter().filter_map(|s| s.seats).sum()),
        active_users: None,
        logins: None,
        nps: None,
        csat: None,
        open_tickets: None,
        ticket_resolution_hours: None,
        plan: latest.plan.clone(),
        renewal_date: active
            .iter()
            .filter_map(|s| next_renewal(s.start, s.term_months?, d))
            .min(),
        attributes: Attributes::new(),
    };
    s.attributes
        .insert("active_subscriptions".into(), json!(active.len()));
    let within = |x: NaiveDate, days: i64| x <= d && x > d - Duration::days(days);
    if let Some(events) = usage {
        add_usage(&mut s, events, within);
    }
    if let Some(tix) = tickets {
        add_tickets(&mut s, tix, scale, within);
    }
    Some(Ok(s))
}

/// Logins, features used and usage errors over the 30 days up to the snapshot.
fn add_usage(
    s: &mut AccountSnapshot,
    events: &[UsageEvent],
    within: impl Fn(NaiveDate, i64) -> bool,
) {
    let recent: Vec<&UsageEvent> = events.iter().filter(|e| within(e.date, 30)).collect();
    let logins: f64 = recent.iter().map(|e| e.count).sum();
    s.logins = Some(logins.round() as i64);
    let features: BTreeSet<&str> = recent.iter().filter_map(|e| e.feature.as_deref()).collect();
    s.attributes
        .insert("features_used_30d".into(), json!(features.len()));
    let errors: f64 = recent.iter().map(|e| e.errors).sum();
    s.attributes
        .insert("usage_errors_30d".into(), json!(errors.round() as i64));
}

/// Open tickets on the day, resolution hours over 30 days, CSAT over 90, tickets opened in 90.
fn add_tickets(
    s: &mut AccountSnapshot,
    tix: &[Ticket],
    scale: f64,
    within: impl Fn(NaiveDate, i64) -> bool,
) {
    let d = s.as_of;
    let open = tix
        .iter()
        .filter(|t| t.opened <= d && t.closed.is_none_or(|c| c > d))
        .count();
    s.open_tickets = Some(open as i64);
    let closed_within = |t: &&Ticket, days: i64| t.closed.is_some_and(|c| within(c, days));
    s.ticket_resolution_hours = mean(
        tix.iter()
            .filter(|t| closed_within(t, 30))
            .filter_map(|t| t.hours),
    )
    .map(|h| (h * 100.0).round() / 100.0);
    let rated = tix.iter().filter(|t| closed_within(t, 90));
    s.csat =
        mean(rated.filter_map(|t| t.satisfaction)).map(|v| ((v * scale) * 100.0).round() / 100.0);
    let recent = tix.iter().filter(|t| within(t.opened, 90)).count();
    s.attributes.insert("tickets_90d".into(), json!(recent));
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The first term boundary (start + k x term months, k >= 1) after `d`.
fn next_renewal(start: NaiveDate, term_months: u32, d: NaiveDate) -> Option<NaiveDate> {
    if term_months == 0 {
        return None;
    }
    let elapsed = (d.year() - start.year()) * 12 + d.month() as i32 - start.month() as i32;
    let k = (elapsed.max(0) as u32 / term_months).max(1);
    (k..k + 3)
        .map(|k| start + Months::new(k * term_months))
        .find(|r| *r > d)
}
