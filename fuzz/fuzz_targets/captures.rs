//! A capture file of any bytes: the format probe, the pcap and pcapng
//! readers, and every record decoded and classified on its link type.
#![no_main]

use darkscope::classify::classify;
use darkscope::decode::{Decoded, decode};
use darkscope::source::{ByteStream, ReadReport, Record, RecordSink, read_capture};
use libfuzzer_sys::fuzz_target;

struct Decoding(u64);

impl RecordSink for Decoding {
    fn record(&mut self, record: &Record<'_>) {
        if let Decoded::Ip(p) = decode(record) {
            self.0 += u64::from(classify(&p).backscatter.is_some());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut stream = ByteStream::new(Box::new(std::io::Cursor::new(data.to_vec())));
    let mut report = ReadReport::default();
    let _ = read_capture(&mut stream, &mut Decoding(0), &mut report);
});
