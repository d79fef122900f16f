//! The forecast's input and output types.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::domain::{DealChange, Opportunity, Period, Rep, StageEvent};

/// How to break the forecast down. Deals without the key fall in the group `(none)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// The opportunity's owner id.
    Owner,
    /// The owner's team (from the reps).
    Team,
    /// The owner's region (from the reps).
    Region,
    /// The opportunity's product.
    Product,
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupBy::Owner => "owner",
            GroupBy::Team => "team",
            GroupBy::Region => "region",
            GroupBy::Product => "product",
        })
    }
}

/// Everything a forecast reads. The opportunities and events must be as they stood on `as_of`
/// (use [`super::pipeline_as_of`] to rebuild a past date); only deals closed on or before
/// `as_of` and events entered on or before it are learned from.
#[derive(Debug, Clone, Copy)]
pub struct ForecastInput<'a> {
    /// The period forecast: a month, quarter or year. A period already over returns its actuals.
    pub period: Period,
    /// The day the forecast is made; closed deals up to and including it count as booked.
    pub as_of: NaiveDate,
    pub opportunities: &'a [Opportunity],
    pub events: &'a [StageEvent],
    /// The deals' recorded changes (see [`crate::domain::DealChange`]); may be empty.
    pub changes: &'a [DealChange],
    /// Used for team and region grouping; may be empty for other groupings.
    pub reps: &'a [Rep],
    pub group_by: Option<GroupBy>,
    /// Monte Carlo draws, 1..=[`super::MAX_SIMULATIONS`]; [`super::DEFAULT_SIMULATIONS`] is a good default.
    pub simulations: usize,
    /// The same seed and data always give the same forecast.
    pub seed: u64,
}

/// A distribution summary in the company's currency. Invariant: p10 <= p50 <= p90.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Quantiles {
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub mean: f64,
}

/// The open pipeline at as_of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct OpenPipeline {
    /// Open deals (all of them, whatever their expected close date).
    pub count: usize,
    /// Their summed amount.
    pub amount: f64,
    /// Sum over open deals whose expected close date falls in the period of amount x the CRM weight
    /// (forecast category commit 0.9, best case 0.6, pipeline 0.25, omitted 0; without a category,
    /// the historical win rate of the deal's stage).
    pub crm_weighted: f64,
    /// Sum over open deals of amount x P(win) x P(closes inside the period).
    pub expected: f64,
}

/// Deals not yet created that will be created and won inside the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NotYetCreated {
    /// Expected amount (deals per period x mean amount).
    pub expected: f64,
    /// Count of such deals expected: their mean count in the comparable window of past periods,
    /// times `flow_count_factor`.
    pub deals_per_period: f64,
    /// Mean amount of those deals, times `flow_amount_factor`.
    pub mean_amount: f64,
    /// How many past periods this was learned from (0: no such history, the part is 0).
    pub periods_seen: usize,
    /// The flow of new deals (deals created per month) forecast for the period's months over
    /// its mean in those past periods: the season and the trend (1: not used).
    #[serde(default = "one")]
    pub flow_count_factor: f64,
    /// The same for the amount of new deals, per deal (1: not used).
    #[serde(default = "one")]
    pub flow_amount_factor: f64,
    /// The series methods that forecast the flow; absent without a year of monthly history.
    #[serde(default)]
    pub flow_method: Option<String>,
}

fn one() -> f64 {
    1.0
}

impl Default for NotYetCreated {
    fn default() -> Self {
        NotYetCreated {
            expected: 0.0,
            deals_per_period: 0.0,
            mean_amount: 0.0,
            periods_seen: 0,
            flow_count_factor: 1.0,
            flow_amount_factor: 1.0,
            flow_method: None,
        }
    }
}

/// The CRM's own forecast categories, summed over open deals expected to close in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Categories {
    pub commit: f64,
    pub best_case: f64,
    pub pipeline: f64,
}

/// The forecast's parts, for the total or one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Parts {
    /// Won amount booked inside the period up to and including as_of.
    pub closed: f64,
    pub open_pipeline: OpenPipeline,
    pub not_yet_created: NotYetCreated,
    pub categories: Categories,
}

/// One group's forecast, from the same simulations as the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupForecast {
    pub key: String,
    pub quantiles: Quantiles,
    pub parts: Parts,
}

/// One open deal's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DealContribution {
    pub id: String,
    pub owner_id: Option<String>,
    pub stage: String,
    pub amount: f64,
    /// From the caller's win model, faded by the deal's age: its odds moved by how much less
    /// often deals still open that long (in that stage) went on to win, 0..=1.
    pub p_win: f64,
    /// From the close-timing model, 0..=1: closes inside the period if it is won.
    pub p_in_period: f64,
    /// amount x p_win x p_in_period.
    pub expected: f64,
}

/// One month of the run-rate check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MonthForecast {
    #[schema(value_type = String, example = "2026-11")]
    pub month: Period,
    /// Booked amount of a month already over; absent for months forecast.
    pub actual: Option<f64>,
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
}

/// A time-series forecast of monthly bookings, as a check on the pipeline-based forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunRate {
    /// The series method chosen: one model or the names of the combined ones, joined by `+`.
    pub method: String,
    pub months: Vec<MonthForecast>,
    /// Actual bookings of the period's finished months plus the point forecasts of the others.
    pub period_total: f64,
}

/// A revenue forecast for one period as of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Forecast {
    #[schema(value_type = String, example = "2026-Q4")]
    pub period: Period,
    pub as_of: NaiveDate,
    pub simulations: usize,
    pub seed: u64,
    /// Closed + open pipeline + not yet created, as a distribution.
    pub total: Quantiles,
    pub parts: Parts,
    /// Absent when the bookings history is too short; `run_rate_note` says why.
    pub run_rate: Option<RunRate>,
    pub run_rate_note: Option<String>,
    pub group_by: Option<GroupBy>,
    /// Sorted by key; the groups' means add up to the total's mean.
    pub groups: Vec<GroupForecast>,
    /// The open deals contributing most (by expected value), at most 50.
    pub deals: Vec<DealContribution>,
    /// How open deals with no date at all (no creation, close or stage event) were counted:
    /// open since the data's first day, on every as-of day. Absent when there are none.
    #[serde(default)]
    pub undated_note: Option<String>,
    /// How P10..P90 of the total and the groups were calibrated on past forecasts' errors;
    /// absent when the range is the simulated one (a period already over, or not asked for).
    #[serde(default)]
    pub calibration: Option<super::calibrate::Calibration>,
}
