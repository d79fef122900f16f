//! The funnel: stage-to-stage conversion and time in stage, along the learned stage order.

use super::report::{median, Kpi, KpiPart, Unit};
use super::scope::Scope;
use super::stages::{Path, StageOrder};
use super::Window;
use crate::domain::days_between;

/// `paths`: the scope's deals' paths ([`super::stages::paths`] of its events and deals).
pub(crate) fn kpis(s: &Scope, paths: &[Path], w: &Window) -> Vec<Kpi> {
    let order = &s.stage_order;
    let stats: Vec<StageStats> = order
        .stages
        .iter()
        .map(|st| stage_stats(paths, order, st, w))
        .collect();
    vec![conversion(paths, &stats, w), time_in_stage(&stats)]
}

#[derive(Default)]
struct StageStats {
    stage: String,
    entered: usize,
    advanced: usize,
    still_in_stage: usize,
    days: Vec<f64>,
}

/// Deals entering `stage` (their first entry) inside the window.
fn stage_stats(paths: &[Path], order: &StageOrder, stage: &str, w: &Window) -> StageStats {
    let rank = |s: &str| order.stages.iter().position(|x| x == s);
    let my_rank = rank(stage);
    let mut st = StageStats {
        stage: stage.to_string(),
        ..Default::default()
    };
    for p in paths {
        let Some(i) = p.steps.iter().position(|(s, _)| *s == stage) else {
            continue;
        };
        let entered = p.steps[i].1;
        if !w.contains(entered.date_naive()) {
            continue;
        }
        st.entered += 1;
        let won = p.opp.and_then(|o| o.won) == Some(true);
        let later = p.steps[i + 1..].iter().any(|(s, _)| rank(s) > my_rank);
        st.advanced += usize::from(won || later);
        let open = p.opp.is_none_or(|o| o.is_open());
        st.still_in_stage += usize::from(open && i + 1 == p.steps.len());
        let closed = p.opp.and_then(|o| o.closed_at.filter(|_| !o.is_open()));
        let exit = p.steps.get(i + 1).map(|x| x.1).or(closed.map(|c| c.get()));
        if let Some(exit) = exit.filter(|x| *x >= entered) {
            st.days.push(days_between(entered, exit));
        }
    }
    st
}

fn conversion(paths: &[Path], stats: &[StageStats], w: &Window) -> Kpi {
    let started: Vec<&Path> = paths
        .iter()
        .filter(|p| {
            p.steps
                .first()
                .is_some_and(|f| w.contains(f.1.date_naive()))
        })
        .collect();
    let won = started
        .iter()
        .filter(|p| p.opp.and_then(|o| o.won) == Some(true))
        .count();
    let parts = stats
        .iter()
        .map(|s| {
            let v = super::report::safe_div(s.advanced as f64, s.entered as f64);
            KpiPart::new(&s.stage, v, "no deal entered this stage in the window")
                .count("entered", s.entered as f64)
                .count("advanced", s.advanced as f64)
                .count("still_in_stage", s.still_in_stage as f64)
        })
        .collect();
    Kpi::new(
        "stage_conversion",
        Unit::Ratio,
        "per stage S: deals that entered S in the window and later entered a later stage or won / \
         deals that entered S in the window; overall: deals whose first stage event is in the window \
         that were won / those deals",
    )
    .count("numerator", won as f64)
    .count("denominator", started.len() as f64)
    .ratio(won as f64, started.len() as f64, "no deal entered the funnel in the window")
    .parts(parts)
}

fn time_in_stage(stats: &[StageStats]) -> Kpi {
    let pooled: Vec<f64> = stats.iter().flat_map(|s| s.days.iter().copied()).collect();
    let parts = stats
        .iter()
        .map(|s| {
            KpiPart::new(
                &s.stage,
                median(&s.days),
                "no deal entered and left this stage",
            )
            .count("n", s.days.len() as f64)
        })
        .collect();
    Kpi::new(
        "median_days_in_stage",
        Unit::Days,
        "per stage S: median days from entering S (in the window) to entering the next stage \
         (or closing); overall: the median over all stages' durations",
    )
    .count("n", pooled.len() as f64)
    .set(
        median(&pooled),
        "no deal entered and left a stage in the window",
    )
    .parts(parts)
}
