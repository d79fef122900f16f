//! Training a model kind on the stored data, with champion/challenger promotion.

use chrono::Utc;
use rand::RngCore;
use serde::Serialize;
use std::sync::Arc;

use super::registry::{ActiveModel, ModelRegistry};
use crate::domain::{Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, StageEvent};
use crate::ml::{self, Metrics, ModelKind, ModelSpec, TrainedModel, TrainingSet};
use crate::service::{Result, ServiceError};
use crate::store::{ModelVersionRow, Store};

/// Progress of a training: a step description and the done fraction, 0..=1.
pub type Progress = Arc<dyn Fn(&str, f64) + Send + Sync>;

/// What a training produced and whether it went into service.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainOutcome {
    pub version: String,
    pub kind: String,
    pub algorithm: String,
    pub calibration: String,
    /// Validation metrics of the new version.
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
    /// True when the new version is now active.
    pub promoted: bool,
    /// Why it was or was not promoted.
    pub decision: String,
}

/// The spec shipped in `training/` for a kind.
pub fn default_spec(kind: ModelKind) -> Result<ModelSpec> {
    let text = match kind {
        ModelKind::Lead => include_str!("../../../training/lead.toml"),
        ModelKind::Win => include_str!("../../../training/win.toml"),
        ModelKind::Churn => include_str!("../../../training/churn.toml"),
    };
    ModelSpec::from_toml(text)
        .map_err(|e| ServiceError::Store(anyhow::anyhow!("the shipped spec is bad: {e}").into()))
}

async fn training_set(store: &Store, spec: &ModelSpec) -> Result<TrainingSet> {
    let set = match spec.kind {
        ModelKind::Lead => {
            let mut b = ml::LeadSetBuilder::new(spec).map_err(ml_error)?;
            store.for_each::<Lead>(|l| b.push(&l)).await?;
            b.finish()
        }
        ModelKind::Win => {
            let opps = store.all::<Opportunity>().await?;
            let events = store.all::<StageEvent>().await?;
            ml::win_training_set(spec, &opps, &events, Utc::now())
        }
        ModelKind::Churn => {
            let accounts = store.all::<Account>().await?;
            let snapshots = store.all::<AccountSnapshot>().await?;
            let events = store.all::<ChurnEvent>().await?;
            ml::churn_training_set(
                spec,
                &accounts,
                &snapshots,
                &events,
                Utc::now().date_naive(),
            )
        }
    };
    set.map_err(ml_error)
}

/// Maps a training failure onto the caller's view: too little data or a bad spec is theirs to fix.
pub(crate) fn ml_error(e: ml::MlError) -> ServiceError {
    ServiceError::bad_input("data", e.to_string())
}

/// Trains `spec` (or the kind's shipped spec) on the stored data, stores the version and promotes
/// it when it is not worse than the active one on the same validation slice.
/// Only one training runs at a time (across replicas on PostgreSQL): a second is a conflict.
pub async fn train_kind(
    store: &Store,
    registry: &ModelRegistry,
    spec: ModelSpec,
    progress: Progress,
) -> Result<TrainOutcome> {
    let lock = store.try_training_lock().await?.ok_or_else(|| {
        ServiceError::Conflict("a training is already running; try again when it ends".into())
    })?;
    let outcome = train_locked(store, registry, spec, progress).await;
    lock.release().await;
    outcome
}

pub(crate) async fn train_locked(
    store: &Store,
    registry: &ModelRegistry,
    spec: ModelSpec,
    progress: Progress,
) -> Result<TrainOutcome> {
    progress("loading data", 0.0);
    let set = training_set(store, &spec).await?;
    let kind = spec.kind;
    let (model, validation) = tokio::task::spawn_blocking(move || {
        let mut report = |step: &str, f: f64| progress(step, f);
        ml::train_owned(&spec, set, &mut report)
    })
    .await
    .map_err(|e| ServiceError::Store(anyhow::anyhow!("training task failed: {e}").into()))?
    .map_err(ml_error)?;
    let (promote, decision) = judge(registry.active(kind).as_deref(), &model, &validation);
    let version = new_version_id(kind);
    let now = Utc::now();
    let row = ModelVersionRow {
        id: version.clone(),
        kind: kind.as_str().into(),
        status: "candidate".into(),
        algorithm: model.algorithm().as_str().into(),
        spec: serde_json::to_value(&model.spec)
            .map_err(anyhow::Error::new)
            .map_err(crate::store::StoreError::from)?,
        metrics: report_json(&model),
        artifact: model.to_bytes().map_err(ml_error)?,
        trained_at: now,
        activated_at: None,
    };
    store.insert_model_version(&row).await?;
    let outcome = TrainOutcome {
        version: version.clone(),
        kind: kind.as_str().into(),
        algorithm: model.algorithm().as_str().into(),
        calibration: format!("{:?}", model.calibration()).to_lowercase(),
        metrics: serde_json::to_value(&model.metrics).unwrap_or_default(),
        promoted: promote,
        decision,
    };
    if promote {
        store
            .activate_model_version(kind.as_str(), &version, now)
            .await?;
        registry.install(kind, ActiveModel { version, model });
    }
    Ok(outcome)
}

/// Champion/challenger: the new version replaces the active one only if its log loss on the new
/// validation slice is not worse than the champion's on that same slice.
/// Whether `model` may replace the active one, judged on `validation`, its validation slice.
fn judge(
    champion: Option<&ActiveModel>,
    model: &TrainedModel,
    validation: &TrainingSet,
) -> (bool, String) {
    let Some(champion) = champion else {
        return (
            true,
            "no active model: the first version goes into service".into(),
        );
    };
    let mine = &model.metrics;
    let theirs: Option<Metrics> = champion.model.evaluate(validation).ok();
    match theirs {
        Some(theirs) if TrainedModel::not_worse_than(mine, &theirs) => (
            true,
            format!(
                "log loss {:.4} on the validation slice, not worse than the active {}'s {:.4}",
                mine.log_loss, champion.version, theirs.log_loss
            ),
        ),
        Some(theirs) => (
            false,
            format!(
                "kept as a candidate: log loss {:.4} is worse than the active {}'s {:.4} on the same slice",
                mine.log_loss, champion.version, theirs.log_loss
            ),
        ),
        None => (
            false,
            format!(
                "kept as a candidate: the active {} uses other features, so they cannot be compared on the same slice; promote by hand",
                champion.version
            ),
        ),
    }
}

/// Metrics, candidates and data summary, as stored with the version.
pub(crate) fn report_json(model: &TrainedModel) -> serde_json::Value {
    serde_json::json!({
        "validation": model.metrics,
        "candidates": model.candidates,
        "data": model.data,
        "calibration": format!("{:?}", model.calibration()).to_lowercase(),
    })
}

fn new_version_id(kind: ModelKind) -> String {
    let mut tail = [0u8; 3];
    rand::thread_rng().fill_bytes(&mut tail);
    format!(
        "{}-{}-{}",
        kind.as_str(),
        Utc::now().format("%Y%m%d%H%M%S"),
        hex::encode(tail)
    )
}
