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
