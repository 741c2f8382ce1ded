//! A research-scanner list of any text (`--scanners FILE`).
#![no_main]

use darkscope::classify::ScannerList;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ScannerList::parse(text, "fuzz");
    }
});
