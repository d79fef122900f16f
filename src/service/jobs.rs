//! Asynchronous training jobs: `202` with a job id at once, progress and the outcome in the job.

use chrono::Utc;
use rand::RngCore;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use utoipa::ToSchema;

use super::models::{self, ModelRegistry, Rescorer};
use super::{Result, ServiceError};
use crate::ml::ModelSpec;
use crate::store::{JobRow, Store};

/// A job as shown by `GET /v1/jobs/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    /// e.g. `train:lead`.
    pub kind: String,
    /// running, succeeded or failed.
    pub status: String,
    /// 0..=1.
    pub progress: f64,
    /// The current step, or the outcome in words.
    pub message: String,
    /// The training outcome once succeeded.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl From<JobRow> for JobView {
    fn from(j: JobRow) -> Self {
        JobView {
            id: j.id,
            kind: j.kind,
            status: j.status,
            progress: j.progress,
            message: j.message,
            result: j.result,
            error: j.error,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

pub async fn job(store: &Store, id: &str) -> Result<JobView> {
    store
        .job(id)
        .await?
        .map(JobView::from)
        .ok_or_else(|| ServiceError::NotFound(format!("no job `{id}`")))
}

/// Starts training `spec` in the background. A training already running (here or, on
/// PostgreSQL, on another replica) is a conflict.
pub async fn start_training(
    store: Store,
    registry: Arc<ModelRegistry>,
    rescorer: Arc<Rescorer>,
    spec: ModelSpec,
    as_of: Option<chrono::NaiveDate>,
) -> Result<JobView> {
    let lock = store.try_training_lock().await?.ok_or_else(|| {
        ServiceError::Conflict("a training is already running; try again when it ends".into())
    })?;
    let mut id = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut id);
    let now = Utc::now();
    let row = JobRow {
        id: format!("job_{}", hex::encode(id)),
        kind: format!("train:{}", spec.kind.as_str()),
        status: "running".into(),
        progress: 0.0,
        message: "queued".into(),
        result: None,
        error: None,
        created_at: now,
        updated_at: now,
    };
    store.insert_job(&row).await?;
    let job = row.clone();
    tokio::spawn(async move {
        let latest = Arc::new(Mutex::new((String::from("starting"), 0.0f64)));
        let sink = latest.clone();
        let progress: models::Progress = Arc::new(move |step: &str, f: f64| {
            *sink.lock().unwrap_or_else(|e| e.into_inner()) = (step.to_string(), f);
        });
        let kind = spec.kind;
        let work = models::training::train_locked(&store, &registry, spec, as_of, progress);
        tokio::pin!(work);
        let mut last = Instant::now();
        let mut current = job.clone();
        let outcome = loop {
            tokio::select! {
                out = &mut work => break out,
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {
                    if last.elapsed().as_millis() >= 500 {
                        let (step, f) = latest.lock().unwrap_or_else(|e| e.into_inner()).clone();
                        current.message = step;
                        current.progress = f.clamp(0.0, 1.0);
                        current.updated_at = Utc::now();
                        let _ = store.update_job(&current).await;
                        last = Instant::now();
                    }
                }
            }
        };
        lock.release().await;
        current.updated_at = Utc::now();
        match outcome {
            Ok(o) => {
                current.status = "succeeded".into();
                current.progress = 1.0;
                current.message = o.decision.clone();
                current.result = serde_json::to_value(&o).ok();
                if o.promoted {
                    rescorer.mark(kind);
                }
            }
            Err(e) => {
                current.status = "failed".into();
                current.error = Some(public_error(&e));
                current.message = "failed".into();
            }
        }
        if let Err(e) = store.update_job(&current).await {
            tracing::error!(job = %current.id, error = %e, "cannot record the end of a job");
        }
    });
    Ok(row.into())
}

/// What a failed job may tell its caller (no internals).
fn public_error(e: &ServiceError) -> String {
    match e {
        ServiceError::Store(inner) => {
            tracing::error!(error = ?inner, "training failed");
            "internal error; it has been logged".into()
        }
        other => other.to_string(),
    }
}
