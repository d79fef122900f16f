//! Test support: builders for deals and events, and a small simulated sales world with a known
//! hidden process (stage durations, advance and win rates), every deal resolved.

use chrono::{Days, NaiveDate};
use rand_distr::{Distribution, Exp, LogNormal};

use super::rng::FastRng;
use crate::domain::{Id, Money, Opportunity, Rep, StageEvent, Timestamp};

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A deal created on `created`, closed `(date, won)` or open, of `amount`.
pub fn opp(
    id: &str,
    owner: &str,
    created: NaiveDate,
    closed: Option<(NaiveDate, bool)>,
    amount: f64,
) -> Opportunity {
    Opportunity {
        id: Id::parse(id).unwrap(),
        account_id: None,
        owner_id: Some(Id::parse(owner).unwrap()),
        created_at: Some(Timestamp::from_date(created)),
        stage: match closed {
            Some((_, true)) => "won".into(),
            Some((_, false)) => "lost".into(),
            None => "qualify".into(),
        },
        amount: Some(Money::parse(amount).unwrap()),
        expected_close_date: None,
        closed_at: closed.map(|(d, _)| Timestamp::from_date(d)),
        won: closed.map(|(_, w)| w),
        forecast_category: None,
        product: None,
        deal_type: None,
        attributes: Default::default(),
    }
}

pub fn event(id: &str, stage: &str, at: NaiveDate, expected: Option<NaiveDate>) -> StageEvent {
    StageEvent {
        opportunity_id: Id::parse(id).unwrap(),
        stage: stage.into(),
        entered_at: Timestamp::from_date(at),
        expected_close_date: expected,
    }
}

pub fn rep(id: &str, team: &str, region: &str) -> Rep {
    Rep {
        id: Id::parse(id).unwrap(),
        name: format!("Rep {id}"),
        team: Some(team.into()),
        manager: None,
        region: Some(region.into()),
        hired_at: None,
        attributes: Default::default(),
    }
}

/// A resolved world: every deal has closed (won or lost) by its end.
pub struct World {
    pub opps: Vec<Opportunity>,
    pub events: Vec<StageEvent>,
    pub reps: Vec<Rep>,
}

/// The hidden process: (stage, mean extra days, P(advance to the next stage or, last, win),
/// days the rep expects from entering the stage to close).
const STAGES: [(&str, f64, f64, u64); 3] = [
    ("qualify", 10.0, 0.7, 40),
    ("demo", 15.0, 0.7, 25),
    ("proposal", 10.0, 0.6, 12),
];

/// Deals created every day from `start` for `days` days (`per_day` on average), by six reps in
/// two teams and two regions, on three products.
pub fn world(seed: u64, start: NaiveDate, days: u64, per_day: f64) -> World {
    let mut rng = FastRng::new(seed, 0);
    let reps: Vec<Rep> = (0..6)
        .map(|i| {
            rep(
                &format!("r{i}"),
                ["east", "west"][i % 2],
                ["emea", "amer"][i / 3],
            )
        })
        .collect();
    let (mut opps, mut events) = (Vec::new(), Vec::new());
    let amount = LogNormal::new(9.5, 0.6).unwrap();
    let mut n = 0;
    for d in 0..days {
        let created = start + Days::new(d);
        let today = rand_distr::Poisson::new(per_day).unwrap().sample(&mut rng) as u64;
        for _ in 0..today {
            let owner = format!("r{}", rng.below(reps.len()));
            let a: f64 = amount.sample(&mut rng);
            let (o, evs) = one_deal(&mut rng, &format!("d{n}"), &owner, created, a.round());
            opps.push(o);
            events.extend(evs);
            n += 1;
        }
    }
    World { opps, events, reps }
}

fn one_deal(
    rng: &mut FastRng,
    id: &str,
    owner: &str,
    created: NaiveDate,
    amount: f64,
) -> (Opportunity, Vec<StageEvent>) {
    let mut at = created;
    let mut evs = Vec::new();
    let mut won = false;
    for (i, (stage, mean_days, p_next, expect)) in STAGES.iter().enumerate() {
        evs.push(event(id, stage, at, Some(at + Days::new(*expect))));
        let extra = Exp::new(1.0 / mean_days).unwrap().sample(rng) as u64 + 2;
        at = at + Days::new(extra);
        let advance = rng.next() < super::rng::threshold(*p_next);
        if !advance {
            break;
        }
        won = i == STAGES.len() - 1;
    }
    let mut o = opp(id, owner, created, Some((at, won)), amount);
    o.product = Some(["core", "plus", "suite"][rng.below(3)].into());
    (o, evs)
}

/// Won amount closed inside `[start, end)`.
pub fn actual(opps: &[Opportunity], start: NaiveDate, end: NaiveDate) -> f64 {
    opps.iter()
        .filter(|o| o.won == Some(true))
        .filter(|o| {
            o.closed_at
                .is_some_and(|t| t.date() >= start && t.date() < end)
        })
        .map(|o| o.amount.map(Money::get).unwrap_or(0.0))
        .sum()
}
