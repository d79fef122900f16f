//! Small charts for tables: a sparkline of a KPI over quarters, and the funnel's stages as bars of
//! their conversion. Every mark carries its number in a `<title>`, and the table beside the chart
//! holds the same numbers.

use std::fmt::Write;

use super::layout::esc;

const SPARK_W: f64 = 132.0;
const SPARK_H: f64 = 34.0;
const PAD: f64 = 4.0;

/// A sparkline of `points` (label, value; None leaves a gap), oldest first. `shown` formats a
/// value for the marks' titles. Empty when fewer than two points have a value.
pub fn sparkline(
    name: &str,
    points: &[(String, Option<f64>)],
    shown: impl Fn(f64) -> String,
) -> String {
    let values: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
    if values.len() < 2 {
        return String::new();
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = (hi - lo).max(1e-9);
    let step = (SPARK_W - 2.0 * PAD) / (points.len().max(2) - 1) as f64;
    let at = |i: usize, v: f64| {
        (
            PAD + step * i as f64,
            SPARK_H - PAD - (v - lo) / span * (SPARK_H - 2.0 * PAD),
        )
    };
    let first = points.first().map(|p| p.0.as_str()).unwrap_or("");
    let last = points.last().map(|p| p.0.as_str()).unwrap_or("");
    let mut s = format!(
        "<svg class=\"spark\" data-chart=\"trend-{}\" viewBox=\"0 0 {SPARK_W} {SPARK_H}\" role=\"img\" \
         aria-label=\"{} from {} to {}\"><title>{} from {} to {}</title>",
        esc(name),
        esc(name),
        esc(first),
        esc(last),
        esc(name),
        esc(first),
        esc(last)
    );
    let mut path = String::new();
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) => {
                let (x, y) = at(i, *v);
                let cmd = if path.is_empty() || points[i - 1].1.is_none() {
                    'M'
                } else {
                    'L'
                };
                let _ = write!(path, "{cmd}{x:.1} {y:.1} ");
            }
            None => continue,
        }
    }
    let _ = write!(s, "<path class=\"p50\" d=\"{}\"/>", path.trim_end());
    for (i, (label, v)) in points.iter().enumerate() {
        if let Some(v) = v {
            let (x, y) = at(i, *v);
            let _ = write!(
                s,
                "<circle class=\"pt\" data-mark=\"point\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.2\"><title>{}: {}</title></circle>",
                esc(label),
                esc(&shown(*v))
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// One bar per funnel stage, its length the stage's conversion (0..=1), in stage order.
pub fn funnel(stages: &[(String, Option<f64>)]) -> String {
    let w = 720.0;
    let left = 150.0;
    let right = 70.0;
    let row_h = 28.0;
    let top = 8.0;
    let h = top * 2.0 + 24.0 + row_h * stages.len().max(1) as f64;
    let x = |v: f64| left + v.clamp(0.0, 1.0) * (w - left - right);
    let mut s = format!(
        "<figure class=\"chart\"><svg class=\"chart\" data-chart=\"funnel\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-label=\"Stage conversion\"><title>Stage conversion</title>"
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{top}\" y2=\"{:.1}\"/>\
             <text class=\"tick\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.0}%</text>",
            h - 24.0,
            h - 8.0,
            t * 100.0,
            px = x(t)
        );
    }
    for (i, (stage, v)) in stages.iter().enumerate() {
        let y = top + row_h * i as f64;
        let shown = v.map_or("no deal entered".to_string(), |v| {
            format!("{:.1}%", v * 100.0)
        });
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + row_h * 0.55,
            esc(stage)
        );
        if let Some(v) = v {
            let _ = write!(
                s,
                "<rect class=\"bar\" data-mark=\"bar\" x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {}</title></rect>",
                y + 4.0,
                (x(*v) - left).max(1.0),
                row_h - 8.0,
                esc(stage),
                esc(&shown)
            );
        }
        let _ = write!(
            s,
            "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x(v.unwrap_or(0.0)) + 4.0,
            y + row_h * 0.55,
            esc(&shown)
        );
    }
    s.push_str(
        "</svg><figcaption><ul class=\"legend\"><li><span class=\"key bar\" aria-hidden=\"true\"></span>\
         share of the deals entering the stage that moved on to a later stage or won</li></ul></figcaption></figure>",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_marks_each_known_value_and_skips_gaps() {
        let pts = vec![
            ("Q1".to_string(), Some(1.0)),
            ("Q2".to_string(), None),
            ("Q3".to_string(), Some(3.0)),
            ("Q4".to_string(), Some(2.0)),
        ];
        let s = sparkline("win_rate", &pts, |v| format!("{v}"));
        assert_eq!(s.matches("data-mark=\"point\"").count(), 3);
        assert_eq!(s.matches('M').count(), 2, "the gap starts a new line: {s}");
        assert!(sparkline("x", &pts[..2], |v| format!("{v}")).is_empty());
    }

    #[test]
    fn the_funnel_has_a_bar_per_stage_with_a_value() {
        let s = funnel(&[("Discovery".into(), Some(0.6)), ("Demo".into(), None)]);
        assert_eq!(s.matches("data-mark=\"bar\"").count(), 1);
        assert!(s.contains("Discovery: 60.0%"));
    }
}
