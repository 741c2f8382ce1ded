//! Names in a report come from data (here: a user's research-scanner list):
//! in CSV a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`)
//! is neutralised with a leading `'` while numbers stay numbers (OWASP
//! "CSV injection"); in Markdown every row keeps its table's columns (`|`
//! escaped) and no HTML of the data's own is left raw.

mod common;
mod rules_support;

use common::capture::*;
use common::cli::ok;
use rules_support::*;

/// Cells of a CSV line (RFC 4180 quoting), as a spreadsheet reads them.
fn csv_cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// Cells of a GFM table row: split at `|` not escaped by a backslash.
fn md_cells(row: &str) -> usize {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let (mut n, mut escaped) = (1, false);
    for c in inner.chars() {
        match (c, escaped) {
            ('\\', false) => escaped = true,
            ('|', false) => n += 1,
            _ => escaped = false,
        }
    }
    n
}

#[test]
fn report_names_from_data_are_neutralised_in_csv_and_escaped_in_markdown() {
    let dir = tempfile::tempdir().unwrap();
    // Sources 203.0.113.1-3 send 1, 2 and 3 UDP packets to port 53.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut t = T0;
    for (host, packets) in [(1u8, 1), (2, 2), (3, 3)] {
        for _ in 0..packets {
            let pkt = ipv4([203, 0, 113, host], DST, IPPROTO_UDP, &udp(40_000, 53, b"x"), Ipv4Opts::default());
            p.record(t, 0, &pkt, pkt.len() as u32);
            t += 10;
        }
    }
    let capture = write_temp(dir.path(), "c.pcap", &p.bytes());
    let orgs = ["=HYPERLINK(\"http://evil.example\",\"x\")", "@SUM(A1)|<b>bold</b> & -1", "-2+3"];
    let list: String = orgs.iter().enumerate().map(|(i, org)| format!("203.0.113.{}/32 {org}\n", i + 1)).collect();
    let scanners = write_temp(dir.path(), "scanners.txt", list.as_bytes());
    let store = dir.path().join("store").to_string_lossy().into_owned();
    let (capture, scanners) = (capture.to_string_lossy().into_owned(), scanners.to_string_lossy().into_owned());
    ok(&["replay", &capture, "--darknet", NET, "--store", &store, "--sensor", "s", "--scanners", &scanners, "-q"]);

    let out = dir.path().join("csv");
    let out_arg = out.to_string_lossy().into_owned();
    ok(&["report", "--store", &store, "--format", "csv", "--out", &out_arg]);
    let text = std::fs::read_to_string(out.join("scanners.csv")).unwrap();
    let rows: Vec<Vec<String>> = text.lines().skip(1).map(csv_cells).collect();
    // rank, prev_rank, key, packets, …, share: by packets, most first.
    let keys: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0].as_str(), r[2].as_str(), r[3].as_str())).collect();
    assert_eq!(
        keys,
        [
            ("1", "'-2+3", "3"),
            ("2", "'@SUM(A1)|<b>bold</b> & -1", "2"),
            ("3", "'=HYPERLINK(\"http://evil.example\",\"x\")", "1")
        ],
        "{text}"
    );
    // Shares stay numbers: 3/6, 2/6, 1/6.
    let shares: Vec<f64> = rows.iter().map(|r| r[9].parse().expect("a numeric share")).collect();
    assert!((shares[0] - 0.5).abs() < 1e-12 && (shares[2] - 1.0 / 6.0).abs() < 1e-12, "{shares:?}");

    let md = String::from_utf8(ok(&["report", "--store", &store]).stdout).unwrap();
    let section = md.split("### Research-scanner organisations").nth(1).expect("the organisations table");
    let table: Vec<&str> =
        section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).collect();
    assert_eq!(table.len(), 2 + 3, "{section}");
    for row in &table {
        assert_eq!(md_cells(row), 10, "a row lost its columns: {row}");
    }
    assert!(!md.contains("<b>") && md.contains("&lt;b&gt;bold&lt;/b&gt; &amp; -1"), "{md}");
}
