//! Source countries, looked up in the country database at most once per
//! network: the answer for an IPv4 /24 (IPv6 /48) is kept when the database
//! network holding the address is at least that wide, so it holds for every
//! address in it. Sources in narrower networks are looked up themselves.
//! Either way the database is consulted when a source first shows up on a
//! day, never per packet.

use foldhash::fast::RandomState;
use hashbrown::HashMap;

use crate::classify::geo::{CountryCode, CountryDb};
use crate::decode::Addr;

#[derive(Default)]
pub struct CountryCache {
    /// Keyed by the /24 (IPv4) or /48 (IPv6) of the address, kept apart by
    /// the family bit.
    by_network: HashMap<u128, CountryCode, RandomState>,
}

impl CountryCache {
    pub fn country(&mut self, addr: Addr, geo: &CountryDb) -> CountryCode {
        let (key, width) = match addr.as_v4() {
            Some(v4) => (u128::from(v4 >> 8), 24),
            None => ((addr.0 >> 80) | (1 << 127), 48),
        };
        if let Some(&known) = self.by_network.get(&key) {
            return known;
        }
        let (country, prefix) = geo.lookup_network(addr.to_ip());
        if prefix <= width {
            self.by_network.insert(key, country);
        }
        country
    }
}
