//! Per-deal assessment: group keys, P(win), P(in period), CRM weights, and the parts they sum to.

use chrono::{Days, NaiveDate};
use std::collections::{BTreeMap, HashMap};

use super::newdeals::cents;
use super::stages::StageWinRates;
use super::timing::{CloseTiming, OpenState, Window};
use super::types::{GroupBy, OpenPipeline, Parts};
use super::ForecastError;
use crate::domain::{EventsByDeal, Money, Opportunity, Period, Rep, StageEvent};

use super::groups::NO_KEY;

/// Maps deals to dense group indices (0 for everything when there is no grouping).
pub(crate) struct Grouper<'a> {
    by: Option<GroupBy>,
    reps: HashMap<&'a str, &'a Rep>,
    index: BTreeMap<String, u32>,
    /// Deals indexed, and how many of them had a key.
    pub seen: usize,
    pub keyed: usize,
}

impl<'a> Grouper<'a> {
    pub fn new(by: Option<GroupBy>, reps: &'a [Rep]) -> Self {
        let reps = reps.iter().map(|r| (r.id.as_str(), r)).collect();
        Grouper {
            by,
            reps,
            index: BTreeMap::new(),
            seen: 0,
            keyed: 0,
        }
    }

    /// Calls `f` with the deal's key under the grouping (None: no key, or no grouping).
    fn with_key<R>(&self, o: &Opportunity, f: impl FnOnce(Option<&str>) -> R) -> R {
        f(self.by.and_then(|by| by.key_of(o, &self.reps)))
    }

    pub fn index_of(&mut self, o: &Opportunity) -> u32 {
        // Look up without allocating; only a new key is copied.
        let (has_key, found) = self.with_key(o, |k| {
            (k.is_some(), self.index.get(k.unwrap_or(NO_KEY)).copied())
        });
        self.seen += 1;
        self.keyed += usize::from(has_key);
        if let Some(i) = found {
            return i;
        }
        let key = self.with_key(o, |k| k.unwrap_or(NO_KEY).to_string());
        let next = self.index.len() as u32;
        self.index.insert(key, next);
        next
    }

    /// Group keys by index.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = vec![String::new(); self.index.len().max(1)];
        for (k, &i) in &self.index {
            keys[i as usize] = k.clone();
        }
        keys
    }
}

/// An open deal as the forecast sees it.
pub(crate) struct OpenDeal<'a> {
    pub opp: &'a Opportunity,
    pub group: u32,
    pub amount: f64,
    pub p_win: f64,
    pub p_in: f64,
    pub crm_weight: f64,
    pub expected_in_period: bool,
}

/// The history the per-deal assessment needs.
pub(crate) struct Learned<'a> {
    pub known: EventsByDeal<'a>,
    pub rates: StageWinRates,
    pub timing: CloseTiming,
    /// The first day the data knows: an undated deal without stage history is open from it.
    pub data_start: NaiveDate,
}

/// Assesses every open deal; rejects a win probability outside 0..=1. A deal's P(win) is the
/// caller's, faded by its age (see [`CloseTiming`]).
pub(crate) fn assess_open<'a>(
    opps: &'a [Opportunity],
    period: Period,
    as_of: NaiveDate,
    learned: &Learned,
    grouper: &mut Grouper,
    p_win: &dyn Fn(&Opportunity) -> f64,
) -> Result<Vec<OpenDeal<'a>>, ForecastError> {
    let t0 = as_of + Days::new(1);
    let window = Window {
        lo: (period.start() - t0).num_days().max(0),
        hi: (period.end() - t0).num_days(),
    };
    let mut out = Vec::new();
    for o in opps.iter().filter(|o| o.is_open()) {
        let p = p_win(o);
        if !(0.0..=1.0).contains(&p) {
            return Err(ForecastError::BadProbability {
                id: o.id.to_string(),
                value: p,
            });
        }
        let state = open_state(o, learned.known.get(o.id.as_str()), t0, learned.data_start);
        let timing = learned.timing.assess(&state, window);
        out.push(OpenDeal {
            opp: o,
            group: grouper.index_of(o),
            amount: cents(o.amount) as f64 / 100.0,
            p_win: fade(p, timing.age_log_odds),
            p_in: timing.p_in,
            crm_weight: crm_weight(o, &learned.rates),
            expected_in_period: o.expected_close_date.is_some_and(|d| period.contains(d)),
        });
    }
    Ok(out)
}

/// `p` with `log_odds` added to its log-odds (0 and 1 stay as they are).
pub(crate) fn fade(p: f64, log_odds: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 || log_odds == 0.0 {
        return p;
    }
    let z = (p / (1.0 - p)).ln() + log_odds;
    1.0 / (1.0 + (-z).exp())
}

/// The deal's stage and days in it when its entry into the stage is known; otherwise no stage
/// and the days since its creation (its first event, or the data's start, when undated).
fn open_state<'o>(
    o: &'o Opportunity,
    evs: Option<&Vec<&StageEvent>>,
    t0: NaiveDate,
    data_start: NaiveDate,
) -> OpenState<'o> {
    let evs = evs.map(Vec::as_slice).unwrap_or(&[]);
    let entry = evs.iter().rev().find(|e| e.stage == o.stage);
    let created = o
        .created_at
        .map(|t| t.date())
        .or(evs.first().map(|e| e.entered_at.date()))
        .unwrap_or(data_start);
    let (stage, since) = match entry {
        Some(e) => (Some(o.stage.as_str()), e.entered_at.date()),
        None => (None, created),
    };
    let expected = o
        .expected_close_date
        .or_else(|| evs.last().and_then(|e| e.expected_close_date));
    OpenState {
        stage,
        days_in_stage: (t0 - since).num_days().max(0),
        days_past_expected: expected.map(|e| (t0 - e).num_days()),
    }
}

/// The CRM's weight for a deal: its forecast category's, else its stage's historical win rate.
fn crm_weight(o: &Opportunity, rates: &StageWinRates) -> f64 {
    match o.forecast_category.as_deref().map(category) {
        Some(Category::Commit) => 0.9,
        Some(Category::BestCase) => 0.6,
        Some(Category::Pipeline) => 0.25,
        Some(Category::Omitted) => 0.0,
        _ => rates.rate(&o.stage),
    }
}

/// The forecast categories the CRM weight and the parts know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    Commit,
    BestCase,
    Pipeline,
    Omitted,
    Other,
}

/// A CRM forecast category as written by any CRM: trimmed, any case, words joined by a space,
/// a hyphen or an underscore (`Best Case`, `best-case`, `bestcase`).
pub(crate) fn category(raw: &str) -> Category {
    let t = raw.trim();
    if !t.is_ascii() {
        // Rare: the general rule (Unicode lower case) decides.
        return category_of(&normalise(t));
    }
    // ASCII: compare in place, without the copies `normalise` makes.
    let is = |word: &str| {
        t.len() == word.len()
            && t.bytes().zip(word.bytes()).all(|(a, b)| {
                let a = match a.to_ascii_lowercase() {
                    b' ' | b'-' => b'_',
                    x => x,
                };
                a == b
            })
    };
    if is("commit") {
        Category::Commit
    } else if is("best_case") || is("bestcase") {
        Category::BestCase
    } else if is("pipeline") {
        Category::Pipeline
    } else if is("omitted") {
        Category::Omitted
    } else {
        Category::Other
    }
}

fn category_of(normalised: &str) -> Category {
    match normalised {
        "commit" => Category::Commit,
        "best_case" | "bestcase" => Category::BestCase,
        "pipeline" => Category::Pipeline,
        "omitted" => Category::Omitted,
        _ => Category::Other,
    }
}

fn normalise(category: &str) -> String {
    category.trim().to_lowercase().replace([' ', '-'], "_")
}

/// Adds one open deal to a group's parts.
pub(crate) fn add_open(parts: &mut Parts, d: &OpenDeal) {
    let p: &mut OpenPipeline = &mut parts.open_pipeline;
    p.count += 1;
    p.amount += d.amount;
    p.expected += d.amount * d.p_win * d.p_in;
    if d.expected_in_period {
        p.crm_weighted += d.amount * d.crm_weight;
        let c = &mut parts.categories;
        match d.opp.forecast_category.as_deref().map(category) {
            Some(Category::Commit) => c.commit += d.amount,
            Some(Category::BestCase) => c.best_case += d.amount,
            Some(Category::Pipeline) => c.pipeline += d.amount,
            _ => {}
        }
    }
}

/// Won amount booked in `period` on or before `as_of`, by group.
pub(crate) fn closed_by_group(
    opps: &[Opportunity],
    period: Period,
    as_of: NaiveDate,
    grouper: &mut Grouper,
) -> BTreeMap<u32, f64> {
    let mut out = BTreeMap::new();
    for o in opps.iter().filter(|o| o.won == Some(true)) {
        let Some(d) = o.closed_at.map(|t| t.date()) else {
            continue;
        };
        if d <= as_of && period.contains(d) {
            *out.entry(grouper.index_of(o)).or_insert(0.0) += o.amount.map_or(0.0, Money::get);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_category_is_read_as_the_general_rule_reads_it() {
        let cases = [
            ("commit", Category::Commit),
            (" Commit ", Category::Commit),
            ("Best Case", Category::BestCase),
            ("best-case", Category::BestCase),
            ("BESTCASE", Category::BestCase),
            ("best_case", Category::BestCase),
            ("Pipeline", Category::Pipeline),
            ("omitted", Category::Omitted),
            ("closed", Category::Other),
            ("best  case", Category::Other),
            ("commits", Category::Other),
            ("", Category::Other),
            // Not ASCII: the Unicode lower case of the Kelvin sign is `k`, of `\u{130}` is not `i`.
            ("PIPEL\u{130}NE", Category::Other),
            ("\u{212a}ommit", Category::Other),
            ("\u{a0}commit\u{a0}", Category::Commit),
        ];
        for (raw, want) in cases {
            assert_eq!(category(raw), want, "{raw:?}");
            assert_eq!(category(raw), category_of(&normalise(raw)), "{raw:?}");
        }
    }
}
