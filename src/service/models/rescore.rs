//! Keeping the stored scores fresh: every open lead and deal is rescored after an ingestion batch
//! touches them and after every promotion, so the prioritized lists are never stale. A CRM sync
//! posts batch after batch: the rescoring starts once the marks pause for [`QUIET`] (at most
//! [`MAX_WAIT`] after the first), so one pass covers the burst and a page opened in the same
//! moment does not share the cores with it.

use chrono::Utc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

use super::registry::ModelRegistry;
use super::scoring::{score_leads, score_opportunities};
use crate::domain::{Lead, Opportunity, StageEvent};
use crate::ml::{ModelKind, OwnerHistory};
use crate::service::Result;
use crate::store::{ScoreRow, Store};

/// Rescores every stored open record of `kind` with the active model; returns how many.
/// Without an active model there is nothing to do (0).
pub async fn refresh_scores(
    store: &Store,
    registry: &ModelRegistry,
    kind: ModelKind,
) -> Result<usize> {
    let (records, amounts) = match kind {
        ModelKind::Lead => {
            if registry.active(kind).is_none() {
                return Ok(0);
            }
            let open: Vec<Lead> = store
                .all::<Lead>()
                .await?
                .into_iter()
                .filter(|l| l.converted.is_none())
                .collect();
            (score_leads(registry, &open)?, None)
        }
        ModelKind::Win => {
            // The tables kept in memory: a forecast page opened after the same sync reads them too.
            let opps = store.kept_all::<Opportunity>().await?;
            registry.set_owner_history(OwnerHistory::from_opportunities(opps.iter()));
            if registry.active(kind).is_none() {
                return Ok(0);
            }
            let events = store.kept_all::<StageEvent>().await?;
            let open: Vec<Opportunity> = opps.iter().filter(|o| o.is_open()).cloned().collect();
            let scored = score_opportunities(registry, &open, &events)?;
            (scored, Some(()))
        }
        ModelKind::Churn => {
            return crate::service::churn::refresh_churn_scores(store, registry).await
        }
    };
    let previous = store.score_probabilities(kind.as_str()).await?;
    let now = Utc::now();
    let rows: Vec<ScoreRow> = records
        .into_iter()
        .map(|r| ScoreRow {
            kind: kind.as_str().to_string(),
            previous_probability: previous.get(&r.id).copied(),
            value: if amounts.is_some() {
                r.expected_value.unwrap_or(0.0)
            } else {
                r.probability
            },
            entity_id: r.id.clone(),
            owner_id: r.owner_id.clone(),
            probability: r.probability,
            model_version: r.model_version.clone(),
            explanation: serde_json::to_value(&r).unwrap_or_default(),
            scored_at: now,
        })
        .collect();
    store.replace_scores(kind.as_str(), &rows).await?;
    Ok(rows.len())
}

/// How long the marks must pause before a rescoring pass starts.
pub const QUIET: Duration = Duration::from_millis(250);
/// The longest a pass waits for the marks to pause.
pub const MAX_WAIT: Duration = Duration::from_secs(2);

/// A background worker that rescores a kind soon after it is marked dirty; marks that arrive
/// while it works are coalesced into one more pass.
pub struct Rescorer {
    dirty_leads: AtomicBool,
    dirty_deals: AtomicBool,
    dirty_accounts: AtomicBool,
    wake: Notify,
}

impl Default for Rescorer {
    fn default() -> Self {
        Rescorer {
            dirty_leads: AtomicBool::new(false),
            dirty_deals: AtomicBool::new(false),
            dirty_accounts: AtomicBool::new(false),
            wake: Notify::new(),
        }
    }
}

impl Rescorer {
    pub fn mark(&self, kind: ModelKind) {
        match kind {
            ModelKind::Lead => self.dirty_leads.store(true, Ordering::SeqCst),
            ModelKind::Win => self.dirty_deals.store(true, Ordering::SeqCst),
            ModelKind::Churn => self.dirty_accounts.store(true, Ordering::SeqCst),
        }
        self.wake.notify_one();
    }

    /// Runs forever: waits for a mark and for the marks to pause, then rescores what is dirty.
    pub async fn run(self: Arc<Self>, store: Store, registry: Arc<ModelRegistry>) {
        loop {
            self.wake.notified().await;
            let first = Instant::now();
            while first.elapsed() < MAX_WAIT
                && tokio::time::timeout(QUIET, self.wake.notified())
                    .await
                    .is_ok()
            {}
            for (flag, kind) in [
                (&self.dirty_leads, ModelKind::Lead),
                (&self.dirty_deals, ModelKind::Win),
                (&self.dirty_accounts, ModelKind::Churn),
            ] {
                if flag.swap(false, Ordering::SeqCst) {
                    if let Err(e) = refresh_scores(&store, &registry, kind).await {
                        tracing::warn!(kind = kind.as_str(), error = %e, "rescoring failed; will retry on the next change");
                    }
                }
            }
        }
    }
}
