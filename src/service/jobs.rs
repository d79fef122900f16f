//! Asynchronous training jobs: `202` with a job id at once, progress and the outcome in the job.

use chrono::Utc;
use rand::RngCore;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
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

/// Starts training `spec` in the background. A training already running (in any process on this
/// database: another replica, or `revcast train`) is a conflict.
pub async fn start_training(
    store: Store,
    registry: Arc<ModelRegistry>,
    rescorer: Arc<Rescorer>,
    spec: ModelSpec,
    as_of: Option<chrono::NaiveDate>,
) -> Result<JobView> {
    let lock = models::training::training_lock(&store).await?;
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
                _ = tokio::time::sleep(HEARTBEAT_EVERY) => {
                    if last.elapsed() >= HEARTBEAT_EVERY {
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
        // Released only now: a sweeper that takes the free lock may fail every job still running.
        lock.release().await;
    });
    Ok(row.into())
}

/// A running job's row is rewritten (its progress and `updated_at`, the heartbeat) at least this
/// often by the process running it.
pub const HEARTBEAT_EVERY: Duration = Duration::from_millis(500);

/// A running job whose heartbeat is older than this is taken for dead and marked failed.
pub const JOB_LEASE: Duration = Duration::from_secs(30);

/// How often a serving process looks for dead jobs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Marks failed the jobs whose process died, on the current runtime: at once those left running
/// when no training holds the lock (nothing can be running them), then every [`SWEEP_EVERY`]
/// those whose heartbeat is older than [`JOB_LEASE`] (a replica that died while another trains).
pub fn start_upkeep(store: Store) {
    tokio::spawn(async move {
        match fail_orphans(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                jobs = n,
                "marked failed: jobs left running by a stopped process"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot check for jobs left running"),
        }
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        loop {
            tick.tick().await;
            let cutoff = Utc::now() - chrono::Duration::from_std(JOB_LEASE).unwrap_or_default();
            match store.fail_jobs_silent_since(cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(jobs = n, "marked failed: jobs whose heartbeat stopped"),
                Err(e) => tracing::debug!(error = %e, "job sweep skipped"),
            }
        }
    });
}

/// With the training lock free, no process is running a job: every job still marked running was
/// left so by a process that died.
async fn fail_orphans(store: &Store) -> Result<u64> {
    // The lock is taken only when there is something to clean up: it would turn away a training
    // started at this very moment.
    if store.unfinished_jobs().await? == 0 {
        return Ok(0);
    }
    let Some(lock) = store.try_training_lock().await? else {
        return Ok(0);
    };
    let n = store.fail_jobs_silent_since(Utc::now()).await;
    lock.release().await;
    Ok(n?)
}

/// What a failed job may tell its caller (no internals).
fn public_error(e: &ServiceError) -> String {
    match e {
        ServiceError::Store(inner) => {
            tracing::error!(error = ?inner, "training failed");
            "internal error; it has been logged".into()
        }
        ServiceError::Internal(inner) => {
            tracing::error!(error = ?inner, "training failed");
            "internal error; it has been logged".into()
        }
        other => other.to_string(),
    }
}
