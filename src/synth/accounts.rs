//! Customer accounts: the initial customers, their lives (health paths and churn), and the
//! monthly snapshots and churn events the CRM shows.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::health::{path, MonthState, PathInput};
use super::reps::Staff;
use super::settings::SynthSettings;
use super::util::{add_months, first_of_month, lognormal, pick_weighted, weights};
use super::Span;
use crate::domain::{Account, AccountSnapshot, Attributes, ChurnEvent, Id, Money, Timestamp};

/// A customer before its life is simulated.
pub(crate) struct CustomerSeed {
    pub account: Id,
    pub since: NaiveDate,
    pub plan: usize,
    pub seats: i64,
    /// ARR when it became a customer.
    pub arr: f64,
    pub product: usize,
    pub owner: usize,
}

/// A customer with its monthly states from its first snapshot date to two months after `as_of`.
pub(crate) struct Customer {
    pub seed: CustomerSeed,
    pub months: Vec<MonthState>,
    /// The drawn churn date (at most the end of the month after `as_of`'s month start).
    pub churn: Option<(NaiveDate, &'static str)>,
}

impl Customer {
    /// True when the customer has not churned by `d`.
    pub fn alive_at(&self, d: NaiveDate) -> bool {
        self.churn.is_none_or(|(c, _)| d < c)
    }
}

/// The customers that exist when the history starts, with their account rows.
pub(crate) fn initial_customers(
    s: &SynthSettings,
    staff: &Staff,
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> (Vec<Account>, Vec<CustomerSeed>) {
    (0..s.accounts.initial_customers)
        .map(|i| initial_customer(s, staff, span, i, rng))
        .unzip()
}

fn initial_customer(
    s: &SynthSettings,
    staff: &Staff,
    span: &Span,
    i: usize,
    rng: &mut ChaCha8Rng,
) -> (Account, CustomerSeed) {
    let (l, o) = (&s.leads, &s.opportunities);
    let max_days = (s.accounts.max_initial_tenure_years * 365.0) as i64;
    let segment = &l.segments[pick_weighted(rng, &weights(&l.segments, |x| x.weight))];
    let industry = &l.industries[pick_weighted(rng, &weights(&l.industries, |x| x.weight))];
    let product = pick_weighted(rng, &weights(&o.products, |x| x.weight));
    let plan = s.plan_index(&segment.plan).unwrap_or(0);
    let region = &s.reps.teams[rng.gen_range(0..s.reps.teams.len())].region;
    let since = span.start - Duration::days(rng.gen_range(30..max_days.max(31)));
    let owner = staff.assign(rng, region, span.start);
    let p = &o.products[product];
    let median = p.median_amount * segment.amount_factor;
    let arr = (lognormal(rng, median, p.sigma) / 100.0).round() * 100.0;
    let id = Id::parse(format!("C-{:04}", i + 1)).expect("generated ids are valid");
    let account = Account {
        id: id.clone(),
        name: format!("Customer {:04}", i + 1),
        industry: Some(industry.name.clone()),
        segment: Some(segment.name.clone()),
        region: Some(region.clone()),
        employees: Some(
            lognormal(rng, segment.employees_median, 0.5)
                .round()
                .max(1.0) as i64,
        ),
        owner_id: Some(staff.reps[owner].id.clone()),
        created_at: Some(Timestamp::from_date(since)),
        attributes: Attributes::new(),
    };
    let seats = seats(s, plan, arr);
    let seed = CustomerSeed {
        account: id,
        since,
        plan,
        seats,
        arr,
        product,
        owner,
    };
    (account, seed)
}

/// Seats bought for an ARR at the plan's price (at least 3).
pub(crate) fn seats(s: &SynthSettings, plan: usize, arr: f64) -> i64 {
    (arr / s.accounts.plans[plan].price_per_seat)
        .round()
        .max(3.0) as i64
}

/// Simulates the customer's health path and draws its churn month by month up to `as_of`.
pub(crate) fn live(
    s: &SynthSettings,
    seed: CustomerSeed,
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> Customer {
    let existing = seed.since < span.start;
    let input = PathInput {
        since: seed.since,
        seats: seed.seats,
        plan_effect: s.accounts.plans[seed.plan].effect,
        first: if existing {
            span.start
        } else {
            add_months(first_of_month(seed.since), 1)
        },
        last: add_months(first_of_month(span.as_of), 2),
        warm_up: if existing { 3 } else { 0 },
    };
    let months = path(&s.accounts, &input, rng);
    let mut churn = None;
    for (m, state) in months
        .iter()
        .enumerate()
        .take_while(|(_, st)| st.date <= span.as_of)
    {
        if rng.gen_bool(state.hazard) {
            let next = add_months(state.date, 1);
            let date = if state.renewal <= next {
                state.renewal
            } else {
                state.date + Duration::days(rng.gen_range(1..=(next - state.date).num_days()))
            };
            churn = Some((date, reason(&months, m, rng)));
            break;
        }
    }
    Customer {
        seed,
        months,
        churn,
    }
}

fn reason(months: &[MonthState], m: usize, rng: &mut ChaCha8Rng) -> &'static str {
    let s = &months[m];
    let before = &months[m.saturating_sub(3)];
    if (s.active as f64 + 1.0) / (before.active as f64 + 1.0) < 0.85 {
        "usage declined"
    } else if s.tickets >= 5 || s.resolution_hours > 36.0 {
        "support experience"
    } else if s.nps < 0.0 {
        "unhappy with the product"
    } else {
        [
            "budget cuts",
            "switched to a competitor",
            "company acquired",
        ][rng.gen_range(0..3)]
    }
}

/// What the CRM shows of the customers: monthly snapshots up to `as_of` while alive, churn events
/// up to `as_of`, and for each snapshot the true P(churn within the next three months).
pub(crate) struct CustomerRows {
    pub snapshots: Vec<AccountSnapshot>,
    pub churn_events: Vec<ChurnEvent>,
    pub churn_90d: BTreeMap<(String, NaiveDate), f64>,
}

/// `upsells`: per account, the won upsell deals as (close date, amount); they add to ARR.
pub(crate) fn rows(
    s: &SynthSettings,
    customers: &[Customer],
    upsells: &BTreeMap<String, Vec<(NaiveDate, f64)>>,
    span: &Span,
) -> CustomerRows {
    let mut out = CustomerRows {
        snapshots: Vec::new(),
        churn_events: Vec::new(),
        churn_90d: BTreeMap::new(),
    };
    for c in customers {
        let added = upsells.get(c.seed.account.as_str());
        let arr_at = |d: NaiveDate| {
            c.seed.arr
                + added.map_or(0.0, |v| {
                    v.iter().filter(|(t, _)| *t <= d).map(|(_, a)| a).sum()
                })
        };
        for (m, st) in c.months.iter().enumerate() {
            if st.date > span.as_of || !c.alive_at(st.date) {
                break;
            }
            let survive: f64 = c.months[m..(m + 3).min(c.months.len())]
                .iter()
                .map(|x| 1.0 - x.hazard)
                .product();
            out.churn_90d
                .insert((c.seed.account.to_string(), st.date), 1.0 - survive);
            out.snapshots.push(snapshot(s, c, st, arr_at(st.date)));
        }
        if let Some((date, why)) = c.churn.filter(|(d, _)| *d <= span.as_of) {
            out.churn_events.push(ChurnEvent {
                account_id: c.seed.account.clone(),
                churned_at: date,
                arr_lost: Some(Money::parse(arr_at(date)).expect("ARR is finite and positive")),
                reason: Some(why.to_string()),
            });
        }
    }
    out.snapshots
        .sort_by(|a, b| (&a.account_id, a.as_of).cmp(&(&b.account_id, b.as_of)));
    out.churn_events
        .sort_by(|a, b| a.account_id.cmp(&b.account_id));
    out
}

fn snapshot(s: &SynthSettings, c: &Customer, st: &MonthState, arr: f64) -> AccountSnapshot {
    let mut attributes = Attributes::new();
    attributes.insert("customer_since".into(), json!(c.seed.since.to_string()));
    AccountSnapshot {
        account_id: c.seed.account.clone(),
        as_of: st.date,
        arr: Money::parse(arr).expect("ARR is finite and positive"),
        seats: Some(c.seed.seats),
        active_users: Some(st.active),
        logins: Some(st.logins),
        nps: Some(st.nps),
        csat: Some(st.csat),
        open_tickets: Some(st.tickets),
        ticket_resolution_hours: Some(st.resolution_hours),
        plan: Some(s.accounts.plans[c.seed.plan].name.clone()),
        renewal_date: Some(st.renewal),
        attributes,
    }
}
