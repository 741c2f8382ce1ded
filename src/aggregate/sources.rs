//! The run's table of distinct sources, each with its country looked up
//! once (the country database is consulted once per source, not per packet).

use foldhash::fast::RandomState;
use hashbrown::HashMap;

use crate::classify::geo::{CountryCode, CountryDb};
use crate::decode::Addr;

/// One distinct darknet-inside source of the run.
#[derive(Clone, Copy, Debug)]
pub struct SourceInfo {
    pub addr: Addr,
    pub country: CountryCode,
}

#[derive(Default)]
pub struct SourceTable {
    index: HashMap<Addr, u32, RandomState>,
    pub list: Vec<SourceInfo>,
    /// Countries of IPv4 /24s whose database network is a /24 or wider, so
    /// every address in them has that country (exact, and much cheaper than
    /// a database lookup for the many sources of busy /24s).
    by_slash24: HashMap<u32, CountryCode, RandomState>,
}

impl SourceTable {
    /// The id of `addr`, adding it (and looking up its country) if new.
    pub fn id(&mut self, addr: Addr, geo: &CountryDb) -> u32 {
        let SourceTable { index, list, by_slash24 } = self;
        *index.entry(addr).or_insert_with(|| {
            let country = match addr.as_v4() {
                Some(v4) => match by_slash24.get(&(v4 >> 8)) {
                    Some(&known) => known,
                    None => {
                        let (country, prefix) = geo.lookup_network(addr.to_ip());
                        // A narrower network answers for this address only.
                        if prefix <= 24 {
                            by_slash24.insert(v4 >> 8, country);
                        }
                        country
                    }
                },
                None => geo.lookup(addr.to_ip()),
            };
            list.push(SourceInfo { addr, country });
            (list.len() - 1) as u32
        })
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
