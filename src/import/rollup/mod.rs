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

mod aggregate;
mod read;
mod spec;
mod table;

use chrono::{Duration, NaiveDate};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::{EntityRows, ImportError, MappedRow};
use crate::domain::{month_end, AccountSnapshot, Id};
use aggregate::snapshot;
use read::{read_subscriptions, read_tickets, read_usage, Subscription, Ticket, UsageEvent};
pub use spec::{is_rollup, SnapshotRollup};
use table::Problems;

const ENTITY: &str = "account-snapshots";

impl SnapshotRollup {
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
        let tables = Tables {
            subs: &subs,
            usage: usage.as_ref(),
            tickets: tickets.as_ref(),
        };
        let until = self.rollup.until.unwrap_or_else(|| tables.last_date());
        let scale = self.tickets.as_ref().map_or(1.0, |t| t.satisfaction_scale);
        let mut rows = Vec::new();
        for (account, own, line, mut d) in tables.accounts() {
            while d <= until {
                match tables.snapshot(account, &own, d, scale) {
                    Some(Ok(snap)) => rows.push(MappedRow {
                        line,
                        value: row_value(&snap),
                        problems: vec![],
                    }),
                    Some(Err(why)) => bad.push("subscriptions", line, &self.subscriptions.arr, why),
                    None => {}
                }
                d = month_end(d + Duration::days(1));
            }
        }
        if !bad.0.is_empty() {
            return Err(ImportError::BadCells(bad.0));
        }
        Ok(vec![EntityRows {
            entity: ENTITY.to_string(),
            rows,
        }])
    }
}

/// The tables as read: subscriptions, and each account's usage events and tickets (None when
/// the mapping names no such table).
struct Tables<'a> {
    subs: &'a [Subscription],
    usage: Option<&'a HashMap<String, Vec<UsageEvent>>>,
    tickets: Option<&'a HashMap<String, Vec<Ticket>>>,
}

impl<'a> Tables<'a> {
    /// The latest date in any of the tables.
    fn last_date(&self) -> NaiveDate {
        let dates = self
            .subs
            .iter()
            .flat_map(|s| [Some(s.start), s.end])
            .flatten();
        let used = self
            .usage
            .iter()
            .flat_map(|u| u.values().flatten().map(|e| e.date));
        let tix = self
            .tickets
            .iter()
            .flat_map(|t| {
                t.values()
                    .flatten()
                    .flat_map(|x| [Some(x.opened), x.closed])
            })
            .flatten();
        dates.chain(used).chain(tix).max().unwrap_or(NaiveDate::MIN)
    }

    /// Each account (in id order) with its subscriptions, the line of its first one, and the
    /// month end of its first start.
    fn accounts(&self) -> Vec<(&'a Id, Vec<&'a Subscription>, u64, NaiveDate)> {
        let mut accounts: BTreeMap<&Id, Vec<&Subscription>> = BTreeMap::new();
        for s in self.subs {
            accounts.entry(&s.account).or_default().push(s);
        }
        accounts
            .into_iter()
            .map(|(account, own)| {
                let first = own.iter().map(|s| s.start).min().expect("non-empty");
                let line = own.iter().map(|s| s.line).min().expect("non-empty");
                (account, own, line, month_end(first))
            })
            .collect()
    }

    fn snapshot(
        &self,
        account: &Id,
        own: &[&Subscription],
        d: NaiveDate,
        scale: f64,
    ) -> Option<Result<AccountSnapshot, String>> {
        let usage = self
            .usage
            .map(|u| u.get(account.as_str()).map_or(&[][..], |v| v));
        let tix = self
            .tickets
            .map(|t| t.get(account.as_str()).map_or(&[][..], |v| v));
        snapshot(account, d, own, usage, tix, scale)
    }
}

/// A snapshot as a mapped row: its JSON, null fields left out.
fn row_value(s: &AccountSnapshot) -> Value {
    let mut v = serde_json::to_value(s).expect("a snapshot serialises");
    if let Value::Object(m) = &mut v {
        m.retain(|_, x| !x.is_null());
    }
    v
}
