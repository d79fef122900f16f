//! Opportunities: new business from converted leads, renewals and upsells on customers; each run
//! through the hidden stage process, then cut at `as_of` into opportunity and stage-event rows.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::accounts::{seats, Customer, CustomerSeed};
use super::leads::Conversion;
use super::pipeline::{simulate, DealDraft, DealPath};
use super::reps::Staff;
use super::settings::SynthSettings;
use super::util::{lognormal, midnight, pick_weighted, working_time};
use super::Span;
use crate::domain::{DealType, Id};

/// A simulated deal waiting for its id.
pub(crate) struct Pending {
    pub draft: DealDraft,
    pub owner: usize,
    pub account: Id,
    /// The buyer's segment (new business only: it decides the plan if the deal is won).
    pub segment: Option<usize>,
    pub path: DealPath,
}

fn product_weights(s: &SynthSettings) -> Vec<f64> {
    s.opportunities.products.iter().map(|p| p.weight).collect()
}

/// One new-business deal per converted lead, created when the lead converted.
pub(crate) fn new_deals(
    s: &SynthSettings,
    staff: &Staff,
    conversions: &[Conversion],
    rng: &mut ChaCha8Rng,
) -> Vec<Pending> {
    let weights = product_weights(s);
    conversions
        .iter()
        .map(|c| {
            let product = pick_weighted(rng, &weights);
            let p = &s.opportunities.products[product];
            let median = p.median_amount * s.leads.segments[c.segment].amount_factor;
            // The lead's owner, or whoever took over their deals if they have left.
            let owner = staff.owner_at(c.owner, c.at);
            let draft = DealDraft {
                created: c.at,
                amount: (lognormal(rng, median, p.sigma) / 100.0).round() * 100.0,
                product,
                deal_type: DealType::New,
                skill: staff.effective_skill(owner, c.at.date_naive(), &s.reps),
            };
            let path = simulate(&draft, &s.opportunities, rng);
            Pending {
                draft,
                owner,
                account: c.account.id.clone(),
                segment: Some(c.segment),
                path,
            }
        })
        .collect()
}

/// New deals won by `as_of` become customers from their close date.
pub(crate) fn won_customers(
    s: &SynthSettings,
    deals: &[Pending],
    span: &Span,
) -> Vec<CustomerSeed> {
    deals
        .iter()
        .filter(|d| d.path.won && d.path.closed < span.cutoff)
        .filter_map(|d| {
            let segment = &s.leads.segments[d.segment?];
            let plan = s.plan_index(&segment.plan).unwrap_or(0);
            Some(CustomerSeed {
                account: d.account.clone(),
                since: d.path.closed.date_naive(),
                plan,
                seats: seats(s, plan, d.path.final_amount()),
                arr: d.path.final_amount(),
                product: d.draft.product,
                owner: d.owner,
            })
        })
        .collect()
}

/// Renewal deals ahead of each renewal date and upsell deals at random months, for every customer.
///
/// A deal is kept only if the account is still a customer when the deal would end had it passed
/// every stage: a CSM does not work a deal past the churn (this selection ignores the outcome).
pub(crate) fn customer_deals(
    s: &SynthSettings,
    staff: &Staff,
    customers: &[Customer],
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> Vec<Pending> {
    let mut out = Vec::new();
    for c in customers {
        let mut drafts = renewal_drafts(s, staff, c, span, rng);
        drafts.extend(upsell_drafts(s, staff, c, span, rng));
        for draft in drafts {
            let path = simulate(&draft, &s.opportunities, rng);
            if c.alive_at(path.full_end.date_naive()) {
                out.push(Pending {
                    owner: staff.owner_at(c.seed.owner, draft.created),
                    draft,
                    account: c.seed.account.clone(),
                    segment: None,
                    path,
                });
            }
        }
    }
    out
}

fn renewal_drafts(
    s: &SynthSettings,
    staff: &Staff,
    c: &Customer,
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> Vec<DealDraft> {
    let mut out = Vec::new();
    let mut years = 1;
    loop {
        let renewal = super::util::add_months(c.seed.since, 12 * years);
        years += 1;
        let open_on = renewal - Duration::days(s.opportunities.renewal_lead_days);
        if open_on > span.as_of {
            return out;
        }
        if open_on < span.start || !c.alive_at(open_on) {
            continue;
        }
        let created = working_time(rng, open_on);
        out.push(DealDraft {
            created,
            amount: c.seed.arr,
            product: c.seed.product,
            deal_type: DealType::Renewal,
            skill: staff.effective_skill(staff.owner_at(c.seed.owner, created), open_on, &s.reps),
        });
    }
}

fn upsell_drafts(
    s: &SynthSettings,
    staff: &Staff,
    c: &Customer,
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> Vec<DealDraft> {
    let weights = product_weights(s);
    let mut out = Vec::new();
    for st in c
        .months
        .iter()
        .filter(|m| m.date >= span.start && m.date <= span.as_of)
    {
        let utilisation = st.active as f64 / c.seed.seats.max(1) as f64;
        let p = (s.opportunities.upsells_per_year / 12.0 * utilisation / 0.7).clamp(0.0, 1.0);
        if !rng.gen_bool(p) {
            continue;
        }
        let day: NaiveDate = st.date + Duration::days(rng.gen_range(0..28));
        if day > span.as_of || !c.alive_at(day) {
            continue;
        }
        out.push(DealDraft {
            created: working_time(rng, day),
            amount: (c.seed.arr * lognormal(rng, 0.25, 0.5) / 100.0)
                .round()
                .max(1.0)
                * 100.0,
            product: pick_weighted(rng, &weights),
            deal_type: DealType::Upsell,
            skill: staff.effective_skill(staff.owner_at(c.seed.owner, midnight(day)), day, &s.reps),
        });
    }
    out
}
