//! Forecast use cases over the stored CRM copy: the period forecast (stored in the accuracy
//! ledger), the ledger's scores, backtests, and forecasting a series from a CSV file.

mod accuracy;
mod backtest;
mod changes;
mod data;
mod series;
mod series_batch;
mod series_long;
mod serve;

pub use crate::forecast::{group_key, won_in};
pub use accuracy::{accuracy, AccuracyResponse};
pub use backtest::{
    backtest, backtest_and_record, recorded_backtests, BacktestOutcome, BacktestQuery,
    RecordedBacktest,
};
pub use changes::{deal_history, pipeline_changes, ChangesQuery, DealHistory, PipelineChanges};
pub use series::{series_from_csv, SeriesOutcome, SeriesPoint};
pub use series_batch::{
    forecast_batch, forecast_series_body, write_batch_csv, BatchPoint, SeriesBatch, SeriesResult,
};
pub use series_long::{
    is_long_header, read_long_csv, LongSeries, SeriesBatchRequest, SeriesIn, Times, MAX_SERIES,
    MAX_VALUES,
};
pub use serve::{forecast, ForecastQuery, ForecastResponse, PWinSource, MAX_API_SIMULATIONS};

pub(crate) use data::{parse_day, Crm};

use super::ServiceError;
use crate::forecast::ForecastError;

/// Seed of every forecast served: the same data always gives the same forecast.
pub const FORECAST_SEED: u64 = 20_261_123;

/// A forecast error as the caller's mistake, naming the parameter to change.
pub(crate) fn forecast_error(e: ForecastError) -> ServiceError {
    let field = match &e {
        ForecastError::Simulations { .. } => "simulations",
        ForecastError::NoHistory { .. } => "as_of",
        ForecastError::TooFarAhead { .. } => "period",
        ForecastError::EmptyGroups { .. } => "group_by",
        ForecastError::SeriesTooShort { .. }
        | ForecastError::NonFinite { .. }
        | ForecastError::Model(_) => "series",
        ForecastError::Horizon { .. } => "horizon",
        // A win model giving a value outside 0..=1 is a defect of the model, not of the request.
        ForecastError::BadProbability { .. } => {
            return ServiceError::internal(format!("the active win model is unusable: {e}"))
        }
    };
    ServiceError::bad_input(field, e.to_string())
}
