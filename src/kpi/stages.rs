//! The stage order, learned from the stage events: each deal's path through the stages, and
//! which stage comes before which by majority.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

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
pub(super) struct Path<'a> {
    pub(super) opp: Option<&'a Opportunity>,
    pub(super) steps: Vec<(&'a str, DateTime<Utc>)>,
}

pub(super) fn paths<'a>(events: &[&'a StageEvent], opps: &[&'a Opportunity]) -> Vec<Path<'a>> {
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
