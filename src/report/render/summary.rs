//! The summary JSON, schema `darkscope.summary/1` (DESIGN.md "Summary
//! JSON"). Keys are sorted (serde_json's map) so output is deterministic;
//! map entries with a zero count are left out, fixed keys always present.

use serde_json::{Map, Value, json};

use crate::aggregate::{Aggregator, MALFORMED_REASONS, country_from_index};
use crate::classify::{Fingerprints, FlagClass};
use crate::decode::IpProto;
use crate::report::{RunInfo, address_days, per_ip_day};

fn nonzero<K: Into<String>>(entries: impl IntoIterator<Item = (K, u64)>) -> Value {
    let mut map = Map::new();
    for (key, count) in entries {
        if count > 0 {
            map.insert(key.into(), json!(count));
        }
    }
    Value::Object(map)
}

/// The non-zero entries of a counter array, keyed by `key(index)` (so
/// only counted entries pay for formatting a key).
pub(super) fn counted<'a>(
    counts: &'a [u64],
    key: impl Fn(usize) -> String + 'a,
) -> impl Iterator<Item = (String, u64)> + 'a {
    counts.iter().enumerate().filter(|(_, n)| **n > 0).map(move |(i, n)| (key(i), *n))
}

pub fn summary_json(agg: &Aggregator, run: &RunInfo) -> Value {
    let c = &agg.counts;
    let t = &agg.traffic;
    let protocols = nonzero(counted(&t.protocols, |n| IpProto(n as u8).name().into_owned()));
    let ports = agg.hourly.totals();
    let (tcp_ports, udp_ports) = ports.split_at(65_536);
    let dst_ports =
        nonzero(counted(tcp_ports, |p| format!("tcp/{p}")).chain(counted(udp_ports, |p| format!("udp/{p}"))));
    let icmp_types = nonzero(
        counted(&t.icmp_types, |i| format!("icmp/{i}"))
            .chain(counted(&t.icmpv6_types, |i| format!("icmpv6/{i}")))
            .chain([("icmp/unknown".to_string(), t.icmp_unknown), ("icmpv6/unknown".to_string(), t.icmpv6_unknown)]),
    );
    let mut tcp_flags = Map::new();
    for class in FlagClass::ALL {
        tcp_flags.insert(class.name().into(), json!(t.flag_count(class)));
    }
    let mut backscatter = Map::new();
    backscatter.insert("total".into(), json!(t.backscatter_total()));
    for (kind, n) in t.backscatter_kinds() {
        backscatter.insert(kind.key(), json!(n));
    }
    let mut fingerprints = Map::new();
    for (i, (_, name)) in Fingerprints::NAMES.iter().enumerate() {
        fingerprints.insert((*name).into(), json!(t.fingerprints[i]));
    }
    let days = nonzero(agg.closed.iter().map(|(day, d)| (day.to_string(), d.packets)));
    let countries = nonzero((0..677).map(|i| (country_from_index(i).as_str().to_string(), t.countries[i])));
    let coverage: Map<String, Value> =
        agg.coverage.seconds_by_day().into_iter().map(|(d, s)| (d.to_string(), json!(s))).collect();
    let malformed_reasons = nonzero(MALFORMED_REASONS.iter().enumerate().map(|(i, m)| (m.name(), c.malformed_by[i])));
    let address_days = address_days(agg, run.monitored);
    let mean_daily_sources = agg.closed.mean_daily_sources();
    let labels = agg.closed.tool_labels();
    let inputs: Vec<Value> = run
        .inputs
        .iter()
        .map(|i| {
            json!({
                "path": i.path,
                "format": i.read.format.map(|f| f.to_string()),
                "compression": i.read.compression,
                "link_types": i.read.link_types.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
                "records": i.read.records,
                "warnings": i.read.warnings,
            })
        })
        .collect();
    let mut summary = json!({
        "schema": "darkscope.summary/1",
        "records": c.records,
        "ipv4": c.ipv4,
        "ipv6": c.ipv6,
        "non_ip": c.non_ip,
        "malformed": c.malformed,
        "malformed_reasons": malformed_reasons,
        "darknet_inside": c.darknet_inside,
        "darknet_outside": c.darknet_outside,
        "excluded": c.excluded,
        "inputs": inputs,
        "warnings": run.warnings,
        "packets": t.packets,
        "bytes": t.bytes,
        "protocols": protocols,
        "dst_ports": dst_ports,
        "no_dst_port": {"non_first_fragment": t.non_first_fragment, "truncated": t.port_truncated},
        "icmp_types": icmp_types,
        "tcp_flags": tcp_flags,
        "backscatter": backscatter,
        "fingerprints": fingerprints,
        "tool_labels": {"mirai": labels[0], "masscan": labels[1], "zmap": labels[2]},
        "unique_sources": agg.unique_sources(),
        "unique_sources_per_day": mean_daily_sources,
        "days": days,
        "countries": countries,
        "coverage_seconds": coverage,
        "monitored_addresses": {"count": run.monitored, "basis": run.monitored_basis.name()},
        "address_days": address_days,
        "packets_per_ip_day": per_ip_day(t.packets, address_days),
        "geo": run.geo_description,
    });
    if let Some(alerts) = &run.alerts {
        summary["alerts"] = alerts_json(alerts, address_days);
    }
    summary
}

/// `alerts` (with `--alerts`): the files read, the alerts inside, outside
/// and excluded, and the attack methods ranked by alerts.
fn alerts_json(alerts: &crate::report::AlertsRun, address_days: f64) -> Value {
    let book = &alerts.book;
    let files: Vec<Value> = alerts
        .files
        .iter()
        .map(|(path, r)| {
            json!({"path": path, "lines": r.lines, "alerts": r.alerts, "skipped": r.skipped, "malformed": r.malformed})
        })
        .collect();
    let methods: Vec<Value> = book
        .methods()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({
                "rank": i + 1,
                "key": &*m.method,
                "alerts": m.alerts,
                "per_ip_day": per_ip_day(m.alerts, address_days),
                "sources": m.sources,
            })
        })
        .collect();
    json!({
        "files": files,
        "inside": book.inside,
        "outside": book.outside,
        "excluded": book.excluded,
        "methods_mapping": alerts.methods,
        "attack_methods": methods,
    })
}
