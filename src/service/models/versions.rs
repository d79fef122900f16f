//! The registry's versions: listing, promotion by hand, rollback and export.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

use super::registry::{ActiveModel, ModelRegistry};
use super::Rescorer;
use crate::ml::{DriftReport, ModelKind, TrainedModel};
use crate::service::{Result, ServiceError};
use crate::store::{ModelVersionRow, Store};

/// A version as listed by `GET /v1/models`: its metrics under their names, without the artifact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelVersionInfo {
    pub id: String,
    /// lead, win or churn.
    pub kind: String,
    /// candidate, active or retired.
    pub status: String,
    pub algorithm: String,
    pub trained_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    /// `validation` (roc_auc, pr_auc, log_loss, brier, ece, top_decile_lift, reliability, rows,
    /// positives), `candidates`, `data` (slices and training window), `calibration`.
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
    /// What to look at: the training's warnings (low feature coverage, a random split on dated
    /// rows, a latest slice that disagrees) and, for a version served here, every feature or
    /// score whose drift (PSI) passed 0.2.
    pub warnings: Vec<String>,
}

fn info(r: ModelVersionRow) -> ModelVersionInfo {
    let warnings = r.metrics["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ModelVersionInfo {
        warnings,
        id: r.id,
        kind: r.kind,
        status: r.status,
        algorithm: r.algorithm,
        trained_at: r.trained_at,
        activated_at: r.activated_at,
        metrics: r.metrics,
        spec: r.spec,
    }
}

/// Versions, newest first; a version served by `registry` carries its drift alerts.
pub async fn list_versions(
    store: &Store,
    registry: &ModelRegistry,
    kind: Option<ModelKind>,
) -> Result<Vec<ModelVersionInfo>> {
    let drift: Vec<(String, Vec<String>)> = registry
        .served()
        .into_iter()
        .filter_map(|(m, mon)| Some((m.version.clone(), mon.drift(&m)?.alerts)))
        .collect();
    let mut out: Vec<ModelVersionInfo> = store
        .model_versions(kind.map(ModelKind::as_str))
        .await?
        .into_iter()
        .map(info)
        .collect();
    for v in &mut out {
        for (_, alerts) in drift.iter().filter(|(id, _)| *id == v.id) {
            v.warnings.extend(alerts.iter().map(|a| {
                format!("drift: `{a}` has moved from its training distribution (PSI over 0.2); see /v1/models/{}/drift", v.id)
            }));
        }
    }
    Ok(out)
}

/// The drift of a version served by this process: each feature's and the score's PSI between
/// its training rows and the records it scored most recently on request.
pub fn drift(registry: &ModelRegistry, id: &str) -> Result<ModelDrift> {
    let (m, mon) = registry
        .served()
        .into_iter()
        .find(|(m, _)| m.version == id)
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "`{id}` is not an active model version; drift is tracked for the versions in service"
            ))
        })?;
    let report = mon.drift(&m).ok_or_else(|| {
        ServiceError::Conflict(format!(
            "`{id}` was trained before training distributions were stored; retrain it to track drift"
        ))
    })?;
    Ok(ModelDrift {
        version: m.version.clone(),
        window_capacity: super::monitor::DRIFT_WINDOW,
        report,
    })
}

/// A version's drift report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelDrift {
    pub version: String,
    /// The most recently scored records compared, at most this many.
    pub window_capacity: usize,
    #[serde(flatten)]
    pub report: DriftReport,
}

async fn load(store: &Store, id: &str) -> Result<(ModelVersionRow, TrainedModel)> {
    let row = store
        .model_version(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no model version `{id}`")))?;
    let model = TrainedModel::from_bytes(&row.artifact)
        .map_err(|e| ServiceError::internal(format!("artifact of {id}: {e}")))?;
    Ok((row, model))
}

/// Puts a version into service by hand, whatever its metrics, and marks the stored scores of its
/// kind for rescoring.
pub async fn promote(
    store: &Store,
    registry: &ModelRegistry,
    rescorer: &Rescorer,
    id: &str,
) -> Result<ModelVersionInfo> {
    let (row, model) = load(store, id).await?;
    let kind = super::parse_kind(&row.kind)?;
    store
        .activate_model_version(&row.kind, id, Utc::now())
        .await?;
    registry.install(
        kind,
        ActiveModel {
            version: id.to_string(),
            model,
        },
    );
    rescorer.mark(kind);
    let fresh = store.model_version(id).await?.map(info);
    fresh.ok_or_else(|| ServiceError::NotFound(format!("no model version `{id}`")))
}

/// Re-activates the version that was active before the current one (and marks rescoring, as
/// [`promote`] does).
pub async fn rollback(
    store: &Store,
    registry: &ModelRegistry,
    rescorer: &Rescorer,
    kind: &str,
) -> Result<ModelVersionInfo> {
    super::parse_kind(kind)?;
    let versions = store.model_versions(Some(kind)).await?;
    let previous = versions
        .iter()
        .filter(|v| v.status != "active" && v.activated_at.is_some())
        .max_by_key(|v| v.activated_at)
        .ok_or_else(|| {
            ServiceError::Conflict(format!(
                "no earlier {kind} version was ever active; nothing to roll back to"
            ))
        })?;
    promote(store, registry, rescorer, &previous.id.clone()).await
}

/// Writes `dir/<kind>/<version>/` with `artifact.json` and `MODEL_CARD.md`; returns the folder.
pub async fn export_version(store: &Store, id: &str, dir: &Path) -> Result<PathBuf> {
    let (row, model) = load(store, id).await?;
    let folder = dir.join(&row.kind).join(&row.id);
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        std::fs::create_dir_all(&folder)
            .and_then(|_| std::fs::write(folder.join(name), bytes))
            .map_err(|e| {
                ServiceError::bad_input("dir", format!("cannot write {}: {e}", folder.display()))
            })
    };
    write("artifact.json", &row.artifact)?;
    let card = format!(
        "<!-- version {} ({}), trained {} -->\n\n{}",
        row.id,
        row.status,
        row.trained_at.format("%Y-%m-%d %H:%M UTC"),
        model.model_card()
    );
    write("MODEL_CARD.md", card.as_bytes())?;
    Ok(folder)
}
