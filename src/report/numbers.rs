//! Numbers as the reports print them: rates with about four significant
//! digits, signed changes, percentages, and "—" where there is no value.

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
