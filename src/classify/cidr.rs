//! CIDR prefix sets for `--darknet` and `--exclude`, v4 and v6.
//!
//! Prefixes are merged into sorted, disjoint ranges, so overlapping prefixes
//! count once and membership is a binary search (a single compare for the
//! usual one-prefix darknet).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::decode::Addr;

/// A parsed `ADDRESS/LEN` prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub len: u8,
}

/// Why a CIDR string is not one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CidrError {
    #[error("invalid CIDR '{0}': expected ADDRESS/LEN, e.g. 198.51.100.0/24 or 2001:db8::/32")]
    Syntax(String),
    #[error("invalid CIDR '{text}': prefix length {len} is longer than {max}")]
    TooLong { text: String, len: u32, max: u8 },
    #[error("invalid CIDR '{text}': host bits are set; did you mean {suggest}?")]
    HostBits { text: String, suggest: String },
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let syntax = || CidrError::Syntax(text.to_string());
        let (addr_text, len_text) = match text.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text.trim().parse().map_err(|_| syntax())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len: u32 = match len_text {
            Some(l) => l.trim().parse().map_err(|_| syntax())?,
            None => u32::from(max),
        };
        if len > u32::from(max) {
            return Err(CidrError::TooLong { text: text.to_string(), len, max });
        }
        let cidr = Cidr { addr, len: len as u8 };
        let (first, _) = cidr.range();
        if first != Addr::from(addr) {
            let suggest = format!("{}/{len}", first);
            return Err(CidrError::HostBits { text: text.to_string(), suggest });
        }
        Ok(cidr)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl Cidr {
    /// First and last address of the prefix, as 128-bit keys.
    pub fn range(&self) -> (Addr, Addr) {
        let key = Addr::from(self.addr).0;
        let host_bits = match self.addr {
            IpAddr::V4(_) => 32 - u32::from(self.len),
            IpAddr::V6(_) => 128 - u32::from(self.len),
        };
        let mask = if host_bits == 128 { u128::MAX } else { (1u128 << host_bits) - 1 };
        (Addr(key & !mask), Addr(key | mask))
    }
}

/// A set of prefixes as merged, sorted inclusive ranges.
#[derive(Clone, Debug, Default)]
pub struct CidrSet {
    ranges: Vec<(u128, u128)>,
    prefixes: Vec<Cidr>,
}

impl CidrSet {
    pub fn new(prefixes: &[Cidr]) -> CidrSet {
        let mut ranges: Vec<(u128, u128)> = prefixes
            .iter()
            .map(|c| {
                let (a, b) = c.range();
                (a.0, b.0)
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        CidrSet { ranges: merged, prefixes: prefixes.to_vec() }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn prefixes(&self) -> &[Cidr] {
        &self.prefixes
    }

    #[inline]
    pub fn contains(&self, addr: Addr) -> bool {
        let a = addr.0;
        match self.ranges.as_slice() {
            [] => false,
            [(start, end)] => *start <= a && a <= *end,
            ranges => {
                let i = ranges.partition_point(|&(start, _)| start <= a);
                i > 0 && a <= ranges[i - 1].1
            }
        }
    }

    /// Number of IPv4 addresses in the union (overlaps counted once).
    pub fn ipv4_size(&self) -> u64 {
        let (lo, hi) = (Addr::v4(0).0, Addr::v4(u32::MAX).0);
        self.ranges.iter().filter(|(s, e)| *s >= lo && *e <= hi).map(|(s, e)| (e - s) as u64 + 1).sum()
    }

    /// The merged ranges, as inclusive 128-bit key bounds, sorted.
    pub fn ranges(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    /// Whether any prefix is IPv6.
    pub fn has_ipv6(&self) -> bool {
        self.prefixes.iter().any(|c| c.addr.is_ipv6())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(list: &[&str]) -> CidrSet {
        CidrSet::new(&list.iter().map(|s| s.parse().unwrap()).collect::<Vec<Cidr>>())
    }

    #[test]
    fn overlapping_prefixes_merge() {
        let s = set(&["198.18.0.0/16", "198.18.4.0/24", "198.19.0.0/16", "10.0.0.1/32"]);
        assert_eq!(s.ipv4_size(), 65_536 * 2 + 1);
        assert!(s.contains(Addr::v4(u32::from_be_bytes([198, 19, 255, 255]))));
        assert!(s.contains(Addr::v4(u32::from_be_bytes([10, 0, 0, 1]))));
        assert!(!s.contains(Addr::v4(u32::from_be_bytes([10, 0, 0, 2]))));
        assert!(!s.contains(Addr::v4(u32::from_be_bytes([198, 20, 0, 0]))));
    }

    #[test]
    fn ipv6_and_errors() {
        let s = set(&["2001:db8::/32"]);
        assert!(s.contains(Addr::from("2001:db8::1".parse::<IpAddr>().unwrap())));
        assert!(!s.contains(Addr::v4(1)));
        assert_eq!(s.ipv4_size(), 0);
        assert!(matches!("198.18.0.1/16".parse::<Cidr>(), Err(CidrError::HostBits { .. })));
        assert!(matches!("198.18.0.0/33".parse::<Cidr>(), Err(CidrError::TooLong { .. })));
        assert!(matches!("banana".parse::<Cidr>(), Err(CidrError::Syntax(_))));
        assert_eq!("0.0.0.0/0".parse::<Cidr>().unwrap().range().1, Addr::v4(u32::MAX));
    }
}
