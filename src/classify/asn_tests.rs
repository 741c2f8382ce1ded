//! AS tables: CSV and compact forms, edges of ranges, the bundled table.

use super::*;

fn table(csv: &str) -> AsnDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asn.csv");
    std::fs::write(&path, csv).unwrap();
    AsnDb::open(&[path]).unwrap()
}

fn v4(text: &str) -> Addr {
    Addr::v4(u32::from(text.parse::<std::net::Ipv4Addr>().unwrap()))
}

#[test]
fn csv_ranges_are_inclusive_and_gaps_are_unrouted() {
    let db = table(
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n16778240,16779263,38803,Gtelecom Pty Ltd\n\
         2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n",
    );
    assert_eq!(db.lookup(v4("0.255.255.255")), None);
    assert_eq!(db.lookup(v4("1.0.0.0")), Some(13335));
    assert_eq!(db.lookup(v4("1.0.0.255")), Some(13335));
    assert_eq!(db.lookup(v4("1.0.1.0")), None);
    assert_eq!(db.lookup(v4("1.0.4.0")), Some(38803));
    assert_eq!(db.lookup(v4("1.0.7.255")), Some(38803));
    assert_eq!(db.lookup(v4("1.0.8.0")), None);
    assert_eq!(db.lookup(v4("255.255.255.255")), None);
    assert_eq!(db.name(13335), Some("Cloudflare, Inc."));
    let v6 = |t: &str| Addr(u128::from(t.parse::<std::net::Ipv6Addr>().unwrap()));
    assert_eq!(db.lookup(v6("2001:200::1")), Some(2500));
    assert_eq!(db.lookup(v6("2001:201::")), None);
    assert_eq!(db.lookup(v6("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff")), None);
}

#[test]
fn the_top_address_and_adjacent_ranges_of_one_as() {
    let db = table("255.255.255.0,255.255.255.255,7\n10.0.0.0,10.0.0.127,5\n10.0.0.128,10.0.0.255,5\n");
    assert_eq!(db.lookup(v4("255.255.255.255")), Some(7));
    assert_eq!(db.lookup(v4("10.0.0.200")), Some(5));
    assert_eq!(db.v4_starts.len(), 4, "0 → none, 10.0.0.0 → 5, 10.0.1.0 → none, 255.255.255.0 → 7");
}

#[test]
fn bad_tables_are_errors_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "1.0.0.0,1.0.0.255,13335,x\n1.0.1.0,zzz,1,y\n").unwrap();
    let e = AsnDb::open(std::slice::from_ref(&path)).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("no end address") && e.contains("bad.csv"), "{e}");
    std::fs::write(&path, b"DSASN001\xff\xff\xff\x7f").unwrap();
    let e = AsnDb::open(std::slice::from_ref(&path)).unwrap_err().to_string();
    assert!(e.contains("cut short"), "{e}");
}

#[test]
fn the_bundled_table_reads_and_round_trips_through_its_ranges() {
    let db = AsnDb::bundled().unwrap();
    assert!(db.description().contains("CC BY 4.0"), "{}", db.description());
    assert!(db.v4_starts.len() > 100_000 && db.v6_starts.len() > 10_000);
    // Every /16 index entry starts at or before its /16.
    for p in [0u32, 1, 0x7e86, 0xffff] {
        let i = db.v4_index[p as usize] as usize;
        assert!(db.v4_starts[i] <= p << 16);
    }
    let starts: Vec<u128> = db.v4_starts.iter().map(|&s| u128::from(s)).collect();
    let mut ranges = super::super::asn_csv::ranges(&starts, &db.v4_asns, u128::from(u32::MAX));
    let again = super::super::asn_csv::starts(&mut ranges, u128::from(u32::MAX));
    assert_eq!(again.len(), db.v4_starts.len());
}

#[test]
fn the_bundled_table_agrees_with_the_csv_it_was_built_from() {
    // Looked up by tools/make-asn-db.py in the package's CSV rows: the
    // generator's blocks (first, middle, last address) and random addresses.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/asn-samples.json");
    let samples: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let db = AsnDb::bundled().unwrap();
    assert_eq!(samples["description"].as_str(), Some(db.description()), "the samples are of this table");
    let samples = samples["samples"].as_array().unwrap();
    assert!(samples.len() > 2000);
    for s in samples {
        let (addr, asn) = (s[0].as_u64().unwrap() as u32, s[1].as_u64().unwrap() as u32);
        assert_eq!(db.lookup(Addr::v4(addr)), (asn != 0).then_some(asn), "{}", std::net::Ipv4Addr::from(addr));
    }
}

#[test]
#[ignore = "a timing, not a check: cargo test --release --lib -- --ignored --nocapture load_time"]
fn load_time() {
    let start = std::time::Instant::now();
    let db = AsnDb::bundled().unwrap();
    eprintln!("bundled AS table loaded in {:?} ({} IPv4 ranges)", start.elapsed(), db.v4_starts.len());
}
