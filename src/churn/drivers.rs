//! A churn score's reasons in words. Usage trends are log ratios; they are said as a salesperson
//! would ("active users down 38% over 90 days: +12 pts"). Which feature is a trend is read from
//! the field it comes `from` (a name this crate owns, see [`crate::ml::churn::CHURN_FIELDS`]),
//! never from its display label in the spec, so relabelling a feature keeps its words.

use crate::domain::FactorView;
use crate::ml::explain::signed_points;
use crate::ml::{Factor, ModelSpec};

/// A usage trend feature: a reading's log ratio over a number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trend {
    /// What is counted, as said ("active users", "logins").
    pub what: &'static str,
    pub days: u32,
}

impl Trend {
    /// Every trend field, by the name a churn feature reads it `from`.
    pub const FIELDS: [(&'static str, Trend); 4] = [
        ("usage_trend_30d", Trend::new("active users", 30)),
        ("usage_trend_90d", Trend::new("active users", 90)),
        ("logins_trend_30d", Trend::new("logins", 30)),
        ("logins_trend_90d", Trend::new("logins", 90)),
    ];

    const fn new(what: &'static str, days: u32) -> Trend {
        Trend { what, days }
    }

    /// The trend a churn feature reads `from` this field, if it is one.
    pub fn of(from: &str) -> Option<Trend> {
        Trend::FIELDS
            .iter()
            .find(|(field, _)| *field == from)
            .map(|(_, t)| *t)
    }

    /// "active users down 18% over 30 days: +12 pts" for a log ratio and its score points.
    pub fn say(self, log_ratio: f64, points: f64) -> String {
        let pct = (log_ratio.exp() - 1.0) * 100.0;
        let dir = if pct < 0.0 { "down" } else { "up" };
        format!(
            "{} {dir} {:.0}% over {} days: {} pts",
            self.what,
            pct.abs(),
            self.days,
            signed_points(points)
        )
    }
}

/// The reasons of a churn score: what raises the risk and what lowers it, each in the order of
/// `factors` (largest first); factors of zero points are left out.
pub fn reasons(spec: &ModelSpec, factors: &[Factor]) -> (Vec<FactorView>, Vec<FactorView>) {
    let view = |f: &Factor| words(spec, f);
    let drivers = factors
        .iter()
        .filter(|f| f.points > 0.0)
        .map(view)
        .collect();
    let protective = factors
        .iter()
        .filter(|f| f.points < 0.0)
        .map(view)
        .collect();
    (drivers, protective)
}

fn words(spec: &ModelSpec, f: &Factor) -> FactorView {
    let trend = spec
        .features
        .iter()
        .find(|s| s.name == f.feature)
        .and_then(|s| Trend::of(&s.from));
    let text = match (trend, f.value.parse::<f64>()) {
        (Some(t), Ok(v)) => t.say(v, f.points),
        _ => f.text.clone(),
    };
    FactorView {
        feature: f.feature.clone(),
        value: f.value.clone(),
        points: f.points,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = include_str!("../../training/churn.toml");

    fn factor(feature: &str, value: &str, points: f64) -> Factor {
        Factor {
            feature: feature.into(),
            value: value.into(),
            points,
            text: format!("{feature} = {value}: {} pts", signed_points(points)),
        }
    }

    fn trend(points: f64) -> String {
        Trend::new("active users", 30).say(-0.2, points)
    }

    #[test]
    fn driver_points_that_round_to_zero_print_without_a_sign() {
        assert_eq!(trend(0.3), "active users down 18% over 30 days: 0 pts");
        assert_eq!(trend(-0.4), "active users down 18% over 30 days: 0 pts");
        assert_eq!(trend(-2.6), "active users down 18% over 30 days: -3 pts");
        assert_eq!(trend(12.0), "active users down 18% over 30 days: +12 pts");
    }

    #[test]
    fn every_trend_field_is_a_churn_field() {
        for (field, _) in Trend::FIELDS {
            assert!(
                crate::ml::churn::CHURN_FIELDS.contains(&field),
                "{field} is not a churn field"
            );
        }
    }

    #[test]
    fn the_shipped_spec_says_its_trends_in_words() {
        let spec = ModelSpec::from_toml(SPEC).unwrap();
        let trends: Vec<_> = spec
            .features
            .iter()
            .filter(|f| Trend::of(&f.from).is_some())
            .collect();
        assert!(!trends.is_empty());
        for f in trends {
            let (drivers, _) = reasons(&spec, &[factor(&f.name, "0.5", 4.0)]);
            assert!(
                drivers[0].text.ends_with("up 65% over 30 days: +4 pts")
                    || drivers[0].text.ends_with("up 65% over 90 days: +4 pts"),
                "{}: {}",
                f.name,
                drivers[0].text
            );
        }
    }

    #[test]
    fn a_relabelled_trend_keeps_its_words() {
        let mut spec = ModelSpec::from_toml(SPEC).unwrap();
        let f = spec
            .features
            .iter_mut()
            .find(|f| f.from == "logins_trend_90d" || f.from == "usage_trend_90d")
            .unwrap();
        f.name = "Usage, last quarter".into();
        let what = Trend::of(&f.from).unwrap().what;
        let (drivers, protective) = reasons(
            &spec,
            &[
                factor("Usage, last quarter", "-0.5", 7.0),
                factor("nps", "9", -3.0),
                factor("seat use", "1", 0.0),
            ],
        );
        assert_eq!(
            drivers[0].text,
            format!("{what} down 39% over 90 days: +7 pts")
        );
        assert_eq!(drivers[0].feature, "Usage, last quarter");
        assert_eq!(protective.len(), 1);
        assert_eq!(protective[0].text, "nps = 9: -3 pts");
    }

    #[test]
    fn a_label_that_is_not_a_trend_keeps_the_model_words() {
        let spec = ModelSpec::from_toml(SPEC).unwrap();
        // A trend's old label on a feature the spec does not have: no words are guessed.
        let (drivers, _) = reasons(&spec, &[factor("usage trend 7d", "-0.5", 2.0)]);
        assert_eq!(drivers[0].text, "usage trend 7d = -0.5: +2 pts");
    }
}
