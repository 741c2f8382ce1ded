//! The analyst report as Markdown (the default format): one section per
//! table, numbers formatted for reading ("—" where a change is not shown).
//! Keys come from data (a user's scanner list, a store's rows): each goes
//! through [`md`], so a row keeps its table's columns and no HTML or
//! Markdown of the data's own gets rendered.

use std::borrow::Cow;
use std::fmt::Write;

use super::numbers::{TOTALS, change, changes_note, count, grouped, pct, rank, rate, share};
use crate::report::analysis::changes::Changes;
use crate::report::analysis::ranking::Row;
use crate::report::analysis::{Breakdown, Report};

/// Text from data, safe in a table cell or a list item: `\`, `|`, `*`,
/// `_`, `` ` ``, `[` and `]` backslash-escaped; `&`, `<` and `>` as
/// entities; a line break or another control character as its visible
/// symbol (U+2400 block), so it cannot end the row.
pub(super) fn md(text: &str) -> Cow<'_, str> {
    let plain = |c: char| !c.is_control() && !matches!(c, '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '&' | '<' | '>');
    if text.chars().all(plain) {
        return text.into();
    }
    let mut o = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' => {
                o.push('\\');
                o.push(c);
            }
            '\u{7f}' => o.push('\u{2421}'),
            c if c.is_control() => {
                o.push(char::from_u32(0x2400 + c as u32).filter(|_| (c as u32) < 0x20).unwrap_or('\u{fffd}'))
            }
            c => o.push(c),
        }
    }
    o.into()
}

/// A comparison table; `per_day` shows packets per covered day instead of
/// per day per address.
pub(super) fn compared(o: &mut String, title: &str, key: &str, rows: &[Row], per_day: bool) {
    let _ = writeln!(o, "\n### {title}\n");
    if rows.is_empty() {
        let _ = writeln!(o, "(none)");
        return;
    }
    let unit = if per_day { "packets/day" } else { "per IP/day" };
    let _ = writeln!(o, "| rank | prev | {key} | packets | {unit} | before | change | change abs | sources | share |");
    let _ = writeln!(o, "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let (now, before) = if per_day {
            // Backscatter: packets per covered day; the change is still of
            // the per-IP-per-day rate (same denominators, same ratio).
            (rate(r.per_day), "—".to_string())
        } else {
            (rate(r.per_ip_day), rate(r.prev_per_ip_day))
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {now} | {before} | {} | {} | {} | {} |",
            r.rank,
            rank(r.prev_rank),
            md(&r.key),
            grouped(r.packets),
            pct(r.change_pct),
            change(r.change_abs),
            count(r.sources),
            share(r.share)
        );
    }
}

fn shares(o: &mut String, title: &str, key: &str, rows: &[Row]) {
    let _ = writeln!(o, "\n### {title}\n");
    if rows.is_empty() {
        let _ = writeln!(o, "(none)");
        return;
    }
    let _ = writeln!(o, "| {key} | packets | share |\n|---|---:|---:|");
    for r in rows {
        let _ = writeln!(o, "| {} | {} | {} |", md(&r.key), grouped(r.packets), share(r.share));
    }
}

pub(super) fn breakdowns(o: &mut String, title: &str, key: &str, items: &[Breakdown]) {
    let _ = writeln!(o, "\n### {title}\n");
    for b in items {
        let parts: Vec<String> = b.rows.iter().map(|r| format!("{} {}", md(&r.key), share(r.share))).collect();
        let _ = writeln!(o, "* **{}** ({} packets): {}", md(&b.key), grouped(b.packets), parts.join(", "));
    }
    if items.is_empty() {
        let _ = writeln!(o, "(none; {key})");
    }
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Darknet report {} .. {}", r.period.from, r.period.to);
    if let Some(note) = super::day_note(r) {
        let _ = writeln!(o, "\n{note}");
    }
    match &r.baseline {
        Some(b) => {
            let _ = writeln!(
                o,
                "\nCompared with {} .. {}. Changes are of packets per day per address; \"—\" where the baseline \
                 has fewer than {} packets.",
                b.from, b.to, r.min_baseline
            );
        }
        None => {
            let _ = writeln!(o, "\nNo baseline period in the store: no comparison.");
        }
    }
    let t = &r.totals;
    let _ = writeln!(o, "\n## 1. Totals\n");
    let _ = writeln!(o, "| | this period | baseline |\n|---|---:|---:|");
    let b = r.baseline_totals.as_ref();
    for (name, value) in TOTALS {
        let _ = writeln!(o, "| {name} | {} | {} |", value(t), b.map_or_else(|| "—".into(), value));
    }

    let tables = &r.tables;
    let _ = writeln!(o, "\n## 2. Destination ports");
    compared(&mut o, "Ranking", "port", &tables.ports, false);
    compared(&mut o, "Largest increases", "port", &tables.ports_increase, false);
    compared(&mut o, "Largest decreases", "port", &tables.ports_decrease, false);

    let _ = writeln!(o, "\n## 3. Well-known (0-1023) vs other ports per month\n");
    let _ = writeln!(o, "| month | well-known | other | well-known per IP/day | other per IP/day | well-known share |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    for m in &tables.well_known_monthly {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            md(&m.month),
            grouped(m.well_known_packets),
            grouped(m.other_packets),
            rate(m.well_known_per_ip_day),
            rate(m.other_per_ip_day),
            share(m.well_known_share)
        );
    }

    let _ = writeln!(o, "\n## 4. Port shares");
    shares(&mut o, "All sources", "port", &tables.port_shares);
    shares(&mut o, &format!("Sources in {}", md(&r.home_country)), "port", &tables.port_shares_home);

    let _ = writeln!(o, "\n## 5. Source countries of the top ports");
    breakdowns(&mut o, "Countries per port", "no ports", &tables.port_countries);

    let _ = writeln!(o, "\n## 6. Source countries");
    compared(&mut o, "Ranking", "country", &tables.countries, false);
    compared(&mut o, "Largest increases", "country", &tables.countries_increase, false);
    compared(&mut o, "Largest decreases", "country", &tables.countries_decrease, false);
    breakdowns(&mut o, "Ports per country", "no countries", &tables.country_ports);

    let _ = writeln!(o, "\n## 7. Backscatter (DoS victims)");
    compared(&mut o, "Victim service ports", "port", &tables.backscatter_ports, true);
    compared(&mut o, "Victim countries", "country", &tables.backscatter_countries, true);

    let _ = writeln!(
        o,
        "\n## 8. Without research scanners\n\nResearch scanners (the scanner list of the store's parts) sent {} of \
         the period's packets.",
        share(t.research_scanner_share)
    );
    compared(&mut o, "Research-scanner organisations", "organisation", &tables.scanners, false);
    compared(&mut o, "Destination ports without research scanners", "port", &tables.ports_no_scanners, false);
    compared(&mut o, "Largest increases", "port", &tables.ports_no_scanners_increase, false);
    compared(&mut o, "Largest decreases", "port", &tables.ports_no_scanners_decrease, false);
    compared(&mut o, "Source countries without research scanners", "country", &tables.countries_no_scanners, false);
    compared(&mut o, "Largest increases", "country", &tables.countries_no_scanners_increase, false);
    compared(&mut o, "Largest decreases", "country", &tables.countries_no_scanners_decrease, false);

    let _ = writeln!(o, "\n## 9. Daily packets of the top ports\n");
    daily(&mut o, &tables.daily_ports);
    if let Some(c) = &r.changes {
        changes(&mut o, c, r.min_baseline);
    }
    super::dos::markdown(&mut o, &r.dos_victims);
    super::networks::markdown(&mut o, &r.networks);
    super::scans::markdown(&mut o, &r.scan_events);
    super::intrusions::markdown(&mut o, &r.intrusions);
    o
}

/// Section 10: the alerts against the store's trailing days.
fn changes(o: &mut String, c: &Changes, min_packets: u64) {
    let _ = writeln!(o, "\n## 10. What changed\n\n{}\n", changes_note(c, min_packets));
    if c.alerts.is_empty() {
        let _ = writeln!(o, "(no alert)");
        return;
    }
    let _ = writeln!(o, "| kind | key | change | packets | per IP/day | usual per IP/day | × usual | score |");
    let _ = writeln!(o, "|---|---|---|---:|---:|---:|---:|---:|");
    for a in &c.alerts {
        let ratio = a.ratio.map_or("—".into(), |x| format!("{x:.2}"));
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {ratio} | {:+.1} |",
            a.kind,
            md(&a.key),
            a.change,
            grouped(a.packets),
            rate(Some(a.per_ip_day)),
            rate(Some(a.usual_per_ip_day)),
            a.score
        );
    }
}

/// The daily series as a table: one row per day, one column per top port
/// (the charts of the HTML report draw the same numbers).
fn daily(o: &mut String, rows: &[crate::report::analysis::DailyRow]) {
    let Some(first) = rows.first() else {
        let _ = writeln!(o, "(none)");
        return;
    };
    let ports: Vec<&String> = first.ports.keys().collect();
    let _ = writeln!(o, "| day | {} |", ports.iter().map(|p| md(p)).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(o, "|---|{}", "---:|".repeat(ports.len()));
    for r in rows {
        let cells: Vec<String> = ports.iter().map(|p| grouped(r.ports.get(*p).copied().unwrap_or(0))).collect();
        let _ = writeln!(o, "| {} | {} |", md(&r.day), cells.join(" | "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_keeps_its_cell_and_renders_no_markup() {
        assert_eq!(md("tcp/23"), "tcp/23");
        assert_eq!(md("a|b"), "a\\|b");
        assert_eq!(md("a\\|b"), "a\\\\\\|b");
        assert_eq!(md("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(md("AT&T"), "AT&amp;T");
        assert_eq!(md("[x](http://evil) *b* _i_ `c`"), "\\[x\\](http://evil) \\*b\\* \\_i\\_ \\`c\\`");
        assert_eq!(md("a\nb\r\tc\u{7f}"), "a\u{240a}b\u{240d}\u{2409}c\u{2421}");
        assert_eq!(md("x\u{85}y"), "x\u{fffd}y");
    }
}
