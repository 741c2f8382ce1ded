//! Country lookup (being written on the fixtures branch).
use std::net::IpAddr;
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(pub [u8; 2]);
impl CountryCode {
    pub const UNKNOWN: CountryCode = CountryCode(*b"ZZ");
    pub fn as_str(&self) -> &str { std::str::from_utf8(&self.0).unwrap_or("ZZ") }
}
pub struct CountryDb;
#[derive(Debug, thiserror::Error)]
pub enum GeoError { #[error("geo")] X }
impl CountryDb {
    pub fn bundled() -> Result<CountryDb, GeoError> { Ok(CountryDb) }
    pub fn open(_p: &std::path::Path) -> Result<CountryDb, GeoError> { Ok(CountryDb) }
    pub fn lookup(&self, _ip: IpAddr) -> CountryCode { CountryCode::UNKNOWN }
    pub fn description(&self) -> String { String::new() }
}
