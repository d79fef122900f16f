//! Account snapshots rolled up from the tables a subscription business keeps: subscriptions
//! (the file imported), product usage events and support tickets (files the mapping names).
//!
//! A CRM export maps row by row ([`super::map_csv`]); health snapshots do not exist as rows
//! anywhere and must be computed: at the end of every month, for every account with at least
//! one active subscription, the ARR, seats, plan and next renewal of its active subscriptions,
//! its usage over the 30 days before, and its tickets open, resolved and rated. Only rows dated
//! on or before the snapshot date are read, so a snapshot never sees its own future.
//!
//! The format is described in `training/mappings/README.md` ("Snapshots rolled up from
//! several tables").

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use super::source::csv_reader;
use crate::domain::month_end;
use super::{EntityRows, ImportError, LineProblem, MappedRow};

const ENTITY: &str = "account-snapshots";
const ONE_KEY: &str = "name exactly one of `account` and `subscription`";

/// A rollup mapping, parsed from TOML by [`SnapshotRollup::from_toml`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRollup {
    /// Always `account-snapshots`.
    pub entity: String,
    pub rollup: RollupSpec,
    /// Columns of the imported file, one row per subscription.
    pub subscriptions: SubscriptionColumns,
    pub usage: Option<UsageTable>,
    pub tickets: Option<TicketTable>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollupSpec {
    /// How often a snapshot is taken; only `month` (at each month's last day).
    pub every: String,
    /// The last snapshot date considered; default: the latest date in any of the tables.
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionColumns {
    pub account: String,
    /// The subscription's id, for usage rows that name a subscription rather than an account.
    pub id: Option<String>,
    pub start: String,
    /// Empty cell: still active.
    pub end: Option<String>,
    pub arr: String,
    pub seats: Option<String>,
    pub plan: Option<String>,
    /// The column giving the contract term, translated to months by `terms`; the next renewal
    /// is the first term boundary after the snapshot.
    pub term: Option<String>,
    #[serde(default)]
    pub terms: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageTable {
    /// The CSV, relative to the mapping file.
    pub file: String,
    /// Either the account column, or the subscription column (resolved through the subscriptions).
    pub account: Option<String>,
    pub subscription: Option<String>,
    pub date: String,
    /// Summed over the 30 days up to a snapshot into `logins`.
    pub count: String,
    /// Distinct values over the 30 days: `attributes.features_used_30d`.
    pub feature: Option<String>,
    /// Summed over the 30 days: `attributes.usage_errors_30d`.
    pub errors: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketTable {
    /// The CSV, relative to the mapping file.
    pub file: String,
    pub account: String,
    pub opened: String,
    /// Empty cell: still open.
    pub closed: Option<String>,
    /// Averaged over the tickets closed in the 30 days up to a snapshot: `ticket_resolution_hours`.
    pub resolution_hours: Option<String>,
    /// Averaged over the tickets closed in the 90 days up to a snapshot, times
    /// `satisfaction_scale`, into `csat` (0..=100).
    pub satisfaction: Option<String>,
    #[serde(default = "one")]
    pub satisfaction_scale: f64,
}

fn one() -> f64 {
    1.0
}

/// True when `text` is a rollup mapping (it has a `[rollup]` table) rather than a row mapping.
pub fn is_rollup(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("rollup"))
}

impl SnapshotRollup {
    pub fn from_toml(text: &str) -> Result<Self, ImportError> {
        let r: SnapshotRollup = toml::from_str(text)?;
        if r.entity != ENTITY {
            return Err(ImportError::invalid(
                "entity",
                format!("a rollup builds `{ENTITY}`, not `{}`", r.entity),
            ));
        }
        if r.rollup.every != "month" {
            return Err(ImportError::invalid(
                "rollup.every",
                format!("`{}` is not supported; use `month`", r.rollup.every),
            ));
        }
        if let Some(u) = &r.usage {
            if u.account.is_some() == u.subscription.is_some() {
                return Err(ImportError::invalid("usage", ONE_KEY));
            }
            if u.subscription.is_some() && r.subscriptions.id.is_none() {
                return Err(ImportError::invalid(
                    "usage.subscription",
                    "needs `subscriptions.id` to find each subscription's account",
                ));
            }
        }
        if r.subscriptions.term.is_some() && r.subscriptions.terms.is_empty() {
            return Err(ImportError::invalid(
                "subscriptions.terms",
                "give the months of each term value, e.g. { monthly = 1, annual = 12 }",
            ));
        }
        Ok(r)
    }

    /// Builds the snapshots from the subscriptions in `csv` and the usage and ticket files
    /// (relative to `base_dir`). Every bad cell of every file is reported, and then nothing is
    /// built; rows carry the line of the account's first subscription.
    pub fn build<R: Read>(
        &self,
        entity: &str,
        csv: R,
        base_dir: &Path,
    ) -> Result<Vec<EntityRows>, ImportError> {
        if entity != ENTITY {
            return Err(ImportError::EntityMismatch {
                named: entity.to_string(),
                mapping: ENTITY.to_string(),
            });
        }
        let mut bad = Problems::default();
        let (subs, by_id) = read_subscriptions(&self.subscriptions, csv, &mut bad)?;
        let usage = match &self.usage {
            Some(u) => Some(read_usage(u, base_dir, &by_id, &mut bad)?),
            None => None,
        };
        let tickets = match &self.tickets {
            Some(t) => Some(read_tickets(t, base_dir, &mut bad)?),
            None => None,
        };
        if !bad.0.is_empty() {
            return Err(ImportError::BadCells(bad.0));
        }
        let until = self.rollup.until.unwrap_or_else(|| {
            let dates = subs.iter().flat_map(|s| [Some(s.start), s.end]).flatten();
            let used = usage
                .iter()
                .flat_map(|u| u.values().flatten().map(|e| e.date));
            let tix = tickets
                .iter()
                .flat_map(|t| {
                    t.values()
                        .flatten()
                        .flat_map(|x| [Some(x.opened), x.closed])
                })
                .flatten();
            dates.chain(used).chain(tix).max().unwrap_or(NaiveDate::MIN)
        });
        let mut accounts: BTreeMap<&str, Vec<&Subscription>> = BTreeMap::new();
        for s in &subs {
            accounts.entry(&s.account).or_default().push(s);
        }
        let mut rows = Vec::new();
        for (account, own) in accounts {
            let first = own.iter().map(|s| s.start).min().expect("non-empty");
            let line = own.iter().map(|s| s.line).min().expect("non-empty");
            let mut d = month_end(first);
            while d <= until {
                if let Some(v) = snapshot(
                    account,
                    d,
                    &own,
                    usage
                        .as_ref()
                        .map(|u| u.get(account).map_or(&[][..], |v| v)),
                    tickets
                        .as_ref()
                        .map(|t| t.get(account).map_or(&[][..], |v| v)),
                    self.tickets.as_ref().map_or(1.0, |t| t.satisfaction_scale),
                ) {
                    rows.push(MappedRow {
                        line,
                        value: v,
                        problems: vec![],
                    });
                }
                d = month_end(d + Duration::days(1));
            }
        }
        Ok(vec![EntityRows {
            entity: ENTITY.to_string(),
            rows,
        }])
    }
}

/// Bad cells across the files, each named by its file.
#[derive(Default)]
struct Problems(Vec<(String, LineProblem)>);

impl Problems {
    fn push(&mut self, file: &str, line: u64, column: &str, reason: String) {
        self.0.push((
            file.to_string(),
            LineProblem {
                line,
                field: column.to_string(),
                reason,
            },
        ));
    }
}

struct Subscription {
    line: u64,
    account: String,
    start: NaiveDate,
    end: Option<NaiveDate>,
    arr: f64,
    seats: Option<i64>,
    plan: Option<String>,
    term_months: Option<u32>,
}

struct UsageEvent {
    date: NaiveDate,
    count: f64,
    feature: Option<String>,
    errors: f64,
}

struct Ticket {
    opened: NaiveDate,
    closed: Option<NaiveDate>,
    hours: Option<f64>,
    satisfaction: Option<f64>,
}

/// One CSV's rows, read cell by cell with the problems named by file, line and column.
struct Table {
    name: String,
    header: Vec<String>,
    records: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn read<R: Read>(name: &str, input: R) -> Result<Table, ImportError> {
        let mut reader = csv_reader(input);
        let header = reader
            .headers()
            .map_err(|e| ImportError::Csv(format!("{name}: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut records = Vec::new();
        for r in reader.records() {
            let r = r.map_err(|e| ImportError::Csv(format!("{name}: {e}")))?;
            let line = r.position().map_or(0, |p| p.line());
            records.push((line, r));
        }
        Ok(Table {
            name: name.to_string(),
            header,
            records,
        })
    }

    fn open(name: &str, file: &str, base_dir: &Path) -> Result<Table, ImportError> {
        let path = base_dir.join(file);
        let f = std::fs::File::open(&path).map_err(|e| ImportError::LookupFile {
            name: name.to_string(),
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Table::read(name, std::io::BufReader::new(f))
    }

    /// The index of `column`, or an error naming the mapping key and the columns found.
    fn column(&self, key: &str, column: &str) -> Result<usize, ImportError> {
        self.header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| ImportError::MissingColumn {
                column: column.to_string(),
                key: format!("{} ({key})", self.name),
                found: self.header.join(", "),
            })
    }

    fn optional(&self, key: &str, column: Option<&String>) -> Result<Option<usize>, ImportError> {
        column.map(|c| self.column(key, c)).transpose()
    }
}

/// The trimmed cell, `None` when empty.
fn text(r: &csv::StringRecord, i: usize) -> Option<&str> {
    r.get(i).map(str::trim).filter(|s| !s.is_empty())
}

/// One cell through `parse`; a failure is recorded and read as empty.
fn cell<T>(
    t: &Table,
    bad: &mut Problems,
    (line, r): &(u64, csv::StringRecord),
    i: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let s = text(r, i)?;
    parse(s)
        .map_err(|e| bad.push(&t.name, *line, &t.header[i], e))
        .ok()
}

/// A required cell: empty is a problem too.
fn required<T>(
    t: &Table,
    bad: &mut Problems,
    row: &(u64, csv::StringRecord),
    i: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    if text(&row.1, i).is_none() {
        bad.push(&t.name, row.0, &t.header[i], "is empty".into());
        return None;
    }
    cell(t, bad, row, i, parse)
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

/// The subscriptions that could be read, and the account of every subscription id in the file
/// (bad rows included, so that their usage is not reported as well).
fn read_subscriptions<R: Read>(
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
        let acc = required(&t, bad, row, account, |s| Ok(s.to_string()));
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

fn read_usage(
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

fn read_tickets(
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

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The account on `d`, or `None` when none of its subscriptions is active then. `usage` and
/// `tickets` are `None` when the mapping has no such table (the fields stay empty), and empty
/// when the account has no rows in it (zero usage, no tickets).
fn snapshot(
    account: &str,
    d: NaiveDate,
    subs: &[&Subscription],
    usage: Option<&[UsageEvent]>,
    tickets: Option<&[Ticket]>,
    scale: f64,
) -> Option<Value> {
    let active: Vec<&&Subscription> = subs
        .iter()
        .filter(|s| s.start <= d && s.end.is_none_or(|e| e > d))
        .collect();
    let latest = active.iter().max_by_key(|s| (s.start, s.line))?;
    let mut v = Map::new();
    v.insert("account_id".into(), json!(account));
    v.insert("as_of".into(), json!(d.to_string()));
    let arr: f64 = active.iter().map(|s| s.arr).sum();
    v.insert("arr".into(), json!((arr * 100.0).round() / 100.0));
    if active.iter().any(|s| s.seats.is_some()) {
        let seats: i64 = active.iter().filter_map(|s| s.seats).sum();
        v.insert("seats".into(), json!(seats));
    }
    if let Some(p) = &latest.plan {
        v.insert("plan".into(), json!(p));
    }
    let renewal = active
        .iter()
        .filter_map(|s| next_renewal(s.start, s.term_months?, d))
        .min();
    if let Some(r) = renewal {
        v.insert("renewal_date".into(), json!(r.to_string()));
    }
    let mut attributes = Map::new();
    attributes.insert("active_subscriptions".into(), json!(active.len()));
    let within = |x: NaiveDate, days: i64| x <= d && x > d - Duration::days(days);
    if let Some(events) = usage {
        let recent: Vec<&UsageEvent> = events.iter().filter(|e| within(e.date, 30)).collect();
        let logins: f64 = recent.iter().map(|e| e.count).sum();
        v.insert("logins".into(), json!(logins.round() as i64));
        let features: BTreeSet<&str> = recent.iter().filter_map(|e| e.feature.as_deref()).collect();
        attributes.insert("features_used_30d".into(), json!(features.len()));
        let errors: f64 = recent.iter().map(|e| e.errors).sum();
        attributes.insert("usage_errors_30d".into(), json!(errors.round() as i64));
    }
    if let Some(tix) = tickets {
        let open = tix
            .iter()
            .filter(|t| t.opened <= d && t.closed.is_none_or(|c| c > d))
            .count();
        v.insert("open_tickets".into(), json!(open));
        let closed_within = |t: &&Ticket, days: i64| t.closed.is_some_and(|c| within(c, days));
        if let Some(h) = mean(
            tix.iter()
                .filter(|t| closed_within(t, 30))
                .filter_map(|t| t.hours),
        ) {
            v.insert(
                "ticket_resolution_hours".into(),
                json!((h * 100.0).round() / 100.0),
            );
        }
        let rated = tix.iter().filter(|t| closed_within(t, 90));
        if let Some(s) = mean(rated.filter_map(|t| t.satisfaction)) {
            v.insert("csat".into(), json!(((s * scale) * 100.0).round() / 100.0));
        }
        let recent = tix.iter().filter(|t| within(t.opened, 90)).count();
        attributes.insert("tickets_90d".into(), json!(recent));
    }
    v.insert("attributes".into(), Value::Object(attributes));
    Some(Value::Object(v))
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
