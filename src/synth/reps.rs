//! Reps in teams and regions, their hidden skill and ramp, and quotas per rep per quarter.

use chrono::NaiveDate;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::settings::{RepSettings, Team};
use super::util::{add_months, lognormal, normal, quarter_start, sub_months};
use super::Span;
use crate::domain::{DealType, Id, Money, Opportunity, Period, Quota, Rep};

const FIRST: [&str; 12] = [
    "Avery", "Jordan", "Priya", "Mateo", "Chloe", "Tariq", "Hannah", "Wei", "Sofia", "Kwame",
    "Elena", "Marcus",
];
const LAST: [&str; 11] = [
    "Nguyen", "Schmidt", "Okafor", "Rossi", "Patel", "Kowalski", "Haddad", "Tanaka", "Moreau",
    "Silva", "Brennan",
];

/// A rep as the generator knows them, hidden traits included.
#[derive(Debug, Clone)]
pub(crate) struct RepInfo {
    pub id: String,
    pub region: String,
    pub hired: NaiveDate,
    /// The day the rep left (their open deals go to a teammate that day), if they did.
    pub left: Option<NaiveDate>,
    /// Added to every stage-pass logit of the rep's deals (before the ramp penalty).
    pub skill: f64,
    /// Multiplies the hours the rep takes to respond to a lead.
    pub response_factor: f64,
}

/// The sales team: the rows to emit and the hidden traits.
pub(crate) struct Staff {
    pub reps: Vec<Rep>,
    pub info: Vec<RepInfo>,
}

/// Fraction of the ramp still ahead at `at`: 1 on the hire date, 0 after `ramp_months`.
pub(crate) fn ramp_left(hired: NaiveDate, at: NaiveDate, ramp_months: u32) -> f64 {
    let days = (at - hired).num_days().max(0) as f64;
    (1.0 - days / (ramp_months as f64 * 30.44)).clamp(0.0, 1.0)
}

impl Staff {
    /// Builds the team; `leaving` draws who leaves and when (its own stream, so the rest of the
    /// team is the same with or without leavers).
    pub fn build(
        s: &RepSettings,
        span: &Span,
        rng: &mut ChaCha8Rng,
        leaving: &mut ChaCha8Rng,
    ) -> Staff {
        let total = s.teams.len() * s.per_team;
        let recent = recent_hire_slots(s);
        let mut established: Vec<usize> = (0..total).filter(|i| !recent.contains(i)).collect();
        established.shuffle(rng);
        let mut reps = Vec::with_capacity(total);
        let mut info = Vec::with_capacity(total);
        for i in 0..total {
            let team = &s.teams[i / s.per_team];
            let hired = if recent.contains(&i) {
                let back = rng.gen_range(30..(s.recent_hire_months as i64 * 30).max(31));
                span.as_of - chrono::Duration::days(back)
            } else {
                sub_months(span.start, rng.gen_range(1..48))
            };
            let rank = established.iter().position(|&e| e == i);
            let skill = match rank {
                Some(r) if r < s.strong_reps => s.strong_skill,
                Some(r) if r < s.strong_reps + s.weak_reps => s.weak_skill,
                _ => s.skill_sd * normal(rng),
            };
            let info_row = RepInfo {
                id: format!("R-{:02}", i + 1),
                region: team.region.clone(),
                hired,
                left: None,
                skill,
                response_factor: lognormal(rng, 1.0, s.response_sd),
            };
            info.push(info_row);
        }
        // Leavers are ordinary established reps (not the strong or weak ones the truth names),
        // leaving on a day of the last 18 months before as_of (at least a month before it).
        let ordinary = &established[(s.strong_reps + s.weak_reps).min(established.len())..];
        let mut pool: Vec<usize> = ordinary.to_vec();
        pool.sort_unstable();
        pool.shuffle(leaving);
        let latest = span.as_of - chrono::Duration::days(30);
        let earliest = sub_months(span.as_of, 18).max(span.start);
        for &i in pool.iter().take(s.leavers) {
            let days = (latest - earliest).num_days().max(1);
            let left = earliest + chrono::Duration::days(leaving.gen_range(0..days));
            info[i].left = Some(left.max(info[i].hired + chrono::Duration::days(1)));
        }
        for (i, r) in info.iter().enumerate() {
            reps.push(rep_row(i, &s.teams[i / s.per_team], r));
        }
        Staff { reps, info }
    }

    /// Whether rep `i` works here on day `at` (hired, not yet left).
    fn present(&self, i: usize, at: NaiveDate) -> bool {
        let r = &self.info[i];
        r.hired <= at && r.left.is_none_or(|l| at < l)
    }

    /// Who owns on `at` a deal given to rep `rep`: the rep, or, once they left, the teammate
    /// who took their deals over that day (and so on, if that one left too).
    pub fn owner_at(&self, rep: usize, at: chrono::DateTime<chrono::Utc>) -> usize {
        match self.info[rep].left {
            Some(left) if super::util::midnight(left) <= at => {
                let next = self.successor(rep, left);
                if next == rep {
                    rep
                } else {
                    self.owner_at(next, at)
                }
            }
            _ => rep,
        }
    }

    /// The handovers of a deal given to `rep` between `from` and `to` (exclusive): each moment
    /// its owner changed and the new owner.
    pub fn handovers(
        &self,
        rep: usize,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Vec<(chrono::DateTime<chrono::Utc>, usize)> {
        let mut out = Vec::new();
        let mut owner = self.owner_at(rep, from);
        while let Some(left) = self.info[owner].left {
            let at = super::util::midnight(left);
            let next = self.successor(owner, left);
            if at >= to || next == owner {
                break;
            }
            out.push((at, next));
            owner = next;
        }
        out
    }

    /// The teammate who takes over `rep`'s deals on `day`: the first of the same team present
    /// that day, else of the same region, else anyone present; `rep` itself if nobody is.
    fn successor(&self, rep: usize, day: NaiveDate) -> usize {
        let team = &self.reps[rep].team;
        let region = &self.info[rep].region;
        let present = |i: &usize| *i != rep && self.present(*i, day);
        let all = 0..self.info.len();
        all.clone()
            .filter(present)
            .find(|&i| &self.reps[i].team == team)
            .or_else(|| {
                all.clone()
                    .filter(present)
                    .find(|&i| &self.info[i].region == region)
            })
            .or_else(|| all.clone().find(present))
            .unwrap_or(rep)
    }

    /// A rep of `region` working here at `at`, drawn uniformly; any such rep if the region has
    /// none; the earliest hire if nobody works here yet.
    pub fn assign(&self, rng: &mut ChaCha8Rng, region: &str, at: NaiveDate) -> usize {
        let hired: Vec<usize> = (0..self.info.len())
            .filter(|&i| self.present(i, at))
            .collect();
        let local: Vec<usize> = hired
            .iter()
            .copied()
            .filter(|&i| self.info[i].region == region)
            .collect();
        let pool = if local.is_empty() { &hired } else { &local };
        match pool.choose(rng) {
            Some(&i) => i,
            None => (0..self.info.len())
                .min_by_key(|&i| self.info[i].hired)
                .unwrap_or(0),
        }
    }

    /// The rep's stage-pass logit shift for a deal created at `at`: skill plus the fading ramp penalty.
    pub fn effective_skill(&self, rep: usize, at: NaiveDate, s: &RepSettings) -> f64 {
        let r = &self.info[rep];
        r.skill + s.ramp_penalty * ramp_left(r.hired, at, s.ramp_months)
    }
}

/// The CRM row of rep number `i` (from 0).
fn rep_row(i: usize, team: &Team, info: &RepInfo) -> Rep {
    Rep {
        id: Id::parse(info.id.clone()).expect("generated ids are valid"),
        name: format!(
            "{} {}",
            FIRST[i % FIRST.len()],
            LAST[(i * 7 + i / 11) % LAST.len()]
        ),
        team: Some(team.name.clone()),
        manager: Some(team.manager.clone()),
        region: Some(team.region.clone()),
        hired_at: Some(info.hired),
        attributes: info
            .left
            .map(|l| {
                [("left_at".to_string(), serde_json::json!(l.to_string()))]
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Recent hires are the last seats of the teams, spread over teams in turn.
fn recent_hire_slots(s: &RepSettings) -> Vec<usize> {
    let teams = s.teams.len();
    (0..s.recent_hires)
        .map(|j| (j % teams) * s.per_team + s.per_team - 1 - j / teams)
        .collect()
}

/// Quotas for every rep and quarter from the history's first quarter to the current one.
///
/// A ramped rep's quota is the mean won new + upsell amount per ramped rep-quarter over the complete
/// quarters, times `quota_stretch` (rounded to 1,000); a rep in ramp gets the share of the ramp done
/// (at least a quarter of it).
pub(crate) fn quotas(
    staff: &Staff,
    opps: &[Opportunity],
    span: &Span,
    s: &RepSettings,
) -> Vec<Quota> {
    let quarters: Vec<NaiveDate> = std::iter::successors(Some(quarter_start(span.start)), |&q| {
        Some(add_months(q, 3)).filter(|&n| n <= span.as_of)
    })
    .collect();
    let share = |rep: &RepInfo, q: NaiveDate| -> Option<f64> {
        (rep.hired < add_months(q, 3) && rep.left.is_none_or(|l| q < l))
            .then(|| (1.0 - ramp_left(rep.hired, q, s.ramp_months)).max(0.25))
    };
    let complete: Vec<NaiveDate> = quarters
        .iter()
        .copied()
        .filter(|&q| add_months(q, 3) <= span.as_of && q >= span.start)
        .collect();
    let capacity: f64 = complete
        .iter()
        .flat_map(|&q| staff.info.iter().filter_map(move |r| share(r, q)))
        .sum();
    let base = booked_in(opps, &complete) / capacity.max(1.0) * s.quota_stretch;
    let mut out = Vec::new();
    for (rep, row) in staff.info.iter().zip(&staff.reps) {
        for &q in &quarters {
            if let Some(f) = share(rep, q) {
                let amount = ((base * f) / 1000.0).round() * 1000.0;
                out.push(Quota {
                    rep_id: row.id.clone(),
                    period: Period::quarter_of(q),
                    amount: Money::parse(amount).expect("quota is finite"),
                });
            }
        }
    }
    out
}

/// Won new + upsell amount closed inside the given quarters (by their first days).
fn booked_in(opps: &[Opportunity], quarters: &[NaiveDate]) -> f64 {
    let inside = |d: NaiveDate| quarters.iter().any(|&q| q <= d && d < add_months(q, 3));
    opps.iter()
        .filter(|o| o.won == Some(true) && o.deal_type != Some(DealType::Renewal))
        .filter(|o| o.closed_at.is_some_and(|c| inside(c.date())))
        .filter_map(|o| o.amount.map(Money::get))
        .sum()
}
