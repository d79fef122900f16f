//! Tests of the generated world's shape: settings, determinism, counts, row validity, dates.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Serialize;

use super::*;
use crate::domain::{parse_batch, Period, Record};

pub(super) fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// The default world, generated once for all tests.
pub(super) fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| generate(&SynthSettings::default(), as_of()))
}

pub(super) fn cutoff() -> DateTime<Utc> {
    util::midnight(as_of()) + Duration::days(1)
}

#[test]
fn the_default_is_the_shipped_file_and_round_trips_through_toml() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("training/synthetic.toml");
    let on_disk = std::fs::read_to_string(path).expect("training/synthetic.toml is shipped");
    assert_eq!(
        SynthSettings::from_toml(&on_disk).unwrap(),
        SynthSettings::default()
    );
    let written = toml::to_string(&SynthSettings::default()).unwrap();
    assert_eq!(
        SynthSettings::from_toml(&written).unwrap(),
        SynthSettings::default()
    );
}

#[test]
fn bad_settings_are_rejected_with_the_field_named() {
    let typo = SHIPPED_SETTINGS.replace("history_months =", "history_month =");
    let e = SynthSettings::from_toml(&typo).unwrap_err().to_string();
    assert!(e.contains("history_month"), "{e}");

    let s = SynthSettings {
        history_months: 12,
        ..SynthSettings::default()
    };
    assert!(s
        .validate()
        .unwrap_err()
        .to_string()
        .contains("history_months"));

    let mut s = SynthSettings::default();
    s.opportunities.stage_logit.pop();
    let e = s.validate().unwrap_err().to_string();
    assert!(
        e.contains("stage_logit") && e.contains("4 entries") && e.contains("5 stages"),
        "{e}"
    );

    let mut s = SynthSettings::default();
    s.leads.segments[0].plan = "platinum".into();
    assert!(s.validate().unwrap_err().to_string().contains("platinum"));

    let mut s = SynthSettings::default();
    s.leads.sources[0].weight = 0.0;
    assert!(try_generate(&s, as_of())
        .unwrap_err()
        .to_string()
        .contains("leads.sources.weight"));
}

#[test]
fn the_same_seed_gives_the_same_world_and_another_seed_another() {
    let mut s = SynthSettings::default();
    s.leads.count = 800;
    s.accounts.initial_customers = 60;
    let a = generate(&s, as_of());
    assert_eq!(a, generate(&s, as_of()));
    s.seed += 1;
    let b = generate(&s, as_of());
    assert_ne!(a.leads, b.leads);
    assert_ne!(a.opportunities, b.opportunities);
    assert_ne!(a.snapshots, b.snapshots);
}

#[test]
fn reps_form_teams_in_regions_with_recent_hires_and_quotas() {
    let w = world();
    assert!(w.reps.len() >= 20, "{} reps", w.reps.len());
    let teams: BTreeSet<_> = w.reps.iter().filter_map(|r| r.team.clone()).collect();
    let regions: BTreeSet<_> = w.reps.iter().filter_map(|r| r.region.clone()).collect();
    assert!(
        teams.len() >= 3 && regions.len() >= 3,
        "{teams:?} {regions:?}"
    );
    assert!(w
        .reps
        .iter()
        .all(|r| r.manager.is_some() && r.hired_at.is_some()));
    let recent = w
        .reps
        .iter()
        .filter(|r| r.hired_at.unwrap() > as_of() - Duration::days(365))
        .count();
    assert!(recent >= 2, "{recent} recent hires");
    let current = Period::quarter_of(as_of());
    // Every rep still here has a quota this quarter; the reps who left have none.
    let here = w
        .reps
        .iter()
        .filter(|r| !r.attributes.contains_key("left_at"))
        .count();
    assert_eq!(here, w.reps.len() - w.truth.rep_left.len());
    assert_eq!(
        w.quotas.iter().filter(|q| q.period == current).count(),
        here
    );
    assert!(w.leads.len() >= 5000, "{} leads", w.leads.len());
    let sources: BTreeSet<_> = w.leads.iter().filter_map(|l| l.source.clone()).collect();
    assert!(sources.len() >= 4, "{sources:?}");
    assert!(
        w.opportunities.len() >= 1500,
        "{} opportunities",
        w.opportunities.len()
    );
    let customers: BTreeSet<_> = w.snapshots.iter().map(|s| &s.account_id).collect();
    assert!(
        customers.len() >= 300,
        "{} customer accounts",
        customers.len()
    );
    assert!(!w.churn_events.is_empty());
    let first_lead = w.leads.iter().filter_map(|l| l.created_at).min().unwrap();
    assert!(
        first_lead.date() <= as_of() - Duration::days(730),
        "history starts {first_lead}"
    );
    let channels: BTreeSet<_> = w.spend.iter().map(|s| s.channel.as_str()).collect();
    assert!(
        channels.contains(SALES_TEAM_CHANNEL) && channels.len() >= 5,
        "{channels:?}"
    );
}

fn check_rows<T: Record + Serialize>(rows: &[T]) {
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let parsed = parse_batch::<T>(json)
        .unwrap_or_else(|p| panic!("{}: {:?}", T::TABLE, &p[..p.len().min(5)]));
    assert_eq!(parsed.len(), rows.len());
    let keys: BTreeSet<String> = rows.iter().map(Record::key).collect();
    assert_eq!(keys.len(), rows.len(), "{} keys are not unique", T::TABLE);
}

#[test]
fn every_row_passes_the_domain_checks_with_unique_keys() {
    let w = world();
    check_rows(&w.reps);
    check_rows(&w.quotas);
    check_rows(&w.accounts);
    check_rows(&w.leads);
    check_rows(&w.opportunities);
    check_rows(&w.stage_events);
    check_rows(&w.snapshots);
    check_rows(&w.churn_events);
    check_rows(&w.spend);
}

#[test]
fn nothing_happens_after_as_of() {
    let (w, end) = (world(), cutoff());
    let lead_times = w
        .leads
        .iter()
        .flat_map(|l| [l.created_at, l.converted_at, l.first_response_at]);
    let opp_times = w
        .opportunities
        .iter()
        .flat_map(|o| [o.created_at, o.closed_at]);
    let account_times = w.accounts.iter().map(|a| a.created_at);
    let all = lead_times.chain(opp_times).chain(account_times).flatten();
    let events = w.stage_events.iter().map(|e| e.entered_at);
    assert!(all.chain(events).all(|t| t.get() < end));
    assert!(w.snapshots.iter().all(|s| s.as_of <= as_of()));
    assert!(w.churn_events.iter().all(|c| c.churned_at <= as_of()));
    assert!(w.spend.iter().all(|s| s.period.start() <= as_of()));
    assert!(w.reps.iter().all(|r| r.hired_at.unwrap() <= as_of()));
}

#[test]
fn open_deals_have_no_outcome_and_closed_deals_end_their_history() {
    let w = world();
    let o = &SynthSettings::default().opportunities;
    let mut at = 0;
    for opp in &w.opportunities {
        let n = w.stage_events[at..]
            .iter()
            .take_while(|e| e.opportunity_id == opp.id)
            .count();
        let history = &w.stage_events[at..at + n];
        at += n;
        assert!(n >= 1, "{} has no stage history", opp.id);
        assert_eq!(history[0].entered_at, opp.created_at.unwrap());
        assert_eq!(history[0].stage, o.stages[0]);
        assert!(
            history
                .windows(2)
                .all(|p| p[0].entered_at < p[1].entered_at),
            "{}",
            opp.id
        );
        assert_eq!(history[n - 1].stage, opp.stage);
        match opp.won {
            None => assert!(opp.closed_at.is_none() && o.stages.contains(&opp.stage)),
            Some(won) => {
                assert_eq!(&opp.stage, if won { &o.won_stage } else { &o.lost_stage });
                assert_eq!(history[n - 1].entered_at, opp.closed_at.unwrap());
            }
        }
    }
    assert_eq!(
        at,
        w.stage_events.len(),
        "stage events without an opportunity"
    );
}

#[test]
fn the_current_quarter_is_open_with_wins_and_pipeline() {
    let w = world();
    let q = Period::quarter_of(as_of());
    let won_now = w
        .opportunities
        .iter()
        .filter(|o| o.won == Some(true) && q.contains(o.closed_at.unwrap().date()));
    assert!(won_now.count() >= 10);
    let open: Vec<_> = w.opportunities.iter().filter(|o| o.is_open()).collect();
    assert!(open.len() >= 50, "{} open deals", open.len());
    let categories: BTreeSet<_> = open
        .iter()
        .filter_map(|o| o.forecast_category.as_deref())
        .collect();
    assert_eq!(
        categories,
        BTreeSet::from(["best_case", "commit", "pipeline"])
    );
    let undecided = w.leads.iter().filter(|l| l.converted.is_none()).count();
    assert!(undecided > 0);
}

#[test]
fn expected_close_dates_slip_in_the_stage_history() {
    let w = world();
    let mut slipped = BTreeSet::new();
    for pair in w.stage_events.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.opportunity_id == b.opportunity_id && b.expected_close_date > a.expected_close_date {
            slipped.insert(&a.opportunity_id);
        }
    }
    let share = slipped.len() as f64 / w.opportunities.len() as f64;
    assert!((0.1..0.9).contains(&share), "{share} of deals slipped");
}

#[test]
fn a_nan_coefficient_is_rejected_not_propagated() {
    let nan = SHIPPED_SETTINGS.replace("coef_log_emails = 0.35", "coef_log_emails = nan");
    let e = SynthSettings::from_toml(&nan).unwrap_err().to_string();
    assert!(e.contains("coef_log_visits") && e.contains("finite"), "{e}");
}

mod history;
mod truth;
