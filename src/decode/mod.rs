//! Decoding: link layer → IP → transport, lax and allocation-free.

pub mod packet;

pub use packet::{Addr, Fields, IpProto, IpVersion, Packet};
