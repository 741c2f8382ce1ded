//! Section 11, "DoS victims", in each format: a note with the counts,
//! then the top victims, the victims' countries and the attacks per day
//! (Markdown and HTML tables; three CSV files).

use std::fmt::Write;

use super::html::{cells, section, table_head};
use super::markdown::md;
use super::numbers::grouped;
use super::svg::escape;
use crate::report::analysis::attacks::DosVictims;

const TITLE: &str = "11. DoS victims";

/// The counts, the profile and what the numbers mean.
fn note(d: &DosVictims) -> String {
    let profiles = if d.profiles.is_empty() { "none stored".to_string() } else { d.profiles.join(", ") };
    format!(
        "{} attacks on {} victims, {} backscatter packets (attacks found in each replay's backscatter, by the \
         day they started; profile: {profiles}).",
        grouped(d.attacks),
        grouped(d.victims),
        grouped(d.packets)
    )
}

const VICTIM_COLUMNS: [(&str, bool); 10] = [
    ("victim", false),
    ("country", false),
    ("attacks", true),
    ("packets", true),
    ("protocols", false),
    ("ports", false),
    ("first seen", false),
    ("last seen", false),
    ("longest (s)", true),
    ("peak per minute", true),
];

/// Each top victim's cells, as text.
fn victim_cells(d: &DosVictims) -> impl Iterator<Item = [String; 10]> + '_ {
    d.top_victims.iter().map(|v| {
        [
            v.victim.clone(),
            v.country.clone(),
            grouped(v.attacks),
            grouped(v.packets),
            v.protos.join(" "),
            v.ports.join(" "),
            v.first_seen.clone(),
            v.last_seen.clone(),
            format!("{:.0}", v.longest_secs),
            grouped(v.peak_packets_per_minute),
        ]
    })
}

pub fn markdown(o: &mut String, d: &DosVictims) {
    let _ = writeln!(o, "\n## {TITLE}\n\n{}", note(d));
    if d.attacks == 0 {
        return;
    }
    let _ = writeln!(o, "\n### Top victims\n");
    let names: Vec<&str> = VICTIM_COLUMNS.iter().map(|c| c.0).collect();
    let _ = writeln!(o, "| {} |", names.join(" | "));
    let aligns: Vec<&str> = VICTIM_COLUMNS.iter().map(|c| if c.1 { "---:" } else { "---" }).collect();
    let _ = writeln!(o, "|{}|", aligns.join("|"));
    for row in victim_cells(d) {
        let row: Vec<String> = row.iter().map(|c| md(c).into_owned()).collect();
        let _ = writeln!(o, "| {} |", row.join(" | "));
    }
    let _ = writeln!(o, "\n### Victim countries\n\n| country | attacks | victims | packets |\n|---|---:|---:|---:|");
    for c in &d.countries {
        let (a, v, p) = (grouped(c.attacks), grouped(c.victims), grouped(c.packets));
        let _ = writeln!(o, "| {} | {a} | {v} | {p} |", md(&c.country));
    }
    let _ = writeln!(o, "\n### Attacks per day\n\n| day | attacks | victims | packets |\n|---|---:|---:|---:|");
    for r in &d.per_day {
        let _ = writeln!(o, "| {} | {} | {} | {} |", r.day, grouped(r.attacks), grouped(r.victims), grouped(r.packets));
    }
}

pub fn html(o: &mut String, d: &DosVictims) {
    section(o, "dos-victims", TITLE);
    let _ = write!(o, r#"<p class="note">{}</p>"#, escape(&note(d)));
    if d.attacks == 0 {
        return;
    }
    table_head(o, "Top victims", &VICTIM_COLUMNS);
    for row in victim_cells(d) {
        let row: Vec<(String, bool)> = row.into_iter().zip(VICTIM_COLUMNS).map(|(v, (_, n))| (v, n)).collect();
        cells(o, &row);
    }
    o.push_str("</tbody></table>");
    let counts = [("attacks", true), ("victims", true), ("packets", true)];
    table_head(o, "Victim countries", &[[("country", false)].as_slice(), &counts].concat());
    for c in &d.countries {
        let row = [c.country.clone(), grouped(c.attacks), grouped(c.victims), grouped(c.packets)];
        cells(o, &row.into_iter().zip([false, true, true, true]).collect::<Vec<_>>());
    }
    o.push_str("</tbody></table>");
    table_head(o, "Attacks per day", &[[("day", false)].as_slice(), &counts].concat());
    for r in &d.per_day {
        let row = [r.day.clone(), grouped(r.attacks), grouped(r.victims), grouped(r.packets)];
        cells(o, &row.into_iter().zip([false, true, true, true]).collect::<Vec<_>>());
    }
    o.push_str("</tbody></table>");
}

/// `dos_victims.csv`, `dos_countries.csv`, `dos_per_day.csv` (plain numbers).
pub fn csv(d: &DosVictims) -> Vec<(&'static str, String)> {
    use super::csv::text;
    let mut victims = "victim,country,attacks,packets,bytes,protos,ports,first_seen,last_seen,longest_secs,\
                       peak_packets_per_minute\n"
        .to_string();
    for v in &d.top_victims {
        let _ = writeln!(
            victims,
            "{},{},{},{},{},{},{},{},{},{},{}",
            text(&v.victim),
            text(&v.country),
            v.attacks,
            v.packets,
            v.bytes,
            text(&v.protos.join(" ")),
            text(&v.ports.join(" ")),
            v.first_seen,
            v.last_seen,
            v.longest_secs,
            v.peak_packets_per_minute
        );
    }
    let mut countries = "country,attacks,victims,packets\n".to_string();
    for c in &d.countries {
        let _ = writeln!(countries, "{},{},{},{}", text(&c.country), c.attacks, c.victims, c.packets);
    }
    let mut days = "day,attacks,victims,packets\n".to_string();
    for r in &d.per_day {
        let _ = writeln!(days, "{},{},{},{}", r.day, r.attacks, r.victims, r.packets);
    }
    vec![("dos_victims", victims), ("dos_countries", countries), ("dos_per_day", days)]
}
