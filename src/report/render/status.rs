//! The capture daemon's live status page (`/` of `--metrics`): one
//! self-contained HTML page, refreshed by the browser every 30 s, made of
//! the report's pieces ([`super::html`]'s tables and style, [`super::svg`]'s
//! charts): the sensor's health and live counters, then today as the store
//! holds it after the last flush (totals, the top destination ports and
//! source countries with their shares, compared with yesterday's stored
//! day, the hourly packets of the top ports, backscatter).

use std::fmt::Write;

use super::html::{STYLE, cells, compared, table_head, totals};
use super::svg::{self, Series, escape};
use crate::report::Report;
use crate::time::Timestamp;

/// Seconds between the browser's reloads of the page.
pub const REFRESH_SECS: u32 = 30;

/// What the page shows.
pub struct StatusPage<'a> {
    pub sensor: &'a str,
    /// Now (ns since the epoch, UTC).
    pub now: i64,
    /// Why the sensor is not healthy, if it is not.
    pub health: Option<&'a str>,
    /// The newest day as stored by the last flush, compared with the day
    /// before (none before the first flush).
    pub report: Option<&'a Report>,
    /// Packets of each top port in each hour of the day (0-23).
    pub hourly: &'a [(String, Vec<u64>)],
    /// Live counters: (what, value).
    pub facts: &'a [(String, String)],
}

pub fn render(page: &StatusPage) -> String {
    let title = format!("darkscope sensor {}", page.sensor);
    let mut o = String::with_capacity(32 * 1024);
    let _ = write!(
        o,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="{REFRESH_SECS}"><link rel="icon" href="data:,"><title>{}</title><style>{STYLE}.ok{{color:#1a7f37}}.bad{{color:#b42318}}</style></head><body><header><h1>{}</h1>"#,
        escape(&title),
        escape(&title)
    );
    let health = match page.health {
        None => r#"<span class="ok">healthy</span>"#.to_string(),
        Some(reason) => format!(r#"<span class="bad">not healthy: {}</span>"#, escape(reason)),
    };
    let _ = write!(
        o,
        r#"<p class="note">{} · {} · this page reloads every {REFRESH_SECS} s</p></header><main><section id="live"><h2>Now</h2>"#,
        escape(&Timestamp(page.now).utc_seconds()),
        health
    );
    table_head(&mut o, "Live counters", &[("", false), ("", true)]);
    for (what, value) in page.facts {
        cells(&mut o, &[(what.clone(), false), (value.clone(), true)]);
    }
    o.push_str("</tbody></table></section>");
    match page.report {
        None => o.push_str(
            r#"<section id="today"><h2>Today</h2><p class="note">No flush has been written yet.</p></section>"#,
        ),
        Some(r) => today(&mut o, r, page.hourly),
    }
    o.push_str("</main></body></html>\n");
    o
}

fn today(o: &mut String, r: &Report, hourly: &[(String, Vec<u64>)]) {
    let versus = match &r.baseline {
        Some(b) => format!("compared with {} as stored", b.from),
        None => "no stored day before it to compare with".to_string(),
    };
    let _ = write!(
        o,
        r#"<section id="today"><h2>Today, {} so far</h2><p class="note">As the store holds it after the last flush; {}. Rates are packets per day per monitored address over the seconds covered.</p>"#,
        escape(&r.period.from),
        escape(&versus)
    );
    totals(o, &r.totals, r.baseline_totals.as_ref());
    let t = &r.tables;
    compared(o, "Top destination ports", "port", &t.ports, false);
    compared(o, "Top source countries", "country", &t.countries, false);
    let hours: Vec<String> = (0..hourly.first().map_or(0, |(_, c)| c.len())).map(|h| format!("{h:02}")).collect();
    let series: Vec<Series> = hourly
        .iter()
        .take(5)
        .map(|(port, counts)| Series { name: port.clone(), values: counts.iter().map(|&n| Some(n as f64)).collect() })
        .collect();
    if !series.is_empty() {
        o.push_str(&svg::lines(
            "chart-hourly-ports",
            "Packets per hour (UTC), top 5 ports",
            "packets",
            &hours,
            &series,
        ));
    }
    o.push_str(r#"</section><section id="backscatter"><h2>Backscatter (DoS victims)</h2>"#);
    compared(o, "Victim service ports", "port", &t.backscatter_ports, true);
    compared(o, "Victim countries", "country", &t.backscatter_countries, true);
    o.push_str("</section>");
}
