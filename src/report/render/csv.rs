//! The analyst report as CSV: one file per table in a folder (`--out DIR`),
//! with a header row; empty cells where JSON has `null`. Breakdowns (the
//! countries of each port, the ports of each country) become one row per
//! (key, part); the daily series one row per (day, port).

use std::fmt::Write as _;
use std::path::Path;

use crate::report::analysis::ranking::Row;
use crate::report::analysis::{Breakdown, Report, Totals};

const ROW_HEADER: &str =
    "rank,prev_rank,key,packets,per_ip_day,prev_per_ip_day,change_pct,change_abs,sources,share,per_day";

pub(super) fn cell<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

/// A text cell. Names come from data (a user's scanner list, a store's
/// rows), so a cell a spreadsheet would take for a formula (OWASP "CSV
/// injection": starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) gets a leading `'`, unless it is a plain number; then the cell
/// is quoted when it holds a comma, a quote or a line break.
pub(super) fn text(v: &str) -> std::borrow::Cow<'_, str> {
    let formula = v.starts_with(['=', '+', '-', '@', '\t', '\r']) && !v.parse::<f64>().is_ok_and(f64::is_finite);
    let v: std::borrow::Cow<'_, str> = if formula { format!("'{v}").into() } else { v.into() };
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")).into() } else { v }
}

pub(super) fn rows(rows: &[Row]) -> String {
    let mut o = format!("{ROW_HEADER}\n");
    for r in rows {
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},{},{}",
            r.rank,
            cell(r.prev_rank),
            text(&r.key),
            r.packets,
            cell(r.per_ip_day),
            cell(r.prev_per_ip_day),
            cell(r.change_pct),
            cell(r.change_abs),
            cell(r.sources),
            cell(r.share),
            cell(r.per_day)
        );
    }
    o
}

pub(super) fn breakdowns(parent: &str, items: &[Breakdown]) -> String {
    let mut o = format!("{parent},{parent}_packets,rank,key,packets,share\n");
    for b in items {
        for r in &b.rows {
            let _ = writeln!(
                o,
                "{},{},{},{},{},{}",
                text(&b.key),
                b.packets,
                r.rank,
                text(&r.key),
                r.packets,
                cell(r.share)
            );
        }
    }
    o
}

fn totals(period: &str, t: &Totals, o: &mut String) {
    let _ = writeln!(
        o,
        "{},{},{},{},{},{},{},{},{},{},{},{},{}",
        text(period),
        t.packets,
        t.observed_days,
        t.covered_days,
        t.monitored_addresses,
        t.address_days,
        cell(t.per_ip_day),
        cell(t.seconds_between_packets_per_address),
        t.unique_sources,
        t.unique_sources_per_day,
        cell(t.research_scanner_share),
        t.capture_drops,
        t.days_with_drops.join(" ")
    );
}

/// The files of the CSV report: (file name, contents).
pub fn render(r: &Report) -> Vec<(String, String)> {
    let t = &r.tables;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, text: String| out.push((format!("{name}.csv"), text));

    let mut total = "period,packets,observed_days,covered_days,monitored_addresses,address_days,per_ip_day,\
                     seconds_between_packets_per_address,unique_sources,unique_sources_per_day,research_scanner_share,\
                     capture_drops,days_with_drops\n"
        .to_string();
    totals(&format!("{}..{}", r.period.from, r.period.to), &r.totals, &mut total);
    if let (Some(b), Some(bt)) = (&r.baseline, &r.baseline_totals) {
        totals(&format!("{}..{}", b.from, b.to), bt, &mut total);
    }
    add("totals", total);
    for (name, table) in [
        ("ports", &t.ports),
        ("ports_increase", &t.ports_increase),
        ("ports_decrease", &t.ports_decrease),
        ("port_shares", &t.port_shares),
        ("port_shares_home", &t.port_shares_home),
        ("countries", &t.countries),
        ("countries_increase", &t.countries_increase),
        ("countries_decrease", &t.countries_decrease),
        ("backscatter_ports", &t.backscatter_ports),
        ("backscatter_countries", &t.backscatter_countries),
        ("ports_no_scanners", &t.ports_no_scanners),
        ("ports_no_scanners_increase", &t.ports_no_scanners_increase),
        ("ports_no_scanners_decrease", &t.ports_no_scanners_decrease),
        ("countries_no_scanners", &t.countries_no_scanners),
        ("countries_no_scanners_increase", &t.countries_no_scanners_increase),
        ("countries_no_scanners_decrease", &t.countries_no_scanners_decrease),
        ("scanners", &t.scanners),
        ("country_shares", &t.country_shares),
    ] {
        add(name, rows(table));
    }
    add("port_countries", breakdowns("port", &t.port_countries));
    add("country_ports", breakdowns("country", &t.country_ports));
    let mut monthly =
        "month,well_known_packets,other_packets,well_known_per_ip_day,other_per_ip_day,well_known_share\n".to_string();
    for m in &t.well_known_monthly {
        let _ = writeln!(
            monthly,
            "{},{},{},{},{},{}",
            text(&m.month),
            m.well_known_packets,
            m.other_packets,
            cell(m.well_known_per_ip_day),
            cell(m.other_per_ip_day),
            cell(m.well_known_share)
        );
    }
    add("well_known_monthly", monthly);
    let mut daily = "day,port,packets\n".to_string();
    for d in &t.daily_ports {
        for (port, n) in &d.ports {
            let _ = writeln!(daily, "{},{},{n}", text(&d.day), text(port));
        }
    }
    add("daily_ports", daily);
    let mut monthly = "month,port,per_ip_day\n".to_string();
    for m in &t.monthly_ports {
        for (port, rate) in &m.ports {
            let _ = writeln!(monthly, "{},{},{}", text(&m.month), text(port), cell(*rate));
        }
    }
    add("monthly_ports", monthly);
    if let Some(c) = &r.changes {
        let mut changes = "kind,key,change,packets,per_ip_day,usual_per_ip_day,ratio,score\n".to_string();
        for a in &c.alerts {
            let _ = writeln!(
                changes,
                "{},{},{},{},{},{},{},{}",
                a.kind,
                text(&a.key),
                a.change,
                a.packets,
                a.per_ip_day,
                a.usual_per_ip_day,
                cell(a.ratio),
                a.score
            );
        }
        add("changes", changes);
    }
    let sections = [
        super::dos::csv(&r.dos_victims),
        super::networks::csv(&r.networks),
        super::scans::csv(&r.scan_events),
        super::intrusions::csv(&r.intrusions),
    ];
    for (name, text) in sections.into_iter().flatten() {
        add(name, text);
    }
    add("notification", notification(&r.notification));
    out
}

/// `notification.csv`: one row per home-country source; lists are
/// space-separated in their cell.
fn notification(list: &[crate::report::analysis::notify::Notice]) -> String {
    let mut out = "source,asn,as_name,packets,days,first_seen,last_seen,ports,tools,scanner\n".to_string();
    for n in list {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            text(&n.source),
            cell(n.asn),
            text(n.as_name.as_deref().unwrap_or("")),
            n.packets,
            n.days,
            n.first_seen,
            n.last_seen,
            text(&n.ports.join(" ")),
            text(&n.tools.join(" ")),
            text(n.scanner.as_deref().unwrap_or(""))
        );
    }
    out
}

/// Writes the CSV files into `dir` (created if missing).
pub fn write(dir: &Path, r: &Report) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let files = render(r);
    for (name, text) in &files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_stay_numbers() {
        for (raw, cell) in [
            ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
            ("+1+2", "'+1+2"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            ("a,b", "\"a,b\""),
            ("-12.5", "-12.5"),
            ("+3", "+3"),
            ("-inf", "'-inf"),
            ("tcp/23", "tcp/23"),
            ("x=1", "x=1"),
        ] {
            assert_eq!(text(raw), cell, "{raw:?}");
        }
    }
}
