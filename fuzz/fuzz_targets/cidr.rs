//! `--darknet` / `--exclude` text: the CIDR parser and the set it builds.
#![no_main]

use darkscope::classify::{Cidr, CidrSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cidrs: Vec<Cidr> = text.split(',').filter_map(|t| t.parse().ok()).collect();
    let set = CidrSet::new(&cidrs);
    for c in &cidrs {
        let _ = c.to_string();
        let _ = set.prefixes();
    }
});
