//! A research-scanner list may name 65,536 organisations: with all of them
//! in one day's part (beside its country, `ZZ`), each keeps its own name in
//! the report (the report numbered a part's names in 16 bits, and the last
//! organisation came out as "ZZ"), and the report stays fast (its name
//! lookups were linear: 7.7 s).

use std::collections::BTreeSet;

mod common;
mod rules_support;

use common::capture::*;
use common::cli::ok;
use rules_support::*;

#[test]
fn every_one_of_65536_organisations_keeps_its_name() {
    let dir = tempfile::tempdir().unwrap();
    // Source 10.0.a.b sends one UDP packet, listed as organisation org-N
    // (N = 256 a + b); 10.0.0.0/8 is private: every source is ZZ.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut list = String::from("# source: test\n");
    for n in 0..65_536u32 {
        let src = [10, 0, (n >> 8) as u8, n as u8];
        let pkt = ipv4(src, DST, IPPROTO_UDP, &udp(40_000, 53, b"x"), Ipv4Opts::default());
        p.record(T0 + n / 16, 0, &pkt, pkt.len() as u32);
        list.push_str(&format!("10.0.{}.{}/32 org-{n}\n", n >> 8, n & 255));
    }
    let capture = write_temp(dir.path(), "c.pcap", &p.bytes()).to_string_lossy().into_owned();
    let scanners = write_temp(dir.path(), "orgs.txt", list.as_bytes()).to_string_lossy().into_owned();
    let store = dir.path().join("store").to_string_lossy().into_owned();
    ok(&["replay", &capture, "--darknet", NET, "--store", &store, "--sensor", "s", "--scanners", &scanners, "-q"]);
    let start = std::time::Instant::now();
    let out = ok(&["report", "--store", &store, "--format", "json", "--top", "70000"]);
    let elapsed = start.elapsed();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: BTreeSet<String> = report["tables"]["scanners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            assert_eq!(row["packets"], 1, "{row}");
            row["key"].as_str().unwrap().to_string()
        })
        .collect();
    let want: BTreeSet<String> = (0..65_536).map(|n| format!("org-{n}")).collect();
    assert_eq!(names.len(), 65_536);
    assert_eq!(names, want, "missing: {:?}", want.difference(&names).take(3).collect::<Vec<_>>());
    let countries: Vec<&str> =
        report["tables"]["countries"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(countries, ["ZZ"]);
    assert!(elapsed.as_secs() < 5, "the report took {elapsed:?}");
}
