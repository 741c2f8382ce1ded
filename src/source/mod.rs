//! Sources: capture files (pcap, pcapng; plain, gzip, zstd or xz) as a
//! stream of borrowed [`Record`]s, and live capture from network
//! interfaces ([`live`], with the `live` feature) in [`Batch`]es, and
//! whether an interface is up ([`link_state`]); and files of text lines
//! (IDS alerts, [`open_text`]), also as another program writes them
//! ([`follow`]).
//!
//! Readers push records into a [`RecordSink`] (a push model, like ripgrep's
//! `Sink`): the record borrows the read buffer, so nothing is copied or
//! allocated per record. A file that breaks mid-way keeps the records before
//! the defect and reports one warning naming the byte offset.

mod batch;
mod buffer;
pub mod follow;
mod input;
mod link;
#[cfg(feature = "live")]
pub mod live;
mod pcap;
mod pcapng;
mod readahead;
mod walk;

use std::fmt;

pub use batch::{Batch, CaptureStats};
pub use buffer::ByteStream;
pub use input::{
    Decompress, ExpandError, InputSpec, OpenError, Opened, ReadProgress, Shrank, expand_inputs, open_input, open_text,
};
pub use link::{LinkState, link_state};

use crate::time::Timestamp;

/// A link-layer type (pcap LINKTYPE_* value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkType(pub u16);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const RAW_OPENBSD: LinkType = LinkType(12);
    pub const RAW_BSDOS: LinkType = LinkType(14);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The usual name of the link type (as tcpdump prints it), or `LINKTYPE_N`.
    pub fn name(self) -> String {
        let known = match self.0 {
            0 => "NULL",
            1 => "EN10MB",
            9 => "PPP",
            12 | 14 | 101 => "RAW",
            105 => "IEEE802_11",
            108 => "LOOP",
            113 => "LINUX_SLL",
            127 => "IEEE802_11_RADIO",
            228 => "IPV4",
            229 => "IPV6",
            276 => "LINUX_SLL2",
            _ => return format!("LINKTYPE_{}", self.0),
        };
        known.to_string()
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0, self.name())
    }
}

/// One captured frame, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub ts: Timestamp,
    /// The frame's link type; `None` for a pcapng packet block that names an
    /// interface the section never described (the record is malformed).
    pub link: Option<LinkType>,
    /// The captured bytes, with any FCS already stripped.
    pub data: &'a [u8],
    /// The frame's length on the wire.
    pub orig_len: u32,
}

/// Receives what a reader finds in a capture.
pub trait RecordSink {
    /// One packet record.
    fn record(&mut self, record: &Record<'_>);

    /// A pcapng interface statistics block stated when capture started and
    /// ended on an interface (used for coverage).
    fn capture_span(&mut self, _start: Timestamp, _end: Timestamp) {}
}

/// The container format of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap { nanos: bool, big_endian: bool, modified: bool },
    Pcapng,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Pcapng => f.write_str("pcapng"),
            Format::Pcap { nanos, big_endian, modified } => {
                f.write_str("pcap")?;
                if *modified {
                    f.write_str("-modified")?;
                }
                f.write_str(if *nanos { "-ns" } else { "-us" })?;
                f.write_str(if *big_endian { "-be" } else { "-le" })
            }
        }
    }
}

/// What reading one input found, besides its records.
#[derive(Clone, Debug, Default)]
pub struct ReadReport {
    pub format: Option<Format>,
    pub compression: Option<&'static str>,
    pub link_types: Vec<LinkType>,
    pub records: u64,
    pub warnings: Vec<String>,
    /// The file was truncated by another process while it was read (see
    /// [`Shrank`]): the records after the cut are missing.
    pub shrank: bool,
}

impl ReadReport {
    fn note_link_type(&mut self, link: LinkType) {
        if !self.link_types.contains(&link) {
            self.link_types.push(link);
        }
    }
}

/// Why an input could not be read at all (as opposed to a defect mid-way,
/// which is a warning).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("its first bytes ({0}) are no pcap, pcapng, gzip, zstd or xz magic")]
    NotACapture(String),
    #[error("unsupported {format} version {major}.{minor}")]
    UnsupportedVersion { format: &'static str, major: u16, minor: u16 },
    #[error("file is empty")]
    Empty,
    #[error("read failed at byte {offset}: {source}")]
    Io { offset: u64, source: std::io::Error },
}

/// Reads every record of an opened input into `sink`.
///
/// Returns an error only when the input is not a capture at all; defects
/// after the first record are warnings in the report.
pub fn read_capture<S: RecordSink + ?Sized>(
    stream: &mut ByteStream,
    sink: &mut S,
    report: &mut ReadReport,
) -> Result<(), ReadError> {
    let head = stream.peek(4).map_err(|source| ReadError::Io { offset: 0, source })?;
    if head.is_empty() {
        return Err(ReadError::Empty);
    }
    if pcapng::is_pcapng(head) {
        report.format = Some(Format::Pcapng);
        pcapng::read(stream, sink, report)
    } else if let Some(kind) = pcap::magic(head) {
        pcap::read(stream, kind, sink, report)
    } else {
        Err(ReadError::NotACapture(hex_prefix(head)))
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(4).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}
