//! Reading counts out of darkscope's and the generator's JSON.

use std::collections::BTreeMap;

use serde_json::Value;

/// A JSON object of counts (`{"tcp/23": 5, ...}`) as a map.
pub fn as_counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .iter()
        .map(|(k, c)| (k.clone(), c.as_u64().unwrap_or_else(|| panic!("{k}: not a count"))))
        .collect()
}

/// Floats as darkscope prints them and as an oracle computes them (sums
/// that may add in another order): equal to 10⁻⁹ relative; anything else
/// equal.
pub fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => a == b,
    }
}

/// The fields of an NPA-style table row (a report ranking, an attack table).
pub const RANKING_FIELDS: [&str; 9] =
    ["rank", "prev_rank", "key", "packets", "per_ip_day", "prev_per_ip_day", "change_pct", "change_abs", "sources"];

/// The fields of a row of the IDS alerts' NPA tables.
pub const ATTACK_FIELDS: [&str; 11] = [
    "rank",
    "prev_rank",
    "key",
    "alerts",
    "per_ip_day",
    "prev_per_ip_day",
    "change_pct",
    "change_abs",
    "rise_rank",
    "fall_rank",
    "sources",
];

/// Every `fields` of each row of `got` is [`close`] to `want`'s, and both
/// have as many rows; `what` names the table in a failure.
pub fn same_rows(what: &str, got: &Value, want: &Value, fields: &[&str]) {
    let (got, want) = (got.as_array().expect("rows"), want.as_array().expect("rows"));
    assert_eq!(got.len(), want.len(), "{what}: {got:?}");
    for (g, w) in got.iter().zip(want) {
        for &field in fields {
            assert!(close(&g[field], &w[field]), "{what} {field}: {} against {}\n{g}\n{w}", g[field], w[field]);
        }
    }
}
