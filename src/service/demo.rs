//! Loading the synthetic demo world into a store.

use chrono::NaiveDate;

use super::Result;
use crate::store::Store;
use crate::synth::{generate, SynthSettings};

/// Generates the synthetic world for `seed` ending on `as_of`, and upserts every entity.
/// Returns a one-line summary of what was loaded.
pub async fn load_demo_world(store: &Store, seed: Option<u64>, as_of: NaiveDate) -> Result<String> {
    let defaults = SynthSettings::default();
    let seed = seed.unwrap_or(defaults.seed);
    let settings = SynthSettings { seed, ..defaults };
    let w = generate(&settings, as_of);
    store.upsert(&w.reps).await?;
    store.upsert(&w.quotas).await?;
    store.upsert(&w.accounts).await?;
    store.upsert(&w.leads).await?;
    store.upsert(&w.opportunities).await?;
    store.upsert(&w.stage_events).await?;
    // The deals' past as the CRM recorded it, each change at its own moment, so that a forecast
    // or backtest as of a past day sees the amounts, dates and owners of that day.
    store.backfill_deal_changes(&w.deal_changes).await?;
    store.upsert(&w.snapshots).await?;
    store.upsert(&w.churn_events).await?;
    store.upsert(&w.spend).await?;
    Ok(format!(
        "synthetic world (seed {seed}, as of {as_of}): {} reps, {} quotas, {} accounts, {} leads, \
         {} opportunities ({} changes), {} stage events, {} account snapshots, {} churn events, {} spend rows",
        w.reps.len(),
        w.quotas.len(),
        w.accounts.len(),
        w.leads.len(),
        w.opportunities.len(),
        w.deal_changes.len(),
        w.stage_events.len(),
        w.snapshots.len(),
        w.churn_events.len(),
        w.spend.len()
    ))
}

/// Scores every list the demo serves (open leads, open deals, the churn-risk book) with the
/// active models, so that none is empty when the demo prints its URL; returns the counts.
pub async fn score_demo_lists(
    store: &Store,
    registry: &crate::service::models::ModelRegistry,
) -> Result<Vec<(crate::ml::ModelKind, usize)>> {
    let mut counts = Vec::new();
    for kind in [
        crate::ml::ModelKind::Lead,
        crate::ml::ModelKind::Win,
        crate::ml::ModelKind::Churn,
    ] {
        counts.push((
            kind,
            crate::service::models::refresh_scores(store, registry, kind).await?,
        ));
    }
    Ok(counts)
}
