//! Revenue forecast for a period: closed to date, open pipeline, pipeline not yet created,
//! a run-rate check, and P10/P50/P90 for the total and every group from one seeded Monte Carlo.
//!
//! Pure logic: the caller passes the opportunities, their stage history and the reps in memory,
//! and a win-probability function (the win model lives in `ml`). See DESIGN.md, "Forecast".

mod accuracy;
mod backtest;
mod calibrate;
mod deals;
mod engine;
mod fastln;
mod flow;
mod groups;
mod lanes;
mod leakguard;
mod montecarlo;
mod newdeals;
mod pipeline;
mod rng;
mod runrate;
mod series;
mod series_batch;
mod series_ets;
mod series_ets_form;
mod series_ets_recursion;
#[cfg(test)]
mod series_eval;
mod series_models;
mod series_nelder_mead;
mod series_path;
mod series_theta;
mod simdeals;
mod spread;
mod stages;
mod survival;
mod timing;
mod types;
mod waterfall;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testworld;

pub use accuracy::{
    score_snapshots, AccuracyBucket, AccuracyReport, ForecastSnapshot, TOTAL_GROUP,
};
pub use backtest::{backtest, BacktestReport, BacktestRow, BacktestSummary, WinModel};
pub use calibrate::{calibrate, Calibration, PWinFor, Replays, MIN_PAST_FORECASTS};
pub use engine::forecast;
pub use groups::{group_key, won_in, LedgerGrouping, NO_KEY};
pub use leakguard::outcomes_learned_until;
pub use pipeline::{as_it_stood, data_start, pipeline_as_of, UNKNOWN_STAGE};
pub use series::{forecast_series, SeriesForecast};
pub use series::{MAX_HORIZON, MIN_SERIES_LEN};
pub use series_batch::{available_threads, forecast_many, SeriesJob};
pub use stages::StageWinRates;
pub use types::{
    Categories, DealContribution, Forecast, ForecastInput, GroupBy, GroupForecast, MonthForecast,
    NotYetCreated, OpenPipeline, Parts, Quantiles, RunRate,
};
pub use waterfall::{pipeline_changes, Step, StepDeal, Waterfall};

use crate::domain::Period;
use chrono::NaiveDate;

/// Default number of Monte Carlo simulations.
pub const DEFAULT_SIMULATIONS: usize = 10_000;
/// Most simulations accepted in one forecast (memory grows with simulations x groups).
pub const MAX_SIMULATIONS: usize = 1_000_000;

/// Why a forecast could not be made; each message says what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    #[error("simulations must be between 1 and {max}, got {got}")]
    Simulations { got: usize, max: usize },
    #[error(
        "no history: none of the {opportunities} opportunities {} on or before {as_of}; the \
         forecast learns win rates and close timing from won and lost deals, so load the closed \
         history first",
        if *closed == 0 { "closed".to_string() } else { format!("was won ({closed} closed, all lost)") }
    )]
    NoHistory {
        opportunities: usize,
        closed: usize,
        as_of: NaiveDate,
    },
    #[error(
        "period {period} starts more than {max_periods} periods after as_of {as_of}: \
         too far ahead to forecast from the pipeline"
    )]
    TooFarAhead {
        period: Period,
        as_of: NaiveDate,
        max_periods: u32,
    },
    #[error(
        "win probability for opportunity `{id}` is {value}: it must be a number between 0 and 1"
    )]
    BadProbability { id: String, value: f64 },
    #[error(
        "group_by {group_by}: none of the {deals} opportunities has a {group_by} \
         (load the reps with their team and region, or set product on the opportunities)"
    )]
    EmptyGroups { group_by: GroupBy, deals: usize },
    #[error("the series has {got} values; at least {need} are needed")]
    SeriesTooShort { got: usize, need: usize },
    #[error("series value at index {index} is {value}: every value must be a finite number")]
    NonFinite { index: usize, value: f64 },
    #[error("horizon must be between 1 and {max}, got {got}")]
    Horizon { got: usize, max: usize },
    #[error("the time-series model could not be fitted: {0}")]
    Model(String),
}
