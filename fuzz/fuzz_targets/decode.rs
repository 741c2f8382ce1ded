//! One frame of any bytes on any link type (the first two bytes pick it):
//! the decoder and the classifier.
#![no_main]

use darkscope::classify::classify;
use darkscope::decode::{Decoded, decode};
use darkscope::source::{LinkType, Record};
use darkscope::time::Timestamp;
use libfuzzer_sys::fuzz_target;

/// The link types darkscope decodes, and one it does not.
const LINKS: [LinkType; 11] = [
    LinkType::NULL,
    LinkType::ETHERNET,
    LinkType::RAW_OPENBSD,
    LinkType::RAW_BSDOS,
    LinkType::RAW,
    LinkType::LOOP,
    LinkType::LINUX_SLL,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::LINUX_SLL2,
    LinkType(9),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let link = LINKS[usize::from(pick) % LINKS.len()];
    let record = Record { ts: Timestamp(0), link: Some(link), data: frame, orig_len: frame.len() as u32 };
    if let Decoded::Ip(p) = decode(&record) {
        let _ = classify(&p);
    }
});
