//! Charts as inline SVG: axes with their units, a legend, and every mark's numbers in its
//! `<title>` (shown on hover, read by screen readers). Colours come from the stylesheet's classes.

use chrono::NaiveDate;
use std::fmt::Write;

use super::layout::{esc, money, pct};

const W: f64 = 720.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// About `n` round tick values covering `lo..=hi`.
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    (0..=n + 2)
        .map(|i| first + i as f64 * step)
        .filter(|t| *t >= lo - 1e-9 && *t <= hi + step * 0.999)
        .collect()
}

/// A linear map from data to pixels.
#[derive(Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        let d = (self.d1 - self.d0).max(1e-9);
        self.p0 + (v - self.d0) / d * (self.p1 - self.p0)
    }
}

fn open(kind: &str, title: &str, h: f64) -> String {
    format!(
        "<figure class=\"chart\"><svg class=\"chart\" data-chart=\"{kind}\" viewBox=\"0 0 {W} {h}\" \
         role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(title),
        esc(title)
    )
}

fn close(legend: &[(&str, &str)], caption: &str) -> String {
    let mut s = String::from("</svg><figcaption><ul class=\"legend\">");
    for (class, label) in legend {
        let _ = write!(
            s,
            "<li><span class=\"key {class}\" aria-hidden=\"true\"></span>{}</li>",
            esc(label)
        );
    }
    let _ = write!(s, "</ul>{}</figcaption></figure>", esc(caption));
    s
}

/// The y axis: grid lines and labels in the company's currency, and the axis title.
fn y_axis(s: &mut String, y: Scale, lo: f64, hi: f64, unit: &str, money_labels: bool) {
    for t in ticks(lo, hi, 5) {
        let py = y.at(t);
        let label = if money_labels { money(t) } else { pct(t) };
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{py:.1}\" y2=\"{py:.1}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            W - RIGHT,
            LEFT - 6.0,
            py + 4.0
        );
    }
    let _ = write!(
        s,
        "<text class=\"axis-title\" transform=\"translate(14 {:.0}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        (y.p0 + y.p1) / 2.0,
        esc(unit)
    );
}

fn extent(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = vals.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if hi - lo < 1e-9 {
        (lo, lo + 1.0)
    } else {
        (lo, hi * 1.05)
    }
}

/// A waterfall: each step a floating bar from the running sum, then the total from zero.
pub fn waterfall(steps: &[(&str, f64)], total: (&str, f64)) -> String {
    let h = 300.0;
    let mut run = 0.0;
    let mut tops = vec![total.1];
    for (_, v) in steps {
        run += v;
        tops.push(run);
    }
    let (lo, hi) = extent(tops.into_iter());
    let y = Scale {
        d0: lo,
        d1: hi,
        p0: h - BOTTOM,
        p1: TOP,
    };
    let mut s = open("waterfall", "The forecast's parts adding up to its mean", h);
    y_axis(&mut s, y, lo, hi, "amount (company currency)", true);
    let n = steps.len() + 1;
    let slot = (W - LEFT - RIGHT) / n as f64;
    let mut base = 0.0;
    let bars = steps
        .iter()
        .map(|(l, v)| (*l, *v, false))
        .chain([(total.0, total.1, true)]);
    for (i, (label, v, is_total)) in bars.enumerate() {
        let (from, to) = if is_total { (0.0, v) } else { (base, base + v) };
        base = if is_total { base } else { to };
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let (y0, y1) = (y.at(from.min(to)), y.at(from.max(to)));
        let class = if is_total { "bar total" } else { "bar" };
        let _ = write!(
            s,
            "<rect class=\"{class}\" data-mark=\"bar\" x=\"{x:.1}\" y=\"{y1:.1}\" width=\"{:.1}\" height=\"{:.1}\">\
             <title>{}: {}</title></rect>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            slot * 0.7,
            (y0 - y1).max(1.0),
            esc(label),
            money(v),
            x + slot * 0.35,
            h - BOTTOM + 18.0,
            esc(label),
            x + slot * 0.35,
            y1 - 4.0,
            money(v)
        );
    }
    s + &close(
        &[("bar", "part (expected value)"), ("bar total", "forecast mean")],
        "Closed so far + open pipeline (P(win) × P(closes in period) × amount) + deals not yet created = the mean.",
    )
}

/// One day of the fan chart, from the accuracy ledger.
pub struct FanDay {
    pub date: NaiveDate,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub closed: Option<f64>,
}

/// The period over time: each day's P10..P90 band, the P50 line with its points, the closed-to-date
/// line and the quota line, over the period's days.
pub fn fan(days: &[FanDay], start: NaiveDate, end: NaiveDate, quota: Option<f64>) -> String {
    let h = 320.0;
    let vals = days.iter().flat_map(|d| [d.p10, d.p90]).chain(quota);
    let (lo, hi) = extent(vals);
    let y = Scale {
        d0: lo,
        d1: hi,
        p0: h - BOTTOM,
        p1: TOP,
    };
    let x = Scale {
        d0: 0.0,
        d1: (end - start).num_days().max(1) as f64,
        p0: LEFT,
        p1: W - RIGHT,
    };
    let xd = |d: NaiveDate| x.at((d - start).num_days() as f64);
    let mut s = open(
        "fan",
        "The forecast's P10 to P90 range and P50, day by day",
        h,
    );
    y_axis(
        &mut s,
        y,
        lo,
        hi,
        "revenue in period (company currency)",
        true,
    );
    // The first and last labels hang inward so that they stay inside the chart.
    for (d, anchor) in [
        (start, "start"),
        (start + (end - start) / 2, "middle"),
        (end, "end"),
    ] {
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{d}</text>",
            xd(d),
            h - BOTTOM + 18.0
        );
    }
    let _ = write!(s, "<text class=\"axis-title\" x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">forecast made on (date)</text>", (LEFT + W - RIGHT) / 2.0, h - 6.0);
    let upper: Vec<String> = days
        .iter()
        .map(|d| format!("{:.1},{:.1}", xd(d.date), y.at(d.p90)))
        .collect();
    let lower: Vec<String> = days
        .iter()
        .rev()
        .map(|d| format!("{:.1},{:.1}", xd(d.date), y.at(d.p10)))
        .collect();
    let _ = write!(
        s,
        "<polygon class=\"band\" data-mark=\"band\" points=\"{} {}\"><title>P10 to P90 range</title></polygon>",
        upper.join(" "),
        lower.join(" ")
    );
    if let Some(q) = quota {
        let _ = write!(s, "<line class=\"quota\" data-mark=\"quota\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>quota: {}</title></line>", W - RIGHT, y.at(q), y.at(q), money(q));
    }
    let line = |f: &dyn Fn(&FanDay) -> Option<f64>| -> String {
        days.iter()
            .filter_map(|d| f(d).map(|v| format!("{:.1},{:.1}", xd(d.date), y.at(v))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = write!(
        s,
        "<polyline class=\"closed\" data-mark=\"line\" points=\"{}\"/>",
        line(&|d| d.closed)
    );
    let _ = write!(
        s,
        "<polyline class=\"p50\" data-mark=\"line\" points=\"{}\"/>",
        line(&|d| Some(d.p50))
    );
    for d in days {
        let _ = write!(
            s,
            "<circle class=\"pt\" data-mark=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\"><title>{}: P10 {}, P50 {}, P90 {}{}</title></circle>",
            xd(d.date),
            y.at(d.p50),
            d.date,
            money(d.p10),
            money(d.p50),
            money(d.p90),
            d.closed.map(|c| format!(", closed {}", money(c))).unwrap_or_default()
        );
    }
    s + &close(
        &[
            ("band", "P10 to P90"),
            ("p50", "P50"),
            ("closed", "closed to date"),
            ("quota", "quota"),
        ],
        "Each point is the forecast stored in the accuracy ledger on that day.",
    )
}

/// One horizontal bar per row, in the company's currency.
pub fn hbars(kind: &str, title: &str, rows: &[(String, f64)], legend: &str) -> String {
    let row_h = 30.0;
    let h = TOP + BOTTOM + row_h * rows.len().max(1) as f64;
    let (lo, hi) = extent(rows.iter().map(|r| r.1));
    let left = 150.0;
    let x = Scale {
        d0: lo,
        d1: hi,
        p0: left,
        p1: W - RIGHT - 50.0,
    };
    let mut s = open(kind, title, h);
    x_axis(&mut s, x, lo, hi, h, "amount (company currency)");
    for (i, (label, v)) in rows.iter().enumerate() {
        let py = TOP + row_h * i as f64 + 5.0;
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" data-mark=\"bar\" x=\"{:.1}\" y=\"{py:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {}</title></rect>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            left - 6.0,
            py + row_h * 0.5,
            esc(label),
            x.at(0.0),
            (x.at(*v) - x.at(0.0)).max(1.0),
            row_h - 10.0,
            esc(label),
            money(*v),
            x.at(*v) + 4.0,
            py + row_h * 0.5,
            money(*v)
        );
    }
    s + &close(&[("bar", legend)], "")
}

fn x_axis(s: &mut String, x: Scale, lo: f64, hi: f64, h: f64, unit: &str) {
    for t in ticks(lo, hi, 4) {
        let px = x.at(t);
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
             <text class=\"tick\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            h - BOTTOM,
            h - BOTTOM + 16.0,
            money(t)
        );
    }
    let _ = write!(
        s,
        "<text class=\"axis-title\" x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{}</text>",
        (x.p0 + x.p1) / 2.0,
        h - 6.0,
        esc(unit)
    );
}

/// One row per group: its P10..P90 range as a bar and its P50 as a point.
pub fn ranges(rows: &[(String, f64, f64, f64)]) -> String {
    let row_h = 28.0;
    let h = TOP + BOTTOM + row_h * rows.len().max(1) as f64;
    let (lo, hi) = extent(rows.iter().flat_map(|r| [r.1, r.3]));
    let left = 150.0;
    let x = Scale {
        d0: lo,
        d1: hi,
        p0: left,
        p1: W - RIGHT,
    };
    let mut s = open("ranges", "Each group's P10 to P90 range and P50", h);
    x_axis(&mut s, x, lo, hi, h, "revenue in period (company currency)");
    for (i, (label, p10, p50, p90)) in rows.iter().enumerate() {
        let cy = TOP + row_h * i as f64 + row_h / 2.0;
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"band\" data-mark=\"band\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\"><title>{}: P10 {} to P90 {}</title></rect>\
             <circle class=\"pt\" data-mark=\"point\" cx=\"{:.1}\" cy=\"{cy:.1}\" r=\"4\"><title>{}: P50 {}</title></circle>",
            left - 6.0,
            cy + 4.0,
            esc(label),
            x.at(*p10),
            cy - 6.0,
            (x.at(*p90) - x.at(*p10)).max(1.0),
            esc(label),
            money(*p10),
            money(*p90),
            x.at(*p50),
            esc(label),
            money(*p50)
        );
    }
    s + &close(&[("band", "P10 to P90"), ("pt", "P50")], "")
}

/// A reliability diagram: each bin's mean predicted probability against its observed rate, with
/// the diagonal of perfect calibration; the point's area follows the bin's row count.
pub fn reliability(id: &str, bins: &[(f64, f64, u64)]) -> String {
    let h = 300.0;
    let x = Scale {
        d0: 0.0,
        d1: 1.0,
        p0: LEFT,
        p1: W - RIGHT,
    };
    let y = Scale {
        d0: 0.0,
        d1: 1.0,
        p0: h - BOTTOM,
        p1: TOP,
    };
    let mut s = open("reliability", &format!("Reliability of {id}"), h);
    y_axis(&mut s, y, 0.0, 1.0, "observed rate", false);
    for t in ticks(0.0, 1.0, 5) {
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x.at(t),
            h - BOTTOM + 16.0,
            pct(t)
        );
    }
    let _ = write!(s, "<text class=\"axis-title\" x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">mean predicted probability</text>", (LEFT + W - RIGHT) / 2.0, h - 6.0);
    let _ = write!(
        s,
        "<line class=\"diagonal\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
        x.at(0.0),
        y.at(0.0),
        x.at(1.0),
        y.at(1.0)
    );
    let max = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1) as f64;
    let pts: Vec<String> = bins
        .iter()
        .filter(|b| b.2 > 0)
        .map(|b| format!("{:.1},{:.1}", x.at(b.0), y.at(b.1)))
        .collect();
    let _ = write!(s, "<polyline class=\"p50\" points=\"{}\"/>", pts.join(" "));
    for (p, o, n) in bins.iter().filter(|b| b.2 > 0) {
        let r = 3.0 + 7.0 * (*n as f64 / max).sqrt();
        let _ = write!(
            s,
            "<circle class=\"pt\" data-mark=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\"><title>predicted {}, observed {}, {n} rows</title></circle>",
            x.at(*p),
            y.at(*o),
            pct(*p),
            pct(*o)
        );
    }
    s + &close(
        &[
            ("pt", "bin (area: rows)"),
            ("diagonal", "perfect calibration"),
        ],
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let t = ticks(0.0, 1_234_000.0, 5);
        assert_eq!(t[0], 0.0);
        assert!(*t.last().unwrap() >= 1_000_000.0, "{t:?}");
        assert!(
            t.windows(2).all(|w| (w[1] - w[0] - 250_000.0).abs() < 1e-6),
            "{t:?}"
        );
    }

    #[test]
    fn a_waterfall_has_one_bar_per_part_and_the_total() {
        let svg = waterfall(&[("a", 10.0), ("b", 5.0)], ("mean", 15.0));
        assert_eq!(svg.matches("data-mark=\"bar\"").count(), 3);
        assert!(svg.contains("<title>mean: 15</title>"), "{svg}");
    }
}
