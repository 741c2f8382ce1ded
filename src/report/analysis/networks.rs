//! Section 12, "Networks": the origin ASes of the period's sources (the
//! `asn` column of `sources`), ranked like the countries (packets,
//! per-IP-per-day, unique sources, against the baseline), each top AS's
//! ports, and how many distinct source ASes each top port drew (CAIDA's
//! `uniq_src_asn`). AS names come from the bundled AS table.

use std::collections::HashMap;

use serde::Serialize;

use super::period::{PeriodStats, PortKey};
use super::ranking::{Row, breakdown};
use super::tallied;
use super::{Breakdown, ReportOptions, parse_port, ranked, tallies};
use crate::classify::asn::AsnDb;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Networks {
    /// Packets of sources with an origin AS, of all the period's packets.
    pub share_with_asn: Option<f64>,
    pub asns: Vec<Row>,
    pub asns_increase: Vec<Row>,
    pub asns_decrease: Vec<Row>,
    pub asn_ports: Vec<Breakdown>,
    pub port_source_asns: Vec<PortAsns>,
}

/// A top destination port and the distinct origin ASes of its sources.
#[derive(Clone, Debug, Serialize)]
pub struct PortAsns {
    pub port: String,
    pub packets: u64,
    pub source_asns: u64,
}

/// Section 12 of `now` against `before`; `top_ports` are the period's top
/// destination ports (section 2); `db` names the ASes.
pub fn networks(
    now: &PeriodStats,
    before: Option<&PeriodStats>,
    top_ports: &[Row],
    opts: &ReportOptions,
    db: Option<&AsnDb>,
) -> Networks {
    let ranking = ranked(now, before, |s| tallies(&s.asns), opts);
    let named = |mut rows: Vec<Row>| {
        for r in &mut rows {
            r.key = with_name(&r.key, db);
        }
        rows
    };
    let asn_ports = ranking
        .ranking
        .iter()
        .map(|r| {
            let parts: HashMap<PortKey, u64> = now.asn_ports.get(&r.key).cloned().unwrap_or_default();
            Breakdown { key: with_name(&r.key, db), packets: r.packets, rows: breakdown(&parts, r.packets, opts.top) }
        })
        .collect();
    let with_asn = tallied(now.asns.values().map(|t| t.packets));
    let port_source_asns = top_ports
        .iter()
        .filter_map(|r| {
            let key = parse_port(&r.key)?;
            Some(PortAsns {
                port: r.key.clone(),
                packets: r.packets,
                source_asns: now.port_asns.get(&key).copied().unwrap_or(0),
            })
        })
        .collect();
    Networks {
        share_with_asn: (now.packets > 0).then(|| with_asn as f64 / now.packets as f64),
        asns: named(ranking.ranking),
        asns_increase: named(ranking.increase),
        asns_decrease: named(ranking.decrease),
        asn_ports,
        port_source_asns,
    }
}

/// `AS13335` → `AS13335 Cloudflare, Inc.` when the table names it.
fn with_name(key: &str, db: Option<&AsnDb>) -> String {
    let name = key.strip_prefix("AS").and_then(|n| n.parse().ok()).and_then(|n| db?.name(n));
    match name {
        Some(name) => format!("{key} {name}"),
        None => key.to_string(),
    }
}
