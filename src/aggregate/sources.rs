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
}

impl SourceTable {
    /// The id of `addr`, adding it (and looking up its country) if new.
    pub fn id(&mut self, addr: Addr, geo: &CountryDb) -> u32 {
        let list = &mut self.list;
        *self.index.entry(addr).or_insert_with(|| {
            list.push(SourceInfo { addr, country: geo.lookup(addr.to_ip()) });
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
