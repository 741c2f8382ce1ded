//! Numbers as the reports and the terminal summary print them: counts and
//! the integer digits of rates grouped by threes (41,833), rates with about
//! four significant digits, signed changes, percentages, and "—" where
//! there is no value; the lines of the totals table. CSV and JSON keep
//! plain numbers.

use crate::report::analysis::Totals;

/// `1234567` → `1,234,567`.
pub fn grouped(n: u64) -> String {
    group_digits(&n.to_string())
}

/// A number as text with the digits before its decimal point grouped by
/// threes: `-12345.6` → `-12,345.6`.
pub fn group_digits(text: &str) -> String {
    let start = usize::from(text.starts_with(['-', '+']));
    let end = text.find('.').unwrap_or(text.len());
    let digits = &text[start..end];
    let mut out = String::with_capacity(text.len() + digits.len() / 3);
    out.push_str(&text[..start]);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out.push_str(&text[end..]);
    out
}

/// About four significant digits, never more than six decimals.
pub fn decimals(v: f64) -> usize {
    if v == 0.0 || !v.is_finite() {
        return 0;
    }
    (3 - v.abs().log10().floor() as i64).clamp(0, 6) as usize
}

pub fn rate(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| group_digits(&format!("{v:.*}", decimals(v))))
}

pub fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:+.1} %"))
}

pub fn change(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| group_digits(&format!("{v:+.*}", decimals(v))))
}

pub fn share(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.2} %", v * 100.0))
}

pub fn rank(v: Option<usize>) -> String {
    v.map_or("—".into(), |v| v.to_string())
}

pub fn count(v: Option<u64>) -> String {
    v.map_or("—".into(), grouped)
}

/// The note over section 10 ("What changed"): the history judged against
/// and the rule, or why nothing was judged.
pub fn changes_note(c: &crate::report::analysis::changes::Changes, min_packets: u64) -> String {
    use crate::report::analysis::changes::{ALERT_SCORE, MIN_HISTORY_DAYS};
    let days =
        format!("{} covered of the {} days {} .. {}", c.history_days, c.history.days, c.history.from, c.history.to);
    if c.history_days < MIN_HISTORY_DAYS {
        return format!("Too little history to judge: {days} before the period (at least {MIN_HISTORY_DAYS} needed).");
    }
    format!(
        "Against the daily rates of {days} before the period: a port or country alerts when its rate departs \
         from its median by {ALERT_SCORE} robust standard deviations (from the median absolute deviation of \
         the log rates) and it has at least {} packets; \"new\": none on any of those days.",
        grouped(min_packets)
    )
}

/// A line of the totals table: its name and how to print it.
pub type TotalsLine = (&'static str, fn(&Totals) -> String);

pub const TOTALS: [TotalsLine; 9] = [
    ("packets", |t| grouped(t.packets)),
    ("observed days", |t| grouped(t.observed_days)),
    ("monitored addresses", |t| grouped(t.monitored_addresses)),
    ("packets per day per address", |t| rate(t.per_ip_day)),
    ("one packet every N s per address", |t| rate(t.seconds_between_packets_per_address)),
    ("unique sources", |t| grouped(t.unique_sources)),
    ("unique sources per day", |t| group_digits(&format!("{:.1}", t.unique_sources_per_day))),
    ("research-scanner packets", |t| share(t.research_scanner_share)),
    ("packets dropped by the capture", drops),
];

/// Capture drops, with the days they happened on (their counts are short).
fn drops(t: &Totals) -> String {
    match t.days_with_drops.as_slice() {
        [] => grouped(t.capture_drops),
        days => format!("{} (on {})", grouped(t.capture_drops), days.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_before_the_point_are_grouped_by_threes() {
        for (n, text) in [(0, "0"), (999, "999"), (1000, "1,000"), (41_833, "41,833"), (12_345_678, "12,345,678")] {
            assert_eq!(grouped(n), text);
        }
        assert_eq!(group_digits("-12345.678"), "-12,345.678");
        assert_eq!(group_digits("+1234567"), "+1,234,567");
        assert_eq!(group_digits("123.4567"), "123.4567");
        assert_eq!(rate(Some(123_456.7)), "123,457");
        assert_eq!(change(Some(-4_321.0)), "-4,321");
        assert_eq!(count(Some(41_833)), "41,833");
    }
}
