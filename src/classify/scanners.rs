//! Research-scanner lists (DESIGN.md "Research scanners"): `CIDR
//! organisation` per line, `#` comments. Sources inside a listed range are
//! tagged with the organisation, never dropped. The default list
//! (`data/scanners/research-scanners.txt`, CC0 ranges of the MISP
//! warninglists, made by `tools/make-scanner-list.py`) is built in.
//!
//! A lookup first checks the merged ranges (one binary search; most
//! sources are in none), then tries each prefix size present in the list,
//! most specific first, in a hash map of (range start → organisation): a list of CIDRs
//! has few distinct sizes (15 in the default list), and a nested range
//! gets the organisation of the innermost one.

use std::path::Path;

use super::{Cidr, CidrSet};
use crate::decode::Addr;

const BUNDLED: &str = include_str!("../../data/scanners/research-scanners.txt");

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

#[derive(Debug, thiserror::Error)]
pub enum ScannerListError {
    #[error("{origin}: {source}")]
    Io { origin: String, source: std::io::Error },
    #[error("{origin} line {line}: '{text}' is not 'CIDR organisation' ({why})")]
    Line { origin: String, line: usize, text: String, why: String },
}

#[derive(Clone, Debug, Default)]
pub struct ScannerList {
    /// (size − 1 of the ranges, range start → organisation number), smallest
    /// ranges first.
    by_size: Vec<(u128, FastMap<u128, u16>)>,
    orgs: Vec<String>,
    ranges: usize,
    /// Every listed range merged: most addresses are in none, and this
    /// says so with one binary search.
    any: CidrSet,
    /// Where the list came from: its `# source:` comment, or the file.
    pub origin: String,
}

impl ScannerList {
    /// The built-in list.
    pub fn bundled() -> Result<ScannerList, ScannerListError> {
        ScannerList::parse(BUNDLED, "the bundled scanner list")
    }

    pub fn open(path: &Path) -> Result<ScannerList, ScannerListError> {
        let origin = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| ScannerListError::Io { origin: origin.clone(), source })?;
        ScannerList::parse(&text, &origin)
    }

    pub fn parse(text: &str, origin: &str) -> Result<ScannerList, ScannerListError> {
        let mut list = ScannerList { origin: origin.to_string(), ..ScannerList::default() };
        let mut all = Vec::new();
        // Organisations by name (a list may name 65,536).
        let mut numbers: FastMap<String, u16> = FastMap::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if let Some(comment) = line.strip_prefix('#') {
                if let Some(source) = comment.trim().strip_prefix("source:") {
                    list.origin = format!("{origin} ({})", source.trim());
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let bad = |why: String| ScannerListError::Line {
                origin: origin.to_string(),
                line: i + 1,
                text: raw.to_string(),
                why,
            };
            let (cidr, org) = line.split_once(char::is_whitespace).ok_or_else(|| bad("no organisation".into()))?;
            let cidr: Cidr = cidr.parse().map_err(|e: super::CidrError| bad(e.to_string()))?;
            let org = org.trim();
            let number = match numbers.get(org) {
                Some(&n) => n,
                None => {
                    let n = u16::try_from(list.orgs.len()).map_err(|_| bad("more than 65,536 organisations".into()))?;
                    list.orgs.push(org.to_string());
                    numbers.insert(org.to_string(), n);
                    n
                }
            };
            let (start, end) = cidr.range();
            all.push(cidr);
            let size = end.0 - start.0;
            let slot = match list.by_size.iter().position(|(s, _)| *s == size) {
                Some(slot) => slot,
                None => {
                    list.by_size.push((size, FastMap::default()));
                    list.by_size.len() - 1
                }
            };
            // The first line for a range wins, as in the list's order.
            list.by_size[slot].1.entry(start.0).or_insert(number);
            list.ranges += 1;
        }
        list.by_size.sort_by_key(|(size, _)| *size);
        list.any = CidrSet::new(&all);
        Ok(list)
    }

    /// The organisation whose listed range holds `addr` (the innermost).
    pub fn lookup(&self, addr: Addr) -> Option<&str> {
        if !self.any.contains(addr) {
            return None;
        }
        self.by_size
            .iter()
            .find_map(|(size, starts)| starts.get(&(addr.0 & !size)))
            .map(|&n| self.orgs[usize::from(n)].as_str())
    }

    /// What the list is, for provenance: origin, ranges, organisations.
    pub fn description(&self) -> String {
        format!("{}: {} ranges, {} organisations", self.origin, self.ranges, self.orgs.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> Addr {
        Addr::from(text.parse::<std::net::IpAddr>().expect("an address"))
    }

    #[test]
    fn innermost_range_wins_for_both_families() {
        let list = ScannerList::parse(
            "# source: a test\n10.0.0.0/8 big\n10.1.2.0/24 small\n\n2001:db8::/32 six\n192.0.2.7/32 one\n",
            "test",
        )
        .expect("a valid list");
        assert_eq!(list.lookup(addr("10.9.9.9")), Some("big"));
        assert_eq!(list.lookup(addr("10.1.2.200")), Some("small"));
        assert_eq!(list.lookup(addr("192.0.2.7")), Some("one"));
        assert_eq!(list.lookup(addr("192.0.2.8")), None);
        assert_eq!(list.lookup(addr("2001:db8:1::1")), Some("six"));
        assert_eq!(list.lookup(addr("11.0.0.1")), None);
        assert_eq!(list.description(), "test (a test): 4 ranges, 4 organisations");
    }

    #[test]
    fn bad_lines_name_the_line() {
        let e = ScannerList::parse("10.0.0.0/8 ok\n10.0.0.1/8 bad\n", "f.txt").expect_err("host bits set");
        assert!(e.to_string().starts_with("f.txt line 2: '10.0.0.1/8 bad'"), "{e}");
        let e = ScannerList::parse("10.0.0.0/8\n", "f.txt").expect_err("no organisation");
        assert!(e.to_string().contains("no organisation"), "{e}");
    }

    #[test]
    fn the_bundled_list_parses_and_knows_a_range_of_its_source() {
        let list = ScannerList::bundled().expect("the bundled list parses");
        // From shodan-scanning.json of the MISP snapshot (first line of the list).
        assert_eq!(list.lookup(addr("2.59.22.234")), Some("shodan"));
        assert!(list.description().contains("3941 ranges"), "{}", list.description());
    }
}
