//! `--alerts` files and `--methods` mappings: IDS alert lines (Suricata
//! EVE, Snort 3 alert_json) read and counted by attack method, and the
//! input's text as a mapping. The first byte splits the input: odd, the
//! rest is a mapping; even, alert lines.
#![no_main]

use darkscope::aggregate::alerts::AlertBook;
use darkscope::classify::Telescope;
use darkscope::classify::methods::Methods;
use darkscope::decode::read_alerts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    if which % 2 == 1 {
        if let Ok(text) = std::str::from_utf8(rest) {
            let _ = Methods::parse(text, "fuzz.toml");
        }
        return;
    }
    // The bundled mapping's expressions are compiled once, not per input.
    static BUNDLED: std::sync::OnceLock<Methods> = std::sync::OnceLock::new();
    let mut methods = BUNDLED.get_or_init(Methods::bundled).clone();
    let mut book = AlertBook::default();
    let telescope = Telescope::default();
    let read = read_alerts(rest, "fuzz.json", |alert| book.add(&alert, &telescope, &mut methods)).expect("bytes read");
    assert_eq!(read.alerts, book.inside);
    let _ = book.methods();
});
