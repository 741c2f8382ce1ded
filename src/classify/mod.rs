//! Classification: classify each packet once into tags (corsaro3's idea).
//!
//! * darknet membership of the destination and `--exclude` of the source;
//! * the TCP flag class, backscatter kind and victim;
//! * the Mirai / ZMap / masscan fingerprints.
//!
//! The source country is looked up once per source in [`geo`], by the
//! aggregator, not here; the origin AS ([`asn`]) when the store is written.

pub mod asn;
mod asn_csv;
pub mod cidr;
pub mod geo;
pub mod methods;
pub mod scanners;
mod tags;

pub use cidr::{Cidr, CidrError, CidrSet};
pub use scanners::{ScannerList, ScannerListError};
pub use tags::{Backscatter, Class, Fingerprints, FlagClass, classify};

use crate::decode::{Addr, Packet};

/// Where a packet stands relative to the telescope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Inside,
    Outside,
    Excluded,
}

/// Darknet and exclusion prefixes.
#[derive(Clone, Debug, Default)]
pub struct Telescope {
    pub darknet: CidrSet,
    pub exclude: CidrSet,
}

impl Telescope {
    /// Excluded sources first (the sensor's own traffic), then darknet
    /// membership of the destination; no `--darknet` means everything is in.
    #[inline]
    pub fn scope(&self, p: &Packet) -> Scope {
        self.scope_of(p.src, p.dst)
    }

    /// [`Telescope::scope`] of a packet (or an IDS alert) from `src` to `dst`.
    #[inline]
    pub fn scope_of(&self, src: Addr, dst: Addr) -> Scope {
        if !self.exclude.is_empty() && self.exclude.contains(src) {
            Scope::Excluded
        } else if self.darknet.is_empty() || self.darknet.contains(dst) {
            Scope::Inside
        } else {
            Scope::Outside
        }
    }
}
