//! End-to-end check of `darkscope generate` + `darkscope replay` against two
//! independent references: the generator's ground truth (every key of the
//! truth file's `summary` must equal the replay summary exactly) and tshark
//! (per-(protocol, port), per-source and per-day counts, read from one
//! tshark pass over the generated file).
//!
//! tshark is required: without it this test fails (it never passes
//! silently). Install it with `apt-get install -y tshark` (.ci/run does).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

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

/// One tshark pass: `frame.time_epoch, ip.src, ip.dst, ip.proto,
/// tcp.dstport, udp.dstport, icmp.type`, first occurrence of each field
/// (the outer header of an ICMP error).
fn tshark_rows(path: &Path) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.env("TZ", "UTC")
        .arg("-n")
        .arg("-r")
        .arg(path)
        .args(["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"])
        .args(["-T", "fields", "-E", "separator=,", "-E", "occurrence=f"]);
    for f in ["frame.time_epoch", "ip.src", "ip.dst", "ip.proto", "tcp.dstport", "udp.dstport", "icmp.type"] {
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

fn as_counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .iter()
        .map(|(k, c)| (k.clone(), c.as_u64().unwrap_or_else(|| panic!("{k}: not a count"))))
        .collect()
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
