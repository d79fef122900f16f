//! The KPIs of several consecutive quarters in one call (the web app's trends): each quarter's
//! report is exactly `GET /v1/kpis?period=<quarter>&group_by=<grouping>`, from one load of the
//! stored records.

use super::kpis::{parse_query, KpiQuery, KpiRecords};
use super::{Result, ServiceError};
use crate::domain::Period;
use crate::kpi::{self, KpiGroup, KpiReport};
use crate::store::Store;

/// The most quarters one call computes (two years).
pub const MAX_QUARTERS: usize = 8;

/// The KPI reports of the `count` quarters ending with `last`'s quarter, oldest first.
pub async fn kpis_by_quarter(
    store: &Store,
    last: Period,
    count: usize,
    group_by: Option<KpiGroup>,
) -> Result<Vec<KpiReport>> {
    if !(1..=MAX_QUARTERS).contains(&count) {
        return Err(ServiceError::bad_input(
            "quarters",
            format!("ask for 1 to {MAX_QUARTERS} quarters, not {count}"),
        ));
    }
    let windows = quarters_ending(last, count)
        .into_iter()
        .map(|p| {
            parse_query(&KpiQuery {
                period: Some(p.to_string()),
                group_by,
                ..KpiQuery::default()
            })
            .map(|(window, _)| window)
        })
        .collect::<Result<Vec<_>>>()?;
    // The reports are kept while their tables are unchanged: the web app's pipeline and KPI
    // pages ask for the same eight quarters on every visit.
    let key = format!("{last}|{count}|{group_by:?}");
    let reports = store
        .memoized_on(KpiRecords::TABLES, key, || async {
            let stored = KpiRecords::load(store).await?;
            let data = stored.data();
            Ok::<_, ServiceError>(kpi::compute_each(&data, &windows, group_by))
        })
        .await?;
    Ok(Vec::clone(&reports))
}

/// The `count` quarters ending with the quarter that holds `last`'s start, oldest first.
pub fn quarters_ending(last: Period, count: usize) -> Vec<Period> {
    let mut q = Period::quarter_of(last.start());
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(q);
        q = q.previous();
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_quarters_end_with_the_given_one_and_cross_the_year() {
        let q = quarters_ending(Period::parse("2026-Q2").unwrap(), 8);
        let names: Vec<String> = q.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            names,
            [
                "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1",
                "2026-Q2"
            ]
        );
        let from_month = quarters_ending(Period::parse("2026-11").unwrap(), 1);
        assert_eq!(from_month[0].to_string(), "2026-Q4");
    }
}
