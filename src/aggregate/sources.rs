//! Source countries, looked up in the country database at most once per
//! network: the answer for an IPv4 /24 (IPv6 /48) is kept when the database
//! network holding the address is at least that wide, so it holds for every
//! address in it. Sources in narrower networks are looked up themselves.
//! Either way the database is consulted when a source first shows up on a
//! day, never per packet.

use super::table::FlatTable;
use crate::classify::geo::{CountryCode, CountryDb};
use crate::decode::Addr;

#[derive(Default)]
pub struct CountryCache {
    /// Keyed by [`network_key`].
    by_network: FlatTable<u64, CountryCode>,
}

/// The /24 (IPv4) or /48 (IPv6) of an address, kept apart by the top bit,
/// and the prefix length it stands for.
#[inline]
fn network_key(addr: Addr) -> (u64, u8) {
    match addr.as_v4() {
        Some(v4) => (u64::from(v4 >> 8), 24),
        None => (((addr.0 >> 80) as u64) | (1 << 63), 48),
    }
}

impl CountryCache {
    /// Hints the CPU to fetch what [`country`](Self::country) will read.
    #[inline]
    pub fn prefetch(&self, addr: Addr) {
        self.by_network.prefetch(self.by_network.hash(network_key(addr).0));
    }

    pub fn country(&mut self, addr: Addr, geo: &CountryDb) -> CountryCode {
        let (key, width) = network_key(addr);
        if let Some(&known) = self.by_network.get(key) {
            return known;
        }
        let (country, prefix) = geo.lookup_network(addr.to_ip());
        if prefix <= width {
            let hash = self.by_network.hash(key);
            self.by_network.entry_with(key, hash, || country);
        }
        country
    }
}
