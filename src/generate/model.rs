//! The population behind the traffic: scanning sources (with their tool
//! and heavy-tailed activity), DoS victims and routers (for backscatter),
//! the destination-port ranking, and the per-class source pools.
//!
//! Every address is drawn from the country blocks in [`super::geo`], distinct
//! from every other, never inside the darknet (unless the darknet is wider
//! than a /8) and never ending in `.0` or `.255`.

use hashbrown::HashSet;

use super::GenerateError;
use super::geo;
use super::rng::{Alias, Rng, pareto, zipf_weights};

/// The head of the destination-port ranking; the other ports of 1..=65535
/// follow in a seeded order.
pub const PORT_HEAD: [u16; 12] = [23, 22, 80, 445, 6379, 8080, 3389, 443, 1433, 8088, 5555, 2323];
/// Zipf exponent of the port popularity.
pub const ZIPF_S: f64 = 1.25;
/// Pareto shape of per-source activity (smaller: heavier tail).
pub const PARETO_ALPHA: f64 = 1.2;
/// Number of DoS victims seen through backscatter, and of routers that
/// send ICMP errors about them.
pub const VICTIMS: usize = 40;
pub const ROUTERS: usize = 12;
/// Service ports of victims (the victim's side of the spoofed connection).
const VICTIM_PORTS: [u16; 10] = [80, 443, 22, 53, 25565, 27015, 8080, 3306, 6667, 9987];

/// What a scanning source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Mirai,
    ZmapTcp,
    Masscan,
    Generic,
    Udp,
    ZmapUdp,
    Icmp,
    ZmapIcmp,
}

/// Share of scanning sources per kind (percent).
const KIND_SHARES: [(Kind, u64); 8] = [
    (Kind::Mirai, 35),
    (Kind::ZmapTcp, 4),
    (Kind::Masscan, 4),
    (Kind::Generic, 30),
    (Kind::Udp, 12),
    (Kind::ZmapUdp, 1),
    (Kind::Icmp, 12),
    (Kind::ZmapIcmp, 2),
];

/// Source pools that packet classes draw from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    Mirai = 0,
    Zmap = 1,
    Masscan = 2,
    Generic = 3,
    Udp = 4,
    Icmp = 5,
}
pub const POOLS: usize = 6;

impl Kind {
    pub fn pool(self) -> Pool {
        match self {
            Kind::Mirai => Pool::Mirai,
            Kind::ZmapTcp => Pool::Zmap,
            Kind::Masscan => Pool::Masscan,
            Kind::Generic => Pool::Generic,
            Kind::Udp | Kind::ZmapUdp => Pool::Udp,
            Kind::Icmp | Kind::ZmapIcmp => Pool::Icmp,
        }
    }
}

/// One scanning source.
#[derive(Clone, Copy, Debug)]
pub struct Source {
    pub addr: u32,
    pub ttl: u8,
    pub kind: Kind,
    /// ZMap sources: the one port they scan (a UDP service index for UDP).
    pub port: u16,
    /// A fixed source port (masscan, ZMap) or option style (generic: 0 Linux
    /// options, 1 MSS only, 2 none).
    pub sport: u16,
}

/// One DoS victim.
#[derive(Clone, Copy, Debug)]
pub struct Victim {
    pub addr: u32,
    pub ttl: u8,
    pub port: u16,
}

/// A weighted set of entities. Members are kept heaviest first, so the
/// alias targets (mostly heavy members) share a few hot cache lines.
pub struct Weighted<T> {
    pub members: Vec<T>,
    pub alias: Alias,
}

impl<T: Copy> Weighted<T> {
    /// Sorts `items` by weight, heaviest first (ties keep their order), and
    /// builds the sampler; `None` when there are no items.
    pub fn new(mut items: Vec<(T, f64)>) -> Option<Weighted<T>> {
        items.sort_by(|a, b| b.1.total_cmp(&a.1));
        let w: Vec<f64> = items.iter().map(|x| x.1).collect();
        let alias = Alias::new(&w)?;
        Some(Weighted { members: items.into_iter().map(|x| x.0).collect(), alias })
    }

    #[inline]
    pub fn pick(&self, rng: &mut Rng) -> T {
        self.members[self.alias.sample(rng)]
    }
}

/// Everything drawn once per run.
pub struct Population {
    pub sources: Vec<Source>,
    pub pools: [Option<Weighted<Source>>; POOLS],
    /// Scanning sources in a shuffled order; each is forced once so every
    /// configured source appears when there are enough packets.
    pub unseen: Vec<u32>,
    pub victims: Vec<Victim>,
    pub victim_pick: Weighted<u32>,
    pub routers: Vec<Victim>,
    /// Destination port by Zipf rank, and the rank sampler.
    pub port_rank: Vec<u16>,
    pub port_zipf: Alias,
    drawer: AddressDrawer,
}

/// The two-period scenario's planted changes (see [`super::scenario`]).
pub const PLANTED_SHIFT_COUNTRY: [u8; 2] = *b"VN";
const PLANTED_SHIFT_SOURCES: usize = 300;
pub const PLANTED_VICTIM_COUNTRY: [u8; 2] = *b"DE";
pub const PLANTED_VICTIM_PORT: u16 = 8443;

/// Extra addresses that only the second period uses.
#[derive(Clone, Debug)]
pub struct Planted {
    /// Generic scanners of one country (the country shift).
    pub shift_sources: Vec<Source>,
    /// A DoS victim whose backscatter appears.
    pub victim: Victim,
}

/// Draws distinct addresses from the country blocks.
struct AddressDrawer {
    taken: HashSet<u32, foldhash::fast::FixedState>,
    country: Alias,
    /// Per country: its blocks (first address, count) and a size-weighted
    /// sampler over them.
    blocks: Vec<(Vec<(u32, u32)>, Alias)>,
    net: u32,
    mask: u32,
    avoid_darknet: bool,
}

impl AddressDrawer {
    /// `wide`: draw from [`geo::WIDE_BLOCKS`] too.
    fn new(net: u32, mask: u32, prefix: u8, wide: bool) -> AddressDrawer {
        let weights: Vec<f64> = geo::COUNTRY_WEIGHTS.iter().map(|c| c.1 as f64).collect();
        let blocks = geo::COUNTRY_WEIGHTS
            .iter()
            .map(|&(cc, _)| {
                let ranges = geo::ranges_of(cc, wide);
                let w: Vec<f64> = ranges.iter().map(|r| r.1 as f64).collect();
                let alias = Alias::new(&w).expect("every country has a block");
                (ranges, alias)
            })
            .collect();
        AddressDrawer {
            taken: HashSet::with_hasher(foldhash::fast::FixedState::with_seed(7)),
            country: Alias::new(&weights).expect("country weights are positive"),
            blocks,
            net,
            mask,
            avoid_darknet: prefix >= 8,
        }
    }

    fn draw(&mut self, rng: &mut Rng) -> Result<u32, GenerateError> {
        let c = self.country.sample(rng);
        self.draw_in(rng, c)
    }

    /// An address of the country at `c` in [`geo::COUNTRY_WEIGHTS`].
    fn draw_in(&mut self, rng: &mut Rng, c: usize) -> Result<u32, GenerateError> {
        let (ranges, alias) = &self.blocks[c];
        for _ in 0..10_000 {
            let (first, count) = ranges[alias.sample(rng)];
            let addr = first + rng.below(u64::from(count)) as u32;
            let low = addr & 0xff;
            if low == 0 || low == 255 || (self.avoid_darknet && addr & self.mask == self.net) {
                continue;
            }
            if self.taken.insert(addr) {
                return Ok(addr);
            }
        }
        Err(GenerateError::Config(
            "cannot find enough distinct source addresses outside the darknet; use fewer --sources".into(),
        ))
    }
}

fn ttl(rng: &mut Rng) -> u8 {
    let initial: u8 = match rng.below(10) {
        0..=5 => 64,
        6..=8 => 128,
        _ => 255,
    };
    initial - rng.range_u16(6, 28) as u8
}

/// Splits `total` by integer shares with the largest-remainder rule.
fn apportion(total: u64, shares: &[u64]) -> Vec<u64> {
    let sum: u64 = shares.iter().sum();
    let mut counts: Vec<u64> = shares.iter().map(|s| total * s / sum).collect();
    let mut rems: Vec<(u64, usize)> = shares.iter().enumerate().map(|(i, s)| (total * s % sum, i)).collect();
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = total - counts.iter().sum::<u64>();
    for &(_, i) in rems.iter().take(left as usize) {
        counts[i] += 1;
    }
    counts
}

impl Population {
    pub fn new(rng: &mut Rng, sources: u32, net: u32, prefix: u8) -> Result<Population, GenerateError> {
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        let mut drawer = AddressDrawer::new(net, mask, prefix, sources > geo::MAX_ADDRESSES);

        // Destination-port ranking and its Zipf sampler.
        let mut rest: Vec<u16> = (1..=65535u16).filter(|p| !PORT_HEAD.contains(p)).collect();
        rng.shuffle(&mut rest);
        let mut port_rank = PORT_HEAD.to_vec();
        port_rank.extend(rest);
        let port_zipf = Alias::new(&zipf_weights(port_rank.len(), ZIPF_S)).expect("non-empty");

        let shares: Vec<u64> = KIND_SHARES.iter().map(|k| k.1).collect();
        let counts = apportion(u64::from(sources), &shares);
        let mut list = Vec::with_capacity(sources as usize);
        let mut weights: [Vec<(Source, f64)>; POOLS] = Default::default();
        for (&(kind, _), &count) in KIND_SHARES.iter().zip(&counts) {
            for _ in 0..count {
                let addr = drawer.draw(rng)?;
                let port = match kind {
                    Kind::ZmapTcp => port_rank[port_zipf.sample(rng)],
                    // The last service is "random port": ZMap sources keep one port.
                    Kind::ZmapUdp => rng.below(super::mix::UDP_SERVICES.len() as u64 - 1) as u16,
                    _ => 0,
                };
                let sport = match kind {
                    Kind::Generic => rng.below(3) as u16,
                    _ => rng.range_u16(32_768, 61_000),
                };
                let source = Source { addr, ttl: ttl(rng), kind, port, sport };
                list.push(source);
                let w = pareto(1.0 - rng.unit(), 1.0, PARETO_ALPHA).min(1e7);
                weights[kind.pool() as usize].push((source, w));
            }
        }
        let pools = weights.map(Weighted::new);
        let mut unseen: Vec<u32> = (0..list.len() as u32).collect();
        rng.shuffle(&mut unseen);

        let mut victims = Vec::with_capacity(VICTIMS);
        let mut vw = Vec::with_capacity(VICTIMS);
        for _ in 0..VICTIMS {
            let addr = drawer.draw(rng)?;
            let port = VICTIM_PORTS[rng.below(VICTIM_PORTS.len() as u64) as usize];
            victims.push(Victim { addr, ttl: ttl(rng), port });
            vw.push((victims.len() as u32 - 1, pareto(1.0 - rng.unit(), 1.0, 1.0).min(1e4)));
        }
        let victim_pick = Weighted::new(vw).expect("there are victims");
        let mut routers = Vec::with_capacity(ROUTERS);
        for _ in 0..ROUTERS {
            let addr = drawer.draw(rng)?;
            routers.push(Victim { addr, ttl: ttl(rng), port: 0 });
        }
        Ok(Population { sources: list, pools, unseen, victims, victim_pick, routers, port_rank, port_zipf, drawer })
    }

    /// The extra addresses of the two-period scenario, drawn after all
    /// others so that the rest of the population does not change.
    pub fn planted(&mut self, rng: &mut Rng) -> Result<Planted, GenerateError> {
        let country = |cc: [u8; 2]| geo::COUNTRY_WEIGHTS.iter().position(|c| c.0 == cc).unwrap_or(0);
        let mut shift_sources = Vec::with_capacity(PLANTED_SHIFT_SOURCES);
        for _ in 0..PLANTED_SHIFT_SOURCES {
            let addr = self.drawer.draw_in(rng, country(PLANTED_SHIFT_COUNTRY))?;
            shift_sources.push(Source { addr, ttl: ttl(rng), kind: Kind::Generic, port: 0, sport: 2 });
        }
        let addr = self.drawer.draw_in(rng, country(PLANTED_VICTIM_COUNTRY))?;
        let victim = Victim { addr, ttl: ttl(rng), port: PLANTED_VICTIM_PORT };
        Ok(Planted { shift_sources, victim })
    }

    /// A further victim in country `cc` (a scenario's planted attacks).
    pub fn draw_victim(&mut self, rng: &mut Rng, cc: [u8; 2]) -> Result<Victim, GenerateError> {
        let country = geo::COUNTRY_WEIGHTS.iter().position(|c| c.0 == cc).unwrap_or(0);
        let addr = self.drawer.draw_in(rng, country)?;
        Ok(Victim { addr, ttl: ttl(rng), port: 0 })
    }

    /// A destination port drawn from the Zipf ranking.
    #[inline]
    pub fn zipf_port(&self, rng: &mut Rng) -> u16 {
        self.port_rank[self.port_zipf.sample(rng)]
    }
}

#[cfg(test)]
mod tests {
    use super::apportion;

    #[test]
    fn apportion_is_exact() {
        assert_eq!(apportion(10, &[35, 4, 4, 30, 12, 1, 12, 2]), vec![4, 1, 0, 3, 1, 0, 1, 0]);
        assert_eq!(apportion(1, &[35, 4, 4, 30, 12, 1, 12, 2]), vec![1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(apportion(100, &[35, 65]).iter().sum::<u64>(), 100);
    }
}
