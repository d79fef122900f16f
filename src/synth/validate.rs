//! Checks on [`SynthSettings`] that serde cannot express: counts, lengths, ranges, names.

use super::settings::SynthSettings;
use super::SynthError;

fn invalid(field: &str, reason: impl Into<String>) -> SynthError {
    SynthError::Invalid {
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn positive(field: &str, v: f64) -> Result<(), SynthError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be a positive number, got {v}"),
        ))
    }
}

fn unit(field: &str, v: f64) -> Result<(), SynthError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(field, format!("must be between 0 and 1, got {v}")))
    }
}

fn finite(field: &str, values: &[f64]) -> Result<(), SynthError> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(v) => Err(invalid(field, format!("must be finite, got {v}"))),
        None => Ok(()),
    }
}

/// Every list entry needs a positive weight, and the list must not be empty.
fn weights<'a>(field: &str, ws: impl Iterator<Item = &'a f64>) -> Result<(), SynthError> {
    let mut n = 0;
    for w in ws {
        positive(&format!("{field}.weight"), *w)?;
        n += 1;
    }
    if n == 0 {
        return Err(invalid(field, "must list at least one entry"));
    }
    Ok(())
}

impl SynthSettings {
    /// Checks the settings; the error names the field and what is wrong with it.
    pub fn validate(&self) -> Result<(), SynthError> {
        if self.history_months < 24 {
            return Err(invalid(
                "history_months",
                format!(
                    "must be at least 24 (two years), got {}",
                    self.history_months
                ),
            ));
        }
        self.validate_reps()?;
        self.validate_leads()?;
        self.validate_opportunities()?;
        self.validate_accounts()
    }

    fn validate_reps(&self) -> Result<(), SynthError> {
        let r = &self.reps;
        if r.teams.is_empty() || r.per_team == 0 {
            return Err(invalid(
                "reps.teams",
                "needs at least one team and per_team >= 1",
            ));
        }
        let total = r.teams.len() * r.per_team;
        if r.recent_hires + r.leavers >= total {
            return Err(invalid(
                "reps.leavers",
                format!(
                    "recent_hires + leavers = {} leaves nobody of the {total} reps to take over deals",
                    r.recent_hires + r.leavers
                ),
            ));
        }
        let special = r.recent_hires + r.strong_reps + r.weak_reps;
        if special > total {
            return Err(invalid(
                "reps.recent_hires",
                format!(
                    "recent_hires + strong_reps + weak_reps = {special} exceeds the {total} reps"
                ),
            ));
        }
        if r.recent_hire_months == 0 || r.ramp_months == 0 {
            return Err(invalid(
                "reps.ramp_months",
                "ramp_months and recent_hire_months must be >= 1",
            ));
        }
        positive("reps.quota_stretch", r.quota_stretch)?;
        let sds = [r.skill_sd, r.response_sd, r.monthly_cost];
        if sds.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(invalid(
                "reps.skill_sd",
                "skill_sd, response_sd and monthly_cost must be >= 0",
            ));
        }
        finite(
            "reps.strong_skill",
            &[r.strong_skill, r.weak_skill, r.ramp_penalty],
        )
    }

    fn validate_leads(&self) -> Result<(), SynthError> {
        let l = &self.leads;
        if l.count == 0 {
            return Err(invalid("leads.count", "must be at least 1"));
        }
        weights("leads.sources", l.sources.iter().map(|s| &s.weight))?;
        weights("leads.industries", l.industries.iter().map(|s| &s.weight))?;
        weights("leads.segments", l.segments.iter().map(|s| &s.weight))?;
        positive("leads.response_median_hours", l.response_median_hours)?;
        positive("leads.convert_median_days", l.convert_median_days)?;
        positive("leads.disqualify_median_days", l.disqualify_median_days)?;
        for s in &l.segments {
            positive("leads.segments.amount_factor", s.amount_factor)?;
            positive("leads.segments.employees_median", s.employees_median)?;
            if self.plan_index(&s.plan).is_none() {
                return Err(invalid(
                    "leads.segments.plan",
                    format!(
                        "`{}` (segment {}) is not a name in accounts.plans",
                        s.plan, s.name
                    ),
                ));
            }
        }
        if l.sources
            .iter()
            .any(|s| s.cost_per_lead.is_nan() || s.cost_per_lead < 0.0)
        {
            return Err(invalid("leads.sources.cost_per_lead", "must be >= 0"));
        }
        let effects = l.sources.iter().map(|x| x.effect);
        let effects = effects.chain(l.industries.iter().map(|x| x.effect));
        let effects: Vec<f64> = effects.chain(l.segments.iter().map(|x| x.effect)).collect();
        finite("leads.sources.effect", &effects)?;
        finite(
            "leads.coef_log_visits",
            &[
                l.coef_log_visits,
                l.coef_pages_per_visit,
                l.coef_log_emails,
                l.coef_webinar,
                l.coef_log_response_hours,
            ],
        )?;
        if l.season.len() != 12 {
            return Err(invalid(
                "leads.season",
                format!("must list 12 months, got {}", l.season.len()),
            ));
        }
        for m in &l.season {
            positive("leads.season", *m)?;
        }
        finite(
            "leads.intercept",
            &[l.intercept, l.yearly_growth, l.response_sigma],
        )
    }

    fn validate_opportunities(&self) -> Result<(), SynthError> {
        let o = &self.opportunities;
        let n = self.validate_stage_names()?;
        for (field, len) in [
            ("opportunities.stage_logit", o.stage_logit.len()),
            ("opportunities.stage_median_days", o.stage_median_days.len()),
        ] {
            if len != n {
                return Err(invalid(
                    field,
                    format!("has {len} entries but there are {n} stages"),
                ));
            }
        }
        for d in &o.stage_median_days {
            positive("opportunities.stage_median_days", *d)?;
        }
        finite("opportunities.stage_logit", &o.stage_logit)?;
        weights(
            "opportunities.products",
            o.products.iter().map(|p| &p.weight),
        )?;
        for p in &o.products {
            positive("opportunities.products.median_amount", p.median_amount)?;
        }
        let d = &o.deal_type_effect;
        let mut coefs = vec![
            o.stage_sigma,
            o.duration_amount_elasticity,
            o.coef_log_amount,
        ];
        coefs.extend([
            o.age_threshold_days,
            o.coef_age_per_30d,
            d.new,
            d.renewal,
            d.upsell,
        ]);
        coefs.extend(o.products.iter().flat_map(|p| [p.effect, p.sigma]));
        finite("opportunities.coef_log_amount", &coefs)?;
        unit("opportunities.quarter_end_pull", o.quarter_end_pull)?;
        unit("opportunities.stale_close_date_fix", o.stale_close_date_fix)?;
        unit("opportunities.amount_revision_rate", o.amount_revision_rate)?;
        positive(
            "opportunities.amount_revision_median",
            o.amount_revision_median,
        )?;
        finite(
            "opportunities.amount_revision_sigma",
            &[o.amount_revision_sigma],
        )?;
        if o.amount_revision_sigma < 0.0 {
            return Err(invalid(
                "opportunities.amount_revision_sigma",
                "must be >= 0",
            ));
        }
        positive("opportunities.close_date_optimism", o.close_date_optimism)?;
        if o.renewal_lead_days < 1 || o.upsells_per_year < 0.0 {
            return Err(invalid(
                "opportunities.renewal_lead_days",
                "renewal_lead_days >= 1 and upsells_per_year >= 0",
            ));
        }
        Ok(())
    }

    /// Checks the stage names; returns the number of open stages.
    fn validate_stage_names(&self) -> Result<usize, SynthError> {
        let o = &self.opportunities;
        let n = o.stages.len();
        if n < 2 {
            return Err(invalid(
                "opportunities.stages",
                format!("needs at least 2 open stages, got {n}"),
            ));
        }
        let names = o.stages.iter().chain([&o.won_stage, &o.lost_stage]);
        if names.clone().any(|s| s.trim().is_empty()) {
            return Err(invalid(
                "opportunities.stages",
                "stage names must not be empty",
            ));
        }
        let mut sorted: Vec<&String> = names.collect();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != n + 2 {
            return Err(invalid(
                "opportunities.stages",
                "stage names (with won_stage, lost_stage) must be distinct",
            ));
        }
        Ok(n)
    }

    fn validate_accounts(&self) -> Result<(), SynthError> {
        let a = &self.accounts;
        if a.plans.is_empty() {
            return Err(invalid("accounts.plans", "must list at least one plan"));
        }
        for p in &a.plans {
            positive("accounts.plans.price_per_seat", p.price_per_seat)?;
        }
        unit("accounts.trouble_rate", a.trouble_rate)?;
        let mut coefs = vec![
            a.coef_trend_30,
            a.coef_trend_90,
            a.coef_utilisation,
            a.coef_nps,
        ];
        coefs.extend([a.coef_csat, a.coef_log_tickets, a.coef_log_resolution]);
        coefs.extend([a.coef_log_tenure, a.coef_renewal_month]);
        coefs.extend(a.plans.iter().map(|p| p.effect));
        finite("accounts.coef_trend_30", &coefs)?;
        positive(
            "accounts.max_initial_tenure_years",
            a.max_initial_tenure_years,
        )?;
        finite(
            "accounts.hazard_intercept",
            &[
                a.hazard_intercept,
                a.health_start,
                a.health_reversion,
                a.health_sd,
                a.trouble_drift,
            ],
        )
    }
}
