//! Leads: sources, engagement, response times, and conversion by the hidden logistic model.

use chrono::{DateTime, Datelike, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::reps::Staff;
use super::settings::{LeadSettings, SynthSettings};
use super::util::{logistic, lognormal, pick_weighted, plus_days, poisson, weights, working_time};
use super::Span;
use crate::domain::{Account, Attributes, Id, Lead, Timestamp};

const NAME_A: [&str; 10] = [
    "Blue", "North", "Bright", "Summit", "Iron", "Clear", "Silver", "Harbor", "Pine", "Nova",
];
const NAME_B: [&str; 9] = [
    "Labs",
    "Systems",
    "Works",
    "Health",
    "Logistics",
    "Capital",
    "Foods",
    "Learning",
    "Energy",
];

/// A lead that converted by `as_of`: its new account, and what the opportunity inherits.
pub(crate) struct Conversion {
    pub at: DateTime<Utc>,
    pub owner: usize,
    pub segment: usize,
    pub account: Account,
}

pub(crate) struct LeadWorld {
    pub leads: Vec<Lead>,
    /// Lead id -> true P(convert), in lead order.
    pub truth: Vec<(String, f64)>,
    pub conversions: Vec<Conversion>,
}

/// One lead before ids are assigned: the observable fields and the hidden outcome.
struct Draft {
    created: DateTime<Utc>,
    owner: usize,
    source: usize,
    industry: usize,
    segment: usize,
    region: String,
    employees: i64,
    engagement: Engagement,
    company: String,
    responded: DateTime<Utc>,
    p: f64,
    /// (converts, when it is decided).
    outcome: (bool, DateTime<Utc>),
}

pub(crate) fn generate(
    s: &SynthSettings,
    staff: &Staff,
    span: &Span,
    rng: &mut ChaCha8Rng,
) -> LeadWorld {
    let mut drafts: Vec<Draft> = (0..s.leads.count)
        .map(|_| draft(s, staff, span, rng))
        .collect();
    // Ids follow creation order, as a CRM's auto-numbering would.
    drafts.sort_by_key(|d| d.created);
    let mut out = LeadWorld {
        leads: Vec::new(),
        truth: Vec::new(),
        conversions: Vec::new(),
    };
    for (i, d) in drafts.into_iter().enumerate() {
        let id = format!("L-{:05}", i + 1);
        out.truth.push((id.clone(), d.p));
        let (lead, conversion) = observe(s, staff, span, id, d, out.conversions.len());
        out.leads.push(lead);
        out.conversions.extend(conversion);
    }
    out
}

/// Engagement counts of a lead, as its `attributes` carry them.
struct Engagement {
    visits: i64,
    pages_per_visit: f64,
    emails: i64,
    webinar: bool,
}

impl Engagement {
    fn draw(webinar_source: bool, rng: &mut ChaCha8Rng) -> Self {
        let visit_rate = lognormal(rng, 2.5, 0.8);
        let visits = poisson(rng, visit_rate);
        let pages_per_visit = (lognormal(rng, 2.5, 0.35).max(1.0) * 10.0).round() / 10.0;
        let email_rate = lognormal(rng, 2.0, 0.9);
        let emails = poisson(rng, email_rate);
        let webinar = rng.gen_bool(if webinar_source { 0.65 } else { 0.12 });
        Engagement {
            visits,
            pages_per_visit,
            emails,
            webinar,
        }
    }

    /// The engagement part of the conversion logit.
    fn logit(&self, l: &LeadSettings) -> f64 {
        l.coef_log_visits * (self.visits as f64).ln_1p()
            + l.coef_pages_per_visit * (self.pages_per_visit - 2.5)
            + l.coef_log_emails * (self.emails as f64).ln_1p()
            + l.coef_webinar * f64::from(u8::from(self.webinar))
    }
}

impl Draft {
    fn attributes(&self, l: &LeadSettings) -> Attributes {
        let e = &self.engagement;
        [
            ("visits", json!(e.visits)),
            ("pages_per_visit", json!(e.pages_per_visit)),
            ("emails_opened", json!(e.emails)),
            ("webinar_attended", json!(e.webinar)),
            ("industry", json!(l.industries[self.industry].name)),
            ("segment", json!(l.segments[self.segment].name)),
            ("employees", json!(self.employees)),
            ("region", json!(self.region)),
            ("company", json!(self.company)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

fn draft(s: &SynthSettings, staff: &Staff, span: &Span, rng: &mut ChaCha8Rng) -> Draft {
    let l = &s.leads;
    let day = creation_day(l, span, rng);
    let created = working_time(rng, day);
    let region = s.reps.teams[rng.gen_range(0..s.reps.teams.len())]
        .region
        .clone();
    let owner = staff.assign(rng, &region, created.date_naive());
    let source = pick_weighted(rng, &weights(&l.sources, |x| x.weight));
    let industry = pick_weighted(rng, &weights(&l.industries, |x| x.weight));
    let segment = pick_weighted(rng, &weights(&l.segments, |x| x.weight));
    let engagement = Engagement::draw(l.sources[source].name == "webinar", rng);
    let employees = lognormal(rng, l.segments[segment].employees_median, 0.5)
        .round()
        .max(1.0) as i64;
    let speed = staff.info[owner].response_factor;
    let hours = lognormal(rng, l.response_median_hours * speed, l.response_sigma);
    let logit = l.intercept
        + l.sources[source].effect
        + l.industries[industry].effect
        + l.segments[segment].effect
        + engagement.logit(l)
        + l.coef_log_response_hours * hours.ln_1p();
    let p = logistic(logit);
    let converts = rng.gen_bool(p);
    let responded = plus_days(created, hours / 24.0);
    let median = if converts {
        l.convert_median_days
    } else {
        l.disqualify_median_days
    };
    let decided = plus_days(responded, lognormal(rng, median, 0.6));
    let company = format!(
        "{} {}",
        NAME_A[rng.gen_range(0..NAME_A.len())],
        NAME_B[rng.gen_range(0..NAME_B.len())]
    );
    Draft {
        created,
        owner,
        source,
        industry,
        segment,
        region,
        employees,
        engagement,
        company,
        responded,
        p,
        outcome: (converts, decided),
    }
}

/// A day in the history, denser towards `as_of` by `yearly_growth` and in the busy months of
/// `season` (rejection sampling).
fn creation_day(l: &LeadSettings, span: &Span, rng: &mut ChaCha8Rng) -> chrono::NaiveDate {
    let days = (span.as_of - span.start).num_days();
    let growth = (1.0 + l.yearly_growth).max(1e-3);
    let peak = l.season.iter().copied().fold(f64::MIN, f64::max);
    loop {
        let back = rng.gen_range(0..=days);
        let day = span.as_of - Duration::days(back);
        let season = l.season[day.month0() as usize] / peak;
        let weight = growth.powf(-(back as f64) / 365.0).min(1.0) * season;
        if rng.gen::<f64>() < weight {
            return day;
        }
    }
}

/// The lead as the CRM shows it at the end of `as_of`: later events are not known yet.
fn observe(
    s: &SynthSettings,
    staff: &Staff,
    span: &Span,
    id: String,
    d: Draft,
    conversion_no: usize,
) -> (Lead, Option<Conversion>) {
    let known = |t: DateTime<Utc>| t < span.cutoff;
    let (converts, decided) = d.outcome;
    let decided_known = known(decided);
    let status = match (decided_known, converts, known(d.responded)) {
        (true, true, _) => "converted",
        (true, false, _) => "disqualified",
        (false, _, true) => "working",
        (false, _, false) => "new",
    };
    let conversion = (decided_known && converts).then(|| convert(s, staff, &d, conversion_no));
    let lead = Lead {
        id: Id::parse(id).expect("generated ids are valid"),
        account_id: conversion.as_ref().map(|c| c.account.id.clone()),
        created_at: Some(Timestamp::new(d.created)),
        source: Some(s.leads.sources[d.source].name.clone()),
        owner_id: Some(staff.reps[d.owner].id.clone()),
        status: Some(status.to_string()),
        converted: decided_known.then_some(converts),
        converted_at: conversion.as_ref().map(|c| Timestamp::new(c.at)),
        first_response_at: known(d.responded).then(|| Timestamp::new(d.responded)),
        attributes: d.attributes(&s.leads),
    };
    (lead, conversion)
}

/// The account a converted lead becomes, numbered in conversion order (`A-00001`, ...).
fn convert(s: &SynthSettings, staff: &Staff, d: &Draft, conversion_no: usize) -> Conversion {
    let at = d.outcome.1;
    Conversion {
        at,
        owner: d.owner,
        segment: d.segment,
        account: Account {
            id: Id::parse(format!("A-{:05}", conversion_no + 1)).expect("generated ids are valid"),
            name: d.company.clone(),
            industry: Some(s.leads.industries[d.industry].name.clone()),
            segment: Some(s.leads.segments[d.segment].name.clone()),
            region: Some(d.region.clone()),
            employees: Some(d.employees),
            owner_id: Some(staff.reps[d.owner].id.clone()),
            created_at: Some(Timestamp::new(at)),
            attributes: Attributes::new(),
        },
    }
}
