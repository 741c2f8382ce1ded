//! Classic libpcap files: µs and ns magic, both byte orders, Kuznetzov's
//! "modified" format, and the FCS bits of the link-type field.
//!
//! Acceptance follows libpcap (sf-pcap.c), so record counts match tcpdump's:
//! versions 2.0–2.4 (and the odd 543.0), the link type is the field's low
//! 16 bits with reserved bits ignored, and a record claiming more captured
//! bytes than libpcap's per-link-type maximum ends the file.

use super::buffer::{u16_at, u32_at};
use super::{ByteStream, Format, LinkType, ReadError, ReadReport, Record, RecordSink};
use crate::time::Timestamp;

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
    let fcs_len = if link_field & 0x0400_0000 != 0 { (link_field >> 28) * 2 } else { 0 };
    let max_caplen = max_snaplen(link.0);
    report.note_link_type(link);
    stream.consume(24);

    let record_header = if m.modified { 24 } else { 16 };
    let frac_to_nanos: i64 = if m.nanos { 1 } else { 1000 };
    loop {
        match stream.ensure(record_header) {
            Ok(true) => {}
            Ok(false) => {
                let left = stream.window().len();
                if left > 0 {
                    report.warnings.push(format!(
                        "record header cut short at byte {}: {left} of {record_header} bytes",
                        stream.offset()
                    ));
                }
                return Ok(());
            }
            Err(e) => return read_failed(stream, report, e),
        }
        let w = stream.window();
        let secs = u32_at(w, 0, be) as i64;
        let frac = u32_at(w, 4, be) as i64;
        let caplen = u32_at(w, 8, be);
        let orig_len = u32_at(w, 12, be);
        if caplen > max_caplen {
            report.warnings.push(format!(
                "record at byte {} claims {caplen} captured bytes (more than {max_caplen}): \
                 the rest of the file is unreadable",
                stream.offset()
            ));
            return Ok(());
        }
        let total = record_header + caplen as usize;
        match stream.ensure(total) {
            Ok(true) => {}
            Ok(false) => {
                report.warnings.push(format!(
                    "record at byte {} cut short: {} of {caplen} captured bytes present",
                    stream.offset(),
                    stream.window().len() - record_header
                ));
                return Ok(());
            }
            Err(e) => return read_failed(stream, report, e),
        }
        let w = stream.window();
        let mut data = &w[record_header..total];
        if fcs_len > 0 {
            let keep = (caplen.min(orig_len.saturating_sub(fcs_len))) as usize;
            data = &data[..keep];
        }
        sink.record(&Record {
            ts: Timestamp::from_secs_nanos(secs, frac * frac_to_nanos),
            link: Some(link),
            data,
            orig_len,
        });
        report.records += 1;
        stream.consume(total);
    }
}

/// An I/O error after the header (e.g. a corrupt compressed stream) keeps
/// the records read so far: it becomes a warning.
pub(super) fn read_failed(stream: &ByteStream, report: &mut ReadReport, e: std::io::Error) -> Result<(), ReadError> {
    report.warnings.push(format!("read failed near byte {}: {e}", stream.offset()));
    Ok(())
}
