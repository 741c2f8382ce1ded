//! The report's days (DESIGN.md "Reports"): `observed_days` and every
//! per-day average count the days that hold data (darknet packets or
//! covered seconds), so unique sources per day never exceed unique
//! sources; the daily and monthly port series have a row for every such
//! day and month, 0 where a port has no packets (a day of ICMP only).

mod common;
mod rules_support;

use common::capture::*;
use common::cli::ok;
use rules_support::*;
use serde_json::json;

#[test]
fn days_without_port_packets_or_coverage_count_and_get_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    // One source: 3 SYNs to 23/tcp on 2024-02-29 over 60 s; 2 ICMP echo
    // requests on 2024-03-10, 60 s apart; 1 SYN on 2024-04-01 (no second
    // record: 0 covered seconds, but a packet).
    let day = |date: u32, secs: u32| T0 + date * DAY + secs;
    let (feb29, mar10, apr1) = (59, 69, 91);
    let echo = || ipv4(SRC, DST, IPPROTO_ICMP, &icmp(8, 0, [0, 1, 0, 1], b"ping"), Ipv4Opts::default());
    let records = [
        (day(feb29, 36_000), syn4(23)),
        (day(feb29, 36_030), syn4(23)),
        (day(feb29, 36_060), syn4(23)),
        (day(mar10, 43_200), echo()),
        (day(mar10, 43_260), echo()),
        (day(apr1, 28_800), syn4(23)),
    ];
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (t, pkt) in &records {
        p.record(*t, 0, pkt, pkt.len() as u32);
    }
    let capture = write_temp(dir.path(), "c.pcap", &p.bytes()).to_string_lossy().into_owned();
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let v = replay(&[std::path::Path::new(&capture)], &["--darknet", NET, "--store", &store, "--sensor", "s"]);
    expect(&v, json!({"days": {"2024-02-29": 3, "2024-03-10": 2, "2024-04-01": 1}}));

    let out = ok(&["report", "--store", &store, "--format", "json"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &r["totals"];
    assert_eq!((t["observed_days"].as_u64(), t["unique_sources"].as_u64()), (Some(3), Some(1)), "{t}");
    assert_eq!(t["unique_sources_per_day"].as_f64(), Some(1.0), "{t}");
    let daily = &r["tables"]["daily_ports"];
    assert_eq!(
        daily,
        &json!([
            {"day": "2024-02-29", "ports": {"tcp/23": 3}},
            {"day": "2024-03-10", "ports": {"tcp/23": 0}},
            {"day": "2024-04-01", "ports": {"tcp/23": 1}},
        ])
    );
    // February: 3 packets over 60 s / 86,400 × 256 address-days; March: 0
    // over its 60 s; April: no covered seconds, no rate.
    let monthly = r["tables"]["monthly_ports"].as_array().unwrap();
    let months: Vec<&str> = monthly.iter().map(|m| m["month"].as_str().unwrap()).collect();
    assert_eq!(months, ["2024-02", "2024-03", "2024-04"]);
    let feb = monthly[0]["ports"]["tcp/23"].as_f64().unwrap();
    assert!((feb - 3.0 / (60.0 / 86_400.0 * 256.0)).abs() < 1e-9, "{feb}");
    assert_eq!(monthly[1]["ports"], json!({"tcp/23": 0.0}));
    assert_eq!(monthly[2]["ports"], json!({"tcp/23": null}));
}
