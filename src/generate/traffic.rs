//! Per-packet traffic: picks a packet class by the configured mix, a source
//! (or victim) for it, and builds the frame. Which fingerprint or class a
//! packet *really* has is not recorded here: the truth re-derives it from the
//! written bytes (see [`super::truth`]).

use super::frame::{Frame, IP_DF, IP_MF, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ip, quote};
use super::mix::{CLASSES, Class, FRAG_DATAGRAM, FRAG_FIRST, LINUX_OPTS, MSS_OPTS, UDP_SERVICES};
use super::model::{Kind, Pool, Population, Source, Victim};
use super::rng::{Alias, Rng};
use super::scenario::{Plan, Substitute};

/// The second fragment of a pair, emitted as the next packet.
#[derive(Clone, Copy)]
struct Pending {
    ip: Ip,
    len: usize,
}

pub struct Traffic {
    rng: Rng,
    pop: Population,
    classes: Alias,
    class_of: Vec<Class>,
    udp_service: Alias,
    net: u32,
    host_mask: u32,
    next_unseen: usize,
    pending: Option<Pending>,
    /// A scenario's planted changes (see [`super::scenario`]).
    pub plan: Option<Plan>,
    /// Draws of backscatter become generic scans (the `events` scenario:
    /// only its planted attacks have backscatter).
    pub no_backscatter: bool,
}

impl Traffic {
    pub fn new(rng: Rng, pop: Population, net: u32, prefix: u8) -> Traffic {
        let mut w = Vec::new();
        let mut class_of = Vec::new();
        for &(class, weight, pool) in &CLASSES {
            let available = pool.is_none_or(|p| pop.pools[p as usize].is_some());
            class_of.push(class);
            w.push(if available { f64::from(weight) } else { 0.0 });
        }
        let classes = Alias::new(&w).expect("backscatter classes are always available");
        let sw: Vec<f64> = UDP_SERVICES.iter().map(|s| f64::from(s.2)).collect();
        let host_mask = if prefix == 0 { u32::MAX } else { !(u32::MAX << (32 - prefix)) };
        Traffic {
            rng,
            pop,
            classes,
            class_of,
            udp_service: Alias::new(&sw).expect("positive"),
            net,
            host_mask,
            next_unseen: 0,
            pending: None,
            plan: None,
            no_backscatter: false,
        }
    }

    #[inline]
    fn darknet_addr(&mut self) -> u32 {
        self.net | (self.rng.next_u32() & self.host_mask)
    }

    #[inline]
    fn source(&mut self, pool: Pool) -> Source {
        let p = self.pop.pools[pool as usize].as_ref().expect("class weight is zero for empty pools");
        p.pick(&mut self.rng)
    }

    /// Builds packet `i` of `n` into `f`.
    pub fn next(&mut self, i: u64, n: u64, f: &mut Frame) {
        if let Some(p) = self.pending.take() {
            f.non_first_fragment(&p.ip, p.len);
            return;
        }
        // Force each not-yet-forced source once, spread evenly over the run.
        let left = (self.pop.unseen.len() - self.next_unseen) as u64;
        if left > 0 && self.rng.below(n - i) < left {
            let s = self.pop.sources[self.pop.unseen[self.next_unseen] as usize];
            self.next_unseen += 1;
            let class = match s.kind {
                Kind::Mirai => Class::SynMirai,
                Kind::ZmapTcp => Class::SynZmap,
                Kind::Masscan => Class::SynMasscan,
                Kind::Generic => Class::SynGeneric,
                Kind::Udp | Kind::ZmapUdp => Class::Udp,
                Kind::Icmp | Kind::ZmapIcmp => Class::Icmp,
            };
            self.scan(class, s, f);
            return;
        }
        let substitute = match &self.plan {
            Some(plan) => plan.substitute(&mut self.rng),
            None => None,
        };
        match substitute {
            Some(Substitute::ShiftScan(s)) => return self.scan(Class::SynGeneric, s, f),
            Some(Substitute::VictimSynAck(v)) => return self.backscatter_from(Class::BsSynAck, v, f),
            None => {}
        }
        let mut class = self.class_of[self.classes.sample(&mut self.rng)];
        if class == Class::FragPair && i + 1 >= n {
            class = Class::Udp;
        }
        match class {
            Class::SynMirai => {
                let s = self.source(Pool::Mirai);
                self.scan(class, s, f)
            }
            Class::SynZmap => {
                let s = self.source(Pool::Zmap);
                self.scan(class, s, f)
            }
            Class::SynMasscan => {
                let s = self.source(Pool::Masscan);
                self.scan(class, s, f)
            }
            Class::SynGeneric | Class::TcpOther | Class::TruncTcp4 => {
                let s = self.source(Pool::Generic);
                self.scan(class, s, f)
            }
            Class::TruncPort => {
                let use_udp = self.pop.pools[Pool::Udp as usize].is_some() && self.rng.chance(3, 10);
                let s = self.source(if use_udp { Pool::Udp } else { Pool::Generic });
                self.scan(if use_udp { Class::Udp } else { Class::SynGeneric }, s, f);
                f.truncate(14 + 20 + 2);
            }
            Class::Udp => {
                let s = self.source(Pool::Udp);
                self.scan(class, s, f)
            }
            Class::Icmp => {
                let s = self.source(Pool::Icmp);
                self.scan(class, s, f)
            }
            Class::FragPair => self.fragments(f),
            _ if self.no_backscatter => {
                let s = self.source(Pool::Generic);
                self.scan(Class::SynGeneric, s, f)
            }
            _ => self.backscatter(class, f),
        }
        if class == Class::TruncTcp4 {
            f.truncate(14 + 20 + 4);
        }
    }

    fn ip(&mut self, s: &Source, proto: u8) -> Ip {
        let zmap = matches!(s.kind, Kind::ZmapTcp | Kind::ZmapUdp | Kind::ZmapIcmp);
        let id = if zmap { 54321 } else { self.rng.next_u16() };
        Ip { src: s.addr, dst: self.darknet_addr(), id, frag: 0, ttl: s.ttl, proto }
    }

    /// A TCP destination port from the Zipf ranking (as the plan wants it).
    fn tcp_port(&mut self) -> u16 {
        let drawn = self.pop.zipf_port(&mut self.rng);
        match &self.plan {
            Some(plan) => {
                let pop = &self.pop;
                plan.port(drawn, &mut self.rng, |rng| pop.zipf_port(rng))
            }
            None => drawn,
        }
    }

    /// A probe from a scanning source.
    fn scan(&mut self, class: Class, s: Source, f: &mut Frame) {
        let r = self.rng.next_u64();
        match class {
            Class::Udp => {
                let mut ip = self.ip(&s, IPPROTO_UDP);
                let svc =
                    if s.kind == Kind::ZmapUdp { s.port as usize } else { self.udp_service.sample(&mut self.rng) };
                let (port, payload, _) = UDP_SERVICES[svc];
                let dport = if port == 0 { self.rng.range_u16(1024, 65535) } else { port };
                let sport = if s.kind == Kind::ZmapUdp { s.sport } else { self.rng.range_u16(1024, 65535) };
                if ip.id == 0 {
                    ip.frag = IP_DF;
                }
                f.udp(&ip, sport, dport, payload);
            }
            Class::Icmp => {
                let ip = self.ip(&s, IPPROTO_ICMP);
                let payload: &[u8] = if r & 1 == 0 { &[] } else { &[0u8; 56] };
                f.icmp(&ip, 8, 0, ((r >> 32) as u32).to_be_bytes(), payload);
            }
            _ => {
                let mut ip = self.ip(&s, IPPROTO_TCP);
                let seq = (r >> 32) as u32;
                let sport16 = self.rng.range_u16(1024, 65535);
                match (class, s.kind) {
                    (Class::SynMirai, _) => {
                        let dport = if r & 0xff < 26 { 2323 } else { 23 };
                        let win = self.rng.range_u16(1024, 65535);
                        f.tcp(&ip, sport16, dport, ip.dst, 0, 0x02, win, &[]);
                    }
                    (Class::SynZmap, _) => f.tcp(&ip, s.sport, s.port, seq, 0, 0x02, 65535, &[]),
                    (Class::SynMasscan, _) => {
                        let dport = self.tcp_port();
                        ip.id = ((ip.dst ^ u32::from(dport) ^ seq) & 0xffff) as u16;
                        f.tcp(&ip, s.sport, dport, seq, 0, 0x02, 1024, &[]);
                    }
                    (Class::TcpOther, _) => {
                        const OTHER: [u8; 6] = [0x10, 0x01, 0x11, 0x18, 0x00, 0x29];
                        let flags = OTHER[(r & 0xffff) as usize % OTHER.len()];
                        let dport = self.tcp_port();
                        let ack = if flags & 0x10 != 0 { self.rng.next_u32() } else { 0 };
                        f.tcp(&ip, sport16, dport, seq, ack, flags, 1024, &[]);
                    }
                    _ => {
                        let dport = self.tcp_port();
                        ip.frag = IP_DF;
                        match s.sport {
                            0 => {
                                let mut opts = LINUX_OPTS;
                                opts[8..12].copy_from_slice(&self.rng.next_u32().to_be_bytes());
                                f.tcp(&ip, sport16, dport, seq, 0, 0x02, 64240, &opts);
                            }
                            1 => f.tcp(&ip, sport16, dport, seq, 0, 0x02, 1024, &MSS_OPTS),
                            _ => f.tcp(&ip, sport16, dport, seq, 0, 0x02, 29200, &[]),
                        }
                    }
                }
            }
        }
    }

    /// A fragmented UDP (or ICMP echo) datagram: the first fragment now, the
    /// last one as the next packet.
    fn fragments(&mut self, f: &mut Frame) {
        let icmp = self.pop.pools[Pool::Icmp as usize].is_some() && self.rng.chance(1, 5);
        let s = self.source(if icmp { Pool::Icmp } else { Pool::Udp });
        let mut ip = self.ip(&s, if icmp { IPPROTO_ICMP } else { IPPROTO_UDP });
        ip.frag = IP_MF;
        if icmp {
            f.icmp_first_fragment(&ip, self.rng.next_u32().to_be_bytes(), FRAG_FIRST);
        } else {
            let (port, _, _) = UDP_SERVICES[self.udp_service.sample(&mut self.rng)];
            let dport = if port == 0 { self.rng.range_u16(1024, 65535) } else { port };
            let sport = self.rng.range_u16(1024, 65535);
            f.udp_first_fragment(&ip, sport, dport, FRAG_DATAGRAM, FRAG_FIRST);
        }
        ip.frag = (FRAG_FIRST / 8) as u16;
        self.pending = Some(Pending { ip, len: 8 + FRAG_DATAGRAM - FRAG_FIRST });
    }

    /// Backscatter: replies of a DoS victim (or a router on its path) to
    /// packets that were spoofed with a darknet source address.
    fn backscatter(&mut self, class: Class, f: &mut Frame) {
        let v = self.pop.victims[self.pop.victim_pick.pick(&mut self.rng) as usize];
        self.backscatter_from(class, v, f);
    }

    pub fn backscatter_from(&mut self, class: Class, v: Victim, f: &mut Frame) {
        let dark = self.darknet_addr();
        let dport = self.rng.range_u16(1024, 65535);
        let r = self.rng.next_u64();
        let mut ip = Ip { src: v.addr, dst: dark, id: r as u16, frag: 0, ttl: v.ttl, proto: IPPROTO_TCP };
        let (hi, lo) = ((r >> 32) as u32, (r >> 16) as u32);
        match class {
            Class::BsSynAck => {
                ip.id = 0;
                ip.frag = IP_DF;
                f.tcp(&ip, v.port, dport, hi, lo | 1, 0x12, 29200, &MSS_OPTS);
            }
            Class::BsRstAck => f.tcp(&ip, v.port, dport, 0, lo | 1, 0x14, 0, &[]),
            Class::BsRst => f.tcp(&ip, v.port, dport, hi, 0, 0x04, 0, &[]),
            Class::BsEchoReply => {
                ip.proto = IPPROTO_ICMP;
                let payload: &[u8] = if r & 1 == 0 { &[] } else { &[0u8; 56] };
                f.icmp(&ip, 0, 0, hi.to_be_bytes(), payload);
            }
            _ => {
                // ICMP error about the spoofed packet darknet → victim.
                let (typ, code, from_victim, udp) = match class {
                    Class::BsPortUnreach => (3, 3, true, true),
                    Class::BsAdminProhibited => (3, 13, false, false),
                    Class::BsHostUnreach => (3, 1, false, false),
                    _ => (11, 0, false, false),
                };
                if !from_victim {
                    let router = self.pop.routers[self.rng.below(self.pop.routers.len() as u64) as usize];
                    ip.src = router.addr;
                    ip.ttl = router.ttl;
                }
                ip.proto = IPPROTO_ICMP;
                let inner_ttl = if typ == 11 { 1 } else { self.rng.range_u16(30, 240) as u8 };
                let inner = Ip {
                    src: dark,
                    dst: v.addr,
                    id: (r >> 48) as u16,
                    frag: 0,
                    ttl: inner_ttl,
                    proto: if udp { IPPROTO_UDP } else { IPPROTO_TCP },
                };
                let mut first8 = [0u8; 8];
                first8[0..2].copy_from_slice(&dport.to_be_bytes());
                let vport = if udp && v.port != 53 { 27015 } else { v.port };
                first8[2..4].copy_from_slice(&vport.to_be_bytes());
                let total: u16 = if udp {
                    first8[4..6].copy_from_slice(&36u16.to_be_bytes()); // UDP length
                    first8[6..8].copy_from_slice(&(hi as u16).to_be_bytes());
                    56
                } else {
                    first8[4..8].copy_from_slice(&hi.to_be_bytes()); // seq
                    40
                };
                let q = quote(&inner, total, first8);
                f.icmp(&ip, typ, code, [0; 4], &q);
            }
        }
    }
}
