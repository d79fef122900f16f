//! Training a model kind on the stored data, with champion/challenger promotion.

use chrono::{NaiveDate, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::dataset;
use super::registry::{ActiveModel, ModelRegistry};
use crate::ml::{
    self, Comparison, FeatureCoverage, ModelKind, ModelSpec, TrainedModel, TrainingSet,
};
use crate::service::{Result, ServiceError};
use crate::store::{ModelVersionRow, Store, TrainingLock};

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
    /// The challenger and the active model on the same rows, each with its own spec's
    /// features (absent for the first version of a kind, or when they share no rows).
    pub comparison: Option<GateView>,
    /// Share of the training rows with a value, per feature.
    pub coverage: Vec<FeatureCoverage>,
    /// Low coverage, a split that could not follow time, a latest slice that disagrees.
    pub warnings: Vec<String>,
    /// The day the training data was taken as of (the data's last day unless asked).
    pub as_of: Option<NaiveDate>,
}

/// The gate's figures, with the champion they were measured against.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GateView {
    pub champion_version: String,
    #[serde(flatten)]
    pub figures: Comparison,
}

/// The spec given as TOML text, or the kind's shipped one; a spec of another kind is refused.
pub fn spec_for(kind: ModelKind, text: Option<&str>) -> Result<ModelSpec> {
    let Some(text) = text else {
        return default_spec(kind);
    };
    let spec =
        ModelSpec::from_toml(text).map_err(|e| ServiceError::bad_input("spec", e.to_string()))?;
    if spec.kind != kind {
        return Err(ServiceError::bad_input(
            "spec",
            format!(
                "the spec trains a {} model, not {}",
                spec.kind.as_str(),
                kind.as_str()
            ),
        ));
    }
    Ok(spec)
}

/// The spec shipped in `training/` for a kind.
pub fn default_spec(kind: ModelKind) -> Result<ModelSpec> {
    let text = match kind {
        ModelKind::Lead => include_str!("../../../training/lead.toml"),
        ModelKind::Win => include_str!("../../../training/win.toml"),
        ModelKind::Churn => include_str!("../../../training/churn.toml"),
    };
    ModelSpec::from_toml(text)
        .map_err(|e| ServiceError::internal(format!("the shipped spec is bad: {e}")))
}

pub(crate) use super::dataset::ml_error;

/// Trains `spec` (or the kind's shipped spec) on the stored data, stores the version and promotes
/// it when it is not worse than the active one on the same validation slice.
/// Only one training runs at a time (across replicas on PostgreSQL): a second is a conflict.
pub async fn train_kind(
    store: &Store,
    registry: &ModelRegistry,
    spec: ModelSpec,
    progress: Progress,
) -> Result<TrainOutcome> {
    train_kind_as_of(store, registry, spec, None, progress).await
}

/// [`train_kind`] on what was known at the end of `as_of` (default: the data's last day).
pub async fn train_kind_as_of(
    store: &Store,
    registry: &ModelRegistry,
    spec: ModelSpec,
    as_of: Option<NaiveDate>,
    progress: Progress,
) -> Result<TrainOutcome> {
    let lock = training_lock(store).await?;
    let outcome = train_locked(store, registry, spec, as_of, progress).await;
    lock.release().await;
    outcome
}

/// The training lock, or a conflict if a training is running. A training that has just
/// recorded its end releases the lock a moment later: when no job is marked running, the lock is
/// retried for up to [`LOCK_RELEASE_WAIT`] instead of refusing the caller who saw it end.
pub(crate) async fn training_lock(store: &Store) -> Result<TrainingLock> {
    let started = std::time::Instant::now();
    loop {
        if let Some(lock) = store.try_training_lock().await? {
            return Ok(lock);
        }
        if started.elapsed() >= LOCK_RELEASE_WAIT || store.unfinished_jobs().await? > 0 {
            return Err(ServiceError::Conflict(
                "a training is already running; try again when it ends".into(),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// How long a training start waits for the lock of a training that has just ended.
const LOCK_RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// [`train_kind`] with the training lock held. `as_of`: train on what was known at the end of
/// that day (default: the data's last day).
pub(crate) async fn train_locked(
    store: &Store,
    registry: &ModelRegistry,
    spec: ModelSpec,
    as_of: Option<NaiveDate>,
    progress: Progress,
) -> Result<TrainOutcome> {
    progress("loading data", 0.0);
    let loaded = dataset::load(store, &spec, as_of).await?;
    ml::coverage::check_coverage(&spec, &loaded.set, &loaded.keys).map_err(ml_error)?;
    let as_of = loaded.as_of;
    let kind = spec.kind;
    let set = loaded.set;
    let (model, validation) = tokio::task::spawn_blocking(move || {
        let mut report = |step: &str, f: f64| progress(step, f);
        ml::train_owned(&spec, set, &mut report)
    })
    .await
    .map_err(|e| ServiceError::internal(format!("training task failed: {e}")))?
    .map_err(ml_error)?;
    let champion = registry.active(kind);
    let comparison = match &champion {
        Some(c) => gate(store, c, &model, &validation, as_of).await?,
        None => None,
    };
    let (promote, decision) = judge(champion.as_deref(), comparison.as_ref());
    let version = new_version_id(kind);
    let now = Utc::now();
    let outcome = TrainOutcome {
        version: version.clone(),
        kind: kind.as_str().into(),
        algorithm: model.algorithm().as_str().into(),
        calibration: format!("{:?}", model.calibration()).to_lowercase(),
        metrics: serde_json::to_value(&model.metrics).unwrap_or_default(),
        promoted: promote,
        decision,
        comparison,
        coverage: model.coverage.clone(),
        warnings: model.warnings.clone(),
        as_of,
    };
    let row = ModelVersionRow {
        id: version.clone(),
        kind: kind.as_str().into(),
        status: "candidate".into(),
        algorithm: model.algorithm().as_str().into(),
        spec: serde_json::to_value(&model.spec)
            .map_err(anyhow::Error::new)
            .map_err(crate::store::StoreError::from)?,
        metrics: report_json(&model, &outcome),
        artifact: model.to_bytes().map_err(ml_error)?,
        trained_at: now,
        activated_at: None,
    };
    store.insert_model_version(&row).await?;
    if promote {
        store
            .activate_model_version(kind.as_str(), &version, now)
            .await?;
        registry.install(kind, ActiveModel { version, model });
    }
    Ok(outcome)
}

/// The challenger on its validation rows and the champion on the same targets, built with the
/// champion's own spec from the same data as of the same day. A champion whose spec no longer
/// builds on this data cannot be compared (`None`).
async fn gate(
    store: &Store,
    champion: &ActiveModel,
    model: &TrainedModel,
    validation: &TrainingSet,
    as_of: Option<NaiveDate>,
) -> Result<Option<GateView>> {
    let theirs = match dataset::load(store, &champion.model.spec, as_of).await {
        Ok(l) => l.set,
        Err(ServiceError::BadInput { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(
        ml::gate::compare(model, validation, &champion.model, &theirs).map(|figures| GateView {
            champion_version: champion.version.clone(),
            figures,
        }),
    )
}

/// Champion/challenger: the new version replaces the active one only if its log loss is not
/// worse than the champion's on the same target rows (see [`gate`]).
fn judge(champion: Option<&ActiveModel>, comparison: Option<&GateView>) -> (bool, String) {
    let Some(champion) = champion else {
        return (
            true,
            "no active model: the first version goes into service".into(),
        );
    };
    let Some(c) = comparison else {
        return (
            false,
            format!(
                "kept as a candidate: the active {} shares no validation rows of both outcomes \
                 with this version, so they cannot be compared; promote by hand",
                champion.version
            ),
        );
    };
    let (mine, theirs) = (&c.figures.challenger, &c.figures.champion);
    let better = TrainedModel::not_worse_than(mine.log_loss, theirs.log_loss);
    let figures = format!(
        "log loss {:.4} (ROC AUC {:.3}) against the active {}'s {:.4} (ROC AUC {:.3}) on the \
         same {} rows, each with its own spec's features",
        mine.log_loss,
        mine.roc_auc,
        champion.version,
        theirs.log_loss,
        theirs.roc_auc,
        c.figures.rows
    );
    if better {
        (true, format!("promoted: {figures}"))
    } else {
        (false, format!("kept as a candidate: {figures}"))
    }
}

/// Metrics, candidates and data summary, as stored with the version.
pub(crate) fn report_json(model: &TrainedModel, outcome: &TrainOutcome) -> serde_json::Value {
    serde_json::json!({
        "validation": model.metrics,
        "candidates": model.candidates,
        "data": model.data,
        "calibration": format!("{:?}", model.calibration()).to_lowercase(),
        "coverage": model.coverage,
        "warnings": model.warnings,
        "latest_slice": model.latest_slice,
        "as_of": outcome.as_of,
        "promotion": {
            "promoted": outcome.promoted,
            "decision": outcome.decision,
            "comparison": outcome.comparison,
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A SQLite file store (its training lock is the file lock other processes see too).
    async fn file_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        (Store::connect(&url).await.unwrap(), dir)
    }

    fn job(status: &str) -> crate::store::JobRow {
        let now = Utc::now();
        crate::store::JobRow {
            id: "job_1".into(),
            kind: "train:lead".into(),
            status: status.into(),
            progress: 0.0,
            message: String::new(),
            result: None,
            error: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[tokio::test]
    async fn a_training_that_has_recorded_its_end_hands_the_lock_on_instead_of_a_conflict() {
        let (store, _dir) = file_store().await;
        store.insert_job(&job("succeeded")).await.unwrap();
        let held = store.try_training_lock().await.unwrap().expect("free lock");
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            held.release().await;
        });
        let started = Instant::now();
        let lock = training_lock(&store)
            .await
            .expect("the lock, once released");
        assert!(started.elapsed() >= Duration::from_millis(250));
        release.await.unwrap();
        lock.release().await;
    }

    #[tokio::test]
    async fn a_running_training_is_a_conflict_at_once() {
        let (store, _dir) = file_store().await;
        store.insert_job(&job("running")).await.unwrap();
        let held = store.try_training_lock().await.unwrap().expect("free lock");
        let started = Instant::now();
        let refused = training_lock(&store).await;
        assert!(matches!(refused, Err(ServiceError::Conflict(_))));
        assert!(started.elapsed() < LOCK_RELEASE_WAIT);
        held.release().await;
    }
}
