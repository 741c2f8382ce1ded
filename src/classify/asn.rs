//! The origin AS of an address (the network it is routed from).
//!
//! By default the bundled table `data/asn/asn.dsasn.zst`, built by
//! `tools/make-asn-db.py` from the npm package `@ip-location-db/asn`
//! (CC BY 4.0: RouteViews, NRO and DB-IP's IP to ASN Lite; attribution in
//! `data/asn/LICENSE`). `--asn-db FILE` (repeatable) replaces it with that
//! compact form or with ip-location-db CSV files (`start,end,asn,name`,
//! inclusive ranges, addresses as text or numbers; IPv4 and IPv6 in one
//! file or two).
//!
//! The table is range starts sorted, each holding until the next (AS 0:
//! not routed). IPv4 lookups go through an index by the top 16 bits, so a
//! lookup searches only the few ranges of its /16.

use std::path::{Path, PathBuf};

use crate::decode::Addr;

static BUNDLED: &[u8] = include_bytes!("../../data/asn/asn.dsasn.zst");
const MAGIC: &[u8; 8] = b"DSASN001";

#[derive(Debug, thiserror::Error)]
pub enum AsnError {
    #[error("reading {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "{} is no AS table: {why}; pass the CSV of @ip-location-db/asn (start,end,asn,name) or a file \
         made by tools/make-asn-db.py",
        path.display()
    )]
    Invalid { path: PathBuf, why: String },
}

/// Origin-AS lookups.
pub struct AsnDb {
    v4_starts: Vec<u32>,
    v4_asns: Vec<u32>,
    /// For each /16: the first range that can hold its addresses.
    v4_index: Vec<u32>,
    v6_starts: Vec<u128>,
    v6_asns: Vec<u32>,
    names: Vec<(u32, Box<str>)>,
    description: String,
}

impl std::fmt::Debug for AsnDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsnDb").field("description", &self.description).finish_non_exhaustive()
    }
}

impl AsnDb {
    /// The table compiled into the binary.
    pub fn bundled() -> Result<AsnDb, AsnError> {
        let path = Path::new("(bundled) data/asn/asn.dsasn.zst");
        let invalid = |why: String| AsnError::Invalid { path: path.to_path_buf(), why };
        let bytes = zstd::decode_all(BUNDLED).map_err(|e| invalid(e.to_string()))?;
        compact(&bytes).map_err(invalid)
    }

    /// The bundled table, read once per process (a report, and the
    /// daemon's status page at every flush, name ASes with it); None if it
    /// cannot be read.
    pub fn bundled_once() -> Option<&'static AsnDb> {
        static DB: std::sync::OnceLock<Option<AsnDb>> = std::sync::OnceLock::new();
        DB.get_or_init(|| AsnDb::bundled().ok()).as_ref()
    }

    /// Reads `paths` (each compact, zstd-compressed or not, or CSV) into one table.
    pub fn open(paths: &[PathBuf]) -> Result<AsnDb, AsnError> {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut names = Vec::new();
        for path in paths {
            let read = |source| AsnError::Read { path: path.clone(), source };
            let mut bytes = std::fs::read(path).map_err(read)?;
            if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                bytes = zstd::decode_all(bytes.as_slice()).map_err(read)?;
            }
            let invalid = |why: String| AsnError::Invalid { path: path.clone(), why };
            if bytes.starts_with(MAGIC) {
                let db = compact(&bytes).map_err(invalid)?;
                let v4_starts: Vec<u128> = db.v4_starts.iter().map(|&s| u128::from(s)).collect();
                v4.extend(super::asn_csv::ranges(&v4_starts, &db.v4_asns, u128::from(u32::MAX)));
                v6.extend(super::asn_csv::ranges(&db.v6_starts, &db.v6_asns, u128::MAX));
                names.extend(db.names);
                continue;
            }
            let text = String::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text".into()))?;
            super::asn_csv::parse(&text, &mut v4, &mut v6, &mut names).map_err(invalid)?;
        }
        let description = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        Ok(AsnDb::from_ranges(v4, v6, names, description))
    }

    /// Ranges `(start, end, asn)`, ends inclusive; where ranges overlap,
    /// the one starting first keeps the overlap.
    fn from_ranges(
        mut v4: Vec<(u128, u128, u32)>,
        mut v6: Vec<(u128, u128, u32)>,
        mut names: Vec<(u32, Box<str>)>,
        description: String,
    ) -> AsnDb {
        let v4 = super::asn_csv::starts(&mut v4, u128::from(u32::MAX));
        let v6 = super::asn_csv::starts(&mut v6, u128::MAX);
        names.sort_by_key(|n| n.0);
        names.dedup_by_key(|n| n.0);
        let (v4_starts, v4_asns) = v4.into_iter().map(|(s, a)| (s as u32, a)).unzip();
        let (v6_starts, v6_asns) = v6.into_iter().unzip();
        AsnDb::indexed(v4_starts, v4_asns, v6_starts, v6_asns, names, description)
    }

    fn indexed(
        v4_starts: Vec<u32>,
        v4_asns: Vec<u32>,
        v6_starts: Vec<u128>,
        v6_asns: Vec<u32>,
        names: Vec<(u32, Box<str>)>,
        description: String,
    ) -> AsnDb {
        let v4_index = (0..=1u32 << 16)
            .map(|p| {
                let first = (u64::from(p) << 16).min(u64::from(u32::MAX)) as u32;
                v4_starts.partition_point(|&s| s <= first).saturating_sub(1) as u32
            })
            .collect();
        AsnDb { v4_starts, v4_asns, v4_index, v6_starts, v6_asns, names, description }
    }

    /// The origin AS of `addr`, or `None` when the table routes it nowhere.
    pub fn lookup(&self, addr: Addr) -> Option<u32> {
        let asn = match addr.as_v4() {
            Some(v4) => {
                let p = (v4 >> 16) as usize;
                let (lo, hi) = (self.v4_index[p] as usize, self.v4_index[p + 1] as usize + 1);
                let hi = hi.min(self.v4_starts.len());
                let slice = &self.v4_starts[lo..hi];
                let i = lo + slice.partition_point(|&s| s <= v4);
                self.v4_asns.get(i.checked_sub(1)?).copied()?
            }
            None => {
                let i = self.v6_starts.partition_point(|&s| s <= addr.0);
                self.v6_asns.get(i.checked_sub(1)?).copied()?
            }
        };
        (asn != 0).then_some(asn)
    }

    /// The AS's name, when the table has one.
    pub fn name(&self, asn: u32) -> Option<&str> {
        let i = self.names.binary_search_by_key(&asn, |n| n.0).ok()?;
        Some(&self.names[i].1)
    }

    pub fn description(&self) -> &str {
        &self.description
    }
}

/// Reads the compact form (see `tools/make-asn-db.py`).
fn compact(bytes: &[u8]) -> Result<AsnDb, String> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(8)? != MAGIC {
        return Err("no DSASN001 magic".into());
    }
    let n = r.u32()? as usize;
    let description = String::from_utf8_lossy(r.take(n)?).into_owned();
    let n = r.count(8)?;
    let (mut v4_starts, mut v4_asns) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        v4_starts.push(r.u32()?);
        v4_asns.push(r.u32()?);
    }
    let n = r.count(20)?;
    let (mut v6_starts, mut v6_asns) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        v6_starts.push(u128::from_le_bytes(r.take(16)?.try_into().map_err(|_| "short")?));
        v6_asns.push(r.u32()?);
    }
    let n = r.count(6)?;
    let mut names = Vec::with_capacity(n);
    for _ in 0..n {
        let asn = r.u32()?;
        let len = u16::from_le_bytes(r.take(2)?.try_into().map_err(|_| "short")?);
        names.push((asn, String::from_utf8_lossy(r.take(usize::from(len))?).into()));
    }
    let sorted = v4_starts.is_sorted() && v6_starts.is_sorted() && names.is_sorted_by_key(|n: &(u32, Box<str>)| n.0);
    if !sorted {
        return Err("ranges or names out of order".into());
    }
    Ok(AsnDb::indexed(v4_starts, v4_asns, v6_starts, v6_asns, names, description))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("cut short at byte {}", self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| "short")?))
    }

    /// A count of entries of `size` bytes, checked against what is left.
    fn count(&mut self, size: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(size) > self.bytes.len() - self.at {
            return Err(format!("{n} entries announced at byte {}, fewer bytes left", self.at - 4));
        }
        Ok(n)
    }
}

#[cfg(test)]
#[path = "asn_tests.rs"]
mod tests;
