//! The generator's settings, as shipped in `training/synthetic.toml`.
//!
//! The shipped file is the single source of the defaults: [`SynthSettings::default`] parses it
//! (embedded at compile time), so the defaults and the file cannot drift apart.

use serde::{Deserialize, Serialize};

use super::SynthError;

/// The shipped settings file, embedded.
pub const SHIPPED_SETTINGS: &str = include_str!("../../training/synthetic.toml");

/// Everything that shapes the synthetic world: counts, span, seed and the hidden model's coefficients.
/// Field meanings, units and the shipped values are documented in `training/synthetic.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthSettings {
    /// Seed of every random stream (ChaCha8, one stream per part of the world).
    pub seed: u64,
    /// Months of history before `as_of`; at least 24.
    pub history_months: u32,
    pub reps: RepSettings,
    pub leads: LeadSettings,
    pub opportunities: OpportunitySettings,
    pub accounts: AccountSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepSettings {
    pub per_team: usize,
    pub teams: Vec<Team>,
    pub recent_hires: usize,
    pub recent_hire_months: u32,
    pub ramp_months: u32,
    pub ramp_penalty: f64,
    pub skill_sd: f64,
    pub strong_reps: usize,
    pub strong_skill: f64,
    pub weak_reps: usize,
    pub weak_skill: f64,
    pub response_sd: f64,
    pub quota_stretch: f64,
    pub monthly_cost: f64,
    /// Established reps who leave during the history; their open deals go to a teammate.
    pub leavers: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub name: String,
    pub region: String,
    pub manager: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadSettings {
    pub count: usize,
    pub yearly_growth: f64,
    /// Relative lead volume of each calendar month, January first (12 positive numbers).
    pub season: Vec<f64>,
    pub intercept: f64,
    pub coef_log_visits: f64,
    pub coef_pages_per_visit: f64,
    pub coef_log_emails: f64,
    pub coef_webinar: f64,
    pub coef_log_response_hours: f64,
    pub response_median_hours: f64,
    pub response_sigma: f64,
    pub convert_median_days: f64,
    pub disqualify_median_days: f64,
    pub sources: Vec<Source>,
    pub industries: Vec<Category>,
    pub segments: Vec<Segment>,
}

/// A lead source: how often it occurs, its logit effect on conversion, what a lead costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    pub weight: f64,
    pub effect: f64,
    pub cost_per_lead: f64,
}

/// A weighted category with a logit effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub name: String,
    pub weight: f64,
    pub effect: f64,
}

/// A company size segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub name: String,
    pub weight: f64,
    /// Logit effect on lead conversion.
    pub effect: f64,
    pub employees_median: f64,
    /// Multiplies the product's median deal amount.
    pub amount_factor: f64,
    /// The plan its customers buy (a name from `accounts.plans`).
    pub plan: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpportunitySettings {
    pub stages: Vec<String>,
    pub won_stage: String,
    pub lost_stage: String,
    pub stage_logit: Vec<f64>,
    pub stage_median_days: Vec<f64>,
    pub stage_sigma: f64,
    pub duration_amount_elasticity: f64,
    pub coef_log_amount: f64,
    pub age_threshold_days: f64,
    pub coef_age_per_30d: f64,
    pub deal_type_effect: DealTypeEffect,
    pub quarter_end_pull: f64,
    pub close_date_optimism: f64,
    pub stale_close_date_fix: f64,
    /// Probability that the amount is revised when a deal enters a later stage.
    pub amount_revision_rate: f64,
    /// A revision multiplies the amount by LogNormal(amount_revision_median, amount_revision_sigma).
    pub amount_revision_median: f64,
    pub amount_revision_sigma: f64,
    pub renewal_lead_days: i64,
    pub upsells_per_year: f64,
    pub products: Vec<Product>,
}

/// Per-stage logit effect of the deal type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealTypeEffect {
    pub new: f64,
    pub renewal: f64,
    pub upsell: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub name: String,
    pub weight: f64,
    pub median_amount: f64,
    /// Sigma of the lognormal amount.
    pub sigma: f64,
    /// Per-stage logit effect.
    pub effect: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    pub initial_customers: usize,
    pub max_initial_tenure_years: f64,
    pub health_start: f64,
    pub health_reversion: f64,
    pub health_sd: f64,
    pub trouble_rate: f64,
    pub trouble_drift: f64,
    pub hazard_intercept: f64,
    pub coef_trend_30: f64,
    pub coef_trend_90: f64,
    pub coef_utilisation: f64,
    pub coef_nps: f64,
    pub coef_csat: f64,
    pub coef_log_tickets: f64,
    pub coef_log_resolution: f64,
    pub coef_log_tenure: f64,
    pub coef_renewal_month: f64,
    pub plans: Vec<Plan>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub name: String,
    /// Monthly churn-hazard logit effect.
    pub effect: f64,
    /// Yearly price of one seat.
    pub price_per_seat: f64,
}

impl Default for SynthSettings {
    /// The shipped `training/synthetic.toml`.
    fn default() -> Self {
        Self::from_toml(SHIPPED_SETTINGS).expect("the shipped training/synthetic.toml is valid")
    }
}

impl SynthSettings {
    /// Parses and validates settings written like `training/synthetic.toml` (every field required).
    pub fn from_toml(text: &str) -> Result<Self, SynthError> {
        let settings: SynthSettings = toml::from_str(text)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Index of the plan named `name`.
    pub(crate) fn plan_index(&self, name: &str) -> Option<usize> {
        self.accounts.plans.iter().position(|p| p.name == name)
    }
}
