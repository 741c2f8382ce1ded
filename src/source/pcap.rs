//! Classic libpcap files: µs and ns magic, both byte orders, Kuznetzov's
//! "modified" format, and the FCS bits of the link-type field.
//!
//! Acceptance follows libpcap (sf-pcap.c), so record counts match tcpdump's:
//! versions 2.0–2.4 (and the odd 543.0), the link type is the field's low
//! 16 bits with reserved bits ignored, and a record claiming more captured
//! bytes than libpcap's per-link-type maximum ends the file.

use super::buffer::{u16_at, u32_at};
use super::{ByteStream, Format, LinkType, ReadError, ReadReport, Record, RecordSink};
use crate::time::{NANOS_PER_SEC, Timestamp};

/// What the magic number says about a pcap file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Magic {
    pub big_endian: bool,
    pub nanos: bool,
    pub modified: bool,
}

const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;
const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// Recognises the pcap magic in the first four bytes.
pub fn magic(head: &[u8]) -> Option<Magic> {
    let raw: [u8; 4] = head.get(..4)?.try_into().ok()?;
    for big_endian in [false, true] {
        let value = if big_endian { u32::from_be_bytes(raw) } else { u32::from_le_bytes(raw) };
        let (nanos, modified) = match value {
            MAGIC_US => (false, false),
            MAGIC_NS => (true, false),
            MAGIC_MODIFIED => (false, true),
            _ => continue,
        };
        return Some(Magic { big_endian, nanos, modified });
    }
    None
}

/// libpcap's MAXIMUM_SNAPLEN and its per-link-type exceptions.
fn max_snaplen(link: u16) -> u32 {
    match link {
        231 => 128 * 1024 * 1024, // D-Bus
        279 => 8 * 1024 * 1024,   // EBHSCR
        249 => 1024 * 1024,       // USBPcap
        _ => 262_144,
    }
}

pub fn read<S: RecordSink + ?Sized>(
    stream: &mut ByteStream,
    m: Magic,
    sink: &mut S,
    report: &mut ReadReport,
) -> Result<(), ReadError> {
    let io_err = |offset, source| ReadError::Io { offset, source };
    if !stream.ensure(24).map_err(|e| io_err(0, e))? {
        report.format = Some(Format::Pcap { nanos: m.nanos, big_endian: m.big_endian, modified: m.modified });
        let got = stream.window().len();
        report.warnings.push(format!("file header cut short: {got} of 24 bytes"));
        return Ok(());
    }
    let header = stream.window();
    let be = m.big_endian;
    let (major, minor) = (u16_at(header, 4, be), u16_at(header, 6, be));
    if !((major == 2 && minor <= 4) || (major == 543 && minor == 0)) {
        return Err(ReadError::UnsupportedVersion { format: "pcap", major, minor });
    }
    report.format = Some(Format::Pcap { nanos: m.nanos, big_endian: be, modified: m.modified });
    let link_field = u32_at(header, 20, be);
    let link = LinkType((link_field & 0xffff) as u16);
    let file = FileHeader {
        link,
        fcs_len: if link_field & 0x0400_0000 != 0 { (link_field >> 28) * 2 } else { 0 },
        max_caplen: max_snaplen(link.0),
        frac_to_nanos: if m.nanos { 1 } else { 1000 },
    };
    report.note_link_type(link);
    stream.consume(24);

    // The byte order and header length are fixed for the whole file: one
    // copy of the record loop per layout keeps those decisions out of it.
    match (be, m.modified) {
        (false, false) => read_records::<false, 16, S>(stream, &file, sink, report),
        (true, false) => read_records::<true, 16, S>(stream, &file, sink, report),
        (false, true) => read_records::<false, 24, S>(stream, &file, sink, report),
        (true, true) => read_records::<true, 24, S>(stream, &file, sink, report),
    }
}

/// What the file header says about every record.
struct FileHeader {
    link: LinkType,
    /// Bytes of FCS ending every frame (0: none, or not known to be there).
    fcs_len: u32,
    max_caplen: u32,
    frac_to_nanos: i64,
}

/// The fields of a record header (the modified format's extra 8 bytes follow
/// these 16 and are not used).
struct RecordHeader {
    secs: u32,
    frac: u32,
    caplen: u32,
    orig_len: u32,
}

impl RecordHeader {
    #[inline(always)]
    fn parse<const BIG_ENDIAN: bool>(raw: &[u8; 16]) -> RecordHeader {
        let field = |at: usize| {
            let bytes = [raw[at], raw[at + 1], raw[at + 2], raw[at + 3]];
            if BIG_ENDIAN { u32::from_be_bytes(bytes) } else { u32::from_le_bytes(bytes) }
        };
        RecordHeader { secs: field(0), frac: field(4), caplen: field(8), orig_len: field(12) }
    }
}

impl FileHeader {
    /// A record of this file, to be filled in by [`FileHeader::fill`].
    fn blank_record(&self) -> Record<'static> {
        Record { ts: Timestamp(0), link: Some(self.link), data: &[], orig_len: 0 }
    }

    /// Makes `record` the one with this header and captured bytes. The loop
    /// reuses one record so the link type, the same for every record, is
    /// written once.
    #[inline(always)]
    fn fill<'a>(&self, record: &mut Record<'a>, header: &RecordHeader, captured: &'a [u8]) {
        let mut data = captured;
        if self.fcs_len > 0 {
            let keep = header.caplen.min(header.orig_len.saturating_sub(self.fcs_len)) as usize;
            data = &data[..keep];
        }
        // Both parts come from u32 fields, so neither the product nor the sum
        // can overflow (u32::MAX seconds in ns is below i64::MAX / 2).
        let nanos = i64::from(header.secs) * NANOS_PER_SEC + i64::from(header.frac) * self.frac_to_nanos;
        record.ts = Timestamp(nanos);
        record.data = data;
        record.orig_len = header.orig_len;
    }
}

/// Reads every record after the file header. Records that lie wholly in the
/// read window are taken straight from it; only a record that is cut by the
/// window's end (or by a defect) goes through the refilling, warning path.
fn read_records<const BIG_ENDIAN: bool, const HEADER_LEN: usize, S: RecordSink + ?Sized>(
    stream: &mut ByteStream,
    file: &FileHeader,
    sink: &mut S,
    report: &mut ReadReport,
) -> Result<(), ReadError> {
    loop {
        let window = stream.window();
        let mut rest = window;
        let mut records = 0;
        let mut record = file.blank_record();
        while let Some((raw, after_header)) = rest.split_first_chunk::<HEADER_LEN>() {
            let Some(fields) = raw.first_chunk::<16>() else { break };
            let header = RecordHeader::parse::<BIG_ENDIAN>(fields);
            if header.caplen > file.max_caplen {
                break;
            }
            let Some((captured, after)) = after_header.split_at_checked(header.caplen as usize) else { break };
            file.fill(&mut record, &header, captured);
            sink.record(&record);
            records += 1;
            rest = after;
        }
        let used = window.len() - rest.len();
        stream.consume(used);
        report.records += records;
        if !read_one_record::<BIG_ENDIAN, HEADER_LEN, S>(stream, file, sink, report)? {
            return Ok(());
        }
    }
}

/// Reads the next record, refilling the window as needed, or says why the
/// file ends here. Returns whether reading goes on.
#[cold]
fn read_one_record<const BIG_ENDIAN: bool, const HEADER_LEN: usize, S: RecordSink + ?Sized>(
    stream: &mut ByteStream,
    file: &FileHeader,
    sink: &mut S,
    report: &mut ReadReport,
) -> Result<bool, ReadError> {
    match stream.ensure(HEADER_LEN) {
        Ok(true) => {}
        Ok(false) => {
            warn_cut_header(stream, report, "record", HEADER_LEN);
            return Ok(false);
        }
        Err(e) => return read_failed(stream, report, e).map(|()| false),
    }
    let Some(fields) = stream.window().first_chunk::<16>() else { return Ok(false) };
    let header = RecordHeader::parse::<BIG_ENDIAN>(fields);
    let (caplen, max_caplen) = (header.caplen, file.max_caplen);
    if caplen > max_caplen {
        report.warnings.push(format!(
            "record at byte {} claims {caplen} captured bytes (more than {max_caplen}): \
             the rest of the file is unreadable",
            stream.offset()
        ));
        return Ok(false);
    }
    let total = HEADER_LEN + caplen as usize;
    match stream.ensure(total) {
        Ok(true) => {}
        Ok(false) => {
            report.warnings.push(format!(
                "record at byte {} cut short: {} of {caplen} captured bytes present",
                stream.offset(),
                stream.window().len() - HEADER_LEN
            ));
            return Ok(false);
        }
        Err(e) => return read_failed(stream, report, e).map(|()| false),
    }
    let mut record = file.blank_record();
    file.fill(&mut record, &header, &stream.window()[HEADER_LEN..total]);
    sink.record(&record);
    report.records += 1;
    stream.consume(total);
    Ok(true)
}

/// A file that ends inside a `len`-byte `what` header: a warning saying how
/// much of the header there was (none when the file ends cleanly).
pub(super) fn warn_cut_header(stream: &ByteStream, report: &mut ReadReport, what: &str, len: usize) {
    let left = stream.window().len();
    if left > 0 {
        report.warnings.push(format!("{what} header cut short at byte {}: {left} of {len} bytes", stream.offset()));
    }
}

/// An I/O error after the header (e.g. a corrupt compressed stream, or a
/// file truncated while it was read) keeps the records read so far: it
/// becomes a warning.
pub(super) fn read_failed(stream: &ByteStream, report: &mut ReadReport, e: std::io::Error) -> Result<(), ReadError> {
    report.shrank |= e.get_ref().is_some_and(|inner| inner.is::<super::Shrank>());
    report.warnings.push(format!("read failed near byte {}: {e}", stream.offset()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{self, Read};

    use super::super::buffer::Dribble;
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<(i64, Vec<u8>, u32)>);

    impl RecordSink for Collect {
        fn record(&mut self, record: &Record<'_>) {
            assert_eq!(record.link, Some(LinkType::ETHERNET));
            self.0.push((record.ts.0, record.data.to_vec(), record.orig_len));
        }
    }

    /// A pcap file of `count` whole frames of growing length, in either byte
    /// order, plain or modified, ending in a 4-byte FCS when `fcs` is set.
    fn capture(count: u8, big_endian: bool, modified: bool, fcs: bool) -> Vec<u8> {
        let u32_bytes = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let u16_bytes = |v: u16| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut file = u32_bytes(if modified { MAGIC_MODIFIED } else { MAGIC_US }).to_vec();
        file.extend(u16_bytes(2));
        file.extend(u16_bytes(4));
        file.extend([0; 8]);
        file.extend(u32_bytes(65_535));
        file.extend(u32_bytes(if fcs { 1 | 0x0400_0000 | (2 << 28) } else { 1 }));
        for i in 0..count {
            let len = u32::from(i) + if fcs { 4 } else { 0 };
            for field in [1_700_000_000 + u32::from(i), u32::from(i) * 1000, len, len] {
                file.extend(u32_bytes(field));
            }
            if modified {
                file.extend([0xee; 8]);
            }
            file.extend((0..len).map(|b| b as u8 ^ i));
        }
        file
    }

    fn read_all(file: Vec<u8>, dribble: bool) -> (Collect, ReadReport) {
        let reader: Box<dyn Read + Send> =
            if dribble { Box::new(Dribble::new(file.clone(), 7)) } else { Box::new(io::Cursor::new(file.clone())) };
        let mut stream = ByteStream::new(reader);
        let m = magic(&file).unwrap();
        let (mut sink, mut report) = (Collect::default(), ReadReport::default());
        read(&mut stream, m, &mut sink, &mut report).unwrap();
        (sink, report)
    }

    #[test]
    fn every_layout_reads_the_same_records_however_the_input_arrives() {
        let (expected, _) = read_all(capture(40, false, false, false), false);
        assert_eq!(expected.0.len(), 40);
        assert_eq!(expected.0[3], (1_700_000_003 * NANOS_PER_SEC + 3_000_000, vec![3, 2, 1], 3));
        for big_endian in [false, true] {
            for modified in [false, true] {
                for fcs in [false, true] {
                    // The FCS is stripped from the data but still counts in the length on the wire.
                    let fcs_len = if fcs { 4 } else { 0 };
                    let expected: Vec<_> =
                        expected.0.iter().map(|(ts, data, len)| (*ts, data.clone(), len + fcs_len)).collect();
                    for dribble in [false, true] {
                        let (got, report) = read_all(capture(40, big_endian, modified, fcs), dribble);
                        assert_eq!(got.0, expected, "be {big_endian} modified {modified} fcs {fcs}");
                        assert_eq!((report.records, report.warnings.len()), (40, 0));
                    }
                }
            }
        }
    }

    #[test]
    fn a_file_cut_anywhere_keeps_its_complete_records_and_says_where() {
        let file = capture(6, false, true, false);
        // Record i starts at 24 + Σ_{j<i} (24 + j).
        let starts: Vec<usize> = (0..=6).scan(24, |at, i| Some(std::mem::replace(at, *at + 24 + i))).collect();
        for cut in 24..file.len() {
            for dribble in [false, true] {
                let (got, report) = read_all(file[..cut].to_vec(), dribble);
                let complete = starts.iter().filter(|&&start| start <= cut).count() - 1;
                assert_eq!((got.0.len(), report.records as usize), (complete, complete), "cut at {cut}");
                let start = starts[complete];
                let warning = if cut == start {
                    vec![]
                } else if cut - start < 24 {
                    vec![format!("record header cut short at byte {start}: {} of 24 bytes", cut - start)]
                } else {
                    vec![format!(
                        "record at byte {start} cut short: {} of {complete} captured bytes present",
                        cut - start - 24
                    )]
                };
                assert_eq!(report.warnings, warning, "cut at {cut}");
            }
        }
    }

    #[test]
    fn an_impossible_captured_length_ends_the_file() {
        let mut file = capture(3, true, false, false);
        // The second record (at 24 + 16) claims 300,000 captured bytes.
        file[40 + 8..40 + 12].copy_from_slice(&300_000u32.to_be_bytes());
        let (got, report) = read_all(file, false);
        assert_eq!(got.0.len(), 1);
        assert_eq!(
            report.warnings,
            ["record at byte 40 claims 300000 captured bytes (more than 262144): the rest of the file is unreadable"]
        );
    }
}
