//! darkscope: a darknet (network telescope) traffic analyser.
//!
//! The pipeline is `source → decode → classify → aggregate → report`, one
//! module per stage. Each stage hands the next a small, borrowed or `Copy`
//! value, so the hot path allocates nothing per packet:
//!
//! * [`source`] reads pcap / pcapng records (plain or compressed) and yields
//!   borrowed [`source::Record`]s;
//! * [`decode`] turns a record into a [`decode::Packet`] (link → IP → L4, lax);
//! * [`classify`] decides darknet membership, the TCP flag class, backscatter
//!   kinds, scanner fingerprints and the source country;
//! * [`aggregate`] keeps the per-UTC-day tables;
//! * [`report`] renders the summary JSON and the terminal summary.
//!
//! [`generate`] writes synthetic telescope traffic with its ground truth, and
//! [`cli`] wires the stages together behind the `darkscope` binary.
#![deny(unsafe_code)]

pub mod aggregate;
pub mod classify;
pub mod cli;
pub mod daemon;
pub mod decode;
pub mod generate;
pub mod report;
pub mod source;
pub mod store;
pub mod time;
