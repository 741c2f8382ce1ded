//! `replay --alerts`: Suricata EVE and Snort 3 alert_json files (plain, in
//! a folder, gzip, zstd, xz) ranked by attack method, checked against
//! tests/alerts/methods.py, which applies the README's rule with Python's
//! standard library.

mod common;
use common::json::{ATTACK_FIELDS, same_rows};

use std::path::Path;
use std::process::Command;

use common::cli::{ok, run};
use serde_json::Value;

/// Signatures (sid, text, category) covering each branch of the rule: the
/// bundled mapping's methods, Snort and ET families, a category, nothing.
const SIGNATURES: [(u32, &str, &str); 10] = [
    (2_001_219, "ET SCAN Potential SSH Scan", "Attempted Information Leak"),
    (2_023_753, "ET SCAN MS Terminal Server Traffic on Non-standard Port", "Attempted Information Leak"),
    (2_024_217, "ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Response", "Attempted Administrator Privilege Gain"),
    (2_100_366, "GPL ICMP_INFO PING *NIX", "Misc activity"),
    (2_010_935, "ET SCAN Suspicious inbound to MSSQL port 1433", "Potentially Bad Traffic"),
    (2_402_000, "ET DROP Dshield Block Listed Source", "Misc Attack"),
    (1_917, "INDICATOR-SCAN UPnP service discover attempt", "Detection of a Network Scan"),
    (
        45_552,
        "SERVER-WEBAPP Netgear DGN1000 series routers arbitrary command execution attempt",
        "Web Application Attack",
    ),
    (9_000_001, "local rule: port 8088 probe", "Potentially Bad Traffic"),
    (9_000_002, "local rule: no category", ""),
];

/// First octets of networks allocated in many countries.
const FIRST_OCTETS: [u8; 20] =
    [1, 14, 27, 36, 41, 58, 61, 77, 81, 95, 103, 110, 118, 125, 151, 177, 186, 190, 200, 211];

/// A small deterministic generator (the test needs no randomness crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// The alert files: `plain/a.json.xz`, `plain/b.json`, `plain/c.json.zst` (EVE with other
/// events and damaged lines; `a` xz and `c` zstd compressed),
/// `snort.json.gz` (Snort 3, gzip).
/// The EVE alerts fall on `days` days from 2024-01-01; from the third day
/// on, a third of them are SERVER-WEBAPP (a method that rises).
fn write_alerts(dir: &Path, days: u64) -> Vec<String> {
    let mut rng = Lcg(7);
    let mut eve = [String::new(), String::new(), String::new()];
    for i in 0..3_000u64 {
        let secs = rng.next(days * 86_400);
        let surge = secs >= 2 * 86_400 && rng.next(3) == 0;
        let (sid, text, category) = SIGNATURES[if surge { 7 } else { rng.next(SIGNATURES.len() as u64) as usize }];
        let src = match rng.next(20) {
            0 => format!("10.0.0.{}", rng.next(4)),
            // Sixty sources of many countries.
            _ => {
                let n = rng.next(60) as usize;
                format!("{}.{}.7.9", FIRST_OCTETS[n % FIRST_OCTETS.len()], 10 + n)
            }
        };
        let dst = match rng.next(25) {
            0 => format!("192.0.2.{}", rng.next(200)),
            _ => format!("198.18.{}.{}", rng.next(256), rng.next(256)),
        };
        let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
        let ts = format!("2024-01-0{}T{h:02}:{m:02}:{s:02}.{:06}+0000", 1 + secs / 86_400, i % 1_000_000);
        let proto = if text.contains("ICMP") { "ICMP" } else { "TCP" };
        let line = format!(
            r#"{{"timestamp":"{ts}","flow_id":{i},"event_type":"alert","src_ip":"{src}","src_port":40000,"dest_ip":"{dst}","dest_port":23,"proto":"{proto}","alert":{{"action":"allowed","gid":1,"signature_id":{sid},"rev":3,"signature":"{text}","category":"{category}","severity":2}}}}"#
        );
        eve[(i % 3) as usize].push_str(&line);
        eve[(i % 3) as usize].push('\n');
        if i % 97 == 0 {
            eve[0].push_str(r#"{"timestamp":"2024-01-01T00:00:00.000000+0000","event_type":"flow","src_ip":"203.0.113.1","dest_ip":"198.18.0.1","proto":"TCP"}"#);
            eve[0].push('\n');
        }
        if i % 401 == 0 {
            eve[1].push_str(
                "{\"timestamp\":\"2024-01-01T00:00:00Z\",\"event_type\":\"alert\",\"src_ip\":\"203.0.113.1\"\n",
            );
        }
    }
    eve[1].push_str(r#"{"event_type":"stats","stats":{"uptime":5}}"#);
    let mut snort = String::new();
    for i in 0..200u64 {
        let (sid, text, category) = SIGNATURES[rng.next(SIGNATURES.len() as u64) as usize];
        let dst = format!("198.18.7.{}", rng.next(256));
        let line = if i % 2 == 0 {
            format!(
                r#"{{ "seconds" : {}, "proto" : "TCP", "src_ap" : "203.0.113.{}:5555", "dst_ap" : "{dst}:23", "rule" : "1:{sid}:2", "msg" : "{text}", "class" : "{category}", "priority" : 2 }}"#,
                1_704_067_200 + i * 300,
                rng.next(60)
            )
        } else {
            format!(
                r#"{{"timestamp":"24/01/01-12:00:{:02}.000001","proto":"TCP","src_addr":"203.0.113.{}","dst_addr":"{dst}","dst_port":23,"sid":{sid},"msg":"{text}","class":"{category}"}}"#,
                i % 60,
                rng.next(60)
            )
        };
        snort.push_str(&line);
        snort.push('\n');
    }
    let plain = dir.join("plain");
    std::fs::create_dir_all(&plain).expect("a folder");
    std::fs::write(plain.join("a.json"), &eve[0]).expect("writing");
    std::fs::write(plain.join("b.json"), &eve[1]).expect("writing");
    std::fs::write(plain.join("c.json"), &eve[2]).expect("writing");
    let snort_path = dir.join("snort.json");
    std::fs::write(&snort_path, snort).expect("writing");
    for (tool, path) in [("xz", plain.join("a.json")), ("zstd", plain.join("c.json")), ("gzip", snort_path)] {
        let status = Command::new(tool).arg("-f").arg("-q").arg(&path).status().expect("running the compressor");
        assert!(status.success(), "{tool} failed");
    }
    if plain.join("c.json").exists() {
        std::fs::remove_file(plain.join("c.json")).expect("zstd keeps its input");
    }
    let name = |p: &Path| p.to_string_lossy().into_owned();
    ["a.json.xz", "b.json", "c.json.zst"]
        .iter()
        .map(|f| name(&plain.join(f)))
        .chain([name(&dir.join("snort.json.gz"))])
        .collect()
}

#[test]
fn alerts_are_ranked_by_attack_method_as_the_readme_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("c.pcap").to_string_lossy().into_owned();
    ok(&["generate", "--out", &capture, "--packets", "5000", "--days", "2", "--sources", "200"]);
    let files = write_alerts(dir.path(), 2);
    let folder = dir.path().join("plain").to_string_lossy().into_owned();
    let out = ok(&[
        "replay",
        &capture,
        "--darknet",
        "198.18.0.0/16",
        "--exclude",
        "10.0.0.0/8",
        "--alerts",
        &folder,
        "--alerts",
        &files[3],
        "--summary-json",
        "-",
        "-q",
    ]);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("the summary JSON");
    let got = &summary["alerts"];

    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/methods/methods.toml");
    let mut args: Vec<&Path> = vec![&mapping, Path::new("198.18.0.0/16"), Path::new("10.0.0.0/8")];
    args.extend(files.iter().map(Path::new));
    let want = common::python::json("alerts/methods.py", &args);

    for key in ["inside", "outside", "excluded"] {
        assert_eq!(got[key], want[key], "{key}");
    }
    assert!(want["inside"].as_u64().expect("inside") > 2_500, "most alerts are inside: {want}");
    let file_sum = |field: &str| -> u64 {
        got["files"].as_array().expect("files").iter().map(|f| f[field].as_u64().unwrap_or(0)).sum()
    };
    assert_eq!(file_sum("malformed"), want["malformed"].as_u64().expect("malformed"));
    let skipped: u64 = got["files"]
        .as_array()
        .expect("files")
        .iter()
        .flat_map(|f| f["skipped"].as_object().expect("skipped").values().map(|v| v.as_u64().unwrap_or(0)))
        .sum();
    assert_eq!(skipped, want["skipped"].as_u64().expect("skipped"));
    assert_eq!(got["files"][0]["skipped"]["flow"], 31, "3,000 alerts, a flow after every 97th");

    let address_days = summary["address_days"].as_f64().expect("address days");
    let methods = got["attack_methods"].as_array().expect("methods");
    let expected = want["methods"].as_array().expect("methods");
    assert_eq!(methods.len(), expected.len(), "{methods:?}\n{expected:?}");
    assert_eq!(methods.len(), 10, "every branch of the rule is named: {expected:?}");
    for (i, (m, e)) in methods.iter().zip(expected).enumerate() {
        assert_eq!(m["rank"], i + 1);
        assert_eq!((&m["key"], &m["alerts"], &m["sources"]), (&e[0], &e[1], &e[2]), "rank {}", i + 1);
        let per_ip_day = e[1].as_f64().expect("alerts") / address_days;
        assert!((m["per_ip_day"].as_f64().expect("per_ip_day") - per_ip_day).abs() < 1e-12 * per_ip_day);
    }

    // Each malformed line is named (the first five), by file and line.
    let warnings: Vec<&str> =
        summary["warnings"].as_array().expect("warnings").iter().filter_map(Value::as_str).collect();
    let named: Vec<&&str> = warnings.iter().filter(|w| w.contains("b.json line")).collect();
    assert_eq!(named.len(), 5, "{warnings:?}");
    assert!(named[0].contains("b.json line 1: not a JSON object"), "{}", named[0]);
    assert!(warnings.iter().any(|w| w.ends_with("b.json: 3 more malformed lines skipped")), "{warnings:?}");
}

#[test]
fn the_alert_flags_refuse_what_they_cannot_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("c.pcap").to_string_lossy().into_owned();
    ok(&["generate", "--out", &capture, "--packets", "100", "--days", "1", "--sources", "10"]);
    let eve = dir.path().join("eve.json");
    std::fs::write(&eve, "").expect("writing");
    let eve = eve.to_string_lossy().into_owned();
    let bad = dir.path().join("m.toml");
    std::fs::write(&bad, "[[method]]\nname = \"A\"\nsignatures = [\"(\"]\n").expect("writing");
    let bad = bad.to_string_lossy().into_owned();
    let missing = dir.path().join("none.json").to_string_lossy().into_owned();
    for (args, says) in [
        (vec!["--alerts", eve.as_str(), "--methods", &bad], "m.toml"),
        (vec!["--alerts", &missing], "none.json"),
        (vec!["--methods", &bad], "--alerts"),
    ] {
        let mut argv = vec!["replay", capture.as_str(), "-q"];
        argv.extend(args.iter().copied());
        let out = run(&argv);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {err}");
        assert!(err.contains(says), "{argv:?}: {err}");
    }
}

#[test]
fn stored_alerts_are_counted_once_and_read_by_duckdb() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("c.pcap").to_string_lossy().into_owned();
    ok(&["generate", "--out", &capture, "--packets", "5000", "--days", "2", "--sources", "200"]);
    let files = write_alerts(dir.path(), 2);
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let replay = |extra: &[&str]| {
        let mut args = vec!["replay", capture.as_str(), "--darknet", "198.18.0.0/16", "--exclude", "10.0.0.0/8"];
        args.extend(["--store", &store, "--sensor", "s1", "--summary-json", "-", "-q"]);
        args.extend(extra);
        let out = ok(&args);
        serde_json::from_slice::<Value>(&out.stdout).expect("the summary JSON")
    };
    // The captures first, then their alerts in a run of their own.
    replay(&[]);
    let every: Vec<&str> = files.iter().flat_map(|f| ["--alerts", f.as_str()]).collect();
    let first = replay(&every);
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/methods/methods.toml");
    let mut args: Vec<&Path> = vec![&mapping, Path::new("198.18.0.0/16"), Path::new("10.0.0.0/8")];
    args.extend(files.iter().map(Path::new));
    let want = common::python::json("alerts/methods.py", &args);
    let stored = common::python::json("alerts/store.py", &[Path::new(&store)]);
    assert_eq!(stored["methods"], want["methods"]);
    assert_eq!(stored["total"], want["inside"]);
    assert_eq!(first["alerts"]["inside"], want["inside"]);
    let days = stored["days"].as_object().expect("days");
    assert_eq!(days.keys().collect::<Vec<_>>(), ["2024-01-01", "2024-01-02"], "{days:?}");
    assert_eq!(stored["signatures"], want["signatures"]);

    // Again: every input is in the store already, so nothing is counted twice.
    let again = replay(&every);
    let warnings = again["warnings"].as_array().expect("warnings");
    for f in &files {
        assert!(
            warnings
                .iter()
                .any(|w| w.as_str().is_some_and(|w| w.contains(f.as_str()) && w.contains("already in the store"))),
            "{f}: {warnings:?}"
        );
    }
    assert_eq!(common::python::json("alerts/store.py", &[Path::new(&store)]), stored);
    let manifest: Value = common::store::manifest(Path::new(&store));
    let kinds: Vec<&str> = manifest["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .flat_map(|p| p["inputs"].as_array().expect("inputs"))
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["alerts"; 4], "each alert file once, as alerts");
}

#[test]
fn the_report_ranks_attack_methods_and_countries_as_the_npa_prints_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("c.pcap").to_string_lossy().into_owned();
    ok(&["generate", "--out", &capture, "--packets", "8000", "--days", "4", "--sources", "300"]);
    let files = write_alerts(dir.path(), 4);
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let mut args = vec!["replay", capture.as_str(), "--darknet", "198.18.0.0/16", "--exclude", "10.0.0.0/8"];
    args.extend(["--store", &store, "-q"]);
    for f in &files {
        args.extend(["--alerts", f.as_str()]);
    }
    ok(&args);
    let report = |format: &str| {
        let out = ok(&[
            "report",
            "--store",
            &store,
            "--period",
            "2024-01-03..2024-01-04",
            "--min-baseline",
            "10",
            "--top",
            "6",
            "--format",
            format,
        ]);
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let r: Value = serde_json::from_str(&report("json")).expect("the report JSON");
    let section = &r["intrusions"];
    let (ad_now, ad_before) =
        (r["totals"]["address_days"].to_string(), r["baseline_totals"]["address_days"].to_string());
    let mapping =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/methods/methods.toml").to_string_lossy().into_owned();
    let mut oracle: Vec<&str> = vec![
        &mapping,
        "198.18.0.0/16",
        "10.0.0.0/8",
        &store,
        "2024-01-03..2024-01-04",
        "2024-01-01..2024-01-02",
        &ad_now,
        &ad_before,
        "10",
        "6",
    ];
    oracle.extend(files.iter().map(String::as_str));
    let paths: Vec<&Path> = oracle.iter().map(Path::new).collect();
    let want = common::python::json("alerts/report.py", &paths);
    for table in ["attack_methods", "attack_countries"] {
        let got = section[table].as_array().expect("rows");
        assert_eq!(got.len(), 6, "{table}: {got:?}");
        same_rows(table, &section[table], &want[table], &ATTACK_FIELDS);
    }
    let webapp = &section["attack_methods"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|m| m["key"] == "SERVER-WEBAPP")
        .expect("the surge");
    assert_eq!(webapp["rank"], 1, "a third of the period's alerts: {webapp}");
    assert_eq!(webapp["rise_rank"], 1, "{webapp}");
    let mix = section["attack_method_countries"].as_array().expect("mix");
    assert_eq!(mix.len(), 6);
    for c in mix {
        let sum: u64 =
            c["methods"].as_array().expect("methods").iter().map(|m| m["alerts"].as_u64().unwrap_or(0)).sum();
        assert!(sum <= c["alerts"].as_u64().expect("alerts"), "{c}");
    }
    let md = report("md");
    let alerts = section["alerts"].as_u64().expect("alerts");
    let grouped = format!("{},{:03}", alerts / 1000, alerts % 1000);
    assert!(alerts > 1000 && md.contains(&format!("## 14. Intrusion attempts\n\n{grouped} IDS alerts from ")), "{md}");
    assert!(
        md.contains(
            "| rank | prev | attack method | per IP/day | before | change % | change | rise | fall | sources | alerts |"
        ),
        "{md}"
    );
    assert!(md.contains(" | SERVER-WEBAPP | ") && md.contains("### Attack methods of the top countries"), "{md}");

    // A store without alerts says so in one line.
    let plain = dir.path().join("plain-store").to_string_lossy().into_owned();
    ok(&["replay", &capture, "--darknet", "198.18.0.0/16", "--store", &plain, "-q"]);
    let md = String::from_utf8(ok(&["report", "--store", &plain]).stdout).expect("UTF-8");
    let tail = md.split("## 14. Intrusion attempts\n\n").nth(1).expect("the section");
    assert_eq!(tail, "No IDS alerts in the period (replay --alerts stores them).\n");
}
