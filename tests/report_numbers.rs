//! Counts in the Markdown and HTML reports are grouped by threes as in the
//! terminal summary (41,833, not 41833); CSV and JSON keep plain numbers.
//! The expected totals come from the generator's ground truth.

mod common;
use common::cli::ok;

/// `n` with its digits grouped by threes, written out here rather than
/// taken from darkscope.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut groups: Vec<&str> = Vec::new();
    let mut end = digits.len();
    while end > 3 {
        groups.push(&digits[end - 3..end]);
        end -= 3;
    }
    groups.push(&digits[..end]);
    groups.reverse();
    groups.join(",")
}

#[test]
fn report_counts_are_grouped_in_markdown_and_html_and_plain_in_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, days) = common::store::generate_days(dir.path(), "2024-03-01", 2, 41_833, 3_000);
    let packets: u64 = days.values().sum();
    assert_eq!(packets, 41_833, "the truth's days add up to the packets generated");
    let store = dir.path().join("store").to_string_lossy().into_owned();
    ok(&["replay", &capture, "--darknet", "198.18.0.0/16", "--store", &store, "--sensor", "s1", "-q"]);

    let md = String::from_utf8(ok(&["report", "--store", &store]).stdout).expect("UTF-8");
    assert!(md.contains("| packets | 41,833 |"), "the totals' packets, grouped:\n{md}");
    assert!(!md.contains("41833"), "no ungrouped count:\n{md}");
    let html = String::from_utf8(ok(&["report", "--store", &store, "--format", "html"]).stdout).expect("UTF-8");
    assert!(html.contains(">41,833<") && !html.contains("41833"), "the HTML totals' packets, grouped");

    // Every port of the ranking: its packets grouped in both reports.
    let json: serde_json::Value =
        serde_json::from_slice(&ok(&["report", "--store", &store, "--format", "json"]).stdout).expect("JSON");
    assert_eq!(json["totals"]["packets"], 41_833, "JSON keeps plain numbers");
    let ports = json["tables"]["ports"].as_array().expect("the port ranking");
    assert!(ports.iter().any(|p| p["packets"].as_u64() >= Some(1000)), "a port with four digits to group");
    for port in ports {
        let (key, n) = (port["key"].as_str().expect("a key"), port["packets"].as_u64().expect("packets"));
        assert!(md.contains(&format!("| {key} | {} |", grouped(n))), "{key}: {n} grouped in Markdown");
        assert!(html.contains(&format!(">{}<", grouped(n))), "{key}: {n} grouped in HTML");
    }
}
