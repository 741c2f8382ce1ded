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
    /// Hands one complete record to the sink.
    #[inline(always)]
    fn deliver<S: RecordSink + ?Sized>(&self, header: &RecordHeader, captured: &[u8], sink: &mut S) {
        let mut data = captured;
        if self.fcs_len > 0 {
            let keep = header.caplen.min(header.orig_len.saturating_sub(self.fcs_len)) as usize;
            data = &data[..keep];
        }
        // Both parts come from u32 fields, so neither the product nor the sum
        // can overflow (u32::MAX seconds in ns is below i64::MAX / 2).
        let nanos = i64::from(header.secs) * NANOS_PER_SEC + i64::from(header.frac) * self.frac_to_nanos;
        sink.record(&Record { ts: Timestamp(nanos), link: Some(self.link), data, orig_len: header.orig_len });
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
        while let Some((raw, after_header)) = rest.split_first_chunk::<HEADER_LEN>() {
            let Some(fields) = raw.first_chunk::<16>() else { break };
            let header = RecordHeader::parse::<BIG_ENDIAN>(fields);
            if header.caplen > file.max_caplen {
                break;
            }
            let Some((captured, after)) = after_header.split_at_checked(header.caplen as usize) else { break };
            file.deliver(&header, captured, sink);
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
            let left = stream.window().len();
            if left > 0 {
                report
                    .warnings
                    .push(format!("record header cut short at byte {}: {left} of {HEADER_LEN} bytes", stream.offset()));
            }
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
    file.deliver(&header, &stream.window()[HEADER_LEN..total], sink);
    report.records += 1;
    stream.consume(total);
    Ok(true)
}

/// An I/O error after the header (e.g. a corrupt compressed stream) keeps
/// the records read so far: it becomes a warning.
pub(super) fn read_failed(stream: &ByteStream, report: &mut ReadReport, e: std::io::Error) -> Result<(), ReadError> {
    report.warnings.push(format!("read failed near byte {}: {e}", stream.offset()));
    Ok(())
}
