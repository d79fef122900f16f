//! The accuracy ledger: stored forecasts scored against what closed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::domain::Period;

/// The group key under which a forecast's total is stored.
pub const TOTAL_GROUP: &str = "(total)";

/// One stored forecast: the total (group [`TOTAL_GROUP`]) or one group of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastSnapshot {
    pub period: Period,
    pub as_of: NaiveDate,
    pub group: String,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub mean: f64,
    /// The forecast's parts as JSON (see [`super::Parts`]), kept for the record.
    pub parts: serde_json::Value,
}

impl ForecastSnapshot {
    /// Whole weeks from as_of to the period's end, rounded up (0 once the period is over).
    pub fn weeks_before_end(&self) -> u32 {
        let days = (self.period.end() - self.as_of).num_days().max(0);
        ((days + 6) / 7) as u32
    }
}

impl super::Forecast {
    /// The snapshots to store in the accuracy ledger: the total (group [`TOTAL_GROUP`]) and
    /// every group, each with its parts.
    pub fn snapshots(&self) -> Vec<ForecastSnapshot> {
        let snap = |group: &str, q: &super::Quantiles, parts: &super::Parts| ForecastSnapshot {
            period: self.period,
            as_of: self.as_of,
            group: group.to_string(),
            p10: q.p10,
            p50: q.p50,
            p90: q.p90,
            mean: q.mean,
            parts: serde_json::to_value(parts).unwrap_or(serde_json::Value::Null),
        };
        let mut out = vec![snap(TOTAL_GROUP, &self.total, &self.parts)];
        out.extend(
            self.groups
                .iter()
                .map(|g| snap(&g.key, &g.quantiles, &g.parts)),
        );
        out
    }
}

/// Scores of a set of snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct AccuracyBucket {
    /// Weeks before the period's end; absent for the overall bucket.
    pub weeks_before_end: Option<u32>,
    pub count: usize,
    /// Mean |P50 - actual|.
    pub mean_abs_error: f64,
    /// Mean |P50 - actual| / actual over snapshots with a non-zero actual; absent if there are none.
    pub mean_abs_pct_error: Option<f64>,
    /// Mean (P50 - actual): positive means forecasts ran high.
    pub bias: f64,
    /// Share of snapshots with P10 <= actual <= P90 (0..=1; a calibrated forecast gives about 0.8).
    pub coverage: f64,
}

/// Scores overall and by weeks before the period's end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct AccuracyReport {
    pub overall: AccuracyBucket,
    pub by_weeks_before_end: Vec<AccuracyBucket>,
}

/// Scores snapshots of periods that are over against `actual(period, group)` (won amount).
/// The caller passes only snapshots whose period has closed.
pub fn score_snapshots(
    snapshots: &[ForecastSnapshot],
    actual: &dyn Fn(&Period, &str) -> f64,
) -> AccuracyReport {
    let scored: Vec<(u32, f64, &ForecastSnapshot)> = snapshots
        .iter()
        .map(|s| (s.weeks_before_end(), actual(&s.period, &s.group), s))
        .collect();
    let mut by_weeks: BTreeMap<u32, Vec<(f64, &ForecastSnapshot)>> = BTreeMap::new();
    for &(w, a, s) in &scored {
        by_weeks.entry(w).or_default().push((a, s));
    }
    let all: Vec<(f64, &ForecastSnapshot)> = scored.iter().map(|&(_, a, s)| (a, s)).collect();
    AccuracyReport {
        overall: bucket(None, &all),
        by_weeks_before_end: by_weeks.iter().map(|(w, v)| bucket(Some(*w), v)).collect(),
    }
}

fn bucket(weeks: Option<u32>, rows: &[(f64, &ForecastSnapshot)]) -> AccuracyBucket {
    let n = rows.len();
    if n == 0 {
        return AccuracyBucket {
            weeks_before_end: weeks,
            ..Default::default()
        };
    }
    let nf = n as f64;
    let pct: Vec<f64> = rows
        .iter()
        .filter(|(a, _)| *a != 0.0)
        .map(|(a, s)| (s.p50 - a).abs() / a.abs())
        .collect();
    AccuracyBucket {
        weeks_before_end: weeks,
        count: n,
        mean_abs_error: rows.iter().map(|(a, s)| (s.p50 - a).abs()).sum::<f64>() / nf,
        mean_abs_pct_error: (!pct.is_empty()).then(|| pct.iter().sum::<f64>() / pct.len() as f64),
        bias: rows.iter().map(|(a, s)| s.p50 - a).sum::<f64>() / nf,
        coverage: rows
            .iter()
            .filter(|(a, s)| s.p10 <= *a && *a <= s.p90)
            .count() as f64
            / nf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::testworld::day;

    fn snap(as_of: NaiveDate, group: &str, p: (f64, f64, f64)) -> ForecastSnapshot {
        ForecastSnapshot {
            period: Period::parse("2026-Q1").unwrap(),
            as_of,
            group: group.into(),
            p10: p.0,
            p50: p.1,
            p90: p.2,
            mean: p.1,
            parts: serde_json::json!({}),
        }
    }

    #[test]
    fn scores_error_bias_and_coverage_by_weeks_before_end() {
        let snaps = vec![
            snap(day(2026, 3, 18), "a", (80.0, 110.0, 130.0)), // 2 weeks before Apr 1, covers 100
            snap(day(2026, 3, 18), "b", (10.0, 20.0, 30.0)),   // misses 50
            snap(day(2026, 2, 4), "a", (50.0, 90.0, 99.0)),    // 8 weeks, misses 100
        ];
        let actual = |_: &Period, g: &str| if g == "a" { 100.0 } else { 50.0 };
        let r = score_snapshots(&snaps, &actual);
        assert_eq!(r.overall.count, 3);
        assert!((r.overall.coverage - 1.0 / 3.0).abs() < 1e-12);
        assert!((r.overall.bias - (10.0 - 30.0 - 10.0) / 3.0).abs() < 1e-12);
        let w: Vec<Option<u32>> = r
            .by_weeks_before_end
            .iter()
            .map(|b| b.weeks_before_end)
            .collect();
        assert_eq!(w, vec![Some(2), Some(8)]);
        assert!((r.by_weeks_before_end[0].mean_abs_error - 20.0).abs() < 1e-12);
        assert!((r.by_weeks_before_end[0].mean_abs_pct_error.unwrap() - 0.35).abs() < 1e-12);
    }

    #[test]
    fn snapshots_round_trip_through_json() {
        let s = snap(day(2026, 3, 1), TOTAL_GROUP, (1.0, 2.0, 3.0));
        let back: ForecastSnapshot =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
