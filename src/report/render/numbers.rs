//! Numbers as the reports print them: rates with about four significant
//! digits, signed changes, percentages, and "—" where there is no value;
//! the lines of the totals table.

use crate::report::analysis::Totals;

/// About four significant digits, never more than six decimals.
pub fn decimals(v: f64) -> usize {
    if v == 0.0 || !v.is_finite() {
        return 0;
    }
    (3 - v.abs().log10().floor() as i64).clamp(0, 6) as usize
}

pub fn rate(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.*}", decimals(v)))
}

pub fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:+.1} %"))
}

pub fn change(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:+.*}", decimals(v)))
}

pub fn share(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.2} %", v * 100.0))
}

pub fn rank(v: Option<usize>) -> String {
    v.map_or("—".into(), |v| v.to_string())
}

pub fn count(v: Option<u64>) -> String {
    v.map_or("—".into(), |v| v.to_string())
}

/// A line of the totals table: its name and how to print it.
pub type TotalsLine = (&'static str, fn(&Totals) -> String);

pub const TOTALS: [TotalsLine; 9] = [
    ("packets", |t| t.packets.to_string()),
    ("observed days", |t| t.observed_days.to_string()),
    ("monitored addresses", |t| t.monitored_addresses.to_string()),
    ("packets per day per address", |t| rate(t.per_ip_day)),
    ("one packet every N s per address", |t| rate(t.seconds_between_packets_per_address)),
    ("unique sources", |t| t.unique_sources.to_string()),
    ("unique sources per day", |t| format!("{:.1}", t.unique_sources_per_day)),
    ("research-scanner packets", |t| share(t.research_scanner_share)),
    ("packets dropped by the capture", drops),
];

/// Capture drops, with the days they happened on (their counts are short).
fn drops(t: &Totals) -> String {
    match t.days_with_drops.as_slice() {
        [] => t.capture_drops.to_string(),
        days => format!("{} (on {})", t.capture_drops, days.join(", ")),
    }
}
