//! Churn risk, pure: which accounts of a book are live, their scores from the churn model, and
//! the reasons in words. The service loads the book, calls [`score_book`] and stores the list.

mod drivers;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

use crate::domain::{Account, AccountSnapshot, ChurnEvent, FactorView};
use crate::ml::TrainedModel;

pub use drivers::{reasons, Trend};

/// One account on the churn-risk list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChurnRisk {
    pub account_id: String,
    pub name: String,
    pub owner_id: Option<String>,
    pub segment: Option<String>,
    /// P(the account churns within `horizon_days` after its latest snapshot), 0..=1.
    pub probability: f64,
    /// The probability in percent, 1..=99.
    pub score: u8,
    pub arr: f64,
    /// probability x ARR.
    pub revenue_at_risk: f64,
    pub renewal_date: Option<NaiveDate>,
    /// What raises the risk, largest first ("active users down 38% over 90 days: +12 pts").
    pub drivers: Vec<FactorView>,
    /// What lowers it.
    pub protective: Vec<FactorView>,
    /// The probability of the account's previous score, and the change since (absent the first time).
    pub previous_probability: Option<f64>,
    pub change: Option<f64>,
    pub snapshot_as_of: NaiveDate,
    pub horizon_days: u32,
    pub model_version: String,
    pub scored_at: DateTime<Utc>,
}

impl ChurnRisk {
    /// Records the account's previous probability (None: its first score) and the change since.
    pub fn set_previous(&mut self, previous: Option<f64>) {
        self.previous_probability = previous;
        self.change = previous.map(|p| self.probability - p);
    }
}

/// The order of the churn-risk list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChurnOrder {
    /// P(churn) x ARR, largest first.
    #[default]
    RevenueAtRisk,
    /// P(churn), largest first.
    Probability,
}

impl std::str::FromStr for ChurnOrder {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "revenue_at_risk" => Ok(ChurnOrder::RevenueAtRisk),
            "probability" => Ok(ChurnOrder::Probability),
            other => Err(format!(
                "`{}` is not an order: use revenue_at_risk or probability",
                crate::domain::truncate_for_message(other, 40)
            )),
        }
    }
}

/// What a book of accounts is scored from.
#[derive(Debug, Clone, Copy)]
pub struct Book<'a> {
    pub accounts: &'a [Account],
    /// Any accounts' snapshots; they need only reach [`crate::ml::churn::HISTORY_DAYS`] back from
    /// each account's latest.
    pub snapshots: &'a [AccountSnapshot],
    pub churn_events: &'a [ChurnEvent],
    /// Each account's first snapshot date ever (for its tenure when it has no `customer_since`),
    /// where `snapshots` do not go back that far.
    pub first_snapshot: &'a HashMap<String, NaiveDate>,
}

/// Scores every live account of the book (one with a snapshot and no churn event on or after
/// its latest), in the order of `book.accounts`, with the model `model` of version `version`.
pub fn score_book(
    model: &TrainedModel,
    version: &str,
    book: &Book<'_>,
    scored_at: DateTime<Utc>,
) -> Vec<ChurnRisk> {
    let (live, rows): (Vec<_>, Vec<_>) = live_accounts(book)
        .into_iter()
        .filter_map(|(a, own, latest)| {
            let first = book.first_snapshot.get(a.id.as_str()).copied();
            let row = crate::ml::churn::history_row(&model.spec, a, own, first)?;
            Some(((a, latest), row))
        })
        .unzip();
    let scores = model.score(&rows);
    live.into_iter()
        .zip(scores)
        .map(|((a, latest), s)| {
            let arr = latest.arr.get();
            let (drivers, protective) = reasons(&model.spec, &s.factors);
            ChurnRisk {
                account_id: a.id.to_string(),
                name: a.name.clone(),
                owner_id: a.owner_id.as_ref().map(|o| o.to_string()),
                segment: a.segment.clone(),
                probability: s.probability,
                score: s.score,
                arr,
                revenue_at_risk: s.probability * arr,
                renewal_date: latest.renewal_date,
                drivers,
                protective,
                previous_probability: None,
                change: None,
                snapshot_as_of: latest.as_of,
                horizon_days: model.spec.horizon_days,
                model_version: version.to_string(),
                scored_at,
            }
        })
        .collect()
}

/// The live accounts of the book, each with its own snapshots and its latest.
type Live<'a> = (&'a Account, Vec<&'a AccountSnapshot>, &'a AccountSnapshot);

fn live_accounts<'a>(book: &Book<'a>) -> Vec<Live<'a>> {
    let mut by_account: HashMap<&str, Vec<&AccountSnapshot>> = HashMap::new();
    for s in book.snapshots {
        by_account.entry(s.account_id.as_str()).or_default().push(s);
    }
    let mut last_churn: HashMap<&str, NaiveDate> = HashMap::new();
    for e in book.churn_events {
        let d = last_churn
            .entry(e.account_id.as_str())
            .or_insert(e.churned_at);
        *d = (*d).max(e.churned_at);
    }
    let mut live = Vec::new();
    for a in book.accounts {
        let Some(own) = by_account.remove(a.id.as_str()) else {
            continue;
        };
        let Some(latest) = own.iter().copied().max_by_key(|s| s.as_of) else {
            continue;
        };
        let churned = last_churn
            .get(a.id.as_str())
            .is_some_and(|d| *d >= latest.as_of);
        if !churned {
            live.push((a, own, latest));
        }
    }
    live
}
