//! Section 14, "Intrusion attempts", in each format: a note with the
//! counts (or the one line saying the period has no alerts), the attack
//! methods and the source countries as the NPA prints them (rank and
//! previous rank, alerts per IP per day now and before, change, increase
//! and decrease ranks, sources, alerts), the top five methods' monthly
//! alerts per IP per day (a chart in HTML), the methods' shares, and each
//! top country's methods.

use std::fmt::Write;

use super::html::{cells, section, table_head};
use super::markdown::md;
use super::numbers::{change, grouped, pct, rank, rate, share};
use super::svg::{self, Series, escape};
use crate::report::analysis::intrusions::{AttackRow, Intrusions};

/// Methods in the monthly series (as the ports' monthly chart).
const SERIES: usize = 5;

/// The monthly series' methods, and per method its rate in each month.
fn series(s: &Intrusions) -> (Vec<String>, Vec<Series>) {
    let months = s.attack_methods_monthly.iter().map(|m| m.month.clone()).collect();
    let lines = s
        .attack_methods
        .iter()
        .take(SERIES)
        .map(|r| Series {
            name: r.key.clone(),
            values: s.attack_methods_monthly.iter().map(|m| m.methods.get(&r.key).copied().flatten()).collect(),
        })
        .collect();
    (months, lines)
}

const MONTHLY_TITLE: &str = "Top attack methods by month (alerts per IP per day)";
const SHARES_TITLE: &str = "Shares of the attack methods";

const TITLE: &str = "14. Intrusion attempts";

fn note(s: &Intrusions) -> String {
    if s.alerts == 0 {
        return "No IDS alerts in the period (replay --alerts stores them).".into();
    }
    format!(
        "{} IDS alerts from {} sources (an alert's attack method: the method mapping's first match, else its \
         signature's family, else its category; alerts per IP per day: over the period's address-days, as the \
         packets).",
        grouped(s.alerts),
        grouped(s.sources)
    )
}

/// Column names and whether each is numeric.
fn columns(key: &'static str) -> [(&'static str, bool); 11] {
    [
        ("rank", true),
        ("prev", true),
        (key, false),
        ("per IP/day", true),
        ("before", true),
        ("change %", true),
        ("change", true),
        ("rise", true),
        ("fall", true),
        ("sources", true),
        ("alerts", true),
    ]
}

fn row_cells(r: &AttackRow) -> [String; 11] {
    [
        r.rank.to_string(),
        rank(r.prev_rank),
        r.key.clone(),
        rate(r.per_ip_day),
        rate(r.prev_per_ip_day),
        pct(r.change_pct),
        change(r.change_abs),
        rank(r.rise_rank),
        rank(r.fall_rank),
        r.sources.map_or_else(|| "—".into(), grouped),
        grouped(r.alerts),
    ]
}

/// The two rankings: (title, key column, rows).
fn tables(s: &Intrusions) -> [(&'static str, &'static str, &[AttackRow]); 2] {
    [
        ("Attack methods", "attack method", &s.attack_methods),
        ("Source countries of the alerts", "country", &s.attack_countries),
    ]
}

pub fn markdown(o: &mut String, s: &Intrusions) {
    let _ = writeln!(o, "\n## {TITLE}\n\n{}", note(s));
    if s.alerts == 0 {
        return;
    }
    for (title, key, rows) in tables(s) {
        let cols = columns(key);
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        let aligns: Vec<&str> = cols.iter().map(|c| if c.1 { "---:" } else { "---" }).collect();
        let _ = writeln!(o, "\n### {title}\n\n| {} |\n|{}|", names.join(" | "), aligns.join("|"));
        for r in rows {
            let cells: Vec<String> = row_cells(r).iter().map(|c| md(c).into_owned()).collect();
            let _ = writeln!(o, "| {} |", cells.join(" | "));
        }
    }
    let (months, lines) = series(s);
    let names: Vec<String> = lines.iter().map(|l| md(&l.name).into_owned()).collect();
    let _ =
        writeln!(o, "\n### {MONTHLY_TITLE}\n\n| month | {} |\n|---|{}", names.join(" | "), "---:|".repeat(names.len()));
    for (i, month) in months.iter().enumerate() {
        let rates: Vec<String> = lines.iter().map(|l| rate(l.values[i])).collect();
        let _ = writeln!(o, "| {month} | {} |", rates.join(" | "));
    }
    let _ = writeln!(o, "\n### {SHARES_TITLE}\n\n| attack method | alerts | share |\n|---|---:|---:|");
    for m in &s.attack_method_shares {
        let _ = writeln!(o, "| {} | {} | {} |", md(&m.key), grouped(m.alerts), share(m.share));
    }
    let _ = writeln!(
        o,
        "\n### Attack methods of the top countries\n\n| country | attack method | alerts | share |\n|---|---|---:|---:|"
    );
    for c in &s.attack_method_countries {
        for m in &c.methods {
            let _ = writeln!(o, "| {} | {} | {} | {} |", md(&c.key), md(&m.key), grouped(m.alerts), share(m.share));
        }
    }
}

pub fn html(o: &mut String, s: &Intrusions) {
    section(o, "intrusions", TITLE);
    let _ = write!(o, r#"<p class="note">{}</p>"#, escape(&note(s)));
    if s.alerts == 0 {
        return;
    }
    for (title, key, rows) in tables(s) {
        let cols = columns(key);
        table_head(o, title, &cols);
        for r in rows {
            let row: Vec<(String, bool)> = row_cells(r).into_iter().zip(cols).map(|(v, (_, n))| (v, n)).collect();
            cells(o, &row);
        }
        o.push_str("</tbody></table>");
    }
    let (months, lines) = series(s);
    if !months.is_empty() && !lines.is_empty() {
        o.push_str(&svg::lines("chart-monthly-methods", MONTHLY_TITLE, "per IP/day", &months, &lines));
    }
    let cols = [("attack method", false), ("alerts", true), ("share", true)];
    table_head(o, SHARES_TITLE, &cols);
    for m in &s.attack_method_shares {
        let row = [m.key.clone(), grouped(m.alerts), share(m.share)];
        cells(o, &row.into_iter().zip(cols).map(|(v, (_, n))| (v, n)).collect::<Vec<_>>());
    }
    o.push_str("</tbody></table>");
    let cols = [("country", false), ("attack method", false), ("alerts", true), ("share", true)];
    table_head(o, "Attack methods of the top countries", &cols);
    for c in &s.attack_method_countries {
        for m in &c.methods {
            let row = [c.key.clone(), m.key.clone(), grouped(m.alerts), share(m.share)];
            cells(o, &row.into_iter().zip(cols).map(|(v, (_, n))| (v, n)).collect::<Vec<_>>());
        }
    }
    o.push_str("</tbody></table>");
}

/// `attack_methods.csv`, `attack_countries.csv`, `attack_methods_monthly.csv`,
/// `attack_method_shares.csv`, `attack_method_countries.csv` (plain numbers;
/// none when the period has no alerts).
pub fn csv(s: &Intrusions) -> Vec<(&'static str, String)> {
    use super::csv::{cell, text};
    if s.alerts == 0 {
        return Vec::new();
    }
    let table = |rows: &[AttackRow]| {
        let mut out =
            "rank,prev_rank,key,alerts,per_ip_day,prev_per_ip_day,change_pct,change_abs,rise_rank,fall_rank,sources\n"
                .to_string();
        for r in rows {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                r.rank,
                cell(r.prev_rank),
                text(&r.key),
                r.alerts,
                cell(r.per_ip_day),
                cell(r.prev_per_ip_day),
                cell(r.change_pct),
                cell(r.change_abs),
                cell(r.rise_rank),
                cell(r.fall_rank),
                cell(r.sources)
            );
        }
        out
    };
    let mut mix = "country,country_alerts,method,alerts,share\n".to_string();
    for c in &s.attack_method_countries {
        for m in &c.methods {
            let _ = writeln!(mix, "{},{},{},{},{}", text(&c.key), c.alerts, text(&m.key), m.alerts, cell(m.share));
        }
    }
    let mut monthly = "month,method,per_ip_day\n".to_string();
    for m in &s.attack_methods_monthly {
        for (method, per_ip_day) in &m.methods {
            let _ = writeln!(monthly, "{},{},{}", text(&m.month), text(method), cell(*per_ip_day));
        }
    }
    let mut shares = "method,alerts,share\n".to_string();
    for m in &s.attack_method_shares {
        let _ = writeln!(shares, "{},{},{}", text(&m.key), m.alerts, cell(m.share));
    }
    vec![
        ("attack_methods", table(&s.attack_methods)),
        ("attack_countries", table(&s.attack_countries)),
        ("attack_methods_monthly", monthly),
        ("attack_method_shares", shares),
        ("attack_method_countries", mix),
    ]
}
