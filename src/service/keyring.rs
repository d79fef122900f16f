//! The API keys a serving process trusts, held in memory and refreshed from the database in the
//! background, so that a request with a known key never waits on the database.
//!
//! Every [`REFRESH_EVERY`] the whole `api_keys` table is read in one query and replaces the
//! snapshot: a key revoked anywhere (another replica, `revcast keys revoke` in another process) is
//! refused here once the next refresh has run, i.e. within `REFRESH_EVERY` plus the query's time.
//! While the database is down the last snapshot stays in force: known keys keep working and a key
//! revoked before the outage stays refused. A key the snapshot does not hold (created since the
//! last refresh, or unknown) is looked up in the database; if that fails, the caller gets the
//! database error (a 503), never a 401.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::keys::{hash, principal_of};
use super::{Principal, Result};
use crate::store::Store;

/// How often the snapshot is reread; a revocation takes effect within this plus one query.
pub const REFRESH_EVERY: Duration = Duration::from_millis(500);

/// Most looked-up keys kept between two refreshes (unknown keys included); beyond it, answers are
/// not kept (the lookups still work).
const MAX_RECENT: usize = 10_000;

/// What is known of a key hash: `Some(principal)` for a live key, `None` for a revoked or unknown
/// one.
type Answer = Option<Principal>;

#[derive(Default)]
struct Recent {
    /// Bumped by every refresh: a lookup that started before it does not store its answer.
    generation: u64,
    answers: HashMap<String, Answer>,
}

/// The in-memory key set of one process. Cheap to share behind an `Arc`.
#[derive(Default)]
pub struct KeyRing {
    /// Every stored key by hash (revoked ones as `None`), as of the last successful refresh.
    snapshot: RwLock<Arc<HashMap<String, Answer>>>,
    /// Keys looked up in the database since the last refresh.
    recent: Mutex<Recent>,
}

impl KeyRing {
    /// The principal behind `key`, or None for an unknown or revoked key. Waits on the database
    /// only for a key the last refresh did not see.
    pub async fn authenticate(&self, store: &Store, key: &str) -> Result<Option<Principal>> {
        let h = hash(key);
        if let Some(answer) = self.cached(&h) {
            return Ok(answer);
        }
        let generation = self.recent().generation;
        let answer = store
            .api_key_by_hash(&h)
            .await?
            .and_then(|row| row.revoked_at.is_none().then(|| principal_of(row)));
        let mut recent = self.recent();
        if recent.generation == generation && recent.answers.len() < MAX_RECENT {
            recent.answers.insert(h, answer.clone());
        }
        Ok(answer)
    }

    fn cached(&self, h: &str) -> Option<Answer> {
        let snapshot = self.snapshot.read().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = snapshot.get(h) {
            return Some(a.clone());
        }
        drop(snapshot);
        self.recent().answers.get(h).cloned()
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rereads every key in one query and replaces the snapshot; returns how many keys it holds.
    /// On error the previous snapshot stays in force.
    pub async fn refresh(&self, store: &Store) -> Result<usize> {
        let rows = store.list_api_keys().await?;
        let map: HashMap<String, Answer> = rows
            .into_iter()
            .map(|row| {
                let live = row.revoked_at.is_none();
                (row.key_hash.clone(), live.then(|| principal_of(row)))
            })
            .collect();
        let n = map.len();
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(map);
        let mut recent = self.recent();
        recent.generation += 1;
        recent.answers.clear();
        Ok(n)
    }

    /// Refreshes every [`REFRESH_EVERY`] on the current runtime, for as long as it runs.
    pub fn start(self: Arc<Self>, store: Store) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tick.tick().await;
                match self.refresh(&store).await {
                    Ok(_) if failing => {
                        tracing::info!("API keys refreshed again");
                        failing = false;
                    }
                    Ok(_) => {}
                    Err(e) if !failing => {
                        tracing::warn!(error = %e, "cannot refresh the API keys; serving the last ones read");
                        failing = true;
                    }
                    Err(_) => {}
                }
            }
        });
    }
}
