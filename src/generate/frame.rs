//! Frame building: Ethernet II + IPv4 (no options) + TCP/UDP/ICMP written in
//! place into one reusable buffer, with every IPv4 header checksum and every
//! TCP/UDP/ICMP checksum correct (RFC 1071 one's-complement sums; the UDP and
//! ICMP datagrams that are split into fragments carry zero payload bytes, so
//! their checksums are over the complete datagram as the RFCs require).
//!
//! Frames shorter than the 60-byte Ethernet minimum are zero-padded, as a
//! receiving NIC delivers them, so the captured length exceeds the IP total
//! length: an analyser must take `bytes` from the IP header.

/// Ethernet header length and the minimum frame length without FCS.
pub const ETH_LEN: usize = 14;
pub const IP_LEN: usize = 20;
pub const MIN_FRAME: usize = 60;
/// Largest frame built (1500-byte IP MTU).
pub const MAX_FRAME: usize = ETH_LEN + 1500;

/// Destination MAC (the telescope's capture interface), source MAC (its
/// upstream router), EtherType IPv4.
const ETH_TEMPLATE: [u8; ETH_LEN] =
    [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x00, 0x1b, 0x21, 0x3c, 0x9d, 0xf8, 0x08, 0x00];

/// The IPv4 fields the generator chooses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ip {
    pub src: u32,
    pub dst: u32,
    pub id: u16,
    /// The raw flags + fragment-offset field (DF 0x4000, MF 0x2000, offset
    /// in 8-byte units in the low 13 bits).
    pub frag: u16,
    pub ttl: u8,
    pub proto: u8,
}

pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IP_DF: u16 = 0x4000;
pub const IP_MF: u16 = 0x2000;

/// RFC 1071 one's-complement sum of `data` (big-endian 16-bit words, an odd
/// last byte padded with zero) added to `initial`, not yet folded.
#[inline]
pub fn sum16(data: &[u8], initial: u64) -> u64 {
    let mut sum = initial;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u64::from(*last) << 8;
    }
    sum
}

/// Folds a one's-complement sum and complements it: the checksum field.
#[inline]
pub fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The Internet checksum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    fold(sum16(data, 0))
}

/// The TCP/UDP pseudo-header sum.
#[inline]
fn pseudo(ip: &Ip, l4_len: usize) -> u64 {
    u64::from(ip.src >> 16)
        + u64::from(ip.src & 0xffff)
        + u64::from(ip.dst >> 16)
        + u64::from(ip.dst & 0xffff)
        + u64::from(ip.proto)
        + l4_len as u64
}

/// One frame: `buf[..cap]` is what is captured, `orig` the length on the wire.
pub struct Frame {
    pub buf: Box<[u8; MAX_FRAME]>,
    pub cap: usize,
    pub orig: usize,
}

impl Default for Frame {
    fn default() -> Self {
        Frame { buf: Box::new([0; MAX_FRAME]), cap: 0, orig: 0 }
    }
}

impl Frame {
    /// Writes Ethernet + IPv4 for an IP payload of `ip_payload` bytes.
    #[inline]
    fn ipv4(&mut self, ip: &Ip, ip_payload: usize) {
        let b = &mut self.buf[..ETH_LEN + IP_LEN];
        b[..ETH_LEN].copy_from_slice(&ETH_TEMPLATE);
        let h = &mut b[ETH_LEN..];
        h[0] = 0x45;
        h[1] = 0;
        h[2..4].copy_from_slice(&((IP_LEN + ip_payload) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&ip.id.to_be_bytes());
        h[6..8].copy_from_slice(&ip.frag.to_be_bytes());
        h[8] = ip.ttl;
        h[9] = ip.proto;
        h[10..12].fill(0);
        h[12..16].copy_from_slice(&ip.src.to_be_bytes());
        h[16..20].copy_from_slice(&ip.dst.to_be_bytes());
        let c = checksum(h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
    }

    /// Sets the lengths for `written` frame bytes, padding to 60.
    #[inline]
    fn finish(&mut self, written: usize) {
        let len = if written < MIN_FRAME {
            self.buf[written..MIN_FRAME].fill(0);
            MIN_FRAME
        } else {
            written
        };
        self.cap = len;
        self.orig = len;
    }

    /// A TCP segment with `opts` (a multiple of 4 bytes) and no payload.
    #[allow(clippy::too_many_arguments)]
    pub fn tcp(&mut self, ip: &Ip, sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, win: u16, opts: &[u8]) {
        let hl = 20 + opts.len();
        self.ipv4(ip, hl);
        let t = &mut self.buf[ETH_LEN + IP_LEN..ETH_LEN + IP_LEN + hl];
        t[0..2].copy_from_slice(&sport.to_be_bytes());
        t[2..4].copy_from_slice(&dport.to_be_bytes());
        t[4..8].copy_from_slice(&seq.to_be_bytes());
        t[8..12].copy_from_slice(&ack.to_be_bytes());
        t[12] = ((hl / 4) as u8) << 4;
        t[13] = flags;
        t[14..16].copy_from_slice(&win.to_be_bytes());
        t[16..20].fill(0);
        t[20..].copy_from_slice(opts);
        let c = fold(sum16(t, pseudo(ip, hl)));
        t[16..18].copy_from_slice(&c.to_be_bytes());
        self.finish(ETH_LEN + IP_LEN + hl);
    }

    /// A UDP datagram carrying `payload`.
    pub fn udp(&mut self, ip: &Ip, sport: u16, dport: u16, payload: &[u8]) {
        let len = 8 + payload.len();
        self.ipv4(ip, len);
        let u = &mut self.buf[ETH_LEN + IP_LEN..ETH_LEN + IP_LEN + len];
        udp_header(u, ip, sport, dport, len, payload);
        self.finish(ETH_LEN + IP_LEN + len);
    }

    /// An ICMP message: type, code, the 4 "rest of header" bytes, payload.
    pub fn icmp(&mut self, ip: &Ip, typ: u8, code: u8, rest: [u8; 4], payload: &[u8]) {
        let len = 8 + payload.len();
        self.ipv4(ip, len);
        let m = &mut self.buf[ETH_LEN + IP_LEN..ETH_LEN + IP_LEN + len];
        m[0] = typ;
        m[1] = code;
        m[2..4].fill(0);
        m[4..8].copy_from_slice(&rest);
        m[8..].copy_from_slice(payload);
        let c = checksum(m);
        m[2..4].copy_from_slice(&c.to_be_bytes());
        self.finish(ETH_LEN + IP_LEN + len);
    }

    /// The first fragment (offset 0, MF set by the caller in `ip.frag`) of a
    /// UDP datagram with `payload_len` zero bytes; it carries `carried` bytes
    /// of the datagram (UDP header included, a multiple of 8).
    pub fn udp_first_fragment(&mut self, ip: &Ip, sport: u16, dport: u16, payload_len: usize, carried: usize) {
        self.ipv4(ip, carried);
        let u = &mut self.buf[ETH_LEN + IP_LEN..ETH_LEN + IP_LEN + carried];
        u[8..].fill(0);
        udp_header(&mut u[..8], ip, sport, dport, 8 + payload_len, &[]);
        self.finish(ETH_LEN + IP_LEN + carried);
    }

    /// The first fragment of an ICMP echo request with `payload_len` zero
    /// bytes, carrying `carried` bytes of the ICMP message.
    pub fn icmp_first_fragment(&mut self, ip: &Ip, rest: [u8; 4], carried: usize) {
        self.ipv4(ip, carried);
        let m = &mut self.buf[ETH_LEN + IP_LEN..ETH_LEN + IP_LEN + carried];
        m.fill(0);
        m[0] = 8;
        m[4..8].copy_from_slice(&rest);
        let c = checksum(&m[..8]);
        m[2..4].copy_from_slice(&c.to_be_bytes());
        self.finish(ETH_LEN + IP_LEN + carried);
    }

    /// A non-first fragment (`ip.frag` has a non-zero offset): `len` zero
    /// bytes from the middle or end of a datagram, no L4 header.
    pub fn non_first_fragment(&mut self, ip: &Ip, len: usize) {
        self.ipv4(ip, len);
        self.buf[ETH_LEN + IP_LEN..ETH_LEN + IP_LEN + len].fill(0);
        self.finish(ETH_LEN + IP_LEN + len);
    }

    /// Captures only the first `cap` bytes (a short snap length).
    pub fn truncate(&mut self, cap: usize) {
        self.cap = self.cap.min(cap);
    }

    /// The captured bytes.
    pub fn captured(&self) -> &[u8] {
        &self.buf[..self.cap]
    }
}

/// Writes a UDP header into `u[..8]` (and `payload` after it) with the
/// checksum over the pseudo header, the header and `payload`; `udp_len` is
/// the UDP length field (bytes of the datagram not in `payload` are zero).
#[inline]
fn udp_header(u: &mut [u8], ip: &Ip, sport: u16, dport: u16, udp_len: usize, payload: &[u8]) {
    u[0..2].copy_from_slice(&sport.to_be_bytes());
    u[2..4].copy_from_slice(&dport.to_be_bytes());
    u[4..6].copy_from_slice(&(udp_len as u16).to_be_bytes());
    u[6..8].fill(0);
    u[8..8 + payload.len()].copy_from_slice(payload);
    let mut c = fold(sum16(&u[..8 + payload.len()], pseudo(ip, udp_len)));
    if c == 0 {
        c = 0xffff; // RFC 768: a computed zero is sent as all ones
    }
    u[6..8].copy_from_slice(&c.to_be_bytes());
}

/// The 28 bytes an ICMP error quotes: the offending datagram's IPv4 header
/// (`inner_total` its total length) and its first 8 L4 bytes.
pub fn quote(inner: &Ip, inner_total: u16, first8: [u8; 8]) -> [u8; 28] {
    let mut q = [0u8; 28];
    q[0] = 0x45;
    q[2..4].copy_from_slice(&inner_total.to_be_bytes());
    q[4..6].copy_from_slice(&inner.id.to_be_bytes());
    q[6..8].copy_from_slice(&inner.frag.to_be_bytes());
    q[8] = inner.ttl;
    q[9] = inner.proto;
    q[12..16].copy_from_slice(&inner.src.to_be_bytes());
    q[16..20].copy_from_slice(&inner.dst.to_be_bytes());
    let c = checksum(&q[..20]);
    q[10..12].copy_from_slice(&c.to_be_bytes());
    q[20..].copy_from_slice(&first8);
    q
}
