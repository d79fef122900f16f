//! The forecast itself: learn from history, assess the open deals, simulate, assemble the parts.

use super::deals::{add_open, assess_open, closed_by_group, Grouper, Learned, OpenDeal};
use super::montecarlo::{quantiles, simulate, SimDeals, SimOutput, Spread};
use super::newdeals::NewDeals;
use super::pipeline::{data_start, is_undated};
use super::runrate::run_rate;
use super::spread::pipeline_spread;
use super::stages::StageWinRates;
use super::timing::CloseTiming;
use super::types::{DealContribution, Forecast, ForecastInput, GroupForecast, Parts};
use super::{ForecastError, MAX_SIMULATIONS};
use crate::domain::{Opportunity, Period, StageEvent};

/// Open deals listed in [`Forecast::deals`].
const TOP_DEALS: usize = 50;
/// How many periods after the one holding as_of a forecast may reach (the 4th is allowed).
const MAX_PERIODS_AHEAD: u32 = 4;

/// Forecasts `input.period` as of `input.as_of` with the caller's win model `p_win` (0..=1 per
/// open deal). Deterministic for a seed. See the module documentation for the parts.
pub fn forecast(
    input: &ForecastInput,
    p_win: &dyn Fn(&Opportunity) -> f64,
) -> Result<Forecast, ForecastError> {
    forecast_with(input, p_win, true)
}

/// [`forecast`], with the run-rate check only when `with_run_rate` (a replay scored only on
/// its range does not need it).
pub(crate) fn forecast_with(
    input: &ForecastInput,
    p_win: &dyn Fn(&Opportunity) -> f64,
    with_run_rate: bool,
) -> Result<Forecast, ForecastError> {
    check(input)?;
    // The run-rate check reads only the closed deals: it runs beside the rest.
    std::thread::scope(|scope| {
        let (opps, period, as_of) = (input.opportunities, input.period, input.as_of);
        let run_rate = with_run_rate.then(|| scope.spawn(move || run_rate(opps, period, as_of)));
        let mut f = forecast_pipeline(input, p_win)?;
        if let Some(r) = run_rate {
            let r = r.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (f.run_rate, f.run_rate_note) = match r {
                Ok(r) => (Some(r), None),
                Err(note) => (None, Some(note)),
            };
        }
        Ok(f)
    })
}

/// The forecast without its run-rate check.
fn forecast_pipeline(
    input: &ForecastInput,
    p_win: &dyn Fn(&Opportunity) -> f64,
) -> Result<Forecast, ForecastError> {
    let known = StageEvent::by_deal(input.events, |e| e.entered_at.date() <= input.as_of);
    let rates = StageWinRates::learn_known(input.opportunities, &known, input.as_of);
    if rates.won_deals() == 0 {
        // Every deal closed so far was lost (or none closed): a win rate of zero learned from
        // the quick losses of a young CRM is no forecast.
        return Err(ForecastError::NoHistory {
            opportunities: input.opportunities.len(),
            closed: rates.closed_deals(),
            as_of: input.as_of,
        });
    }
    let data_start = data_start(input.opportunities, input.events).unwrap_or(input.as_of);
    let timing = CloseTiming::learn(input.opportunities, &known, input.as_of, data_start);
    let learned = Learned {
        known,
        rates,
        timing,
        data_start,
    };
    let mut grouper = Grouper::new(input.group_by, input.reps);
    let (opps, period, as_of) = (input.opportunities, input.period, input.as_of);
    let open = assess_open(opps, period, as_of, &learned, &mut grouper, p_win)?;
    let closed = closed_by_group(opps, period, as_of, &mut grouper);
    let new = NewDeals::learn(opps, period, as_of, &mut |o| grouper.index_of(o));
    check_groups(input, &grouper)?;
    let keys = grouper.keys();
    let sim_deals = open
        .iter()
        .map(|d| (d.group, d.p_win * d.p_in, (d.amount * 100.0).round() as u64))
        .collect();
    let spread = Spread {
        pipeline: pipeline_spread(&open, &learned.rates),
        new_deals: new.rate_spread(),
    };
    let sims = simulate(
        &SimDeals::new(sim_deals, keys.len()),
        &new,
        spread,
        input.simulations,
        input.seed,
    );
    let mut f = assemble(input, &keys, &open, &closed, &new, &sims);
    f.undated_note = undated_note(&open, &learned);
    Ok(f)
}

/// Says how open deals with no date at all were counted, when there are any.
fn undated_note(open: &[OpenDeal], learned: &Learned) -> Option<String> {
    let n = open
        .iter()
        .filter(|d| is_undated(d.opp, learned.known.get(d.opp.id.as_str())))
        .count();
    (n > 0).then(|| {
        format!(
            "{n} open deal(s) have no creation date, close date or stage event: they are counted \
             open since the data starts on {}, on every as-of day, at the win rate of their stage \
             faded by that age",
            learned.data_start
        )
    })
}

/// A grouping under which no deal has a key is a mistake (reps not loaded, no products).
fn check_groups(input: &ForecastInput, grouper: &Grouper) -> Result<(), ForecastError> {
    match input.group_by {
        Some(by) if grouper.keyed == 0 && grouper.seen > 0 => Err(ForecastError::EmptyGroups {
            group_by: by,
            deals: grouper.seen,
        }),
        _ => Ok(()),
    }
}

fn check(input: &ForecastInput) -> Result<(), ForecastError> {
    if input.simulations == 0 || input.simulations > MAX_SIMULATIONS {
        return Err(ForecastError::Simulations {
            got: input.simulations,
            max: MAX_SIMULATIONS,
        });
    }
    let mut ahead = Period::month_of(input.as_of);
    ahead = input.period.same_kind_containing(ahead.start());
    // The fourth period after as_of's own is allowed; the fifth is refused.
    for _ in 0..=MAX_PERIODS_AHEAD {
        ahead = ahead.next();
    }
    if input.period.start() >= ahead.start() {
        return Err(ForecastError::TooFarAhead {
            period: input.period,
            as_of: input.as_of,
            max_periods: MAX_PERIODS_AHEAD,
        });
    }
    Ok(())
}

fn assemble(
    input: &ForecastInput,
    keys: &[String],
    open: &[OpenDeal],
    closed: &std::collections::BTreeMap<u32, f64>,
    new: &NewDeals,
    sims: &SimOutput,
) -> Forecast {
    let mut parts = vec![Parts::default(); keys.len()];
    for d in open {
        add_open(&mut parts[d.group as usize], d);
    }
    let new_by_group = new.expected_by_group(keys.len());
    for (g, p) in parts.iter_mut().enumerate() {
        p.closed = closed.get(&(g as u32)).copied().unwrap_or(0.0);
        p.not_yet_created.expected = new_by_group[g];
    }
    let mut total_parts = sum_parts(&parts);
    total_parts.not_yet_created = new.summary.clone();
    let total = quantiles(&sims.totals(), total_parts.closed);
    let groups = match input.group_by {
        None => Vec::new(),
        Some(_) => group_forecasts(keys, parts, sims),
    };
    Forecast {
        period: input.period,
        as_of: input.as_of,
        simulations: input.simulations,
        seed: input.seed,
        total,
        parts: total_parts,
        run_rate: None,
        run_rate_note: None,
        group_by: input.group_by,
        groups,
        deals: top_deals(open),
        undated_note: None,
        calibration: None,
    }
}

fn group_forecasts(keys: &[String], parts: Vec<Parts>, sims: &SimOutput) -> Vec<GroupForecast> {
    let mut out: Vec<GroupForecast> = keys
        .iter()
        .zip(parts)
        .zip(&sims.groups)
        .map(|((key, parts), cents)| GroupForecast {
            key: key.clone(),
            quantiles: quantiles(cents, parts.closed),
            parts,
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn sum_parts(parts: &[Parts]) -> Parts {
    let mut t = Parts::default();
    for p in parts {
        t.closed += p.closed;
        let (o, q) = (&mut t.open_pipeline, &p.open_pipeline);
        o.count += q.count;
        o.amount += q.amount;
        o.crm_weighted += q.crm_weighted;
        o.expected += q.expected;
        t.categories.commit += p.categories.commit;
        t.categories.best_case += p.categories.best_case;
        t.categories.pipeline += p.categories.pipeline;
    }
    t
}

fn top_deals(open: &[OpenDeal]) -> Vec<DealContribution> {
    let expected = |d: &OpenDeal| d.amount * d.p_win * d.p_in;
    // Largest expected value first, then by id, then in the caller's order (a stable sort's):
    // a total order, so picking the first TOP_DEALS before sorting them gives the same list
    // as sorting all, without a record made for every open deal.
    let order = |&a: &usize, &b: &usize| {
        let (x, y) = (&open[a], &open[b]);
        expected(y)
            .total_cmp(&expected(x))
            .then_with(|| x.opp.id.as_str().cmp(y.opp.id.as_str()))
            .then(a.cmp(&b))
    };
    let mut picked: Vec<usize> = (0..open.len()).collect();
    if picked.len() > TOP_DEALS {
        picked.select_nth_unstable_by(TOP_DEALS - 1, order);
        picked.truncate(TOP_DEALS);
    }
    picked.sort_unstable_by(order);
    picked
        .into_iter()
        .map(|i| {
            let d = &open[i];
            DealContribution {
                id: d.opp.id.to_string(),
                owner_id: d.opp.owner_id.as_ref().map(|i| i.to_string()),
                stage: d.opp.stage.clone(),
                amount: d.amount,
                p_win: d.p_win,
                p_in_period: d.p_in,
                expected: expected(d),
            }
        })
        .collect()
}

/// The mean of a forecast's total equals the sum of its groups' means (up to rounding).
#[cfg(test)]
pub(crate) fn groups_mean(f: &Forecast) -> f64 {
    f.groups.iter().map(|g| g.quantiles.mean).sum()
}

#[cfg(test)]
mod top_deal_tests {
    use super::*;

    /// The first TOP_DEALS picked then sorted are the first TOP_DEALS of all sorted (stably, by
    /// expected value then id), ties in expected value and repeated ids included.
    #[test]
    fn picking_the_top_deals_first_gives_the_list_of_sorting_all() {
        let opps: Vec<Opportunity> = (0..400)
            .map(|i| {
                crate::domain::parse_batch::<Opportunity>(vec![serde_json::json!({
                    "id": format!("d{}", (i * 7919) % 397),
                    "stage": "Open",
                    "amount": 1000 + (i % 13) * 10,
                })])
                .unwrap()
                .remove(0)
            })
            .collect();
        for n in [0, 10, 50, 51, 400] {
            let open: Vec<OpenDeal> = opps[..n]
                .iter()
                .enumerate()
                .map(|(i, o)| OpenDeal {
                    opp: o,
                    group: 0,
                    amount: o.amount.map_or(0.0, |a| a.get()),
                    p_win: [0.1, 0.2, 0.4][i % 3],
                    p_in: [0.5, 1.0][i % 2],
                    crm_weight: 0.0,
                    expected_in_period: true,
                })
                .collect();
            let key =
                |d: &DealContribution| (d.id.clone(), d.expected.to_bits(), d.p_win.to_bits());
            let mut all: Vec<DealContribution> = open
                .iter()
                .map(|d| DealContribution {
                    id: d.opp.id.to_string(),
                    owner_id: None,
                    stage: d.opp.stage.clone(),
                    amount: d.amount,
                    p_win: d.p_win,
                    p_in_period: d.p_in,
                    expected: d.amount * d.p_win * d.p_in,
                })
                .collect();
            all.sort_by(|a, b| {
                b.expected
                    .total_cmp(&a.expected)
                    .then_with(|| a.id.cmp(&b.id))
            });
            all.truncate(TOP_DEALS);
            let picked = top_deals(&open);
            assert_eq!(picked.len(), n.min(TOP_DEALS));
            assert_eq!(
                picked.iter().map(key).collect::<Vec<_>>(),
                all.iter().map(key).collect::<Vec<_>>(),
                "n = {n}"
            );
        }
    }
}
