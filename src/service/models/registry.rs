//! The active models, held in memory so that scoring never needs the database, and swapped
//! atomically when a version is promoted here or on another replica.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::monitor::Monitor;
use crate::ml::{ModelKind, OwnerHistory, TrainedModel};
use crate::service::Result;
use crate::store::Store;

/// A model version serving requests.
pub struct ActiveModel {
    pub version: String,
    pub model: TrainedModel,
}

/// The serving slots, one per model kind, and the owners' closed-deal history that win scoring
/// needs. Readers clone an `Arc` and keep scoring with it while a swap happens.
#[derive(Default)]
pub struct ModelRegistry {
    slots: RwLock<HashMap<&'static str, Arc<ActiveModel>>>,
    history: RwLock<Arc<OwnerHistory>>,
    /// Scoring counters and drift windows by version id.
    monitors: RwLock<HashMap<String, Arc<Monitor>>>,
}

impl ModelRegistry {
    pub fn active(&self, kind: ModelKind) -> Option<Arc<ActiveModel>> {
        let slots = self.slots.read().unwrap_or_else(|e| e.into_inner());
        slots.get(kind.as_str()).cloned()
    }

    /// Puts a version into service; requests already scoring finish with the old one.
    pub fn install(&self, kind: ModelKind, model: ActiveModel) {
        let mut slots = self.slots.write().unwrap_or_else(|e| e.into_inner());
        slots.insert(kind.as_str(), Arc::new(model));
    }

    /// The monitor of a version (created on first use).
    pub fn monitor(&self, version: &str) -> Arc<Monitor> {
        if let Some(m) = self
            .monitors
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(version)
        {
            return m.clone();
        }
        let mut all = self.monitors.write().unwrap_or_else(|e| e.into_inner());
        all.entry(version.to_string()).or_default().clone()
    }

    /// Every served version with its monitor, in kind order.
    pub fn served(&self) -> Vec<(Arc<ActiveModel>, Arc<Monitor>)> {
        [ModelKind::Lead, ModelKind::Win, ModelKind::Churn]
            .into_iter()
            .filter_map(|k| self.active(k))
            .map(|m| {
                let mon = self.monitor(&m.version);
                (m, mon)
            })
            .collect()
    }

    pub fn owner_history(&self) -> Arc<OwnerHistory> {
        self.history
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_owner_history(&self, h: OwnerHistory) {
        *self.history.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(h);
    }

    /// Loads every active version recorded in the store that this process does not serve yet.
    /// Returns the versions newly put into service, each with its kind as its record states it.
    pub async fn sync(&self, store: &Store) -> Result<Vec<(ModelKind, String)>> {
        let mut loaded = Vec::new();
        for (kind, id) in store.active_versions().await? {
            let Ok(kind) = super::parse_kind(&kind) else {
                continue;
            };
            if self.active(kind).is_some_and(|m| m.version == id) {
                continue;
            }
            let Some(row) = store.model_version(&id).await? else {
                continue;
            };
            match TrainedModel::from_bytes(&row.artifact) {
                Ok(model) => {
                    self.install(
                        kind,
                        ActiveModel {
                            version: id.clone(),
                            model,
                        },
                    );
                    loaded.push((kind, id));
                }
                Err(e) => tracing::error!(version = %id, error = %e, "cannot load model artifact"),
            }
        }
        Ok(loaded)
    }
}
