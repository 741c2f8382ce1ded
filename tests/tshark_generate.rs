//! End-to-end check of `darkscope generate` + `darkscope replay` against two
//! independent references: the generator's ground truth (every key of the
//! truth file's `summary` must equal the replay summary exactly) and tshark
//! (per-(protocol, port), per-source and per-day counts, read from one
//! tshark pass over the generated file). A second test holds every per-day
//! table of the aggregator (per source, per (source, port), per darknet
//! address) against the same kind of tshark pass.
//!
//! tshark is required: without it this test fails (it never passes
//! silently). Install it with `apt-get install -y tshark` (.ci/run does).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::json::as_counts;

fn darkscope(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_darkscope")).args(args).output().expect("running darkscope");
    assert!(
        out.status.success(),
        "darkscope {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The fields of [`tshark_rows`].
const FIELDS: [&str; 8] =
    ["frame.time_epoch", "ip.src", "ip.dst", "ip.proto", "tcp.dstport", "udp.dstport", "icmp.type", "ip.len"];

/// One tshark pass: [`FIELDS`], first occurrence of each field (the outer
/// header of an ICMP error).
fn tshark_rows(path: &Path) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.env("TZ", "UTC")
        .arg("-n")
        .arg("-r")
        .arg(path)
        .args(["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"])
        .args(["-T", "fields", "-E", "separator=,", "-E", "occurrence=f"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    cmd.args(["-Y", "not icmp or icmp"]);
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("tshark missing: install it (apt-get install -y tshark; .ci/run does)")
        }
        Err(e) => panic!("cannot run tshark: {e}"),
    };
    assert!(out.status.success(), "tshark failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("tshark output is UTF-8")
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// Days since 1970-01-01 → "YYYY-MM-DD" (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn in_darknet(dst: &str) -> bool {
    dst.starts_with("198.18.")
}

#[test]
fn generated_traffic_matches_truth_and_tshark() {
    assert_eq!(civil(19_723), "2024-01-01");
    assert_eq!(civil(0), "1970-01-01");
    let dir = tempfile::tempdir().unwrap();
    let gen_path = dir.path().join("gen.pcap");
    let gen_str = gen_path.to_str().expect("UTF-8 temp path");
    darkscope(&[
        "generate",
        "--out",
        gen_str,
        "--packets",
        "200000",
        "--days",
        "3",
        "--seed",
        "7",
        "--sources",
        "20000",
    ]);
    let summary: Value = serde_json::from_slice(&darkscope(&[
        "replay",
        gen_str,
        "--darknet",
        "198.18.0.0/16",
        "--summary-json",
        "-",
        "--quiet",
    ]))
    .expect("summary JSON parses");
    let truth: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("gen.pcap.truth.json")).expect("reading gen.pcap.truth.json"),
    )
    .expect("truth JSON parses");

    // (a) Every key of the truth's summary, exactly.
    let truth_summary = truth["summary"].as_object().expect("truth.summary");
    assert!(truth_summary.len() >= 19, "truth summary has {} keys", truth_summary.len());
    let mut mismatches = Vec::new();
    for (key, want) in truth_summary {
        if &summary[key] != want {
            mismatches.push(format!("{key}: truth {want} vs replay {}", summary[key]));
        }
    }
    assert!(mismatches.is_empty(), "replay differs from the truth:\n{}", mismatches.join("\n"));
    assert_eq!(summary["packets"].as_u64(), Some(truth_summary["packets"].as_u64().unwrap()));

    // (b) tshark: one pass, counted here.
    let rows = tshark_rows(&gen_path);
    assert_eq!(rows.len() as u64, summary["records"].as_u64().unwrap(), "tshark frames vs records");
    let mut ports: BTreeMap<String, u64> = BTreeMap::new();
    let mut sources: HashMap<String, u64> = HashMap::new();
    let mut days: BTreeMap<String, u64> = BTreeMap::new();
    let mut inside = 0u64;
    for row in &rows {
        let field = |i: usize| row.get(i).map_or("", String::as_str);
        let (ts, src, dst, proto) = (field(0), field(1), field(2), field(3));
        if src.is_empty() || !in_darknet(dst) {
            continue;
        }
        inside += 1;
        *sources.entry(src.to_string()).or_insert(0) += 1;
        let secs: i64 = ts.split('.').next().unwrap_or("").parse().unwrap_or_else(|_| panic!("epoch {ts:?}"));
        *days.entry(civil(secs.div_euclid(86_400))).or_insert(0) += 1;
        let port = match proto {
            "6" => field(4),
            "17" => field(5),
            _ => "",
        };
        if !port.is_empty() {
            let name = if proto == "6" { "tcp" } else { "udp" };
            *ports.entry(format!("{name}/{port}")).or_insert(0) += 1;
        }
    }
    assert_eq!(days.len(), 3, "three UTC days: {days:?}");
    assert!(ports.len() > 100, "tshark saw only {} ports", ports.len());
    assert_eq!(inside, summary["darknet_inside"].as_u64().unwrap(), "tshark inside packets");
    assert_eq!(as_counts(&summary["dst_ports"]), ports, "dst_ports vs tshark");
    assert_eq!(as_counts(&summary["days"]), days, "days vs tshark");
    assert_eq!(summary["unique_sources"].as_u64().unwrap(), sources.len() as u64, "unique_sources vs tshark");
    let top = as_counts(&truth["sources"]);
    assert_eq!(top.len(), 100, "truth lists the top 100 sources");
    for (src, n) in &top {
        assert_eq!(sources.get(src), Some(n), "source {src}: truth vs tshark");
    }
}

/// A tshark epoch ("1704067200.123456000") in nanoseconds.
fn epoch_nanos(ts: &str) -> i64 {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    let frac = format!("{frac:0<9}");
    let secs: i64 = secs.parse().unwrap_or_else(|_| panic!("epoch {ts:?}"));
    secs * 1_000_000_000 + frac[..9].parse::<i64>().unwrap_or_else(|_| panic!("epoch {ts:?}"))
}

/// What tshark says about one source on one day.
#[derive(Debug, Default, PartialEq)]
struct SourceFacts {
    packets: u64,
    bytes: u64,
    first_seen: i64,
    last_seen: i64,
    ports: BTreeMap<(u8, u16), u64>,
    addrs: std::collections::BTreeSet<String>,
}

#[test]
fn per_day_tables_match_tshark() {
    use darkscope::aggregate::{Aggregator, split_source_port_key};
    use darkscope::classify::geo::CountryDb;
    use darkscope::classify::{CidrSet, Telescope};
    use darkscope::decode::IpProto;
    use darkscope::generate::{GenerateConfig, generate};
    use darkscope::source::{Decompress, InputSpec, ReadReport, open_input, read_capture};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gen.pcap");
    let config =
        GenerateConfig { out: path.clone(), packets: 100_000, days: 2, seed: 11, sources: 5_000, ..Default::default() };
    generate(&config).expect("generating the capture");
    let darknet = CidrSet::new(&["198.18.0.0/16".parse().unwrap()]);
    let telescope = Telescope { darknet, exclude: CidrSet::default() };
    let mut agg = Aggregator::new(telescope, CountryDb::bundled().unwrap(), 600.0);
    // Each day's tables as it closes (the first an hour into the second day).
    let days = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = days.clone();
    agg.set_sink(Box::new(move |day| {
        keep.lock().expect("the test's day list").push(day);
        Ok(())
    }));
    let mut input = open_input(&InputSpec::File(path.clone()), None, Decompress::Inline).expect("opening the capture");
    let mut report = ReadReport::default();
    read_capture(&mut input.stream, &mut agg, &mut report).expect("reading the capture");
    agg.end_input(&mut report);
    agg.finish();
    let days = std::mem::take(&mut *days.lock().expect("the test's day list"));
    assert_eq!(days.iter().map(|d| d.day.to_string()).collect::<Vec<_>>(), ["2024-01-01", "2024-01-02"]);

    let mut want: BTreeMap<(String, String), SourceFacts> = BTreeMap::new();
    let mut want_addrs: BTreeMap<(String, String), u64> = BTreeMap::new();
    for row in tshark_rows(&path) {
        let field = |i: usize| row.get(i).map_or("", String::as_str);
        let (src, dst, proto) = (field(1), field(2), field(3));
        if src.is_empty() || !in_darknet(dst) {
            continue;
        }
        let ts = epoch_nanos(field(0));
        let day = civil(ts.div_euclid(86_400_000_000_000));
        *want_addrs.entry((day.clone(), dst.to_string())).or_insert(0) += 1;
        let facts = want.entry((day, src.to_string())).or_insert(SourceFacts {
            first_seen: ts,
            last_seen: ts,
            ..Default::default()
        });
        facts.packets += 1;
        facts.bytes += field(7).parse::<u64>().expect("ip.len");
        facts.first_seen = facts.first_seen.min(ts);
        facts.last_seen = facts.last_seen.max(ts);
        facts.addrs.insert(dst.to_string());
        let port = match proto {
            "6" => field(4),
            "17" => field(5),
            _ => "",
        };
        if !port.is_empty() {
            let proto: u8 = proto.parse().unwrap();
            *facts.ports.entry((proto, port.parse().expect("port"))).or_insert(0) += 1;
        }
    }

    let mut got: BTreeMap<(String, String), SourceFacts> = BTreeMap::new();
    let mut got_addrs: BTreeMap<(String, String), u64> = BTreeMap::new();
    for day in &days {
        let name = day.day.to_string();
        let addrs = day.sources.addrs();
        for (addr, source) in day.sources.iter() {
            got.insert(
                (name.clone(), addr.to_string()),
                SourceFacts {
                    packets: source.packets,
                    bytes: source.bytes,
                    first_seen: source.first_seen,
                    last_seen: source.last_seen,
                    ..Default::default()
                },
            );
        }
        for (key, count) in day.source_ports.runs() {
            let (id, proto, port) = split_source_port_key(key);
            let proto = if proto == IpProto::UDP { 17 } else { 6 };
            let facts = got.get_mut(&(name.clone(), addrs[id as usize].to_string())).expect("a known source");
            facts.ports.insert((proto, port), count);
        }
        for (addr, count) in day.darknet_addrs.iter() {
            got_addrs.insert((name.clone(), addr.to_string()), count);
        }
        // The distinct counts kept per source equal the sizes of tshark's sets.
        for (addr, source) in day.sources.iter() {
            let facts = &want[&(name.clone(), addr.to_string())];
            assert_eq!(source.distinct_addrs as usize, facts.addrs.len(), "{name} {addr}: distinct darknet addresses");
            assert_eq!(source.distinct_ports as usize, facts.ports.len(), "{name} {addr}: distinct ports");
        }
    }
    for facts in want.values_mut() {
        facts.addrs.clear();
    }
    assert!(want.len() > 5_000, "tshark saw only {} source-days", want.len());
    assert_eq!(got.len(), want.len(), "source-days");
    for (key, facts) in &want {
        assert_eq!(got.get(key), Some(facts), "source-day {key:?}");
    }
    assert_eq!(got_addrs, want_addrs, "per darknet address and day");
}
