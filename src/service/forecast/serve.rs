//! Serving a period forecast: check the request, rebuild the pipeline as of the day, take P(win)
//! from the active win model (or the stage win rates), simulate, and store the snapshots.

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use utoipa::ToSchema;

use super::data::{parse_period, resolve_as_of, Crm};
use super::{forecast_error, FORECAST_SEED};
use crate::domain::{Opportunity, StageEvent};
use crate::forecast::{
    self, Forecast, ForecastInput, GroupBy, StageWinRates, WinModel, DEFAULT_SIMULATIONS,
};
use crate::ml::{ModelKind, OwnerHistory};
use crate::service::models::scoring::own_events;
use crate::service::models::ModelRegistry;
use crate::service::{Result, ServiceError};
use crate::store::{SnapshotRow, Store};

/// Most simulations one request may ask for (the pure limit is higher; this keeps a request's
/// memory and time bounded on a shared server).
pub const MAX_API_SIMULATIONS: usize = 100_000;

/// A forecast request as the caller states it.
#[derive(Debug, Clone, Default)]
pub struct ForecastQuery {
    /// `2026-11`, `2026-Q4` or `2026`.
    pub period: String,
    /// YYYY-MM-DD; default the last day with data (or today, if earlier).
    pub as_of: Option<String>,
    pub group_by: Option<GroupBy>,
    /// 1..=[`MAX_API_SIMULATIONS`], default 10,000.
    pub simulations: Option<usize>,
}

/// Where the open deals' P(win) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PWinSource {
    /// The active win model.
    WinModel,
    /// The historical win rate of each deal's stage, from deals closed by as_of: when no win model
    /// is active, or when it learned from deals after as_of (`p_win_note` says so).
    StageWinRates,
}

/// A forecast as served, with where its win probabilities came from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ForecastResponse {
    pub p_win_source: PWinSource,
    /// The win model version used, when `p_win_source` is `win_model`.
    pub win_model_version: Option<String>,
    /// Why the active win model was not used, when it was not.
    pub p_win_note: Option<String>,
    /// The last day with data (creation, close or stage event); as_of may not be later.
    pub data_end: NaiveDate,
    /// The forecast: `total` and each group's `quantiles` (p10 <= p50 <= p90, mean; the groups'
    /// means add up to the total's), `parts` (closed, open_pipeline with count, amount,
    /// crm_weighted and expected, not_yet_created, categories), `run_rate`, top `deals`.
    pub forecast: Forecast,
}

fn check_simulations(n: Option<usize>) -> Result<usize> {
    match n.unwrap_or(DEFAULT_SIMULATIONS) {
        n @ 1..=MAX_API_SIMULATIONS => Ok(n),
        n => Err(ServiceError::bad_input(
            "simulations",
            format!("must be between 1 and {MAX_API_SIMULATIONS}, got {n}"),
        )),
    }
}

/// P(win) of each open deal from the active win model, scored as of the end of `as_of` with the
/// owners' records before then.
/// The win model version and each open deal's P(win) by id.
type ModelPWin = (String, HashMap<String, f64>);

/// Each open deal's P(win) from the active win model, `Ok(None)` without one. A model that
/// learned from an outcome not yet known on `as_of` (a training deal that closed after it, even
/// if it was created before) knows what a forecast made on `as_of` could not have known: it is
/// refused with the reason, and the stage win rates as of `as_of` are used instead (as in the
/// backtest). `crm` is the whole stored copy, to see when the training deals closed.
fn model_p_win(
    registry: &ModelRegistry,
    crm: &Crm,
    opps: &[Opportunity],
    events: &[StageEvent],
    as_of: NaiveDate,
) -> std::result::Result<Option<ModelPWin>, String> {
    let Some(m) = registry.active(ModelKind::Win) else {
        return Ok(None);
    };
    let d = &m.model.data;
    let rows_until = [d.train.last, d.calibrate.last, d.validate.last]
        .into_iter()
        .flatten()
        .max()
        .map(|t| t.date_naive());
    let known_until =
        rows_until.and_then(|r| forecast::outcomes_learned_until(&crm.opps, &crm.events, r));
    if let Some(last) = known_until.filter(|day| *day > as_of) {
        return Err(format!(
            "the active win model {} learned from outcomes known only on {last} (deals created \
             by {} and closed up to {last}), after as_of {as_of}; the stage win rates as of \
             {as_of} are used instead",
            m.version,
            rows_until.unwrap_or(last),
        ));
    }
    let history = OwnerHistory::from_opportunities(opps);
    let Some(at) = as_of.and_hms_opt(23, 59, 59).map(|t| t.and_utc()) else {
        return Ok(None);
    };
    let by_deal = StageEvent::by_deal(events, |_| true);
    let open: Vec<&Opportunity> = opps.iter().filter(|o| o.is_open()).collect();
    let rows: Vec<_> = open
        .iter()
        .map(|o| {
            m.model
                .opportunity_row(o, &own_events(&by_deal, o), &history, at)
        })
        .collect();
    let p = m.model.predict(&rows);
    let map = open.iter().map(|o| o.id.to_string()).zip(p).collect();
    Ok(Some((m.version.clone(), map)))
}

/// Forecasts the period, stores the total and every group in the accuracy ledger, and returns it.
///
/// A forecast is deterministic (fixed seed) in its data, its query and the active win model, so
/// it is kept in memory while none of them changes (the tables of the CRM copy, see
/// [`Store::memoized_on`]) and served again at once; the ledger has it from the first time.
pub async fn forecast(
    store: &Store,
    registry: &ModelRegistry,
    q: &ForecastQuery,
) -> Result<ForecastResponse> {
    let period = parse_period("period", &q.period)?;
    let group_by = q.group_by;
    let simulations = check_simulations(q.simulations)?;
    let crm = Crm::load(store).await?;
    let as_of = resolve_as_of(q.as_of.as_deref(), crm.data_end)?;
    let model = registry
        .active(ModelKind::Win)
        .map(|m| m.version.clone())
        .unwrap_or_default();
    let key = format!("{period}|{as_of}|{group_by:?}|{simulations}|{model}");
    let served = store
        .memoized_on(Crm::TABLES, key, || {
            compute_and_record(store, registry, crm, period, as_of, group_by, simulations)
        })
        .await?;
    Ok(ForecastResponse::clone(&served))
}

async fn compute_and_record(
    store: &Store,
    registry: &ModelRegistry,
    crm: Arc<Crm>,
    period: crate::domain::Period,
    as_of: NaiveDate,
    group_by: Option<GroupBy>,
    simulations: usize,
) -> Result<ForecastResponse> {
    let (opps, events) =
        forecast::as_it_stood(&crm.opps, &crm.events, &crm.changes, crm.data_end, as_of);
    let (model, p_win_note) = match model_p_win(registry, &crm, &opps, &events, as_of) {
        Ok(m) => (m, None),
        Err(note) => (None, Some(note)),
    };
    let data_end = crm.data_end;
    let input = Owned {
        period,
        as_of,
        opps,
        events,
        changes: crm.changes.clone(),
        reps: crm.reps.clone(),
        group_by,
        simulations,
    };
    let (p_win_source, win_model_version, fc) =
        tokio::task::spawn_blocking(move || compute(&input, model))
            .await
            .map_err(|e| ServiceError::internal(format!("the forecast did not finish: {e}")))?;
    let fc = fc.map_err(forecast_error)?;
    store.save_snapshots(&snapshot_rows(&fc)).await?;
    Ok(ForecastResponse {
        p_win_source,
        win_model_version,
        p_win_note,
        data_end,
        forecast: fc,
    })
}

/// A forecast's input, owned so that it can move to a blocking thread.
struct Owned {
    period: crate::domain::Period,
    as_of: NaiveDate,
    opps: Vec<Opportunity>,
    events: Vec<StageEvent>,
    changes: Arc<Vec<crate::domain::DealChange>>,
    reps: Arc<Vec<crate::domain::Rep>>,
    group_by: Option<GroupBy>,
    simulations: usize,
}

type Computed = (
    PWinSource,
    Option<String>,
    std::result::Result<Forecast, forecast::ForecastError>,
);

/// The past forecasts replayed by the calibrations of this process, kept across writes (a sync
/// changes today's records, not a past day's; each replay is kept under a fingerprint of the data
/// as it stood on its day, see [`forecast::Replays`]). Their `p_win_for` is always the stage win
/// rates known on the day, so every forecast of the process may share them.
static REPLAYS: LazyLock<forecast::Replays> = LazyLock::new(forecast::Replays::default);

/// Runs the forecast with the model's P(win) (falling back to the stage rate for a deal it did
/// not score) or with the stage win rates alone.
fn compute(o: &Owned, model: Option<ModelPWin>) -> Computed {
    let rates = StageWinRates::learn(&o.opps, &o.events, o.as_of);
    let input = ForecastInput {
        period: o.period,
        as_of: o.as_of,
        opportunities: &o.opps,
        events: &o.events,
        changes: &o.changes,
        reps: &o.reps,
        group_by: o.group_by,
        simulations: o.simulations,
        seed: FORECAST_SEED,
    };
    let (source, version, f) = match model {
        Some((version, p)) => {
            let p_win = |d: &Opportunity| {
                p.get(d.id.as_str())
                    .copied()
                    .unwrap_or_else(|| rates.rate(&d.stage))
            };
            let f = forecast::forecast(&input, &p_win);
            (PWinSource::WinModel, Some(version), f)
        }
        None => {
            let p_win = |d: &Opportunity| rates.rate(&d.stage);
            let f = forecast::forecast(&input, &p_win);
            (PWinSource::StageWinRates, None, f)
        }
    };
    // The replays of past periods cannot use the win model (it learned their outcomes): they
    // use the stage win rates known on each replayed day, as the backtest does.
    let stage_rates_on = |day: NaiveDate| -> WinModel {
        let r = StageWinRates::learn(&o.opps, &o.events, day);
        Box::new(move |d: &Opportunity| r.rate(&d.stage))
    };
    let f = f.and_then(|mut f| {
        forecast::calibrate(&mut f, &input, &stage_rates_on, Some(&REPLAYS)).map(|()| f)
    });
    (source, version, f)
}

/// The ledger rows of a forecast: the total under grouping `""`, each group under its grouping.
fn snapshot_rows(fc: &Forecast) -> Vec<SnapshotRow> {
    let now = Utc::now();
    let by = fc.group_by.map(|g| g.to_string()).unwrap_or_default();
    fc.snapshots()
        .into_iter()
        .enumerate()
        .map(|(i, snapshot)| SnapshotRow {
            group_by: if i == 0 { String::new() } else { by.clone() },
            snapshot,
            created_at: now,
        })
        .collect()
}
