//! The hidden model's own probabilities, kept beside the world so tests can score a model against
//! the best any model could do on the same rows.

use std::collections::BTreeMap;

use chrono::NaiveDate;

/// The true probabilities the generator used. Every map is keyed by the ids in the [`super::World`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Truth {
    /// Lead id -> the true P(the lead converts), 0..=1, from the lead's fields at creation and its
    /// (hidden) first-response time. Every lead has an entry, decided or not.
    pub lead_conversion: BTreeMap<String, f64>,
    /// Opportunity id -> the true P(win) at creation: the product of its stage-pass probabilities.
    pub win_at_creation: BTreeMap<String, f64>,
    /// Opportunity id -> the true probability of passing each open stage, in stage order (the last
    /// entry is P(win | reached the last open stage)). Fixed at creation: they depend on the amount,
    /// product, deal type, the owner's skill and ramp at creation, and the age at each stage entry,
    /// which comes from stage durations drawn at creation independently of the outcome. Conditional
    /// on those hidden durations, the process is Markov in stages.
    pub stage_pass: BTreeMap<String, Vec<f64>>,
    /// (account id, snapshot date) -> the true P(the account churns after the snapshot date and on or
    /// before the date three months later, i.e. within 89 to 92 days), given its health path. Keyed
    /// for every snapshot in the world, including those whose horizon runs past `as_of`.
    pub churn_90d: BTreeMap<(String, NaiveDate), f64>,
    /// Rep id -> the rep's hidden skill: the shift added to every stage-pass logit (before ramp).
    pub rep_skill: BTreeMap<String, f64>,
    /// Rep id -> the day the rep left; their open deals went to a teammate that day.
    pub rep_left: BTreeMap<String, NaiveDate>,
    /// Relative lead volume of each calendar month (January first), mean 1: the season every
    /// later count (leads, deals created, deals closed) inherits.
    pub season: Vec<f64>,
}

impl Truth {
    /// Fills `win_at_creation` from `stage_pass`.
    pub(crate) fn with_win_at_creation(mut self) -> Self {
        self.win_at_creation = self
            .stage_pass
            .iter()
            .map(|(id, p)| (id.clone(), p.iter().product()))
            .collect();
        self
    }

    /// P(win) of the opportunity given that it has passed `stages_passed` open stages, i.e. entered
    /// the open stage with index `stages_passed` (0 = at creation, equal to `win_at_creation`).
    /// `None` for an unknown id or when `stages_passed` is not below the number of open stages.
    pub fn true_win_probability(&self, opportunity_id: &str, stages_passed: usize) -> Option<f64> {
        let pass = self.stage_pass.get(opportunity_id)?;
        pass.get(stages_passed..)
            .filter(|rest| !rest.is_empty())
            .map(|rest| rest.iter().product())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_probability_is_the_product_of_the_remaining_stages() {
        let mut t = Truth::default();
        t.stage_pass.insert("O-1".into(), vec![0.5, 0.8, 0.5]);
        assert_eq!(t.true_win_probability("O-1", 0), Some(0.2));
        assert_eq!(t.true_win_probability("O-1", 1), Some(0.4));
        assert_eq!(t.true_win_probability("O-1", 2), Some(0.5));
        assert_eq!(t.true_win_probability("O-1", 3), None);
        assert_eq!(t.true_win_probability("O-2", 0), None);
    }
}
