//! pcapng: several sections of either byte order, several interfaces of
//! different link types, `if_tsresol` (decimal and 2^-n) and `if_tsoffset`.
//!
//! Enhanced, simple and obsolete packet blocks are records; SHB, IDB, NRB,
//! ISB, DSB and custom blocks are not. Interface statistics blocks with
//! start/end times are passed on as capture spans (they take precedence in
//! coverage). A packet block naming an interface the section never described
//! is still a record, handed on with no link type (the decoder counts it as
//! malformed).

use super::buffer::{u16_at, u32_at};
use super::pcap::{read_failed, warn_cut_header};
use super::{ByteStream, LinkType, ReadError, ReadReport, Record, RecordSink};
use crate::time::Timestamp;

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const OBSOLETE_PB: u32 = 2;
const SPB: u32 = 3;
const ISB: u32 = 5;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

/// libpcap refuses blocks larger than this (its default maximum block size).
const MAX_BLOCK_LEN: u32 = 16 * 1024 * 1024;

pub fn is_pcapng(head: &[u8]) -> bool {
    head.len() >= 4 && head[..4] == SHB.to_le_bytes()
}

/// How one interface's timestamps and frames are to be read.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    /// `if_tsresol`: bit 7 set means 2^-n, else 10^-n.
    tsresol: u8,
    /// `if_tsoffset` in seconds.
    tsoffset: i64,
}

impl Interface {
    fn timestamp(&self, ticks: u64) -> Timestamp {
        let n = u32::from(self.tsresol & 0x7f);
        let nanos: i128 = if self.tsresol & 0x80 != 0 {
            if n >= 64 { 0 } else { ((ticks as i128) * 1_000_000_000) >> n }
        } else if n <= 9 {
            (ticks as i128) * 10_i128.pow(9 - n)
        } else if n - 9 <= 38 {
            (ticks as i128) / 10_i128.pow(n - 9)
        } else {
            0
        };
        let total = nanos + i128::from(self.tsoffset) * 1_000_000_000;
        Timestamp(total.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }
}

/// A 64-bit integer option in the section's byte order (`if_tsoffset`).
fn i64_at(b: &[u8], be: bool) -> i64 {
    let raw = [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
    if be { i64::from_be_bytes(raw) } else { i64::from_le_bytes(raw) }
}

/// A timestamp as pcapng stores it: high 32 bits first, each word in the
/// section's byte order.
fn ticks_at(b: &[u8], at: usize, be: bool) -> u64 {
    (u64::from(u32_at(b, at, be)) << 32) | u64::from(u32_at(b, at + 4, be))
}

/// Iterates the `(code, value)` pairs of an options area, stopping at
/// `opt_endofopt` or at the first option that overruns the area.
fn options(area: &[u8], be: bool) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        if at + 4 > area.len() {
            return None;
        }
        let code = u16_at(area, at, be);
        let len = u16_at(area, at + 2, be) as usize;
        if code == 0 || at + 4 + len > area.len() {
            return None;
        }
        let value = &area[at + 4..at + 4 + len];
        at += 4 + len.div_ceil(4) * 4;
        Some((code, value))
    })
}

pub fn read<S: RecordSink + ?Sized>(
    stream: &mut ByteStream,
    sink: &mut S,
    report: &mut ReadReport,
) -> Result<(), ReadError> {
    let mut be = false;
    let mut interfaces: Vec<Interface> = Vec::new();
    // A simple packet block has no timestamp: it takes the previous record's.
    let mut last_ts = Timestamp(0);
    loop {
        match stream.ensure(12) {
            Ok(true) => {}
            Ok(false) => {
                warn_cut_header(stream, report, "block", 12);
                return Ok(());
            }
            Err(e) => return read_failed(stream, report, e),
        }
        let w = stream.window();
        let raw_type = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        if raw_type == SHB {
            be = match u32::from_le_bytes([w[8], w[9], w[10], w[11]]) {
                BYTE_ORDER_MAGIC => false,
                m if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
                _ => {
                    report
                        .warnings
                        .push(format!("section header at byte {} has no valid byte-order magic", stream.offset()));
                    return Ok(());
                }
            };
            interfaces.clear();
        }
        let block_type = u32_at(w, 0, be);
        let total = u32_at(w, 4, be);
        if total < 12 || !total.is_multiple_of(4) || total > MAX_BLOCK_LEN {
            report.warnings.push(format!(
                "block at byte {} has an invalid length {total}: the rest of the file is unreadable",
                stream.offset()
            ));
            return Ok(());
        }
        match stream.ensure(total as usize) {
            Ok(true) => {}
            Ok(false) => {
                report.warnings.push(format!(
                    "block at byte {} cut short: {} of {total} bytes present",
                    stream.offset(),
                    stream.window().len()
                ));
                return Ok(());
            }
            Err(e) => return read_failed(stream, report, e),
        }
        let w = stream.window();
        if u32_at(w, total as usize - 4, be) != total {
            report.warnings.push(format!(
                "block at byte {}: its trailing length differs from its leading length {total}: \
                 the rest of the file is unreadable",
                stream.offset()
            ));
            return Ok(());
        }
        let body = &w[8..total as usize - 4];
        if block_type == SHB {
            // libpcap reads versions 1.0 and 1.2 only.
            let (major, minor) = if body.len() >= 16 { (u16_at(body, 4, be), u16_at(body, 6, be)) } else { (0, 0) };
            if !(major == 1 && (minor == 0 || minor == 2)) {
                if stream.offset() == 0 {
                    return Err(ReadError::UnsupportedVersion { format: "pcapng", major, minor });
                }
                report.warnings.push(format!(
                    "section header at byte {} has unsupported version {major}.{minor}: \
                     the rest of the file is unreadable",
                    stream.offset()
                ));
                return Ok(());
            }
        }
        let problem = match block_type {
            SHB => None,
            IDB => read_interface(body, be, &mut interfaces, report),
            EPB | OBSOLETE_PB | SPB => packet_block(block_type, body, be, &interfaces, &mut last_ts, sink, report),
            ISB => {
                interface_statistics(body, be, &interfaces, sink);
                None
            }
            _ => None,
        };
        if let Some(problem) = problem {
            report.warnings.push(format!("{problem} at byte {}: the rest of the file is unreadable", stream.offset()));
            return Ok(());
        }
        stream.consume(total as usize);
    }
}

fn read_interface(body: &[u8], be: bool, interfaces: &mut Vec<Interface>, report: &mut ReadReport) -> Option<String> {
    if body.len() < 8 {
        return Some("interface description block too short".into());
    }
    let mut iface =
        Interface { link: LinkType(u16_at(body, 0, be)), snaplen: u32_at(body, 4, be), tsresol: 6, tsoffset: 0 };
    for (code, value) in options(&body[8..], be) {
        match (code, value.len()) {
            (9, 1..) => iface.tsresol = value[0],
            (14, 8..) => iface.tsoffset = i64_at(value, be),
            _ => {}
        }
    }
    report.note_link_type(iface.link);
    interfaces.push(iface);
    None
}

fn packet_block<S: RecordSink + ?Sized>(
    block_type: u32,
    body: &[u8],
    be: bool,
    interfaces: &[Interface],
    last_ts: &mut Timestamp,
    sink: &mut S,
    report: &mut ReadReport,
) -> Option<String> {
    let (if_id, ticks, caplen, orig_len, data_at) = match block_type {
        SPB => {
            if body.len() < 4 {
                return Some("simple packet block too short".into());
            }
            let orig_len = u32_at(body, 0, be);
            let snap = interfaces.first().map_or(0, |i| i.snaplen);
            let mut caplen = orig_len.min(body.len() as u32 - 4);
            if snap != 0 {
                caplen = caplen.min(snap);
            }
            (0, 0, caplen, orig_len, 4)
        }
        _ => {
            if body.len() < 20 {
                return Some("packet block too short".into());
            }
            let if_id = if block_type == EPB { u32_at(body, 0, be) } else { u32::from(u16_at(body, 0, be)) };
            (if_id, ticks_at(body, 4, be), u32_at(body, 12, be), u32_at(body, 16, be), 20)
        }
    };
    if data_at + caplen as usize > body.len() {
        return Some(format!("packet block claims {caplen} captured bytes, more than the block holds"));
    }
    let data = &body[data_at..data_at + caplen as usize];
    let iface = interfaces.get(if_id as usize);
    // A simple packet block carries no timestamp: it is dated like the
    // record before it (so it lands on the day it was captured on).
    let ts = match (iface, block_type) {
        (Some(i), t) if t != SPB => i.timestamp(ticks),
        _ => *last_ts,
    };
    *last_ts = ts;
    sink.record(&Record { ts, link: iface.map(|i| i.link), data, orig_len });
    report.records += 1;
    None
}

fn interface_statistics<S: RecordSink + ?Sized>(body: &[u8], be: bool, interfaces: &[Interface], sink: &mut S) {
    if body.len() < 12 {
        return;
    }
    let Some(iface) = interfaces.get(u32_at(body, 0, be) as usize) else {
        return;
    };
    let (mut start, mut end) = (None, None);
    for (code, value) in options(&body[12..], be) {
        match (code, value.len()) {
            (2, 8..) => start = Some(iface.timestamp(ticks_at(value, 0, be))),
            (3, 8..) => end = Some(iface.timestamp(ticks_at(value, 0, be))),
            _ => {}
        }
    }
    if let (Some(start), Some(end)) = (start, end)
        && start <= end
    {
        sink.capture_span(start, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(tsresol: u8, tsoffset: i64) -> Interface {
        Interface { link: LinkType::ETHERNET, snaplen: 0, tsresol, tsoffset }
    }

    #[test]
    fn timestamp_resolutions() {
        // Default µs.
        assert_eq!(iface(6, 0).timestamp(1_500_000).0, 1_500_000_000);
        // ns.
        assert_eq!(iface(9, 0).timestamp(7).0, 7);
        // 10^-12: picoseconds → ns truncates.
        assert_eq!(iface(12, 0).timestamp(5_000).0, 5);
        // 2^-10: 1024 ticks per second.
        assert_eq!(iface(0x8a, 0).timestamp(1024 * 3 + 512).0, 3_500_000_000);
        // Offset in seconds.
        assert_eq!(iface(6, 100).timestamp(1).0, 100_000_001_000);
    }

    #[test]
    fn options_stop_at_end_and_overrun() {
        // code 9 len 1 value 9 (padded), code 0.
        let area = [9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0];
        let found: Vec<_> = options(&area, false).collect();
        assert_eq!(found, vec![(9u16, &[9u8][..])]);
        let overrun = [9, 0, 200, 0, 1];
        assert_eq!(options(&overrun, false).count(), 0);
    }
}
