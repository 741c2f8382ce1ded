//! Section 12, "Networks", in each format: the origin-AS ranking with its
//! increases and decreases, the ports of each top AS, and the distinct
//! source ASes of each top port.

use std::fmt::Write;

use super::numbers::{grouped, share};
use super::svg::escape;
use super::{csv, html, markdown};
use crate::report::analysis::networks::Networks;

const TITLE: &str = "12. Networks (origin ASes)";

fn note(n: &Networks) -> String {
    format!(
        "Sources' origin ASes from the AS table the store was written with (column asn of sources); {} of the \
         period's packets came from sources with one.",
        share(n.share_with_asn)
    )
}

pub fn markdown(o: &mut String, n: &Networks) {
    let _ = writeln!(o, "\n## {TITLE}\n\n{}", note(n));
    markdown::compared(o, "Ranking", "AS", &n.asns, false);
    markdown::compared(o, "Largest increases", "AS", &n.asns_increase, false);
    markdown::compared(o, "Largest decreases", "AS", &n.asns_decrease, false);
    markdown::breakdowns(o, "Ports per AS", "no ASes", &n.asn_ports);
    let _ = writeln!(o, "\n### Source ASes of the top ports\n\n| port | packets | source ASes |\n|---|---:|---:|");
    for p in &n.port_source_asns {
        let _ = writeln!(o, "| {} | {} | {} |", markdown::md(&p.port), grouped(p.packets), grouped(p.source_asns));
    }
}

pub fn html(o: &mut String, n: &Networks) {
    html::section(o, "networks", TITLE);
    let _ = write!(o, r#"<p class="note">{}</p>"#, escape(&note(n)));
    html::compared(o, "Ranking", "AS", &n.asns, false);
    html::compared(o, "Largest increases", "AS", &n.asns_increase, false);
    html::compared(o, "Largest decreases", "AS", &n.asns_decrease, false);
    html::breakdowns(o, "Ports per AS", "AS", &n.asn_ports);
    html::table_head(o, "Source ASes of the top ports", &[("port", false), ("packets", true), ("source ASes", true)]);
    for p in &n.port_source_asns {
        html::cells(o, &[(p.port.clone(), false), (grouped(p.packets), true), (grouped(p.source_asns), true)]);
    }
    o.push_str("</tbody></table>");
}

/// `asns.csv`, `asns_increase.csv`, `asns_decrease.csv`, `asn_ports.csv`,
/// `port_source_asns.csv`.
pub fn csv(n: &Networks) -> Vec<(&'static str, String)> {
    let mut ports = "port,packets,source_asns\n".to_string();
    for p in &n.port_source_asns {
        let _ = writeln!(ports, "{},{},{}", csv::text(&p.port), p.packets, p.source_asns);
    }
    vec![
        ("asns", csv::rows(&n.asns)),
        ("asns_increase", csv::rows(&n.asns_increase)),
        ("asns_decrease", csv::rows(&n.asns_decrease)),
        ("asn_ports", csv::breakdowns("asn", &n.asn_ports)),
        ("port_source_asns", ports),
    ]
}
