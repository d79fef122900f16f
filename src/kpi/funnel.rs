//! The funnel: stage order learned from stage events, stage-to-stage conversion, time in stage.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::report::{median, Kpi, KpiPart, Unit};
use super::scope::Scope;
use crate::domain::days_between;
use super::Window;
use crate::domain::{Opportunity, StageEvent};

/// The stages learned from the history.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StageOrder {
    /// Funnel stages, earliest first.
    pub stages: Vec<String>,
    /// Stages only ever entered as the last step of closed deals sharing one outcome
    /// ("Closed Won", "Closed Lost"), sorted by name.
    pub terminal: Vec<String>,
}

/// One deal's path: its distinct consecutive stages with entry times, oldest first.
struct Path<'a> {
    opp: Option<&'a Opportunity>,
    steps: Vec<(&'a str, DateTime<Utc>)>,
}

fn paths<'a>(events: &[&'a StageEvent], opps: &[&'a Opportunity]) -> Vec<Path<'a>> {
    let by_id: HashMap<&str, &Opportunity> = opps.iter().map(|o| (o.id.as_str(), *o)).collect();
    let grouped: BTreeMap<&str, Vec<&StageEvent>> =
        StageEvent::by_deal(events.iter().copied(), |_| true)
            .into_iter()
            .collect();
    grouped
        .into_iter()
        .map(|(id, mut evs)| {
            evs.sort_by(|a, b| (a.entered_at, &a.stage).cmp(&(b.entered_at, &b.stage)));
            let mut steps: Vec<(&str, DateTime<Utc>)> = Vec::new();
            for e in evs {
                if steps.last().is_none_or(|(s, _)| *s != e.stage) {
                    steps.push((e.stage.as_str(), e.entered_at.get()));
                }
            }
            Path {
                opp: by_id.get(id).copied(),
                steps,
            }
        })
        .collect()
}

/// Learns the stage order: a stage comes before another when more deals entered it first
/// (stages ranked by how many others they precede by majority, ties by earliest mean position,
/// then by name). Deterministic for the same events.
pub fn learn_stage_order(events: &[StageEvent], opps: &[Opportunity]) -> StageOrder {
    let events: Vec<&StageEvent> = events.iter().collect();
    let opps: Vec<&Opportunity> = opps.iter().collect();
    order_of(&paths(&events, &opps))
}

fn terminal_stages(paths: &[Path]) -> Vec<String> {
    // (entered while open or not last, outcomes seen)
    let mut seen: BTreeMap<&str, (bool, [bool; 2])> = BTreeMap::new();
    for p in paths {
        let outcome = p.opp.and_then(|o| o.won);
        for (i, (stage, _)) in p.steps.iter().enumerate() {
            let e = seen.entry(stage).or_default();
            match outcome {
                Some(won) if i + 1 == p.steps.len() => e.1[usize::from(won)] = true,
                _ => e.0 = true,
            }
        }
    }
    seen.into_iter()
        .filter(|(_, (disqualified, out))| !disqualified && out[0] != out[1])
        .map(|(s, _)| s.to_string())
        .collect()
}

fn order_of(paths: &[Path]) -> StageOrder {
    let terminal = terminal_stages(paths);
    let mut before: HashMap<(&str, &str), u32> = HashMap::new();
    let mut positions: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for p in paths {
        let mut firsts: Vec<&str> = Vec::new();
        for (s, _) in &p.steps {
            if !terminal.iter().any(|t| t == s) && !firsts.contains(s) {
                firsts.push(s);
            }
        }
        for (i, a) in firsts.iter().enumerate() {
            positions.entry(a).or_default().push(i as f64);
            for b in &firsts[i + 1..] {
                *before.entry((a, b)).or_default() += 1;
            }
        }
    }
    let count = |a: &str, b: &str| before.get(&(a, b)).copied().unwrap_or(0);
    let names: Vec<&str> = positions.keys().copied().collect();
    let mut ranked: Vec<(usize, f64, &str)> = names
        .iter()
        .map(|a| {
            let wins = names.iter().filter(|b| count(a, b) > count(b, a)).count();
            let pos = &positions[a];
            (wins, pos.iter().sum::<f64>() / pos.len() as f64, *a)
        })
        .collect();
    ranked.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.total_cmp(&y.1)).then(x.2.cmp(y.2)));
    StageOrder {
        stages: ranked.into_iter().map(|r| r.2.to_string()).collect(),
        terminal,
    }
}

pub(crate) fn kpis(s: &Scope, w: &Window) -> Vec<Kpi> {
    let paths = paths(&s.events, &s.opps);
    let order = &s.stage_order;
    let stats: Vec<StageStats> = order
        .stages
        .iter()
        .map(|st| stage_stats(&paths, order, st, w))
        .collect();
    vec![conversion(&paths, &stats, w), time_in_stage(&stats)]
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::learn_stage_order;
    use crate::kpi::tests::fixture::rows;

    #[rustfmt::skip]
    #[test]
    fn the_majority_order_wins_over_names_and_noise() {
        // True order Discovery < Demo < Contract (the reverse of alphabetical); O3 goes back once,
        // O4 is entered out of order. Contract is not terminal: O2 is still open in it.
        let steps = [
            ("O1", "Discovery", "2026-01-01"), ("O1", "Demo", "2026-01-05"), ("O1", "Contract", "2026-01-09"),
            ("O2", "Discovery", "2026-01-02"), ("O2", "Demo", "2026-01-03"), ("O2", "Contract", "2026-01-04"),
            ("O3", "Discovery", "2026-01-01"), ("O3", "Demo", "2026-01-02"), ("O3", "Discovery", "2026-01-03"),
            ("O4", "Demo", "2026-01-01"), ("O4", "Discovery", "2026-01-02"),
        ];
        let events = rows(json!(steps
            .iter()
            .map(|(o, s, t)| json!({"opportunity_id": o, "stage": s, "entered_at": t}))
            .collect::<Vec<_>>()));
        let opps = rows(json!([
            {"id": "O1", "stage": "Won", "won": true, "closed_at": "2026-01-10"},
            {"id": "O2", "stage": "Contract"},
        ]));
        let order = learn_stage_order(&events, &opps);
        assert_eq!(order.stages, ["Discovery", "Demo", "Contract"]);
        assert!(order.terminal.is_empty(), "{:?}", order.terminal);
    }
}
