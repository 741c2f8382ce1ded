//! The human summary of a replay, for a terminal (or stderr when the JSON
//! summary goes to stdout). Ports are written `23/TCP`, as operators do.

use std::fmt::Write;

use super::numbers::grouped;
use super::summary::counted;
use crate::aggregate::{Aggregator, country_from_index};
use crate::classify::Fingerprints;
use crate::report::{RunInfo, address_days, per_ip_day};

fn share(n: u64, of: u64) -> String {
    if of == 0 { "-".into() } else { format!("{:.2}%", 100.0 * n as f64 / of as f64) }
}

fn rate(packets: u64, address_days: f64) -> String {
    per_ip_day(packets, address_days).map_or_else(|| "-".into(), |r| format!("{r:.3}"))
}

/// Keys with counts, sorted by count descending, then by key order given.
fn top<K: Clone>(entries: impl IntoIterator<Item = (K, u64)>, n: usize) -> Vec<(K, u64)> {
    let mut all: Vec<(usize, K, u64)> =
        entries.into_iter().enumerate().filter(|(_, (_, c))| *c > 0).map(|(i, (k, c))| (i, k, c)).collect();
    all.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    all.into_iter().take(n).map(|(_, k, c)| (k, c)).collect()
}

pub fn render_terminal(agg: &Aggregator, run: &RunInfo, top_n: usize) -> String {
    let mut o = String::new();
    let c = &agg.counts;
    let t = &agg.traffic;
    let ad = address_days(agg, run.monitored);
    let covered_h: f64 = agg.coverage.seconds_by_day().values().sum::<f64>() / 3600.0;
    let days = &agg.closed;
    let span = match (days.iter().next(), days.iter().last()) {
        (Some((a, _)), Some((b, _))) => format!("{a} .. {b} ({} days, {covered_h:.1} h covered)", days.len()),
        _ => "no darknet packets".into(),
    };
    let _ = writeln!(o, "darkscope replay: {} input(s), {} records, {span}", run.inputs.len(), grouped(c.records));
    let _ = writeln!(
        o,
        "  records   IPv4 {}  IPv6 {}  non-IP {}  malformed {}",
        grouped(c.ipv4),
        grouped(c.ipv6),
        grouped(c.non_ip),
        grouped(c.malformed)
    );
    let _ = writeln!(
        o,
        "  darknet   inside {}  outside {}  excluded {}  ({} monitored addresses, {})",
        grouped(c.darknet_inside),
        grouped(c.darknet_outside),
        grouped(c.excluded),
        grouped(run.monitored),
        run.monitored_basis.name().replace('_', " ")
    );
    let per_ip = per_ip_day(t.packets, ad);
    let every = per_ip.map_or_else(|| "-".into(), |r| format!("{:.1} s", 86_400.0 / r));
    let _ = writeln!(
        o,
        "  packets   {}  ({} per address per day; one packet every {every} per address)",
        grouped(t.packets),
        rate(t.packets, ad)
    );
    let mean_sources = agg.closed.mean_daily_sources() as u64;
    let _ = writeln!(
        o,
        "  sources   {} unique ({} per day on average)",
        grouped(agg.unique_sources()),
        grouped(mean_sources)
    );

    let totals = agg.hourly.totals();
    let (tcp_ports, udp_ports) = totals.split_at(65_536);
    let ports = counted(tcp_ports, |p| format!("{p}/TCP")).chain(counted(udp_ports, |p| format!("{p}/UDP")));
    let _ = writeln!(o, "\nTop destination ports     packets      share   per IP/day");
    for (i, (port, n)) in top(ports, top_n).into_iter().enumerate() {
        let _ =
            writeln!(o, "  {:>2}  {port:<13} {:>12} {:>9} {:>12}", i + 1, grouped(n), share(n, t.packets), rate(n, ad));
    }

    let countries = (0..677).map(|i| (country_from_index(i), t.countries[i]));
    let _ = writeln!(o, "\nTop source countries      packets      share   per IP/day");
    for (i, (cc, n)) in top(countries, top_n).into_iter().enumerate() {
        let _ = writeln!(
            o,
            "  {:>2}  {:<13} {:>12} {:>9} {:>12}",
            i + 1,
            cc.as_str(),
            grouped(n),
            share(n, t.packets),
            rate(n, ad)
        );
    }

    let bs = t.backscatter_total();
    let kinds: Vec<String> =
        t.backscatter_kinds().into_iter().map(|(k, n)| format!("{} {}", k.key(), grouped(n))).collect();
    let _ = writeln!(o, "\nBackscatter  {} packets ({})", grouped(bs), share(bs, t.packets));
    if !kinds.is_empty() {
        let _ = writeln!(o, "  {}", kinds.join(", "));
    }
    attacks(&mut o, agg, run);
    scans(&mut o, run);
    let fps: Vec<String> = Fingerprints::NAMES
        .iter()
        .enumerate()
        .map(|(i, (_, n))| format!("{n} {}", grouped(t.fingerprints[i])))
        .collect();
    let _ = writeln!(o, "Fingerprints (packets)  {}", fps.join(", "));
    alerts(&mut o, run, ad, top_n);

    let warnings: Vec<String> = run
        .warnings
        .iter()
        .cloned()
        .chain(run.inputs.iter().flat_map(|i| i.read.warnings.iter().map(move |w| format!("{}: {w}", i.path))))
        .collect();
    if !warnings.is_empty() {
        let _ = writeln!(o, "\nWarnings ({})", warnings.len());
        for w in warnings.iter().take(20) {
            let _ = writeln!(o, "  {w}");
        }
        if warnings.len() > 20 {
            let _ = writeln!(o, "  … and {} more (see --summary-json)", warnings.len() - 20);
        }
    }
    o
}

/// The IDS alerts (`--alerts`): what was read, and the attack methods
/// ranked by alerts per address per day.
fn alerts(o: &mut String, run: &RunInfo, address_days: f64, top_n: usize) {
    let Some(alerts) = &run.alerts else {
        return;
    };
    let book = &alerts.book;
    let sum = |f: fn(&crate::decode::AlertsRead) -> u64| alerts.files.iter().map(|(_, r)| f(r)).sum::<u64>();
    let skipped = alerts.files.iter().flat_map(|(_, r)| r.skipped.values()).sum::<u64>();
    let _ = writeln!(
        o,
        "\nIntrusion attempts  {} alerts in the darknet from {} file(s) (methods: {}); outside {}, excluded {}, \
         other events {}, malformed lines {}",
        grouped(book.inside),
        alerts.files.len(),
        alerts.methods,
        grouped(book.outside),
        grouped(book.excluded),
        grouped(skipped),
        grouped(sum(|r| r.malformed))
    );
    let methods = book.methods();
    if methods.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "  {:>2}  {:<32} {:>10} {:>10} {:>12} {:>10}",
        "", "attack method", "alerts", "share", "per IP/day", "sources"
    );
    for (i, m) in methods.iter().take(top_n).enumerate() {
        let _ = writeln!(
            o,
            "  {:>2}  {:<32} {:>10} {:>10} {:>12} {:>10}",
            i + 1,
            m.method,
            grouped(m.alerts),
            share(m.alerts, book.inside),
            rate(m.alerts, address_days),
            grouped(m.sources)
        );
    }
}

/// The DoS attacks line and the largest five.
fn attacks(o: &mut String, agg: &Aggregator, run: &RunInfo) {
    let Some(profile) = run.dos_profile else {
        return;
    };
    let mut victims: Vec<_> = run.attacks.iter().map(|a| a.victim).collect();
    victims.sort_unstable();
    victims.dedup();
    let _ = writeln!(
        o,
        "DoS attacks  {} on {} victim(s) ({} profile)",
        grouped(run.attacks.len() as u64),
        grouped(victims.len() as u64),
        profile.name
    );
    let mut largest: Vec<_> = run.attacks.iter().collect();
    largest.sort_by(|a, b| b.packets.cmp(&a.packets).then(a.first_seen.cmp(&b.first_seen)));
    for a in largest.into_iter().take(5) {
        let estimate = a
            .estimated_pps(run.monitored_ipv4)
            .map_or_else(String::new, |pps| format!(", ~{} pps at the victim (estimate)", grouped(pps.round() as u64)));
        let _ = writeln!(
            o,
            "  {} ({}) {}  {} packets  from {}  for {} s  peak {}/min{estimate}",
            a.victim,
            agg.geo().lookup(a.victim.to_ip()),
            a.proto.name().to_uppercase(),
            grouped(a.packets),
            crate::time::Timestamp(a.first_seen).utc_seconds(),
            grouped(a.duration_secs().round() as u64),
            grouped(a.peak_window_packets),
        );
    }
}

/// The scan events line, its tool labels and the largest five.
fn scans(o: &mut String, run: &RunInfo) {
    let Some(rules) = run.scan_rules else {
        return;
    };
    let mut sources: Vec<_> = run.scans.iter().map(|s| s.source).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut tools = [0u64; 4];
    for s in &run.scans {
        tools[s.tool.map_or(0, |t| t as usize + 1)] += 1;
    }
    let names = ["none", "mirai", "masscan", "zmap"];
    let tools: Vec<String> =
        tools.iter().zip(names).filter(|(n, _)| **n > 0).map(|(n, name)| format!("{name} {}", grouped(*n))).collect();
    let _ = writeln!(
        o,
        "Scan events  {} by {} source(s) (≥ {} destinations, {} s timeout){}",
        grouped(run.scans.len() as u64),
        grouped(sources.len() as u64),
        grouped(u64::from(rules.min_dsts)),
        rules.timeout_ns / crate::time::NANOS_PER_SEC,
        if tools.is_empty() { String::new() } else { format!("; tools: {}", tools.join(", ")) }
    );
    let mut largest: Vec<_> = run.scans.iter().collect();
    largest.sort_by(|a, b| b.packets.cmp(&a.packets).then(a.first_seen.cmp(&b.first_seen)));
    for s in largest.into_iter().take(5) {
        let sweep = s
            .ipv4_sweep_hours(run.monitored_ipv4)
            .map_or_else(String::new, |h| format!(", all of IPv4 in {h:.1} h (estimate)"));
        let _ = writeln!(
            o,
            "  {} ({}) {} {}  {} packets to {} addresses  from {}  for {} s{sweep}",
            s.source,
            s.country,
            s.kind.name(),
            s.port,
            grouped(s.packets),
            grouped(u64::from(s.dsts)),
            crate::time::Timestamp(s.first_seen).utc_seconds(),
            grouped(s.duration_secs().round() as u64),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_orders_by_count_then_position() {
        let got = top(vec![("a", 1), ("b", 5), ("c", 5), ("d", 0)], 3);
        assert_eq!(got, vec![("b", 5), ("c", 5), ("a", 1)]);
    }
}
