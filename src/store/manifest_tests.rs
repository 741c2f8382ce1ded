//! Unit tests of the manifest: conflicts, names that could leave the
//! store, part names, day offsets.

use super::*;

fn input(sha: &str, first: i64, last: i64) -> InputEntry {
    InputEntry {
        path: format!("{sha}.pcap"),
        size: 1,
        blake3: Some(sha.into()),
        sha256: None,
        first_ns: Some(first),
        last_ns: Some(last),
        records: 1,
        kind: InputKind::Capture,
    }
}

fn part(sensor: &str, inputs: Vec<InputEntry>) -> Part {
    Part {
        sensor: sensor.into(),
        part: part_name(sensor, &inputs),
        inputs,
        days: vec![],
        provenance: Provenance {
            run: RunProvenance {
                darkscope: String::new(),
                geo: String::new(),
                scanners: None,
                darknet: vec![],
                exclude: vec![],
                max_gap_secs: 600.0,
                coverage_rule: String::new(),
                day_offset: None,
                asn: None,
            },
            monitored: 1,
            monitored_basis: String::new(),
        },
        live: None,
    }
}

#[test]
fn conflicts_are_same_file_or_overlap_for_the_same_sensor_only() {
    let manifest = Manifest {
        schema: SCHEMA.into(),
        parts: vec![part("a", vec![input("x", 0, 10)]), part("b", vec![input("y", 0, 10)])],
        legacy: false,
    };
    assert_eq!(manifest.conflicts("a", &[input("z", 11, 20)]).len(), 0);
    assert_eq!(manifest.conflicts("a", &[input("z", 10, 20)]).len(), 1);
    assert_eq!(manifest.conflicts("a", &[input("x", 50, 60)]).len(), 1);
    assert_eq!(manifest.conflicts("c", &[input("x", 0, 10)]).len(), 0);
    let y = input("y", 0, 10);
    assert!(manifest.holding("b", &y).is_some() && manifest.holding("a", &y).is_none());
}

#[test]
fn inputs_stored_by_sha256_alone_are_matched_by_sha256() {
    let old = InputEntry { blake3: None, sha256: Some("s".into()), ..input("-", 0, 10) };
    let manifest = Manifest { schema: SCHEMA.into(), parts: vec![part("a", vec![old])], legacy: false };
    assert!(manifest.needs_sha256("a", 1) && !manifest.needs_sha256("a", 2) && !manifest.needs_sha256("b", 1));
    let new = |sha256: Option<&str>| InputEntry { sha256: sha256.map(Into::into), ..input("b3", 20, 30) };
    assert!(manifest.holding("a", &new(Some("s"))).is_some(), "the same SHA-256");
    assert!(manifest.holding("a", &new(None)).is_none(), "BLAKE3 alone cannot match a SHA-256 entry");
    assert!(manifest.holding("a", &new(Some("t"))).is_none());
    assert!(new(None).same_content(&new(None)), "the same BLAKE3");
}

#[test]
fn names_that_could_leave_the_store_are_refused() {
    let path = Path::new("manifest.json");
    let mut good = part("s-1.a_b", vec![input("x", 0, 10)]);
    good.days = vec!["2024-01-01".into()];
    assert!(check_part(&good, 1, path).is_ok());
    for (field, value) in [
        ("sensor", "../../x"),
        ("sensor", ".."),
        ("sensor", "a/b"),
        ("part", "p/../../q"),
        ("part", ""),
        ("day", "2024-01-01/../../../outside"),
        ("day", "2024-1-1"),
        ("day", ".."),
    ] {
        let mut bad = good.clone();
        match field {
            "sensor" => bad.sensor = value.into(),
            "part" => bad.part = value.into(),
            _ => bad.days.push(value.into()),
        }
        let err = check_part(&bad, 1, path).expect_err(value);
        assert!(matches!(&err, StoreError::ManifestEntry { index: 1, field: f, .. } if *f == field), "{err}");
    }
}

#[test]
fn part_names_ignore_input_order_and_depend_on_the_sensor() {
    let (a, b) = (input("a", 0, 1), input("b", 0, 1));
    assert_eq!(part_name("s", &[a.clone(), b.clone()]), part_name("s", &[b.clone(), a.clone()]));
    assert_ne!(part_name("s", std::slice::from_ref(&a)), part_name("t", &[a]));
    assert_eq!(part_name("s", &[b]).len(), 16);
}

#[test]
fn a_store_keeps_the_day_offset_of_its_parts() {
    let path = Path::new("st");
    let jst = DayOffset::parse("+09:00").unwrap();
    let mut m = Manifest { schema: SCHEMA.into(), parts: vec![], legacy: false };
    assert_eq!(m.day_offset(path).unwrap(), DayOffset::UTC);
    assert!(m.check_day_offset(path, jst).is_ok(), "an empty store takes any offset");
    let mut tokyo = part("tokyo", vec![input("a", 1, 2)]);
    tokyo.provenance.run.day_offset = RunProvenance::offset_text(jst);
    m.parts.push(tokyo);
    assert_eq!(m.day_offset(path).unwrap(), jst);
    assert!(m.check_day_offset(path, jst).is_ok());
    let refused = m.check_day_offset(path, DayOffset::UTC).unwrap_err().to_string();
    assert!(refused.contains("UTC+09:00") && refused.contains("--day-offset +09:00"), "{refused}");
    // A part written before offsets (none recorded) is a UTC part.
    m.parts.push(part("osaka", vec![input("b", 1, 2)]));
    assert!(m.day_offset(path).is_err(), "parts of two offsets");
}
