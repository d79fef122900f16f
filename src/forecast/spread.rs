//! How uncertain the learned parameters are, as the log-scale spread of a factor on every open
//! deal's probability (see [`super::montecarlo::Spread`]).
//!
//! Each stage's win rate rests on the n deals that entered the stage and closed; its posterior
//! (a Beta with a flat prior) has a relative standard deviation of about sqrt((1-p) / (p (n+1))).
//! The close timing of a stage rests on the ~n x p won deals among them; P(in period | won) = t
//! estimated from them has a relative standard error of about sqrt((1-t) / (t (n p + 1))).
//! Stages are independent: the spread of the whole pipeline is the root of the sum of squares,
//! each stage weighted by its share of the expected amount.

use std::collections::HashMap;

use super::deals::OpenDeal;
use super::stages::StageWinRates;

/// The spread of the pipeline factor, >= 0 (0 for an empty pipeline).
pub(crate) fn pipeline_spread(open: &[OpenDeal], rates: &StageWinRates) -> f64 {
    // Per stage: expected amount, and its sum of p_in weighted by expected amount.
    let mut by_stage: HashMap<&str, (f64, f64)> = HashMap::new();
    let mut total = 0.0;
    for d in open {
        let e = d.amount * d.p_win * d.p_in;
        let s = by_stage.entry(d.opp.stage.as_str()).or_default();
        s.0 += e;
        s.1 += e * d.p_in;
        total += e;
    }
    if total <= 0.0 {
        return 0.0;
    }
    let var: f64 = by_stage
        .iter()
        .filter(|(_, (e, _))| *e > 0.0)
        .map(|(stage, &(e, e_in))| {
            let n = rates.support(stage) as f64;
            let p = rates.rate(stage).clamp(0.01, 0.99);
            let t = (e_in / e).clamp(0.01, 0.99);
            let rel = (1.0 - p) / (p * (n + 1.0)) + (1.0 - t) / (t * (n * p + 1.0));
            (e / total).powi(2) * rel
        })
        .sum();
    var.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::testworld::{day, event, opp};

    fn rates(closed: usize) -> StageWinRates {
        let opps: Vec<_> = (0..closed)
            .map(|i| {
                let won = i % 2 == 0;
                opp(
                    &format!("c{i}"),
                    "r",
                    day(2026, 1, 1),
                    Some((day(2026, 2, 1), won)),
                    1.0,
                )
            })
            .collect();
        let evs: Vec<_> = (0..closed)
            .map(|i| event(&format!("c{i}"), "demo", day(2026, 1, 2), None))
            .collect();
        StageWinRates::learn(&opps, &evs, day(2026, 3, 1))
    }

    #[test]
    fn the_spread_shrinks_as_the_history_grows() {
        let mut o = opp("open", "r", day(2026, 2, 10), None, 100.0);
        o.stage = "demo".into();
        let o = o;
        let deal = [OpenDeal {
            opp: &o,
            group: 0,
            amount: 100.0,
            p_win: 0.5,
            p_in: 0.5,
            crm_weight: 0.0,
            expected_in_period: false,
        }];
        let small = pipeline_spread(&deal, &rates(10));
        let large = pipeline_spread(&deal, &rates(1000));
        // n = 10: (0.5 / 5.5 + 0.5 / 3 = 0.2576)^0.5 = 0.5075; n = 1000: 0.0547.
        assert!((small - 0.5075).abs() < 0.001, "{small}");
        assert!((large - 0.0547).abs() < 0.001, "{large}");
        assert_eq!(pipeline_spread(&[], &rates(10)), 0.0);
    }
}
