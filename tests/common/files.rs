//! Whole test capture files: pcap and pcapng writers, temporary files and
//! compression (see `capture.rs` for the conventions).
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// Records `range` (1-based, inclusive, as editcap counts: `1-1000`) of
/// `capture`, written by editcap as classic pcap to `out`; gives `out`.
pub fn editcap_slice(capture: &str, range: &str, out: &Path) -> String {
    let out = out.to_string_lossy().into_owned();
    let status = std::process::Command::new("editcap")
        .args(["-F", "pcap", "-r", capture, &out, range])
        .status()
        .expect("running editcap");
    assert!(status.success(), "editcap -r {capture} {range}");
    out
}

// ---------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------

/// A classic pcap file. Build with struct update syntax, e.g.
/// `Pcap { le: false, nanos: true, ..Pcap::new(LINKTYPE_ETHERNET) }`, then
/// add records and take [`Pcap::bytes`].
#[derive(Clone, Debug)]
pub struct Pcap {
    /// Byte order of the file (magic included).
    pub le: bool,
    /// Nanosecond timestamps (magic a1b23c4d) instead of microseconds.
    pub nanos: bool,
    /// The whole 32-bit link-type field, FCS and reserved bits included.
    pub linktype_field: u32,
    pub snaplen: u32,
    /// Kuznetzov's modified pcap (magic a1b2cd34, 24-byte record headers
    /// with ifindex, protocol, pkt_type and padding).
    pub modified: bool,
    /// Records already serialised (header + data).
    pub records: Vec<u8>,
}

impl Pcap {
    /// Little-endian, microseconds, snaplen 65535, not modified.
    pub fn new(linktype_field: u32) -> Pcap {
        Pcap { le: true, nanos: false, linktype_field, snaplen: 65_535, modified: false, records: Vec::new() }
    }

    pub fn magic(&self) -> u32 {
        if self.modified {
            0xa1b2_cd34
        } else if self.nanos {
            0xa1b2_3c4d
        } else {
            0xa1b2_c3d4
        }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    /// A record: `ts_frac` is µs or ns per [`Pcap::nanos`]; caplen = data length.
    pub fn record(&mut self, ts_sec: u32, ts_frac: u32, data: &[u8], orig_len: u32) -> &mut Self {
        self.record_with_caplen(ts_sec, ts_frac, data.len() as u32, data, orig_len)
    }

    /// A record whose caplen field says `caplen`, whatever `data` holds
    /// (for malformed-file tests).
    pub fn record_with_caplen(
        &mut self,
        ts_sec: u32,
        ts_frac: u32,
        caplen: u32,
        data: &[u8],
        orig_len: u32,
    ) -> &mut Self {
        let mut r = Vec::with_capacity(24 + data.len());
        r.extend_from_slice(&self.u32(ts_sec));
        r.extend_from_slice(&self.u32(ts_frac));
        r.extend_from_slice(&self.u32(caplen));
        r.extend_from_slice(&self.u32(orig_len));
        if self.modified {
            r.extend_from_slice(&self.u32(1)); // ifindex
            r.extend_from_slice(&self.u16(0x0800)); // protocol
            r.push(0); // pkt_type
            r.push(0); // pad
        }
        r.extend_from_slice(data);
        self.records.extend_from_slice(&r);
        self
    }

    /// The 24-byte file header.
    pub fn header(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&self.u32(self.magic()));
        h.extend_from_slice(&self.u16(2));
        h.extend_from_slice(&self.u16(4));
        h.extend_from_slice(&self.u32(0)); // thiszone
        h.extend_from_slice(&self.u32(0)); // sigfigs
        h.extend_from_slice(&self.u32(self.snaplen));
        h.extend_from_slice(&self.u32(self.linktype_field));
        h
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        out.extend_from_slice(&self.records);
        out
    }
}

// ---------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------

pub const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
pub const PCAPNG_IDB: u32 = 1;
pub const PCAPNG_OPB: u32 = 2;
pub const PCAPNG_SPB: u32 = 3;
pub const PCAPNG_NRB: u32 = 4;
pub const PCAPNG_ISB: u32 = 5;
pub const PCAPNG_EPB: u32 = 6;
pub const PCAPNG_CB: u32 = 0x0000_0BAD;

/// A pcapng file, block by block. Start every section with
/// [`Pcapng::section`]; later blocks use that section's byte order.
/// Interface IDs count from 0 within each section, in `interface` order.
#[derive(Clone, Debug, Default)]
pub struct Pcapng {
    le: bool,
    out: Vec<u8>,
}

impl Pcapng {
    pub fn new() -> Pcapng {
        Pcapng { le: true, out: Vec::new() }
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    fn u64(&self, v: u64) -> [u8; 8] {
        if self.le { v.to_le_bytes() } else { v.to_be_bytes() }
    }

    /// A 64-bit timestamp as pcapng stores it: high word, then low word.
    fn ts(&self, ticks: u64) -> Vec<u8> {
        let mut v = self.u32((ticks >> 32) as u32).to_vec();
        v.extend_from_slice(&self.u32(ticks as u32));
        v
    }

    /// One option (code, length, value padded to 32 bits).
    fn option(&self, code: u16, value: &[u8]) -> Vec<u8> {
        let mut o = self.u16(code).to_vec();
        o.extend_from_slice(&self.u16(value.len() as u16));
        o.extend_from_slice(value);
        pad4(&mut o);
        o
    }

    fn end_of_options(&self) -> Vec<u8> {
        self.option(0, &[])
    }

    /// Any block: type, total length, `body` padded to 32 bits, total
    /// length again.
    pub fn raw_block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let mut body = body.to_vec();
        pad4(&mut body);
        let total = (12 + body.len()) as u32;
        let mut b = self.u32(block_type).to_vec();
        b.extend_from_slice(&self.u32(total));
        b.extend_from_slice(&body);
        b.extend_from_slice(&self.u32(total));
        self.out.extend_from_slice(&b);
        self
    }

    /// Section Header Block: byte-order magic 0x1A2B3C4D, version 1.0,
    /// section length −1 (unknown), no options.
    pub fn section(&mut self, le: bool) -> &mut Self {
        self.le = le;
        let mut body = self.u32(0x1A2B_3C4D).to_vec();
        body.extend_from_slice(&self.u16(1));
        body.extend_from_slice(&self.u16(0));
        body.extend_from_slice(&self.u64(u64::MAX)); // -1
        self.raw_block(PCAPNG_SHB, &body)
    }

    /// Interface Description Block with optional if_tsresol (9) and
    /// if_tsoffset (14, seconds, signed).
    pub fn interface(&mut self, linktype: u16, snaplen: u32, tsresol: Option<u8>, tsoffset: Option<i64>) -> &mut Self {
        let mut body = self.u16(linktype).to_vec();
        body.extend_from_slice(&[0, 0]); // reserved
        body.extend_from_slice(&self.u32(snaplen));
        let mut any = false;
        if let Some(r) = tsresol {
            body.extend_from_slice(&self.option(9, &[r]));
            any = true;
        }
        if let Some(off) = tsoffset {
            body.extend_from_slice(&self.option(14, &self.u64(off as u64)));
            any = true;
        }
        if any {
            body.extend_from_slice(&self.end_of_options());
        }
        self.raw_block(PCAPNG_IDB, &body)
    }

    /// Enhanced Packet Block (captured length = data length).
    pub fn epb(&mut self, if_id: u32, ts_ticks: u64, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = self.u32(if_id).to_vec();
        body.extend_from_slice(&self.ts(ts_ticks));
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(&self.u32(orig_len));
        body.extend_from_slice(data);
        self.raw_block(PCAPNG_EPB, &body)
    }

    /// Simple Packet Block (interface 0, no timestamp). The captured length
    /// is implied: min(orig_len, IDB snaplen, block body length); when
    /// `data` is shorter than `orig_len` and not a multiple of 4, a reader
    /// cannot tell data from padding.
    pub fn spb(&mut self, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = self.u32(orig_len).to_vec();
        body.extend_from_slice(data);
        self.raw_block(PCAPNG_SPB, &body)
    }

    /// The obsolete Packet Block (type 2): 16-bit interface ID, drops 0.
    pub fn obsolete_pb(&mut self, if_id: u16, ts_ticks: u64, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = self.u16(if_id).to_vec();
        body.extend_from_slice(&self.u16(0)); // drops count
        body.extend_from_slice(&self.ts(ts_ticks));
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(&self.u32(orig_len));
        body.extend_from_slice(data);
        self.raw_block(PCAPNG_OPB, &body)
    }

    /// Name Resolution Block with one IPv4 record (192.0.2.1 →
    /// "sensor.example") and the end record.
    pub fn nrb(&mut self) -> &mut Self {
        let mut value = vec![192, 0, 2, 1];
        value.extend_from_slice(b"sensor.example\0");
        let mut body = self.u16(1).to_vec(); // nrb_record_ipv4
        body.extend_from_slice(&self.u16(value.len() as u16));
        body.extend_from_slice(&value);
        pad4(&mut body);
        body.extend_from_slice(&self.u16(0)); // nrb_record_end
        body.extend_from_slice(&self.u16(0));
        self.raw_block(PCAPNG_NRB, &body)
    }

    /// Interface Statistics Block: timestamp = `end_ticks`, options
    /// isb_starttime (2) and isb_endtime (3).
    pub fn isb(&mut self, if_id: u32, start_ticks: u64, end_ticks: u64) -> &mut Self {
        let mut body = self.u32(if_id).to_vec();
        body.extend_from_slice(&self.ts(end_ticks));
        body.extend_from_slice(&self.option(2, &self.ts(start_ticks)));
        body.extend_from_slice(&self.option(3, &self.ts(end_ticks)));
        body.extend_from_slice(&self.end_of_options());
        self.raw_block(PCAPNG_ISB, &body)
    }

    /// Custom Block (0x00000BAD, "may be copied") with a private
    /// enterprise number and a few bytes of data.
    pub fn custom(&mut self, pen: u32) -> &mut Self {
        let mut body = self.u32(pen).to_vec();
        body.extend_from_slice(b"darkscope test");
        self.raw_block(PCAPNG_CB, &body)
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.out.clone()
    }
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

// ---------------------------------------------------------------------------
// Files and compression
// ---------------------------------------------------------------------------

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

/// gzip (one member).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

/// One zstd frame.
pub fn zstd_compress(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd into memory")
}

/// An xz stream.
pub fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
    enc.write_all(bytes).expect("xz into memory");
    enc.finish().expect("xz into memory")
}

/// Splits a classic pcap into `n` files at `n - 1` record boundaries
/// picked by a fixed pseudo-random sequence; gives the files in order.
pub fn split_pcap(path: &Path, n: usize, dir: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("reading the capture");
    let (header, mut at, mut records) = (&bytes[..24], 24, Vec::new());
    while at < bytes.len() {
        records.push(at);
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes"));
        at += 16 + incl as usize;
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(n as u64);
    let mut cuts: Vec<usize> = (1..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            records[1 + (x as usize) % (records.len() - 1)]
        })
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    assert_eq!(cuts.len(), n - 1, "{n} distinct cuts");
    let bounds: Vec<usize> = std::iter::once(24).chain(cuts).chain(std::iter::once(bytes.len())).collect();
    bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let file = dir.join(format!("split{n}-{i:03}.pcap"));
            std::fs::write(&file, [header, &bytes[w[0]..w[1]]].concat()).expect("writing a piece");
            file.to_string_lossy().into_owned()
        })
        .collect()
}
