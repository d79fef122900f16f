//! Tests of what real pipelines have and the world now has too: each deal's history of changes,
//! close dates that slip (some more than once), revised amounts, reps who leave and hand their
//! deals over, and a season with a heavy last quarter.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;

use super::{as_of, cutoff, world};
use crate::domain::{DealChange, Period};
use crate::synth::*;

/// Each deal's changes, in the world's order (by deal, oldest first).
fn histories(w: &World) -> BTreeMap<&str, Vec<&DealChange>> {
    let mut by: BTreeMap<&str, Vec<&DealChange>> = BTreeMap::new();
    for c in &w.deal_changes {
        by.entry(c.opportunity_id.as_str()).or_default().push(c);
    }
    by
}

#[test]
fn every_deal_history_starts_at_creation_and_ends_in_its_row() {
    let w = world();
    let o = &SynthSettings::default().opportunities;
    let by = histories(w);
    assert_eq!(by.len(), w.opportunities.len());
    for opp in &w.opportunities {
        let h = &by[opp.id.as_str()];
        assert!(
            h.windows(2).all(|p| p[0].changed_at <= p[1].changed_at),
            "{}: history out of order",
            opp.id
        );
        assert!(
            h.iter().all(|c| c.changed_at.get() < cutoff()),
            "{}",
            opp.id
        );
        let (first, last) = (h[0], h[h.len() - 1]);
        assert_eq!(Some(first.changed_at), opp.created_at, "{}", opp.id);
        assert_eq!(first.stage, o.stages[0], "{}", opp.id);
        assert_eq!(last.amount, opp.amount, "{}", opp.id);
        assert_eq!(
            last.expected_close_date, opp.expected_close_date,
            "{}",
            opp.id
        );
        assert_eq!(last.stage, opp.stage, "{}", opp.id);
        assert_eq!(last.forecast_category, opp.forecast_category, "{}", opp.id);
        assert_eq!(last.owner_id, opp.owner_id, "{}", opp.id);
        if let Some(closed) = opp.closed_at {
            assert_eq!(last.changed_at, closed, "{}", opp.id);
        }
    }
}

#[test]
fn close_dates_slip_some_more_than_once_and_amounts_are_revised_mostly_down() {
    let w = world();
    let open_stages = &SynthSettings::default().opportunities.stages;
    let (mut slipped, mut slipped_twice, mut revised, mut deals) = (0, 0, 0, 0);
    let mut factors = Vec::new();
    for h in histories(w).values() {
        let open: Vec<_> = h
            .iter()
            .filter(|c| open_stages.contains(&c.stage))
            .collect();
        deals += 1;
        let pushes = open
            .windows(2)
            .filter(|p| p[1].expected_close_date > p[0].expected_close_date)
            .count();
        slipped += usize::from(pushes >= 1);
        slipped_twice += usize::from(pushes >= 2);
        let amounts: Vec<f64> = open
            .iter()
            .filter_map(|c| c.amount.map(crate::domain::Money::get))
            .collect();
        let changes: Vec<f64> = amounts
            .windows(2)
            .filter(|p| p[1] != p[0])
            .map(|p| p[1] / p[0])
            .collect();
        revised += usize::from(!changes.is_empty());
        factors.extend(changes);
    }
    let share = |n: usize| n as f64 / deals as f64;
    assert!(
        (0.3..0.95).contains(&share(slipped)),
        "{} slipped",
        share(slipped)
    );
    // Some deals slip more than once (a deal open long past its first date).
    assert!(
        share(slipped_twice) > 0.03,
        "{} slipped twice",
        share(slipped_twice)
    );
    assert!(
        (0.1..0.7).contains(&share(revised)),
        "{} revised",
        share(revised)
    );
    factors.sort_by(f64::total_cmp);
    let median = factors[factors.len() / 2];
    let truth = SynthSettings::default()
        .opportunities
        .amount_revision_median;
    assert!(
        (median - truth).abs() < 0.05,
        "median revision x{median:.3}, truth x{truth}"
    );
}

#[test]
fn reps_who_leave_hand_their_open_deals_to_a_teammate_that_day() {
    let w = world();
    let s = SynthSettings::default();
    assert_eq!(w.truth.rep_left.len(), s.reps.leavers);
    let team: BTreeMap<&str, &Option<String>> =
        w.reps.iter().map(|r| (r.id.as_str(), &r.team)).collect();
    let mut handed_over = 0;
    for (rep, left) in &w.truth.rep_left {
        let row = w.reps.iter().find(|r| r.id.as_str() == rep).unwrap();
        assert_eq!(
            row.attributes.get("left_at").and_then(|v| v.as_str()),
            Some(left.to_string().as_str())
        );
        // No new work for them once gone: no deal created, no quota for a later quarter.
        for h in histories(w).values() {
            let created = h[0];
            if created.changed_at.date() >= *left {
                assert_ne!(
                    created.owner_id.as_ref().map(|i| i.as_str()),
                    Some(rep.as_str())
                );
            }
            for pair in h.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if a.owner_id != b.owner_id {
                    // A handover happens at midnight of the day its owner left, to a teammate.
                    let from = a.owner_id.as_ref().unwrap().as_str();
                    let to = b.owner_id.as_ref().unwrap().as_str();
                    let day = w.truth.rep_left[from];
                    assert_eq!(b.changed_at.get(), util::midnight(day));
                    assert_eq!(team[from], team[to], "{from} -> {to}");
                    handed_over += usize::from(from == rep);
                }
            }
        }
        let after = w
            .quotas
            .iter()
            .filter(|q| q.rep_id.as_str() == rep && q.period.start() >= *left);
        assert_eq!(after.count(), 0, "{rep} has quotas after leaving on {left}");
    }
    assert!(handed_over >= 2, "{handed_over} deals handed over");
}

#[test]
fn the_season_shows_in_the_leads_and_makes_the_last_quarter_the_heaviest() {
    let w = world();
    let s = SynthSettings::default();
    // Leads per calendar month, over what the growth and the number of days alone would give.
    let end = as_of();
    let start = util::first_of_month(util::sub_months(end, s.history_months));
    let growth = 1.0 + s.leads.yearly_growth;
    let mut base = [0.0; 12];
    let mut day = start;
    while day <= end {
        let back = (end - day).num_days() as f64;
        base[day.month0() as usize] += growth.powf(-back / 365.0);
        day = day.succ_opt().unwrap();
    }
    let mut seen = [0.0; 12];
    for l in &w.leads {
        seen[l.created_at.unwrap().date().month0() as usize] += 1.0;
    }
    let ratio: Vec<f64> = (0..12).map(|m| seen[m] / base[m]).collect();
    let mean = ratio.iter().sum::<f64>() / 12.0;
    for (m, (r, truth)) in ratio.iter().zip(&w.truth.season).enumerate() {
        assert!(
            (r / mean / truth - 1.0).abs() < 0.2,
            "month {}: {:.2} of the mean, truth {truth:.2}",
            m + 1,
            r / mean
        );
    }
    // The complete year before as_of: its last quarter books the most new business.
    let year = end.year() - 1;
    let won_in = |q: u32| -> f64 {
        let p = Period::quarter_of(chrono::NaiveDate::from_ymd_opt(year, q * 3, 1).unwrap());
        w.opportunities
            .iter()
            .filter(|o| o.won == Some(true) && o.deal_type == Some(crate::domain::DealType::New))
            .filter(|o| p.contains(o.closed_at.unwrap().date()))
            .filter_map(|o| o.amount.map(crate::domain::Money::get))
            .sum()
    };
    let quarters: Vec<f64> = (1..=4).map(won_in).collect();
    let heaviest = quarters.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(
        quarters[3], heaviest,
        "new business won by quarter of {year}: {quarters:?}"
    );
    assert!(quarters[3] > 1.2 * quarters[2], "{quarters:?}");
}

#[test]
fn the_deal_history_names_only_known_deals_stages_and_reps() {
    let w = world();
    let s = SynthSettings::default().opportunities;
    let reps: BTreeSet<&str> = w.reps.iter().map(|r| r.id.as_str()).collect();
    for c in &w.deal_changes {
        assert!(
            s.stages.contains(&c.stage) || c.stage == s.won_stage || c.stage == s.lost_stage,
            "{}",
            c.stage
        );
        assert!(reps.contains(c.owner_id.as_ref().unwrap().as_str()));
    }
}
