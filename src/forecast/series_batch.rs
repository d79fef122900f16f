//! Forecasting many independent series at once, spread over the cores.
//!
//! Each series is forecast by [`forecast_series`] exactly as it would be alone: the batch only
//! decides which thread does which series, so the results equal one-at-a-time forecasts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use super::{forecast_series, ForecastError, SeriesForecast};

/// One series of a batch: its values in time order and its season length, if any.
#[derive(Debug, Clone, Copy)]
pub struct SeriesJob<'a> {
    pub values: &'a [f64],
    pub season: Option<usize>,
}

/// Forecasts `horizon` steps after every series, in the input's order, on up to `threads`
/// threads (at least 1). Threads take the next series from a shared counter, so a few long
/// series do not leave the other threads idle.
pub fn forecast_many(
    jobs: &[SeriesJob<'_>],
    horizon: usize,
    threads: usize,
) -> Vec<Result<SeriesForecast, ForecastError>> {
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 {
        return jobs.iter().map(|j| one(j, horizon)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<SeriesForecast, ForecastError>)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        mine.push((i, one(job, horizon)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a series thread panicked"))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

fn one(job: &SeriesJob<'_>, horizon: usize) -> Result<SeriesForecast, ForecastError> {
    forecast_series(job.values, horizon, job.season)
}

/// The cores this process may use (1 when the OS will not say).
pub fn available_threads() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(k: usize) -> Vec<f64> {
        (0..40 + k)
            .map(|i| 100.0 + (k * i) as f64 * 0.7 + ((i % 4) as f64) * (k as f64 + 3.0))
            .collect()
    }

    #[test]
    fn a_batch_on_several_threads_equals_each_series_forecast_alone_in_order() {
        let data: Vec<Vec<f64>> = (0..9).map(series).collect();
        let mut jobs: Vec<SeriesJob> = data
            .iter()
            .map(|v| SeriesJob {
                values: v,
                season: Some(4),
            })
            .collect();
        let short = [1.0, 2.0];
        jobs.insert(
            3,
            SeriesJob {
                values: &short,
                season: None,
            },
        );
        let many = forecast_many(&jobs, 6, 3);
        assert_eq!(many.len(), jobs.len());
        for (job, got) in jobs.iter().zip(&many) {
            assert_eq!(*got, forecast_series(job.values, 6, job.season));
        }
        assert!(matches!(
            many[3],
            Err(ForecastError::SeriesTooShort { got: 2, .. })
        ));
        assert!(forecast_many(&[], 6, 2).is_empty());
    }
}
