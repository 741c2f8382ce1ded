//! The analyst report as one self-contained HTML page (`--format html`):
//! the tables of the Markdown report and the charts of section 9 as inline
//! SVG ([`super::svg`]). No script, no external resources; a print style
//! keeps tables and charts whole on paper.

use std::fmt::Write;

use super::numbers::{TOTALS, change, changes_note, count, grouped, pct, rank, rate, share};
use super::svg::{self, Series, escape};
use crate::report::analysis::changes::Changes;
use crate::report::analysis::ranking::Row;
use crate::report::analysis::{Breakdown, Report, Totals};

pub(super) const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:2rem auto;max-width:62rem;\
padding:0 1rem;color:#111;background:#fff;line-height:1.4}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ccc}\
h3{font-size:1.05rem;margin-top:1.4rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem;font-variant-numeric:tabular-nums}\
caption{text-align:left;font-weight:600;padding:.3rem 0}\
th,td{padding:.2rem .55rem;border-bottom:1px solid #e3e3e3}th{background:#f4f4f4;text-align:left}\
td.n,th.n{text-align:right}p.note{color:#444;font-size:.9rem}\
figure.chart{margin:1rem 0 2rem}figure.chart figcaption{font-weight:600;margin-bottom:.3rem}\
figure.chart svg{max-width:100%;height:auto}\
.grid{stroke:#ddd;stroke-width:1}.tick{font-size:11px;fill:#333}.unit{font-size:11px;fill:#333}\
ul.legend{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;font-size:.85rem}\
.swatch{margin-right:.35rem;vertical-align:-.1rem}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,figure{break-inside:avoid}}";

pub(super) fn table_head(o: &mut String, caption: &str, columns: &[(&str, bool)]) {
    let _ = write!(o, "<table><caption>{}</caption><thead><tr>", escape(caption));
    for (name, numeric) in columns {
        let _ = write!(o, r#"<th{}>{}</th>"#, if *numeric { r#" class="n""# } else { "" }, escape(name));
    }
    o.push_str("</tr></thead><tbody>");
}

pub(super) fn cells(o: &mut String, values: &[(String, bool)]) {
    o.push_str("<tr>");
    for (v, numeric) in values {
        let _ = write!(o, r#"<td{}>{}</td>"#, if *numeric { r#" class="n""# } else { "" }, escape(v));
    }
    o.push_str("</tr>");
}

/// A ranking with its comparison columns; `per_day` shows packets per
/// covered day (backscatter) instead of per day per address.
pub(super) fn compared(o: &mut String, caption: &str, key: &str, rows: &[Row], per_day: bool) {
    if rows.is_empty() {
        let _ = write!(o, r#"<p class="note">{}: none.</p>"#, escape(caption));
        return;
    }
    let unit = if per_day { "packets/day" } else { "per IP/day" };
    let columns = [
        ("rank", true),
        ("prev", true),
        (key, false),
        ("packets", true),
        (unit, true),
        ("before", true),
        ("change", true),
        ("change abs", true),
        ("sources", true),
        ("share", true),
    ];
    table_head(o, caption, &columns);
    for r in rows {
        let (now, before) =
            if per_day { (rate(r.per_day), "—".to_string()) } else { (rate(r.per_ip_day), rate(r.prev_per_ip_day)) };
        cells(
            o,
            &[
                (r.rank.to_string(), true),
                (rank(r.prev_rank), true),
                (r.key.clone(), false),
                (grouped(r.packets), true),
                (now, true),
                (before, true),
                (pct(r.change_pct), true),
                (change(r.change_abs), true),
                (count(r.sources), true),
                (share(r.share), true),
            ],
        );
    }
    o.push_str("</tbody></table>");
}

fn shares(o: &mut String, caption: &str, key: &str, rows: &[Row]) {
    if rows.is_empty() {
        let _ = write!(o, r#"<p class="note">{}: none.</p>"#, escape(caption));
        return;
    }
    table_head(o, caption, &[(key, false), ("packets", true), ("share", true)]);
    for r in rows {
        cells(o, &[(r.key.clone(), false), (grouped(r.packets), true), (share(r.share), true)]);
    }
    o.push_str("</tbody></table>");
}

pub(super) fn breakdowns(o: &mut String, caption: &str, parent: &str, items: &[Breakdown]) {
    if items.is_empty() {
        let _ = write!(o, r#"<p class="note">{}: none.</p>"#, escape(caption));
        return;
    }
    table_head(o, caption, &[(parent, false), ("packets", true), ("largest parts", false)]);
    for b in items {
        let parts: Vec<String> = b.rows.iter().map(|r| format!("{} {}", r.key, share(r.share))).collect();
        cells(o, &[(b.key.clone(), false), (grouped(b.packets), true), (parts.join(", "), false)]);
    }
    o.push_str("</tbody></table>");
}

pub(super) fn totals(o: &mut String, now: &Totals, before: Option<&Totals>) {
    table_head(o, "Totals", &[("", false), ("this period", true), ("baseline", true)]);
    for (name, value) in TOTALS {
        cells(o, &[(name.to_string(), false), (value(now), true), (before.map_or("—".to_string(), value), true)]);
    }
    o.push_str("</tbody></table>");
}

/// The charts of section 9.
fn charts(o: &mut String, r: &Report) {
    let t = &r.tables;
    let days: Vec<String> = t.daily_ports.iter().map(|d| d.day.get(5..).unwrap_or(&d.day).to_string()).collect();
    let ports: Vec<&String> = t.ports.iter().map(|p| &p.key).collect();
    let daily = |range: std::ops::Range<usize>| -> Vec<Series> {
        ports
            .iter()
            .skip(range.start)
            .take(range.len())
            .map(|port| Series {
                name: port.to_string(),
                values: t.daily_ports.iter().map(|d| d.ports.get(*port).map(|&n| n as f64)).collect(),
            })
            .collect()
    };
    let top5 = daily(0..5);
    let next5 = daily(5..10);
    if !top5.is_empty() {
        o.push_str(&svg::lines("chart-daily-top5", "Daily packets, top 1-5 ports", "packets", &days, &top5));
    }
    if !next5.is_empty() {
        o.push_str(&svg::lines("chart-daily-top10", "Daily packets, top 6-10 ports", "packets", &days, &next5));
    }
    let months: Vec<String> = t.monthly_ports.iter().map(|m| m.month.clone()).collect();
    let monthly: Vec<Series> = ports
        .iter()
        .take(5)
        .map(|port| Series {
            name: port.to_string(),
            values: t.monthly_ports.iter().map(|m| m.ports.get(*port).copied().flatten()).collect(),
        })
        .collect();
    if !monthly.is_empty() {
        let title = "Monthly packets per day per address, top 5 ports";
        o.push_str(&svg::lines("chart-monthly-ports", title, "per IP/day", &months, &monthly));
    }
    let wk = &t.well_known_monthly;
    if !wk.is_empty() {
        let labels: Vec<String> = wk.iter().map(|m| m.month.clone()).collect();
        let series = vec![
            Series { name: "well-known (0-1023)".into(), values: wk.iter().map(|m| m.well_known_per_ip_day).collect() },
            Series { name: "other (1024-65535)".into(), values: wk.iter().map(|m| m.other_per_ip_day).collect() },
        ];
        let title = "Well-known vs other ports per month";
        o.push_str(&svg::stacked("chart-well-known", title, "per IP/day", &labels, &series));
    }
    let countries: Vec<(String, f64)> =
        t.country_shares.iter().map(|c| (c.key.clone(), c.share.unwrap_or(0.0))).collect();
    if !countries.is_empty() {
        o.push_str(&svg::share_bars("chart-countries", "Source-country shares of packets", &countries));
    }
}

pub(super) fn section(o: &mut String, id: &str, title: &str) {
    let _ = write!(o, r#"</section><section id="{id}"><h2>{}</h2>"#, escape(title));
}

pub fn render(r: &Report) -> String {
    let title = format!("Darknet report {} .. {}", r.period.from, r.period.to);
    let mut o = String::with_capacity(64 * 1024);
    let _ = write!(
        o,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title><style>{STYLE}</style></head><body><header><h1>{}</h1>"#,
        escape(&title),
        escape(&title)
    );
    let compared_with = match &r.baseline {
        Some(b) => format!(
            "Compared with {} .. {}. Changes are of packets per day per address; \"—\" where the baseline has \
             fewer than {} packets.",
            b.from, b.to, r.min_baseline
        ),
        None => "No baseline period in the store: no comparison.".to_string(),
    };
    let sensors = if r.sensors.is_empty() { "all sensors".to_string() } else { r.sensors.join(", ") };
    let days = super::day_note(r).map(|n| format!(" {n}")).unwrap_or_default();
    let _ = write!(
        o,
        r#"<p class="note">{} Sensors: {}.{}</p></header><main><section id="totals"><h2>1. Totals</h2>"#,
        escape(&compared_with),
        escape(&sensors),
        escape(&days)
    );
    totals(&mut o, &r.totals, r.baseline_totals.as_ref());
    let t = &r.tables;
    section(&mut o, "ports", "2. Destination ports");
    compared(&mut o, "Ranking", "port", &t.ports, false);
    compared(&mut o, "Largest increases", "port", &t.ports_increase, false);
    compared(&mut o, "Largest decreases", "port", &t.ports_decrease, false);
    section(&mut o, "well-known", "3. Well-known (0-1023) vs other ports per month");
    table_head(
        &mut o,
        "Per month",
        &[
            ("month", false),
            ("well-known", true),
            ("other", true),
            ("well-known per IP/day", true),
            ("other per IP/day", true),
            ("well-known share", true),
        ],
    );
    for m in &t.well_known_monthly {
        cells(
            &mut o,
            &[
                (m.month.clone(), false),
                (grouped(m.well_known_packets), true),
                (grouped(m.other_packets), true),
                (rate(m.well_known_per_ip_day), true),
                (rate(m.other_per_ip_day), true),
                (share(m.well_known_share), true),
            ],
        );
    }
    o.push_str("</tbody></table>");
    section(&mut o, "port-shares", "4. Port shares");
    shares(&mut o, "All sources", "port", &t.port_shares);
    shares(&mut o, &format!("Sources in {}", r.home_country), "port", &t.port_shares_home);
    section(&mut o, "port-countries", "5. Source countries of the top ports");
    breakdowns(&mut o, "Countries per port", "port", &t.port_countries);
    section(&mut o, "countries", "6. Source countries");
    compared(&mut o, "Ranking", "country", &t.countries, false);
    compared(&mut o, "Largest increases", "country", &t.countries_increase, false);
    compared(&mut o, "Largest decreases", "country", &t.countries_decrease, false);
    breakdowns(&mut o, "Ports per country", "country", &t.country_ports);
    section(&mut o, "backscatter", "7. Backscatter (DoS victims)");
    compared(&mut o, "Victim service ports", "port", &t.backscatter_ports, true);
    compared(&mut o, "Victim countries", "country", &t.backscatter_countries, true);
    section(&mut o, "no-scanners", "8. Without research scanners");
    let _ = write!(
        o,
        r#"<p class="note">Research scanners (the scanner list of the store's parts) sent {} of the period's packets.</p>"#,
        escape(&share(r.totals.research_scanner_share))
    );
    compared(&mut o, "Research-scanner organisations", "organisation", &t.scanners, false);
    compared(&mut o, "Destination ports without research scanners", "port", &t.ports_no_scanners, false);
    compared(&mut o, "Largest increases", "port", &t.ports_no_scanners_increase, false);
    compared(&mut o, "Largest decreases", "port", &t.ports_no_scanners_decrease, false);
    compared(&mut o, "Source countries without research scanners", "country", &t.countries_no_scanners, false);
    compared(&mut o, "Largest increases", "country", &t.countries_no_scanners_increase, false);
    compared(&mut o, "Largest decreases", "country", &t.countries_no_scanners_decrease, false);
    section(&mut o, "charts", "9. Charts");
    charts(&mut o, r);
    if let Some(c) = &r.changes {
        changes(&mut o, c, r.min_baseline);
    }
    super::dos::html(&mut o, &r.dos_victims);
    super::networks::html(&mut o, &r.networks);
    super::scans::html(&mut o, &r.scan_events);
    super::intrusions::html(&mut o, &r.intrusions);
    o.push_str("</section></main></body></html>\n");
    o
}

/// Section 10: the alerts against the store's trailing days.
fn changes(o: &mut String, c: &Changes, min_packets: u64) {
    section(o, "changes", "10. What changed");
    let _ = write!(o, r#"<p class="note">{}</p>"#, escape(&changes_note(c, min_packets)));
    if c.alerts.is_empty() {
        o.push_str(r#"<p class="note">No alert.</p>"#);
        return;
    }
    let columns = [
        ("kind", false),
        ("key", false),
        ("change", false),
        ("packets", true),
        ("per IP/day", true),
        ("usual per IP/day", true),
        ("× usual", true),
        ("score", true),
    ];
    table_head(o, "Alerts", &columns);
    for a in &c.alerts {
        cells(
            o,
            &[
                (a.kind.to_string(), false),
                (a.key.clone(), false),
                (a.change.to_string(), false),
                (grouped(a.packets), true),
                (rate(Some(a.per_ip_day)), true),
                (rate(Some(a.usual_per_ip_day)), true),
                (a.ratio.map_or("—".into(), |x| format!("{x:.2}")), true),
                (format!("{:+.1}", a.score), true),
            ],
        );
    }
    o.push_str("</tbody></table>");
}
