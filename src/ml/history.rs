//! Each owner's record of closed deals, to give a win rate as it stood before a moment.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::Opportunity;

/// Weight of the prior in the owner's smoothed win rate, in deals: an owner with 10 closed deals
/// is half their own record and half the company's.
pub const PRIOR_DEALS: f64 = 10.0;

/// Closed deals by owner, in close order, with running win counts.
#[derive(Debug, Clone, Default)]
pub struct OwnerHistory {
    all: Closed,
    by_owner: HashMap<String, Closed>,
}

#[derive(Debug, Clone, Default)]
struct Closed {
    times: Vec<DateTime<Utc>>,
    /// wins[i] = wins among the first i deals (len = times.len() + 1).
    wins: Vec<u32>,
}

impl Closed {
    fn build(mut deals: Vec<(DateTime<Utc>, bool)>) -> Closed {
        deals.sort_by_key(|d| d.0);
        let mut wins = Vec::with_capacity(deals.len() + 1);
        wins.push(0);
        for d in &deals {
            wins.push(wins.last().copied().unwrap_or(0) + u32::from(d.1));
        }
        Closed {
            times: deals.into_iter().map(|d| d.0).collect(),
            wins,
        }
    }

    /// (deals, wins) closed strictly before `t`.
    fn before(&self, t: DateTime<Utc>) -> (f64, f64) {
        let n = self.times.partition_point(|&x| x < t);
        (n as f64, f64::from(self.wins.get(n).copied().unwrap_or(0)))
    }
}

impl OwnerHistory {
    /// Reads the closed deals (`won` and `closed_at` set); open ones are ignored.
    pub fn from_opportunities<'a>(opps: impl IntoIterator<Item = &'a Opportunity>) -> OwnerHistory {
        let mut all = Vec::new();
        let mut by_owner: HashMap<String, Vec<(DateTime<Utc>, bool)>> = HashMap::new();
        for o in opps {
            let (Some(won), Some(at)) = (o.won, o.closed_at) else {
                continue;
            };
            all.push((at.get(), won));
            if let Some(owner) = &o.owner_id {
                by_owner
                    .entry(owner.to_string())
                    .or_default()
                    .push((at.get(), won));
            }
        }
        OwnerHistory {
            all: Closed::build(all),
            by_owner: by_owner
                .into_iter()
                .map(|(k, v)| (k, Closed::build(v)))
                .collect(),
        }
    }

    /// The owner's win rate over deals closed strictly before `t`, 0..=1, shrunk towards the
    /// company's rate before `t` (itself shrunk towards 0.5) by [`PRIOR_DEALS`]. No owner or no
    /// history gives the company's rate.
    pub fn win_rate(&self, owner: Option<&str>, t: DateTime<Utc>) -> f64 {
        let (n, w) = self.all.before(t);
        let prior = (w + 1.0) / (n + 2.0);
        let Some(c) = owner.and_then(|o| self.by_owner.get(o)) else {
            return prior;
        };
        let (n, w) = c.before(t);
        (w + PRIOR_DEALS * prior) / (n + PRIOR_DEALS)
    }
}
