//! Days in the operator's time zone (`--day-offset +09:00`, JST): every
//! day, its coverage and its packets move with the offset. Expected values
//! come from an independent reading of the capture (tshark + Python,
//! `tests/store/days.py`), which at offset 0 must give the generator's own
//! per-day truth, and from hand calculation; a store keeps the offset it
//! was first written with and refuses another.

mod common;

use std::path::Path;

use common::cli::{ok, run};
use serde_json::Value;

const NET: &str = "198.18.0.0/16";

/// `{day: [numbers]}` of the script's `key`, as (day, numbers) in order.
fn days(v: &Value, key: &str) -> Vec<(String, Vec<f64>)> {
    let map = v[key].as_object().unwrap_or_else(|| panic!("no {key} in {v}"));
    map.iter().map(|(d, n)| (d.clone(), n.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())).collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("a JSON file")).expect("JSON")
}

#[test]
fn jst_days_coverage_and_packets_equal_the_truth_shifted_by_nine_hours() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("gap.pcap");
    let cap = capture.to_string_lossy().into_owned();
    // The gap scenario is silent 12:00-15:00 UTC on the first day: in JST
    // that is 21:00 to midnight, so the outage ends the JST day.
    let generated = ["generate", "--out", &cap, "--packets", "40000", "--sources", "3000", "--days", "3"];
    ok(&[&generated[..], &["--scenario", "gap"]].concat());
    let truth = read_json(&dir.path().join("gap.pcap.truth.json"));

    // The independent reading at offset 0 is the generator's truth.
    let utc = common::python::json(
        "store/days.py",
        &[Path::new("0"), Path::new(NET), Path::new("600"), Path::new("-"), &capture],
    );
    let by_day = truth["by_day"].as_object().expect("per-day truth");
    let utc_days = days(&utc, "oracle");
    assert_eq!(utc_days.len(), by_day.len(), "{utc}");
    for (day, n) in &utc_days {
        let t = &by_day[day];
        assert_eq!(n[0], t["packets"].as_f64().unwrap(), "{day}: packets");
        assert!((n[1] - t["covered_seconds"].as_f64().unwrap()).abs() < 1e-6, "{day}: covered seconds {n:?} {t}");
    }

    let store = dir.path().join("store");
    let st = store.to_string_lossy().into_owned();
    let summary = dir.path().join("summary.json").to_string_lossy().into_owned();
    ok(&[
        "replay",
        &cap,
        "--darknet",
        NET,
        "--day-offset",
        "+09:00",
        "--store",
        &st,
        "--sensor",
        "tokyo",
        "-q",
        "--summary-json",
        &summary,
    ]);
    let jst =
        common::python::json("store/days.py", &[Path::new("9"), Path::new(NET), Path::new("600"), &store, &capture]);
    let want = days(&jst, "oracle");
    // Three UTC days are four JST days; the first starts at 09:00 JST.
    let names: Vec<&str> = want.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(names, ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]);
    // The first JST day is covered from the first record (just after
    // 09:00 JST) to the outage at 21:00 JST: at most 12 hours; the JST day
    // after it starts at the end of the outage, midnight, and is covered
    // from its first record on (a few seconds in).
    assert!(want[0].1[1] <= 43_200.0 && want[0].1[1] > 43_100.0, "{want:?}");
    assert!(want[1].1[1] < 86_400.0 && want[1].1[1] > 86_300.0, "{want:?}");
    let total = |d: &[(String, Vec<f64>)], i: usize| d.iter().map(|(_, n)| n[i]).sum::<f64>();
    assert_eq!(total(&want, 0), total(&utc_days, 0), "shifting moves packets between days, never loses one");
    assert!((total(&want, 1) - total(&utc_days, 1)).abs() < 1e-6);

    // The store's days: packets of `sources` and `coverage`, covered seconds.
    let stored = days(&jst, "store");
    assert_eq!(stored.len(), want.len(), "{jst}");
    for ((day, s), (wday, w)) in stored.iter().zip(&want) {
        assert_eq!(day, wday);
        assert_eq!((s[0], s[1]), (w[0], w[0]), "{day}: packets of sources and coverage");
        assert!((s[2] - w[1]).abs() < 1e-6, "{day}: covered seconds {s:?} vs {w:?}");
    }
    // The summary's days and coverage too.
    let summary = read_json(Path::new(&summary));
    for (day, w) in &want {
        assert_eq!(summary["days"][day].as_f64(), Some(w[0]), "summary days[{day}]");
        assert!((summary["coverage_seconds"][day].as_f64().unwrap() - w[1]).abs() < 1e-6, "coverage_seconds[{day}]");
    }

    // The report's days are the store's.
    let out = ok(&["report", "--store", &st, "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    assert_eq!(report["day_offset"], "+09:00");
    assert_eq!(
        (report["period"]["from"].as_str(), report["period"]["to"].as_str()),
        (Some("2024-01-01"), Some("2024-01-04"))
    );
    assert_eq!(report["totals"]["packets"].as_f64(), Some(total(&want, 0)));
    let md = String::from_utf8(ok(&["report", "--store", &st]).stdout).expect("UTF-8");
    assert!(md.contains("at UTC+09:00 (the store's day offset)"), "{md}");

    // Another offset into this store is refused, naming the store's.
    let manifest = common::store::manifest(&store);
    let other = dir.path().join("other.pcap");
    let oth = other.to_string_lossy().into_owned();
    ok(&["generate", "--out", &oth, "--packets", "1000", "--sources", "50", "--days", "1", "--start", "2024-02-01"]);
    for offset in [None, Some("-05:00")] {
        let mut args = vec!["replay", &oth, "--darknet", NET, "--store", &st, "--sensor", "osaka", "-q"];
        args.extend(offset.iter().flat_map(|o| ["--day-offset", *o]));
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{offset:?}: {err}");
        assert!(err.contains("counts days at UTC+09:00") && err.contains("pass --day-offset +09:00"), "{err}");
    }
    assert_eq!(common::store::manifest(&store), manifest, "nothing was stored");
    // The same offset is taken.
    ok(&["replay", &oth, "--darknet", NET, "--day-offset", "+09:00", "--store", &st, "--sensor", "osaka", "-q"]);
}

#[test]
fn offsets_that_would_split_an_hour_are_refused_at_the_flag() {
    for bad in ["+05:30", "+15:00", "JST"] {
        let out = run(&["replay", "-", "--day-offset", bad]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("--day-offset"), "{bad}: {err}");
    }
}
