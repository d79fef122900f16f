//! What every series method returns: a point forecast and its 80% interval. Its own module, so
//! the methods (`series_models`, `series_theta`, `series_ets`) and the engine (`series`) all use
//! it without importing one another.

/// z for a central 80% interval (P10..P90) of a normal distribution.
pub(crate) const Z80: f64 = 1.281_551_565_545;

/// A method's forecast: point, P10, P90, each `horizon` long.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    pub point: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}
