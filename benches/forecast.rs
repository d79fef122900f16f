//! Forecast speed: 50,000 open opportunities, 10,000 simulations, grouped by owner.
//! Target (brief): under 500 ms in release on a 2-core machine.
//!
//! Run: `cargo bench --bench forecast`

use chrono::{Days, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{rngs::StdRng, Rng, SeedableRng};

use revcast::domain::{Id, Money, Opportunity, Period, Rep, StageEvent, Timestamp};
use revcast::forecast::{forecast, ForecastInput, GroupBy};

const STAGES: [&str; 4] = ["qualify", "demo", "proposal", "negotiation"];

fn deal(
    rng: &mut StdRng,
    n: usize,
    created: NaiveDate,
    closed: Option<(NaiveDate, bool)>,
) -> Opportunity {
    Opportunity {
        id: Id::parse(format!("o{n}")).unwrap(),
        account_id: None,
        owner_id: Some(Id::parse(format!("r{}", rng.gen_range(0..40))).unwrap()),
        created_at: Some(Timestamp::from_date(created)),
        stage: STAGES[rng.gen_range(0..STAGES.len())].to_string(),
        amount: Some(Money::parse(rng.gen_range(1_000.0..100_000.0f64).round()).unwrap()),
        expected_close_date: Some(created + Days::new(rng.gen_range(20..120))),
        closed_at: closed.map(|c| Timestamp::from_date(c.0)),
        won: closed.map(|c| c.1),
        forecast_category: Some(["pipeline", "best_case", "commit"][rng.gen_range(0..3)].into()),
        product: Some(format!("p{}", rng.gen_range(0..7))),
        deal_type: None,
        attributes: Default::default(),
    }
}

/// 50,000 open deals and 30,000 closed ones over two years, each with two stage events.
fn world() -> (Vec<Opportunity>, Vec<StageEvent>, Vec<Rep>) {
    let mut rng = StdRng::seed_from_u64(1);
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let (mut opps, mut events) = (Vec::new(), Vec::new());
    for n in 0..80_000 {
        let is_closed = n >= 50_000;
        // Closed deals are created early enough to have closed before as_of (day 699).
        let created = start + Days::new(rng.gen_range(0..if is_closed { 540 } else { 690 }));
        let close = created + Days::new(rng.gen_range(10..150));
        let closed = is_closed.then(|| (close, rng.gen_bool(0.3)));
        let o = deal(&mut rng, n, created, closed);
        for (i, s) in STAGES.iter().take(2).enumerate() {
            events.push(StageEvent {
                opportunity_id: o.id.clone(),
                stage: s.to_string(),
                entered_at: Timestamp::from_date(created + Days::new(i as u64 * 10)),
                expected_close_date: o.expected_close_date,
            });
        }
        opps.push(o);
    }
    let reps = (0..40)
        .map(|i| Rep {
            id: Id::parse(format!("r{i}")).unwrap(),
            name: format!("Rep {i}"),
            team: Some(format!("t{}", i % 5)),
            manager: None,
            region: Some(format!("g{}", i % 3)),
            hired_at: None,
            attributes: Default::default(),
        })
        .collect();
    (opps, events, reps)
}

fn bench(c: &mut Criterion) {
    let (opps, events, reps) = world();
    let input = ForecastInput {
        period: Period::parse("2025-Q4").unwrap(),
        as_of: NaiveDate::from_ymd_opt(2025, 11, 30).unwrap(),
        opportunities: &opps,
        events: &events,
        changes: &[],
        reps: &reps,
        group_by: Some(GroupBy::Owner),
        simulations: 10_000,
        seed: 7,
    };
    let p_win = |o: &Opportunity| if o.stage == "negotiation" { 0.6 } else { 0.25 };
    let open = opps.iter().filter(|o| o.is_open()).count();
    assert_eq!(open, 50_000);
    let mut g = c.benchmark_group("forecast");
    g.sample_size(20);
    g.bench_function("50k_open_10k_sims_by_owner", |b| {
        b.iter(|| forecast(&input, &p_win).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
