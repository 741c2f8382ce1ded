//! Section 13, "Scanners", in each format: a note with the counts, then
//! the top scanners, the tools' shares, research-list against unknown
//! scanners, events per traffic type and per day, and the sources with
//! many ports per day (Markdown and HTML tables; four CSV files).

use std::fmt::Write;

use super::html::{cells, section, table_head};
use super::markdown::md;
use super::numbers::grouped;
use super::svg::escape;
use crate::report::analysis::scans::{GroupRow, ScanEvents};

const TITLE: &str = "13. Scanners";

/// The counts and what the numbers mean.
fn note(s: &ScanEvents) -> String {
    format!(
        "{} scan events from {} sources, {} probe packets (a scan event: one source's probes of one port or ICMP \
         type by one traffic type until they pause longer than the timeout, kept when they reached the \
         minimum of distinct darknet addresses; found in each replay, by the day they started).",
        grouped(s.events),
        grouped(s.sources),
        grouped(s.packets)
    )
}

const SCANNER_COLUMNS: [(&str, bool); 10] = [
    ("source", false),
    ("country", false),
    ("research list", false),
    ("events", true),
    ("packets", true),
    ("most addresses", true),
    ("ports", false),
    ("tools", false),
    ("first seen", false),
    ("last seen", false),
];

/// Each top scanner's cells, as text.
fn scanner_cells(s: &ScanEvents) -> impl Iterator<Item = [String; 10]> + '_ {
    s.top_scanners.iter().map(|r| {
        [
            r.source.clone(),
            r.country.clone(),
            r.scanner.clone().unwrap_or_else(|| "—".into()),
            grouped(r.events),
            grouped(r.packets),
            grouped(r.max_darknet_addrs),
            r.ports.join(" "),
            if r.tools.is_empty() { "—".into() } else { r.tools.join(" ") },
            r.first_seen.clone(),
            r.last_seen.clone(),
        ]
    })
}

/// The small tables: (title, first column, rows as cells).
fn groups(s: &ScanEvents) -> Vec<(&'static str, &'static str, Vec<[String; 4]>)> {
    let cells = |g: &GroupRow| [g.name.clone(), grouped(g.events), grouped(g.sources), grouped(g.packets)];
    let share = |g: &GroupRow| {
        let pct = if s.packets > 0 {
            format!(" ({:.1} %)", 100.0 * g.packets as f64 / s.packets as f64)
        } else {
            String::new()
        };
        let mut row = cells(g);
        row[3] += &pct;
        row
    };
    let days = s.per_day.iter().map(|d| [d.day.clone(), grouped(d.events), grouped(d.sources), grouped(d.packets)]);
    vec![
        ("Tools", "tool", s.tools.iter().map(share).collect()),
        ("Research list and others", "scanners", [&s.research, &s.unknown].into_iter().map(share).collect()),
        ("Traffic types", "type", s.types.iter().map(cells).collect()),
        ("Scan events per day", "day", days.collect()),
    ]
}

const GROUP_COUNTS: [&str; 3] = ["events", "sources", "packets"];

/// The sources with many ports, per day.
fn spread_cells(s: &ScanEvents) -> impl Iterator<Item = [String; 3]> + '_ {
    s.port_spread.iter().map(|d| [d.day.clone(), grouped(d.sources_100_ports), grouped(d.sources_over_10_ports)])
}

const SPREAD_TITLE: &str = "Sources with many destination ports per day";
const SPREAD_COLUMNS: [&str; 3] = ["day", "≥ 100 ports (NPA)", "> 10 ports (JPCERT)"];

pub fn markdown(o: &mut String, s: &ScanEvents) {
    let _ = writeln!(o, "\n## {TITLE}\n\n{}", note(s));
    if s.events > 0 {
        let _ = writeln!(o, "\n### Top scanners\n");
        let names: Vec<&str> = SCANNER_COLUMNS.iter().map(|c| c.0).collect();
        let _ = writeln!(o, "| {} |", names.join(" | "));
        let aligns: Vec<&str> = SCANNER_COLUMNS.iter().map(|c| if c.1 { "---:" } else { "---" }).collect();
        let _ = writeln!(o, "|{}|", aligns.join("|"));
        for row in scanner_cells(s) {
            let row: Vec<String> = row.iter().map(|c| md(c).into_owned()).collect();
            let _ = writeln!(o, "| {} |", row.join(" | "));
        }
        for (title, first, rows) in groups(s) {
            let _ = writeln!(o, "\n### {title}\n\n| {first} | {} |\n|---|---:|---:|---:|", GROUP_COUNTS.join(" | "));
            for r in rows {
                let _ = writeln!(o, "| {} | {} | {} | {} |", md(&r[0]), r[1], r[2], r[3]);
            }
        }
    }
    let _ = writeln!(o, "\n### {SPREAD_TITLE}\n\n| {} |\n|---|---:|---:|", SPREAD_COLUMNS.join(" | "));
    for r in spread_cells(s) {
        let _ = writeln!(o, "| {} | {} | {} |", r[0], r[1], r[2]);
    }
}

pub fn html(o: &mut String, s: &ScanEvents) {
    section(o, "scan-events", TITLE);
    let _ = write!(o, r#"<p class="note">{}</p>"#, escape(&note(s)));
    if s.events > 0 {
        table_head(o, "Top scanners", &SCANNER_COLUMNS);
        for row in scanner_cells(s) {
            let row: Vec<(String, bool)> = row.into_iter().zip(SCANNER_COLUMNS).map(|(v, (_, n))| (v, n)).collect();
            cells(o, &row);
        }
        o.push_str("</tbody></table>");
        for (title, first, rows) in groups(s) {
            let columns: Vec<(&str, bool)> =
                [(first, false)].into_iter().chain(GROUP_COUNTS.map(|c| (c, true))).collect();
            table_head(o, title, &columns);
            for r in rows {
                cells(o, &r.into_iter().zip([false, true, true, true]).collect::<Vec<_>>());
            }
            o.push_str("</tbody></table>");
        }
    }
    let columns: Vec<(&str, bool)> = SPREAD_COLUMNS.iter().enumerate().map(|(i, c)| (*c, i > 0)).collect();
    table_head(o, SPREAD_TITLE, &columns);
    for r in spread_cells(s) {
        cells(o, &r.into_iter().zip([false, true, true]).collect::<Vec<_>>());
    }
    o.push_str("</tbody></table>");
}

/// `scan_sources.csv`, `scan_groups.csv`, `scans_per_day.csv`,
/// `port_spread.csv` (plain numbers).
pub fn csv(s: &ScanEvents) -> Vec<(&'static str, String)> {
    use super::csv::text;
    let mut scanners =
        "source,country,scanner,events,packets,max_darknet_addrs,ports,tools,first_seen,last_seen\n".to_string();
    for r in &s.top_scanners {
        let _ = writeln!(
            scanners,
            "{},{},{},{},{},{},{},{},{},{}",
            text(&r.source),
            text(&r.country),
            text(r.scanner.as_deref().unwrap_or("")),
            r.events,
            r.packets,
            r.max_darknet_addrs,
            text(&r.ports.join(" ")),
            text(&r.tools.join(" ")),
            r.first_seen,
            r.last_seen
        );
    }
    let mut tools = "group,name,events,sources,packets\n".to_string();
    let listed = [("research", &s.research), ("research", &s.unknown)];
    let rows = s.tools.iter().map(|g| ("tool", g)).chain(listed).chain(s.types.iter().map(|g| ("type", g)));
    for (group, g) in rows {
        let _ = writeln!(tools, "{group},{},{},{},{}", text(&g.name), g.events, g.sources, g.packets);
    }
    let mut days = "day,events,sources,packets\n".to_string();
    for d in &s.per_day {
        let _ = writeln!(days, "{},{},{},{}", d.day, d.events, d.sources, d.packets);
    }
    let mut spread = "day,sources_100_ports,sources_over_10_ports\n".to_string();
    for d in &s.port_spread {
        let _ = writeln!(spread, "{},{},{}", d.day, d.sources_100_ports, d.sources_over_10_ports);
    }
    vec![("scan_sources", scanners), ("scan_groups", tools), ("scans_per_day", days), ("port_spread", spread)]
}
