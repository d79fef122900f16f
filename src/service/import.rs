//! Importing a CRM export: rows already mapped from CSV are checked all together, then upserted.

use crate::domain::{
    Account, AccountSnapshot, ChurnEvent, Lead, Opportunity, Quota, Rep, Spend, StageEvent,
};
use crate::import::{check_rows, EntityRows, LineProblem};
use crate::store::{Store, UpsertCounts};

use super::{ingest, Result, ServiceError};

/// What an import wrote, per entity.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub entity: String,
    pub counts: UpsertCounts,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// Bad lines, every one of them, by 1-based line number and field.
    #[error("{} problem(s) in the file; nothing was imported", .0.len())]
    BadLines(Vec<LineProblem>),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Checks every mapped row of every entity first; writes only when all are valid.
pub async fn import_rows(
    store: &Store,
    batches: Vec<EntityRows>,
) -> Result<Vec<ImportOutcome>, ImportFailure> {
    let mut problems = Vec::new();
    for b in &batches {
        if let Err(p) = check_rows(b) {
            problems.extend(p);
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(ImportFailure::BadLines(problems));
    }
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let counts = ingest_path(store, &b.entity, b.values()).await?;
        out.push(ImportOutcome {
            entity: b.entity,
            counts,
        });
    }
    Ok(out)
}

/// Ingests rows for the entity named by its path (`stage-events`, ...).
pub async fn ingest_path(
    store: &Store,
    entity: &str,
    rows: Vec<serde_json::Value>,
) -> Result<UpsertCounts> {
    match entity {
        "accounts" => ingest::<Account>(store, rows).await,
        "leads" => ingest::<Lead>(store, rows).await,
        "opportunities" => ingest::<Opportunity>(store, rows).await,
        "stage-events" => ingest::<StageEvent>(store, rows).await,
        "reps" => ingest::<Rep>(store, rows).await,
        "quotas" => ingest::<Quota>(store, rows).await,
        "account-snapshots" => ingest::<AccountSnapshot>(store, rows).await,
        "churn-events" => ingest::<ChurnEvent>(store, rows).await,
        "spend" => ingest::<Spend>(store, rows).await,
        other => Err(ServiceError::bad_input(
            "entity",
            format!(
                "unknown entity `{other}`; use one of {}",
                ENTITIES.join(", ")
            ),
        )),
    }
}

/// Every entity path, as the API and the importer name them.
pub const ENTITIES: [&str; 9] = [
    "accounts",
    "leads",
    "opportunities",
    "stage-events",
    "reps",
    "quotas",
    "account-snapshots",
    "churn-events",
    "spend",
];
