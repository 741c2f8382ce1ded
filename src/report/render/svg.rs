//! Charts as inline SVG for the HTML report: line charts (the TSUBAME daily
//! series, the NPA monthly rates), stacked bars (well-known vs other ports
//! per month) and horizontal share bars (countries). No script, no fonts
//! or files from elsewhere: the page draws the same offline and in print.
//!
//! Every data mark carries `class="mark"` and its series' `data-series`, so
//! tests can tell a chart with data from an empty frame.

use std::fmt::Write;

/// Colour-blind-safe qualitative palette (Okabe & Ito), dark enough for
/// white paper.
pub const PALETTE: [&str; 6] = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"];

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// One named series of a chart, a value (or none) per x label.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round step for about `ticks` intervals up to `max` (1, 2 or 5 × 10^k).
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw);
    step.unwrap_or(10.0 * magnitude)
}

/// An axis label of a scale in steps of `step`: 1.5 M, 350 k, 12, 0.25.
pub fn tick(v: f64, step: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, " G")
    } else if a >= 1e6 {
        (v / 1e6, " M")
    } else if a >= 1e4 {
        (v / 1e3, " k")
    } else {
        (v, "")
    };
    let unit = if suffix.is_empty() { 1.0 } else { v / scaled };
    let decimals = (-(step / unit).log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{scaled:.decimals$}{suffix}")
}

/// The frame of a chart: `<svg>`, its title, the y grid and labels, and
/// x labels (at most about ten shown); returns the y scale's top value.
fn frame(o: &mut String, title: &str, unit: &str, labels: &[String], max: f64) -> f64 {
    let step = nice_step(if max > 0.0 { max } else { 1.0 }, 5.0);
    let top = (max / step).ceil().max(1.0) * step;
    let _ = write!(
        o,
        r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    let plot_h = HEIGHT - TOP - BOTTOM;
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        let y = TOP + plot_h * (1.0 - v / top);
        let _ = write!(
            o,
            r##"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            escape(&tick(v, step))
        );
        v += step;
    }
    let _ = write!(
        o,
        r#"<text class="unit" x="4" y="{:.1}" transform="rotate(-90 12 {:.1})">{}</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(unit)
    );
    let every = labels.len().div_ceil(10).max(1);
    for (i, label) in labels.iter().enumerate() {
        if i % every == 0 || i + 1 == labels.len() && labels.len() <= 10 {
            let x = x_at(i, labels.len());
            let _ = write!(
                o,
                r#"<text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                HEIGHT - BOTTOM + 18.0,
                escape(label)
            );
        }
    }
    top
}

/// The centre of the `i`-th of `n` x positions.
fn x_at(i: usize, n: usize) -> f64 {
    let band = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    LEFT + band * (i as f64 + 0.5)
}

fn y_at(v: f64, top: f64) -> f64 {
    TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v / top)
}

/// A legend under a chart (HTML, so it wraps and reads in print).
fn legend(o: &mut String, names: &[&str]) {
    o.push_str(r#"<ul class="legend">"#);
    for (i, name) in names.iter().enumerate() {
        // An SVG swatch: background colours are dropped in print.
        let _ = write!(
            o,
            r#"<li><svg class="swatch" width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{}"/></svg>{}</li>"#,
            PALETTE[i % PALETTE.len()],
            escape(name)
        );
    }
    o.push_str("</ul>");
}

/// A line chart: one polyline per series, a dot per value.
pub fn lines(id: &str, title: &str, unit: &str, labels: &[String], series: &[Series]) -> String {
    let max = series.iter().flat_map(|s| s.values.iter().flatten()).fold(0.0f64, |a, &b| a.max(b));
    let mut o = format!(r#"<figure class="chart" id="{}"><figcaption>{}</figcaption>"#, escape(id), escape(title));
    let top = frame(&mut o, title, unit, labels, max);
    for (k, s) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<(f64, f64)> =
            s.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (x_at(i, labels.len()), y_at(v, top)))).collect();
        let path: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            o,
            r#"<g data-series="{}"><polyline class="line" fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            escape(&s.name),
            path.join(" ")
        );
        for (x, y) in &points {
            let _ = write!(o, r#"<circle class="mark" cx="{x:.1}" cy="{y:.1}" r="3" fill="{colour}"/>"#);
        }
        o.push_str("</g>");
    }
    o.push_str("</svg>");
    legend(&mut o, &series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
    o.push_str("</figure>");
    o
}

/// Stacked bars: per x label, the series' values on top of each other.
pub fn stacked(id: &str, title: &str, unit: &str, labels: &[String], series: &[Series]) -> String {
    let total = |i: usize| series.iter().map(|s| s.values.get(i).copied().flatten().unwrap_or(0.0)).sum::<f64>();
    let max = (0..labels.len()).map(total).fold(0.0f64, f64::max);
    let mut o = format!(r#"<figure class="chart" id="{}"><figcaption>{}</figcaption>"#, escape(id), escape(title));
    let top = frame(&mut o, title, unit, labels, max);
    let band = (WIDTH - LEFT - RIGHT) / labels.len().max(1) as f64;
    let width = (band * 0.6).min(80.0);
    let mut base = vec![0.0f64; labels.len()];
    for (k, s) in series.iter().enumerate() {
        let _ = write!(o, r#"<g data-series="{}">"#, escape(&s.name));
        for (i, v) in s.values.iter().enumerate() {
            let v = v.unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let (y0, y1) = (y_at(base[i], top), y_at(base[i] + v, top));
            base[i] += v;
            let _ = write!(
                o,
                r#"<rect class="mark" x="{:.1}" y="{y1:.1}" width="{width:.1}" height="{:.1}" fill="{}"/>"#,
                x_at(i, labels.len()) - width / 2.0,
                (y0 - y1).max(0.5),
                PALETTE[k % PALETTE.len()]
            );
        }
        o.push_str("</g>");
    }
    o.push_str("</svg>");
    legend(&mut o, &series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
    o.push_str("</figure>");
    o
}

/// The colour of the "other" bar of a share chart.
const OTHER: &str = "#8c8c8c";

/// Horizontal bars of shares (0..1), one row per (label, share); a row
/// labelled "other" (the rest) is grey.
pub fn share_bars(id: &str, title: &str, rows: &[(String, f64)]) -> String {
    const ROW: f64 = 22.0;
    const LABEL: f64 = 90.0;
    let height = TOP + ROW * rows.len() as f64 + 8.0;
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(f64::MIN_POSITIVE);
    let bar_max = WIDTH - LABEL - 90.0;
    let mut o = format!(r#"<figure class="chart" id="{}"><figcaption>{}</figcaption>"#, escape(id), escape(title));
    let _ = write!(
        o,
        r#"<svg viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" role="img" aria-label="{}"><title>{}</title><g data-series="share">"#,
        escape(title),
        escape(title)
    );
    for (i, (label, share)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let w = (share / max * bar_max).max(1.0);
        let _ = write!(
            o,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect class="mark" x="{LABEL}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{}"/><text class="tick" x="{:.1}" y="{:.1}">{:.2} %</text>"#,
            LABEL - 8.0,
            y + ROW * 0.65,
            escape(label),
            ROW - 6.0,
            if label == "other" { OTHER } else { PALETTE[0] },
            LABEL + w + 6.0,
            y + ROW * 0.65,
            share * 100.0
        );
    }
    o.push_str("</g></svg></figure>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_labels_short() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(1234.0, 5.0), 500.0);
        assert_eq!(nice_step(0.07, 5.0), 0.02);
        assert_eq!(tick(1_500_000.0, 500_000.0), "1.5 M");
        assert_eq!(tick(2_000_000.0, 500_000.0), "2.0 M");
        assert_eq!(tick(350_000.0, 50_000.0), "350 k");
        assert_eq!(tick(12.0, 2.0), "12");
        assert_eq!(tick(0.25, 0.05), "0.25");
        assert_eq!(tick(0.0, 0.05), "0.00");
        assert_eq!(escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn every_value_gets_a_mark() {
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let series = vec![
            Series { name: "x".into(), values: vec![Some(1.0), None, Some(3.0)] },
            Series { name: "y".into(), values: vec![Some(2.0), Some(2.0), Some(2.0)] },
        ];
        assert_eq!(lines("l", "t", "u", &labels, &series).matches(r#"class="mark""#).count(), 5);
        assert_eq!(stacked("s", "t", "u", &labels, &series).matches(r#"class="mark""#).count(), 5);
        let bars = share_bars("b", "t", &[("JP".into(), 0.5), ("other".into(), 0.5)]);
        assert_eq!(bars.matches(r#"class="mark""#).count(), 2);
    }
}
