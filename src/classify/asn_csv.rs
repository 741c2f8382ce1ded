//! The ip-location-db CSV form of an AS table (`start,end,asn,name`, one
//! inclusive range per line, addresses as text or as numbers, the name
//! quoted when it holds a comma), and the conversion between inclusive
//! ranges and the sorted range starts [`super::asn::AsnDb`] searches.

use std::net::IpAddr;

/// Inclusive ranges and AS names.
type Ranges = Vec<(u128, u128, u32)>;

/// Adds the ranges and names of `text` (IPv4 rows to `v4`, IPv6 to `v6`).
pub fn parse(text: &str, v4: &mut Ranges, v6: &mut Ranges, names: &mut Vec<(u32, Box<str>)>) -> Result<(), String> {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what} ({line:?})", n + 1);
        let mut fields = line.splitn(4, ',');
        let (Some(start), Some(end), Some(asn)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(bad("fewer than three fields"));
        };
        let (start, start_v6) = address(start).ok_or_else(|| bad("no start address"))?;
        let (end, end_v6) = address(end).ok_or_else(|| bad("no end address"))?;
        let asn: u32 = asn.trim().parse().map_err(|_| bad("no AS number"))?;
        let v6_row = start_v6 || end_v6 || end > u128::from(u32::MAX);
        if end < start {
            return Err(bad("the range ends before it starts"));
        }
        if asn == 0 {
            continue;
        }
        if let Some(name) = fields.next().map(unquote).filter(|n| !n.is_empty()) {
            names.push((asn, name.into()));
        }
        if v6_row { &mut *v6 } else { &mut *v4 }.push((start, end, asn));
    }
    Ok(())
}

/// An address as text (`1.2.3.4`, `2001:db8::`) or a number; and whether it
/// was IPv6 text.
fn address(text: &str) -> Option<(u128, bool)> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u128>() {
        return Some((n, false));
    }
    match text.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some((u128::from(u32::from(a)), false)),
        IpAddr::V6(a) => Some((u128::from(a), true)),
    }
}

/// A CSV field without its quotes (`""` inside stands for `"`).
fn unquote(field: &str) -> String {
    let field = field.trim();
    match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => field.to_string(),
    }
}

/// Sorted range starts, each holding until the next (AS 0 for gaps), from
/// inclusive ranges up to `top`; where ranges overlap, the one starting
/// first keeps the overlap. Adjacent ranges of one AS become one.
pub fn starts(ranges: &mut Ranges, top: u128) -> Vec<(u128, u32)> {
    ranges.sort_unstable();
    let mut out: Vec<(u128, u32)> = Vec::with_capacity(ranges.len() + 1);
    // The first address not yet covered (None: past `top`).
    let mut covered = Some(0u128);
    for &(start, end, asn) in ranges.iter() {
        let Some(from) = covered.filter(|&c| end >= c) else {
            continue;
        };
        let start = start.max(from);
        if start > from && out.last().is_none_or(|l| l.1 != 0) {
            out.push((from, 0));
        }
        if out.last().is_none_or(|l| l.1 != asn) {
            out.push((start, asn));
        }
        covered = end.min(top).checked_add(1).filter(|&c| c <= top);
    }
    if let Some(c) = covered.filter(|_| out.last().is_none_or(|l| l.1 != 0)) {
        out.push((c, 0));
    }
    out
}

/// Inclusive ranges of the routed entries of sorted `starts` (the inverse
/// of [`starts`]).
pub fn ranges(starts: &[u128], asns: &[u32], top: u128) -> Ranges {
    let mut out = Vec::new();
    for (i, (&start, &asn)) in starts.iter().zip(asns).enumerate() {
        let end = starts.get(i + 1).map_or(top, |next| next - 1);
        if asn != 0 {
            out.push((start, end, asn));
        }
    }
    out
}
