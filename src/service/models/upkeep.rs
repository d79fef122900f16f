//! Background upkeep of a serving process: follow the registry (a version promoted through another
//! replica is served here within seconds) and keep the stored scores fresh.

use std::sync::Arc;
use std::time::Duration;

use super::{ModelRegistry, Rescorer};
use crate::ml::ModelKind;
use crate::store::Store;

/// How often a replica checks the registry for a newly promoted version.
pub const MODEL_SYNC_EVERY: Duration = Duration::from_secs(2);

/// Spawns the rescorer and the registry follower on the current runtime.
pub fn start(store: Store, registry: Arc<ModelRegistry>, rescorer: Arc<Rescorer>) {
    tokio::spawn(rescorer.clone().run(store.clone(), registry.clone()));
    for kind in [ModelKind::Lead, ModelKind::Win, ModelKind::Churn] {
        rescorer.mark(kind);
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(MODEL_SYNC_EVERY);
        loop {
            tick.tick().await;
            match registry.sync(&store).await {
                Ok(loaded) => {
                    for (kind, version) in loaded {
                        tracing::info!(%version, "now serving");
                        rescorer.mark(kind);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "model sync skipped"),
            }
        }
    });
}

/// Keeps the web app's default pages ready (see [`crate::service::warm`]): checks every
/// [`MODEL_SYNC_EVERY`] whether the data or the active win model changed, and once they have
/// stayed the same for a whole check (an ingestion has paused), computes the pages' numbers.
pub fn keep_pages_warm(store: Store, registry: Arc<ModelRegistry>) {
    use crate::service::warm;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(MODEL_SYNC_EVERY);
        let (mut seen, mut warmed) = (None, None);
        loop {
            tick.tick().await;
            let Ok(now) = warm::state(&store, &registry).await else {
                continue;
            };
            if seen.as_ref() == Some(&now) && warmed.as_ref() != Some(&now) {
                if let Err(e) = warm::warm(&store, &registry).await {
                    tracing::debug!(error = %e, "pages not warmed");
                }
                warmed = Some(now.clone());
            }
            seen = Some(now);
        }
    });
}
