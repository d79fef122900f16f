//! Single-model draws: leads from one known logistic model and deals with stage histories, each
//! with its true probability, for the models' unit tests and the scoring benches (the whole
//! world, with every entity and its hidden model, is [`super::generate`]).

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::domain::{Attributes, DealType, Id, Lead, Money, Opportunity, StageEvent, Timestamp};

use crate::ml::algo::sigmoid;

/// Lead sources and their true effect on the log-odds of converting.
pub const SOURCES: [(&str, f64); 5] = [
    ("webinar", 0.8),
    ("referral", 1.2),
    ("paid_search", -0.4),
    ("organic", 0.0),
    ("cold_list", -1.2),
];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 9, 0, 0).unwrap()
}

/// `n` leads from a known logistic model, with the true conversion probability of each.
/// log-odds = -0.8 + source effect + 0.15 (visits - 8) + 0.6 [size given] log10(size / 100);
/// 15% of sizes are missing (no effect). `undecided` leads at the end have no outcome.
pub fn leads(n: usize, undecided: usize, seed: u64) -> (Vec<Lead>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n + undecided);
    let mut truth = Vec::with_capacity(n);
    for i in 0..n + undecided {
        let (source, effect) = SOURCES[rng.gen_range(0..SOURCES.len())];
        let visits = rng.gen_range(0..=16u32);
        let size: Option<f64> =
            (rng.gen::<f64>() > 0.15).then(|| 10f64.powf(rng.gen_range(1.0..4.0)));
        let z = -0.8
            + effect
            + 0.15 * (f64::from(visits) - 8.0)
            + size.map_or(0.0, |s| 0.6 * (s / 100.0).log10());
        let p = sigmoid(z);
        let mut attributes = Attributes::new();
        attributes.insert("visits".into(), json!(visits));
        if let Some(s) = size {
            attributes.insert("company_size".into(), json!(s.round()));
        }
        let decided = i < n;
        let converted = decided.then(|| rng.gen::<f64>() < p);
        let created = start() + Duration::minutes(i as i64 * 37);
        out.push(Lead {
            id: Id::parse(format!("L-{i}")).unwrap(),
            account_id: None,
            created_at: Some(Timestamp::new(created)),
            source: Some(source.to_string()),
            owner_id: Some(Id::parse(format!("R-{}", i % 7)).unwrap()),
            status: None,
            converted,
            converted_at: (converted == Some(true))
                .then(|| Timestamp::new(created + Duration::days(9))),
            first_response_at: None,
            attributes,
        });
        if decided {
            truth.push(p);
        }
    }
    (out, truth)
}

/// Stages in order; a deal enters them one by one until it closes.
pub const STAGES: [&str; 4] = ["qualify", "discovery", "proposal", "negotiation"];

/// `n` deals with stage histories. Owner `R-0` wins far more than `R-3`. Each deal enters
/// 1..=4 stages, its expected close date slips at some stages, and deals closing after `as_of`
/// (or the last `open` ones) are still open.
pub fn deals(n: usize, seed: u64) -> (Vec<Opportunity>, Vec<StageEvent>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let skill = [1.0, 0.3, 0.0, -1.0];
    let (mut opps, mut events) = (Vec::new(), Vec::new());
    for i in 0..n {
        let owner = i % 4;
        let created = start() + Duration::hours(i as i64 * 13);
        let stages = rng.gen_range(1..=STAGES.len());
        let amount = 10f64.powf(rng.gen_range(3.0..5.0)).round();
        let z = -0.6 + skill[owner] + 0.5 * (stages as f64 - 2.0) - 0.3 * (amount / 1e4).log10();
        let won = rng.gen::<f64>() < sigmoid(z);
        let mut t = created;
        let mut expected = (created + Duration::days(60)).date_naive();
        let id = Id::parse(format!("O-{i}")).unwrap();
        for stage in &STAGES[..stages] {
            if rng.gen::<f64>() < 0.3 {
                expected += Duration::days(30);
            }
            events.push(StageEvent {
                opportunity_id: id.clone(),
                stage: stage.to_string(),
                entered_at: Timestamp::new(t),
                expected_close_date: Some(expected),
            });
            t += Duration::days(rng.gen_range(3..20));
        }
        let closed = i + n / 10 < n;
        opps.push(Opportunity {
            id,
            account_id: None,
            owner_id: Some(Id::parse(format!("R-{owner}")).unwrap()),
            created_at: Some(Timestamp::new(created)),
            stage: if closed {
                if won {
                    "won"
                } else {
                    "lost"
                }
            } else {
                STAGES[stages - 1]
            }
            .to_string(),
            amount: Some(Money::parse(amount).unwrap()),
            expected_close_date: Some(expected),
            closed_at: closed.then(|| Timestamp::new(t)),
            won: closed.then_some(won),
            forecast_category: None,
            product: Some(["basic", "pro"][i % 2].to_string()),
            deal_type: Some(DealType::New),
            attributes: Attributes::new(),
        });
    }
    (opps, events)
}
